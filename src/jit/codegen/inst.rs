//! The instructions program code is made of, and what each one does: one table.
//!
//! The code generator keeps cells in registers and remembers what registers and flags hold
//! (see [`super::state`]), so that a cell is loaded once, updated in a register and stored
//! once, and a loop test right after `p[0] -= 1` needs no compare. That memory is only as good
//! as its knowledge of every instruction emitted: a single instruction that changed the flags
//! without the generator knowing (`imul` leaves ZF undefined) would make a later loop test
//! read stale flags, and the program would silently compute a wrong answer. So every
//! instruction of program code is an [`Inst`], and [`Inst::effect`] states, in one `match`,
//! what it does to registers, flags, cells, memory and the tape pointer, and
//! [`Inst::requires`] what must be true before it runs (for example that a register holds the
//! cell it updates). [`super::Gen::emit`] checks the requirement, encodes the instruction and
//! applies the effect; nothing else changes what the generator believes.
//!
//! Longer sequences whose details the generator does not track (the scans) declare one
//! [`Effect`] for the whole sequence.
//!
//! The declarations are checked against the processor's real behaviour: in debug builds (so in
//! every test) and with [`crate::jit::Options::verify`], [`super::verify`] decodes every piece
//! of emitted code with iced-x86 and fails if it writes a register, memory or a flag that its
//! declaration does not admit.
//!
//! # Cells in registers
//!
//! A register that holds a cell holds its value in the low 8, 16 or 32 bits (the cell width);
//! the bits above are undefined, so additions may use `lea` (which leaves the flags alone),
//! and every instruction that looks at the value (a test, a store, an output) uses the cell
//! width. Cell values are read from memory with `movzx`.

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm, x64::X64Relocation};

use super::jumps::Target;

/// An instruction whose first operand is the cell `[rbx + d]`: `at_cell!(ops, d; add BYTE, 1)`.
/// dynasm encodes a runtime displacement in four bytes unless told `BYTE`, so this picks
/// the one-byte form when `d` fits.
macro_rules! at_cell {
    ($ops:expr, $d:expr; $op:ident $size:ident, $($rest:tt)*) => {{
        let d: i32 = $d;
        match i8::try_from(d) {
            Ok(d8) => dynasm!($ops; .arch x64; $op $size [BYTE rbx + d8], $($rest)*),
            Err(_) => dynasm!($ops; .arch x64; $op $size [rbx + d], $($rest)*),
        }
    }};
}

/// `dynasm!` with `r_b`, `r_w`, `r_d` and `r_q` naming the 8-, 16-, 32- and 64-bit forms of
/// `reg`: `reg_asm!(ops, reg; test r_d, r_d)`. (dynasm's dynamic registers, `Rd(n)`, always
/// add a REX prefix, one byte more than `eax` needs; this picks the static name instead.)
macro_rules! reg_asm {
    ($ops:expr, $reg:expr; $($t:tt)*) => {
        match $reg {
            Reg::Rax => dynasm!($ops; .arch x64; .alias r_b, al; .alias r_w, ax; .alias r_d, eax; .alias r_q, rax; $($t)*),
            Reg::Rcx => dynasm!($ops; .arch x64; .alias r_b, cl; .alias r_w, cx; .alias r_d, ecx; .alias r_q, rcx; $($t)*),
            Reg::Rdx => dynasm!($ops; .arch x64; .alias r_b, dl; .alias r_w, dx; .alias r_d, edx; .alias r_q, rdx; $($t)*),
            Reg::Rbp => dynasm!($ops; .arch x64; .alias r_b, bpl; .alias r_w, bp; .alias r_d, ebp; .alias r_q, rbp; $($t)*),
            Reg::Rsi => dynasm!($ops; .arch x64; .alias r_b, sil; .alias r_w, si; .alias r_d, esi; .alias r_q, rsi; $($t)*),
            Reg::Rdi => dynasm!($ops; .arch x64; .alias r_b, dil; .alias r_w, di; .alias r_d, edi; .alias r_q, rdi; $($t)*),
            Reg::R8 => dynasm!($ops; .arch x64; .alias r_b, r8b; .alias r_w, r8w; .alias r_d, r8d; .alias r_q, r8; $($t)*),
            Reg::R9 => dynasm!($ops; .arch x64; .alias r_b, r9b; .alias r_w, r9w; .alias r_d, r9d; .alias r_q, r9; $($t)*),
            Reg::R10 => dynasm!($ops; .arch x64; .alias r_b, r10b; .alias r_w, r10w; .alias r_d, r10d; .alias r_q, r10; $($t)*),
            Reg::R11 => dynasm!($ops; .arch x64; .alias r_b, r11b; .alias r_w, r11w; .alias r_d, r11d; .alias r_q, r11; $($t)*),
            Reg::R15 => dynasm!($ops; .arch x64; .alias r_b, r15b; .alias r_w, r15w; .alias r_d, r15d; .alias r_q, r15; $($t)*),
        }
    };
}

/// [`reg_asm!`] with a second register, `src`, named `s_b`, `s_w`, `s_d` and `s_q`.
macro_rules! reg2_asm {
    ($ops:expr, $reg:expr, $src:expr; $($t:tt)*) => {
        match $src {
            Reg::Rax => reg_asm!($ops, $reg; .alias s_b, al; .alias s_w, ax; .alias s_d, eax; .alias s_q, rax; $($t)*),
            Reg::Rcx => reg_asm!($ops, $reg; .alias s_b, cl; .alias s_w, cx; .alias s_d, ecx; .alias s_q, rcx; $($t)*),
            Reg::Rdx => reg_asm!($ops, $reg; .alias s_b, dl; .alias s_w, dx; .alias s_d, edx; .alias s_q, rdx; $($t)*),
            Reg::Rbp => reg_asm!($ops, $reg; .alias s_b, bpl; .alias s_w, bp; .alias s_d, ebp; .alias s_q, rbp; $($t)*),
            Reg::Rsi => reg_asm!($ops, $reg; .alias s_b, sil; .alias s_w, si; .alias s_d, esi; .alias s_q, rsi; $($t)*),
            Reg::Rdi => reg_asm!($ops, $reg; .alias s_b, dil; .alias s_w, di; .alias s_d, edi; .alias s_q, rdi; $($t)*),
            Reg::R8 => reg_asm!($ops, $reg; .alias s_b, r8b; .alias s_w, r8w; .alias s_d, r8d; .alias s_q, r8; $($t)*),
            Reg::R9 => reg_asm!($ops, $reg; .alias s_b, r9b; .alias s_w, r9w; .alias s_d, r9d; .alias s_q, r9; $($t)*),
            Reg::R10 => reg_asm!($ops, $reg; .alias s_b, r10b; .alias s_w, r10w; .alias s_d, r10d; .alias s_q, r10; $($t)*),
            Reg::R11 => reg_asm!($ops, $reg; .alias s_b, r11b; .alias s_w, r11w; .alias s_d, r11d; .alias s_q, r11; $($t)*),
            Reg::R15 => reg_asm!($ops, $reg; .alias s_b, r15b; .alias s_w, r15w; .alias s_d, r15d; .alias s_q, r15; $($t)*),
        }
    };
}

/// `dynasm!` with `r` naming `reg` at the cell width: `width_asm!(ops, cs, reg; test r, r)` is
/// `test sil, sil`, `test si, si` or `test esi, esi` for 1-, 2- and 4-byte cells.
macro_rules! width_asm {
    ($ops:expr, $cs:expr, $reg:expr; $($t:tt)*) => {
        match ($cs, $reg) {
            (1, Reg::Rax) => dynasm!($ops; .arch x64; .alias r, al; $($t)*),
            (1, Reg::Rcx) => dynasm!($ops; .arch x64; .alias r, cl; $($t)*),
            (1, Reg::Rdx) => dynasm!($ops; .arch x64; .alias r, dl; $($t)*),
            (1, Reg::Rbp) => dynasm!($ops; .arch x64; .alias r, bpl; $($t)*),
            (1, Reg::Rsi) => dynasm!($ops; .arch x64; .alias r, sil; $($t)*),
            (1, Reg::Rdi) => dynasm!($ops; .arch x64; .alias r, dil; $($t)*),
            (1, Reg::R8) => dynasm!($ops; .arch x64; .alias r, r8b; $($t)*),
            (1, Reg::R9) => dynasm!($ops; .arch x64; .alias r, r9b; $($t)*),
            (1, Reg::R10) => dynasm!($ops; .arch x64; .alias r, r10b; $($t)*),
            (1, Reg::R11) => dynasm!($ops; .arch x64; .alias r, r11b; $($t)*),
            (1, Reg::R15) => dynasm!($ops; .arch x64; .alias r, r15b; $($t)*),
            (2, Reg::Rax) => dynasm!($ops; .arch x64; .alias r, ax; $($t)*),
            (2, Reg::Rcx) => dynasm!($ops; .arch x64; .alias r, cx; $($t)*),
            (2, Reg::Rdx) => dynasm!($ops; .arch x64; .alias r, dx; $($t)*),
            (2, Reg::Rbp) => dynasm!($ops; .arch x64; .alias r, bp; $($t)*),
            (2, Reg::Rsi) => dynasm!($ops; .arch x64; .alias r, si; $($t)*),
            (2, Reg::Rdi) => dynasm!($ops; .arch x64; .alias r, di; $($t)*),
            (2, Reg::R8) => dynasm!($ops; .arch x64; .alias r, r8w; $($t)*),
            (2, Reg::R9) => dynasm!($ops; .arch x64; .alias r, r9w; $($t)*),
            (2, Reg::R10) => dynasm!($ops; .arch x64; .alias r, r10w; $($t)*),
            (2, Reg::R11) => dynasm!($ops; .arch x64; .alias r, r11w; $($t)*),
            (2, Reg::R15) => dynasm!($ops; .arch x64; .alias r, r15w; $($t)*),
            (_, Reg::Rax) => dynasm!($ops; .arch x64; .alias r, eax; $($t)*),
            (_, Reg::Rcx) => dynasm!($ops; .arch x64; .alias r, ecx; $($t)*),
            (_, Reg::Rdx) => dynasm!($ops; .arch x64; .alias r, edx; $($t)*),
            (_, Reg::Rbp) => dynasm!($ops; .arch x64; .alias r, ebp; $($t)*),
            (_, Reg::Rsi) => dynasm!($ops; .arch x64; .alias r, esi; $($t)*),
            (_, Reg::Rdi) => dynasm!($ops; .arch x64; .alias r, edi; $($t)*),
            (_, Reg::R8) => dynasm!($ops; .arch x64; .alias r, r8d; $($t)*),
            (_, Reg::R9) => dynasm!($ops; .arch x64; .alias r, r9d; $($t)*),
            (_, Reg::R10) => dynasm!($ops; .arch x64; .alias r, r10d; $($t)*),
            (_, Reg::R11) => dynasm!($ops; .arch x64; .alias r, r11d; $($t)*),
            (_, Reg::R15) => dynasm!($ops; .arch x64; .alias r, r15d; $($t)*),
        }
    };
}

/// An instruction `op cell, reg` with the cell `[rbx + d]` and `reg` at the cell width:
/// `cell_reg_op!(ops, cs, d, reg; add)` is `add byte [rbx+d], sil` for 1-byte cells.
macro_rules! cell_reg_op {
    ($ops:expr, $cs:expr, $d:expr, $reg:expr; $op:ident) => {{
        let d: i32 = $d;
        match ($cs, i8::try_from(d)) {
            (1, Ok(d)) => reg_asm!($ops, $reg; $op BYTE [BYTE rbx + d], r_b),
            (1, Err(_)) => reg_asm!($ops, $reg; $op BYTE [rbx + d], r_b),
            (2, Ok(d)) => reg_asm!($ops, $reg; $op WORD [BYTE rbx + d], r_w),
            (2, Err(_)) => reg_asm!($ops, $reg; $op WORD [rbx + d], r_w),
            (_, Ok(d)) => reg_asm!($ops, $reg; $op DWORD [BYTE rbx + d], r_d),
            (_, Err(_)) => reg_asm!($ops, $reg; $op DWORD [rbx + d], r_d),
        }
    }};
}

pub(crate) use {reg_asm, width_asm};

/// The assembler the code generator writes into.
pub(crate) type Ops = VecAssembler<X64Relocation>;

/// A general-purpose register, by its hardware number. `rbx`, `r12`-`r14` have fixed roles
/// (see the register table in [`super`]) and never appear here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reg {
    Rax = 0,
    Rcx = 1,
    Rdx = 2,
    Rbp = 5,
    Rsi = 6,
    Rdi = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R11 = 11,
    R15 = 15,
}

impl Reg {
    /// Every register the generated program code may use.
    pub(crate) const ALL: [Reg; 11] = [
        Reg::Rax,
        Reg::Rcx,
        Reg::Rdx,
        Reg::Rbp,
        Reg::Rsi,
        Reg::Rdi,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
        Reg::R15,
    ];

    /// The registers that may be the home of a cell. `rax` and `rdx` are left for values on
    /// their way (the byte `putc` writes, `getc`'s result, products).
    pub(crate) const HOMES: [Reg; 9] = [
        Reg::Rcx,
        Reg::Rsi,
        Reg::Rdi,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
        Reg::Rbp,
        Reg::R15,
    ];

    /// The hardware register number.
    pub(crate) fn num(self) -> u8 {
        self as u8
    }
}

/// A set of registers, one bit per hardware register number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Regs(pub(crate) u16);

impl Regs {
    /// No register.
    pub(crate) const NONE: Regs = Regs(0);

    /// The set of `regs`.
    pub(crate) const fn of(regs: &[Reg]) -> Regs {
        let mut bits = 0u16;
        let mut i = 0;
        while i < regs.len() {
            bits |= 1 << regs[i] as u8;
            i += 1;
        }
        Regs(bits)
    }

    /// True if `reg` is in the set.
    pub(crate) fn contains(self, reg: Reg) -> bool {
        self.0 & (1 << reg.num()) != 0
    }

    /// True if the register with hardware number `num` is in the set.
    pub(crate) fn contains_num(self, num: u8) -> bool {
        num < 16 && self.0 & (1 << num) != 0
    }
}

/// What the flags hold after an instruction, as far as the code generator cares: whether
/// ZF tells if some cell is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flags {
    /// Unchanged.
    Kept,
    /// Changed in a way the generator does not track (or left undefined).
    Lost,
    /// ZF is set exactly when the cell `p[off]` is 0: the instruction computed the flags
    /// from the cell's value at the cell width, in memory (`via: None`) or in a register.
    Cell { off: i32, via: Option<Reg> },
}

/// How an instruction moves the tape pointer register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Move {
    /// It does not.
    None,
    /// By this many cells: offsets known before are now that much smaller.
    By(i32),
    /// By an amount known only at run time (a scan).
    Unknown,
}

/// What an instruction (or a declared sequence) does to the state the generator tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Effect {
    /// Registers that may be overwritten (whatever they held is gone).
    pub regs: Regs,
    /// Afterwards this register holds the current value of the cell `p[off]`.
    pub holds: Option<(Reg, i32)>,
    /// The cell `p[off]` gets a new value: copies of the old one are stale.
    pub changes: Option<i32>,
    /// Afterwards the memory of the cell `p[off]` holds its current value.
    pub stores: Option<i32>,
    /// The memory of the cell `p[off]` is read or written, which proves it is on the tape.
    pub touches: Option<i32>,
    /// The flags afterwards.
    pub flags: Flags,
    /// The tape pointer register's movement.
    pub moves: Move,
    /// Control never continues after it (a call of the failure path).
    pub ends: bool,
    /// Writes a profile counter (`--profile`): memory outside the tape, through `rdx`.
    pub counter: bool,
}

impl Effect {
    /// Nothing tracked changes.
    pub(crate) const NONE: Effect = Effect {
        regs: Regs::NONE,
        holds: None,
        changes: None,
        stores: None,
        touches: None,
        flags: Flags::Kept,
        moves: Move::None,
        ends: false,
        counter: false,
    };

    /// A sequence that may overwrite `regs` and the flags, and otherwise leaves the tracked
    /// state alone.
    pub(crate) fn clobbers(regs: Regs) -> Effect {
        Effect {
            regs,
            flags: Flags::Lost,
            ..Effect::NONE
        }
    }
}

/// What must hold before an instruction runs (checked by [`super::Gen::emit`]; a violation
/// is a bug in the code generator, reported as a compile error).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Requires {
    /// This register holds the current value of this cell.
    pub holds: Option<(Reg, i32)>,
    /// The memory of this cell holds its current value.
    pub current: Option<i32>,
}

/// A condition for a jump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Zero,
    NonZero,
    Sign,
    NotSign,
    /// Unsigned `<`.
    Below,
    /// Unsigned `>=`.
    AboveEqual,
}

impl Cond {
    /// The condition's number in the `jcc` opcodes: `0x70 + n` (two bytes, 8-bit
    /// displacement) and `0x0f 0x80 + n` (six bytes, 32-bit displacement).
    fn number(self) -> u8 {
        match self {
            Cond::Below => 0x2,
            Cond::AboveEqual => 0x3,
            Cond::Zero => 0x4,
            Cond::NonZero => 0x5,
            Cond::Sign => 0x8,
            Cond::NotSign => 0x9,
        }
    }
}

/// Encodes `jcc` with the displacement `rel` (counted from the end of the jump): the
/// two-byte form if `short` (`rel` must then fit in a byte), else the six-byte form.
///
/// Jumps of loops and ifs are written this way rather than to a dynasm label, which would
/// cost a relocation record each: a forward jump gets a displacement of 0 here and the real
/// one after assembly, a backward one knows its target (see [`super::jumps`]).
pub(crate) fn jcc(ops: &mut Ops, cond: Cond, short: bool, rel: i32) {
    let n = cond.number();
    if short {
        let rel = i8::try_from(rel).expect("short jumps are only written where they reach");
        ops.extend([0x70 + n, rel as u8]);
    } else {
        ops.extend([0x0f, 0x80 + n]);
        ops.extend(rel.to_le_bytes());
    }
}

/// One instruction of program code. Cell operands are offsets from the pointer `p`; the
/// encoder turns them into displacements from `rbx` (see [`Enc`]). "At the cell width" means
/// the 8-, 16- or 32-bit form of a register or memory operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inst {
    // --- Cells in memory ---
    /// `add cell, imm`: `p[off] += val` in memory.
    AddMem { off: i32, val: u32 },
    /// `mov cell, imm`: `p[off] = val` in memory.
    SetMem { off: i32, val: u32 },
    /// `add cell, reg` (`sub` if `sub`): `p[off] += reg` (or `-=`) in memory, at the cell width.
    AddMemReg { off: i32, reg: Reg, sub: bool },
    /// `mov cell, reg`: `p[off] = reg` (a value that is not a cell, such as a product).
    StoreMem { off: i32, reg: Reg },
    /// `cmp cell, 0`: ZF tells whether `p[off]` is 0.
    CmpMem { off: i32 },
    /// `movzx reg, cell` (`mov` for 32-bit cells): `reg` now holds `p[off]`.
    Load { reg: Reg, off: i32 },
    /// `mov cell, reg`: writes back the cell `reg` holds, so memory is current again.
    WriteBack { off: i32, reg: Reg },
    /// `movzx edx, cell`: a load whose only purpose is to fault if the cell is off the tape
    /// (into `rdx`, which never carries a value from one IR instruction to the next).
    Probe { off: i32 },

    // --- Cells in registers ---
    /// `add r, imm` at the cell width (flags set), or `lea r, [r + imm]` (flags kept):
    /// `p[off] += val` in its register `reg`.
    AddReg {
        reg: Reg,
        off: i32,
        val: u32,
        flags: bool,
    },
    /// `mov r, imm` at the cell width (`mov cl, 5`: two bytes, where `mov ecx, 5` takes
    /// five; the bits above the cell are garbage anyway): `p[off] = val`, now held in `reg`.
    SetReg { reg: Reg, off: i32, val: u32 },
    /// `xor r32, r32`: `p[off] = 0`, now held in `reg` (shorter than `mov`, loses the flags).
    ZeroCell { reg: Reg, off: i32 },
    /// `test r, r` at the cell width: ZF tells whether `p[off]`, held in `reg`, is 0.
    TestReg { reg: Reg, off: i32 },
    /// `p[off] += src` in its register `reg`: `add r, s` at the cell width (`sub` if `sub`;
    /// flags set), or `lea r32, [r + s]` (`flags: false`, not with `sub`).
    AddRegReg {
        reg: Reg,
        off: i32,
        src: Reg,
        sub: bool,
        flags: bool,
    },
    /// `lea r32, [r + s*scale]` (scale 2, 4 or 8): `p[off] += src * scale` in `reg`.
    AddScaled {
        reg: Reg,
        off: i32,
        src: Reg,
        scale: u8,
    },
    /// `imul r32, s32, k` (`mov r32, s32` for `k == 1`): `p[off] = src * k`, now in `reg`.
    MulSet {
        reg: Reg,
        off: i32,
        src: Reg,
        k: u32,
    },

    // --- Values on their way ---
    /// `mov dst32, src32`: a copy of the cell `p[off]`, which `src` holds.
    CopyCell { dst: Reg, src: Reg, off: i32 },
    /// `imul dst32, src32, k`.
    MulImm { dst: Reg, src: Reg, k: u32 },
    /// `test reg32, reg32` of a value that is not a cell (`getc`'s result).
    TestValue { reg: Reg },
    /// `xor reg32, reg32`: `reg = 0`.
    Zero { reg: Reg },
    /// `mov reg, imm`: a 32-bit immediate, zero-extended, or a 64-bit one.
    MovImm { reg: Reg, imm: i64 },
    /// `add reg, rbx` (64 bits).
    AddP { reg: Reg },
    /// `cmp reg, [r14 + field]` (64 bits): compares with a field of the context block.
    CmpCtx { reg: Reg, field: i32 },
    /// `lea reg, [rip + label]`.
    LeaLabel { reg: Reg, label: DynamicLabel },

    // --- The pointer and control flow ---
    /// `lea rbx, [rbx + cells * cell size]`: `p += cells`, flags untouched.
    MoveP { cells: i32 },
    /// `jcc target`, a forward jump (its displacement is filled in when `target` is placed,
    /// by [`super::Gen::join`]): the two-byte form if `short` (the generator's estimate
    /// that the target is within 127 bytes; if it is not, the program is compiled again
    /// with long forms only), else the six-byte form.
    Jump {
        cond: Cond,
        target: Target,
        short: bool,
    },
    /// `jcc head` back to a loop head at code offset `head`: the short form when it reaches.
    JumpBack { cond: Cond, head: u32 },
    /// `call label`: a shared subroutine, which overwrites `clobbers` and the flags and
    /// preserves every other register; `needs`: its argument, a register holding a cell
    /// (`putc` takes the byte to write in `al`).
    Call {
        target: DynamicLabel,
        clobbers: Regs,
        needs: Option<(Reg, i32)>,
    },
    /// `call label` to a subroutine that never returns (a failed bounds check).
    CallNoReturn { target: DynamicLabel },

    // --- Only with --profile and --debug (see `super::instrument`) ---
    /// `mov rdx, [r14 + counters]; add qword [rdx + 8*slot], 1`: one more on profile counter
    /// `slot` (two instructions, one event).
    Count { slot: u32 },
    /// `mov rdx, [r14 + counters]; add/sub qword [rdx + 8*slot], rbx`: adds (or subtracts)
    /// the tape pointer register to a profile counter, so that a scan's counter gains the
    /// distance the scan moved.
    CountPointer { slot: u32, add: bool },
    /// `mov rdi, r14; lea rsi, [rbx + cell]; mov edx, index; call [r14 + debug_hook]`: the
    /// `#` dump of IR instruction `index` with the program's pointer at `p[off]`, a call into
    /// Rust, which may overwrite every register the SysV ABI lets a callee overwrite.
    DebugHook { off: i32, index: u32 },
}

/// The registers a call into Rust may overwrite (caller-saved in the SysV ABI).
pub(crate) const CALLER_SAVED: Regs = Regs::of(&[
    Reg::Rax,
    Reg::Rcx,
    Reg::Rdx,
    Reg::Rsi,
    Reg::Rdi,
    Reg::R8,
    Reg::R9,
    Reg::R10,
    Reg::R11,
]);

impl Inst {
    /// What the instruction does to the tracked state. **The** place where this is said.
    pub(crate) fn effect(&self) -> Effect {
        let none = Effect::NONE;
        let mem_flags = |off| Flags::Cell { off, via: None };
        let reg_flags = |off, reg| Flags::Cell {
            off,
            via: Some(reg),
        };
        match *self {
            Inst::AddMem { off, .. } | Inst::AddMemReg { off, .. } => Effect {
                changes: Some(off),
                stores: Some(off),
                touches: Some(off),
                flags: mem_flags(off),
                ..none
            },
            Inst::SetMem { off, .. } | Inst::StoreMem { off, .. } => Effect {
                changes: Some(off),
                stores: Some(off),
                touches: Some(off),
                ..none
            },
            Inst::CmpMem { off } => Effect {
                touches: Some(off),
                flags: mem_flags(off),
                ..none
            },
            Inst::Load { reg, off } => Effect {
                regs: Regs::of(&[reg]),
                holds: Some((reg, off)),
                touches: Some(off),
                ..none
            },
            Inst::WriteBack { off, .. } => Effect {
                stores: Some(off),
                touches: Some(off),
                ..none
            },
            Inst::Probe { off } => Effect {
                regs: Regs::of(&[Reg::Rdx]),
                touches: Some(off),
                ..none
            },
            Inst::AddReg {
                reg, off, flags, ..
            }
            | Inst::AddRegReg {
                reg,
                off,
                sub: false,
                flags,
                ..
            } => Effect {
                regs: Regs::of(&[reg]),
                holds: Some((reg, off)),
                changes: Some(off),
                flags: if flags {
                    reg_flags(off, reg)
                } else {
                    Flags::Kept
                },
                ..none
            },
            // `sub` always sets the flags.
            Inst::AddRegReg {
                reg,
                off,
                sub: true,
                ..
            } => Effect {
                regs: Regs::of(&[reg]),
                holds: Some((reg, off)),
                changes: Some(off),
                flags: reg_flags(off, reg),
                ..none
            },
            Inst::ZeroCell { reg, off } => Effect {
                regs: Regs::of(&[reg]),
                holds: Some((reg, off)),
                changes: Some(off),
                flags: Flags::Lost,
                ..none
            },
            Inst::SetReg { reg, off, .. } | Inst::AddScaled { reg, off, .. } => Effect {
                regs: Regs::of(&[reg]),
                holds: Some((reg, off)),
                changes: Some(off),
                ..none
            },
            // imul leaves ZF (and SF, AF, PF) undefined; mov leaves the flags alone.
            Inst::MulSet { reg, off, k, .. } => Effect {
                regs: Regs::of(&[reg]),
                holds: Some((reg, off)),
                changes: Some(off),
                flags: if k == 1 { Flags::Kept } else { Flags::Lost },
                ..none
            },
            Inst::TestReg { reg, off } => Effect {
                flags: reg_flags(off, reg),
                ..none
            },
            Inst::CopyCell { dst, off, .. } => Effect {
                regs: Regs::of(&[dst]),
                holds: Some((dst, off)),
                ..none
            },
            Inst::MovImm { reg: dst, .. } => Effect {
                regs: Regs::of(&[dst]),
                ..none
            },
            Inst::LeaLabel { reg, .. } => Effect {
                regs: Regs::of(&[reg]),
                ..none
            },
            Inst::MulImm { dst, .. } => Effect::clobbers(Regs::of(&[dst])),
            Inst::Zero { reg } | Inst::AddP { reg } => Effect::clobbers(Regs::of(&[reg])),
            Inst::TestValue { .. } | Inst::CmpCtx { .. } => Effect::clobbers(Regs::NONE),
            Inst::MoveP { cells } => Effect {
                moves: Move::By(cells),
                ..none
            },
            Inst::Jump { .. } | Inst::JumpBack { .. } => none,
            Inst::Call { clobbers, .. } => Effect::clobbers(clobbers),
            Inst::CallNoReturn { .. } => Effect {
                ends: true,
                ..Effect::clobbers(Regs::NONE)
            },
            Inst::DebugHook { .. } => Effect::clobbers(CALLER_SAVED),
            Inst::Count { .. } | Inst::CountPointer { .. } => Effect {
                counter: true,
                ..Effect::clobbers(Regs::of(&[Reg::Rdx]))
            },
        }
    }

    /// What must be true before the instruction runs.
    pub(crate) fn requires(&self) -> Requires {
        let holds = |reg, off| Requires {
            holds: Some((reg, off)),
            current: None,
        };
        let current = |off| Requires {
            holds: None,
            current: Some(off),
        };
        match *self {
            // Read-modify-write in memory, or a read of memory: memory must be current.
            Inst::AddMem { off, .. }
            | Inst::AddMemReg { off, .. }
            | Inst::CmpMem { off }
            | Inst::Load { off, .. } => current(off),
            Inst::WriteBack { off, reg }
            | Inst::CopyCell { src: reg, off, .. }
            | Inst::Call {
                needs: Some((reg, off)),
                ..
            }
            | Inst::TestReg { reg, off }
            | Inst::AddReg { reg, off, .. }
            | Inst::AddRegReg { reg, off, .. }
            | Inst::AddScaled { reg, off, .. } => holds(reg, off),
            _ => Requires::default(),
        }
    }

    /// Appends the machine code.
    #[allow(clippy::useless_conversion)] // dynasm's dynamic registers take `impl Into<u8>`
    pub(crate) fn encode(&self, ops: &mut Ops, enc: Enc) {
        let cs = enc.cell_bytes;
        match *self {
            Inst::AddMem { off, val } => {
                let d = enc.disp(off);
                match cs {
                    1 => at_cell!(ops, d; add BYTE, val as i8),
                    2 => at_cell!(ops, d; add WORD, val as i16),
                    _ => at_cell!(ops, d; add DWORD, val as i32),
                }
            }
            Inst::SetMem { off, val } => {
                let d = enc.disp(off);
                match cs {
                    1 => at_cell!(ops, d; mov BYTE, val as i8),
                    2 => at_cell!(ops, d; mov WORD, val as i16),
                    _ => at_cell!(ops, d; mov DWORD, val as i32),
                }
            }
            Inst::AddMemReg { off, reg, sub } => {
                let d = enc.disp(off);
                if sub {
                    cell_reg_op!(ops, cs, d, reg; sub)
                } else {
                    cell_reg_op!(ops, cs, d, reg; add)
                }
            }
            Inst::StoreMem { off, reg } | Inst::WriteBack { off, reg } => {
                cell_reg_op!(ops, cs, enc.disp(off), reg; mov)
            }
            Inst::CmpMem { off } => {
                let d = enc.disp(off);
                match cs {
                    1 => at_cell!(ops, d; cmp BYTE, 0),
                    2 => at_cell!(ops, d; cmp WORD, 0),
                    _ => at_cell!(ops, d; cmp DWORD, 0),
                }
            }
            Inst::Load { reg, off } => load(ops, cs, reg, enc.disp(off)),
            Inst::Probe { off } => load(ops, cs, Reg::Rdx, enc.disp(off)),
            Inst::AddReg {
                reg, val, flags, ..
            } => {
                // The amount, reduced to the cell width and sign-extended: `-1` rather than
                // `255`, so that it fits the one-byte immediate forms.
                let v = match cs {
                    1 => i32::from(val as i8),
                    2 => i32::from(val as i16),
                    _ => val as i32,
                };
                match (flags, i8::try_from(v)) {
                    (true, Ok(v8)) => width_asm!(ops, cs, reg; add r, BYTE v8 as _),
                    (true, Err(_)) => match cs {
                        2 => reg_asm!(ops, reg; add r_w, v as i16),
                        _ => reg_asm!(ops, reg; add r_d, v),
                    },
                    (false, Ok(v8)) => reg_asm!(ops, reg; lea r_d, [BYTE r_q + v8]),
                    (false, Err(_)) => reg_asm!(ops, reg; lea r_d, [r_q + v]),
                }
            }
            Inst::SetReg { reg, val, .. } => match cs {
                1 => dynasm!(ops; .arch x64; mov Rb(reg.num()), val as i8),
                2 => dynasm!(ops; .arch x64; mov Rw(reg.num()), val as i16),
                _ => reg_asm!(ops, reg; mov r_d, val as i32),
            },
            Inst::MovImm { reg, imm } => match u32::try_from(imm) {
                Ok(imm) => reg_asm!(ops, reg; mov r_d, imm as i32),
                Err(_) => reg_asm!(ops, reg; mov r_q, QWORD imm),
            },
            Inst::TestReg { reg, .. } => width_asm!(ops, cs, reg; test r, r),
            Inst::AddRegReg {
                reg,
                src,
                sub,
                flags,
                ..
            } => {
                let (r, s) = (reg.num(), src.num());
                match (flags || sub, sub, cs) {
                    (false, _, _) => reg2_asm!(ops, reg, src; lea r_d, [r_q + s_q]),
                    (true, false, 1) => dynasm!(ops; .arch x64; add Rb(r), Rb(s)),
                    (true, false, 2) => dynasm!(ops; .arch x64; add Rw(r), Rw(s)),
                    (true, false, _) => reg2_asm!(ops, reg, src; add r_d, s_d),
                    (true, true, 1) => dynasm!(ops; .arch x64; sub Rb(r), Rb(s)),
                    (true, true, 2) => dynasm!(ops; .arch x64; sub Rw(r), Rw(s)),
                    (true, true, _) => reg2_asm!(ops, reg, src; sub r_d, s_d),
                }
            }
            Inst::AddScaled {
                reg, src, scale, ..
            } => match scale {
                2 => reg2_asm!(ops, reg, src; lea r_d, [r_q + s_q * 2]),
                4 => reg2_asm!(ops, reg, src; lea r_d, [r_q + s_q * 4]),
                _ => reg2_asm!(ops, reg, src; lea r_d, [r_q + s_q * 8]),
            },
            Inst::MulSet { reg, src, k, .. } | Inst::MulImm { dst: reg, src, k } => {
                if k == 1 {
                    reg2_asm!(ops, reg, src; mov r_d, s_d)
                } else {
                    match i8::try_from(k as i32) {
                        Ok(k) => reg2_asm!(ops, reg, src; imul r_d, s_d, BYTE k as _),
                        Err(_) => reg2_asm!(ops, reg, src; imul r_d, s_d, k as i32),
                    }
                }
            }
            Inst::CopyCell { dst, src, .. } => reg2_asm!(ops, dst, src; mov r_d, s_d),
            Inst::TestValue { reg } => reg_asm!(ops, reg; test r_d, r_d),
            Inst::Zero { reg } | Inst::ZeroCell { reg, .. } => reg_asm!(ops, reg; xor r_d, r_d),
            Inst::AddP { reg } => reg_asm!(ops, reg; add r_q, rbx),
            Inst::CmpCtx { reg, field } => match i8::try_from(field) {
                Ok(d8) => reg_asm!(ops, reg; cmp r_q, [BYTE r14 + d8]),
                Err(_) => reg_asm!(ops, reg; cmp r_q, [r14 + field]),
            },
            Inst::LeaLabel { reg, label } => reg_asm!(ops, reg; lea r_q, [=>label]),
            Inst::MoveP { cells } => {
                let d = cells * cs;
                match i8::try_from(d) {
                    Ok(d) => dynasm!(ops; .arch x64; lea rbx, [BYTE rbx + d]),
                    Err(_) => dynasm!(ops; .arch x64; lea rbx, [rbx + d]),
                }
            }
            // The displacement is written when the target is placed (see `jcc`).
            Inst::Jump { cond, short, .. } => jcc(ops, cond, short, 0),
            Inst::JumpBack { cond, head } => {
                let at = i64::from(head);
                // A jump's displacement counts from its end: two bytes on, or six.
                let here = ops.offset().0 as i64;
                let short = matches!(cond, Cond::NonZero | Cond::Zero)
                    && i8::try_from(at - (here + 2)).is_ok();
                let rel = at - (here + if short { 2 } else { 6 });
                jcc(ops, cond, short, rel as i32);
            }
            Inst::Call { target, .. } | Inst::CallNoReturn { target } => {
                dynasm!(ops; .arch x64; call =>target)
            }
            Inst::Count { slot } => {
                let d = counter_disp(slot);
                dynasm!(ops; .arch x64
                    ; mov rdx, [r14 + ctx!(counters)]
                    ; add QWORD [rdx + d], 1
                );
            }
            Inst::CountPointer { slot, add } => {
                let d = counter_disp(slot);
                dynasm!(ops; .arch x64; mov rdx, [r14 + ctx!(counters)]);
                if add {
                    dynasm!(ops; .arch x64; add [rdx + d], rbx);
                } else {
                    dynasm!(ops; .arch x64; sub [rdx + d], rbx);
                }
            }
            Inst::DebugHook { off, index } => {
                let d = enc.disp(off);
                dynasm!(ops; .arch x64
                    ; mov rdi, r14
                    ; lea rsi, [rbx + d]
                    ; mov edx, index as i32
                    ; call QWORD [r14 + ctx!(debug_hook)]
                );
            }
        }
    }
}

/// Displacement of profile counter `slot` from the start of the counters.
fn counter_disp(slot: u32) -> i32 {
    i32::try_from(u64::from(slot) * 8).expect("fewer than 2^28 counters")
}

/// `movzx r32, cell` (`mov` for 32-bit cells).
fn load(ops: &mut Ops, cs: i32, reg: Reg, d: i32) {
    match (cs, i8::try_from(d)) {
        (1, Ok(d)) => reg_asm!(ops, reg; movzx r_d, BYTE [BYTE rbx + d]),
        (1, Err(_)) => reg_asm!(ops, reg; movzx r_d, BYTE [rbx + d]),
        (2, Ok(d)) => reg_asm!(ops, reg; movzx r_d, WORD [BYTE rbx + d]),
        (2, Err(_)) => reg_asm!(ops, reg; movzx r_d, WORD [rbx + d]),
        (_, Ok(d)) => reg_asm!(ops, reg; mov r_d, DWORD [BYTE rbx + d]),
        (_, Err(_)) => reg_asm!(ops, reg; mov r_d, DWORD [rbx + d]),
    }
}

/// What the encoder needs to know about the program: cell size and pointer bias.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Enc {
    /// Cell size in bytes.
    pub cell_bytes: i32,
    /// `rbx` holds the address of cell `p + bias` (see the module docs of [`super`]).
    pub bias: i32,
}

impl Enc {
    /// Displacement from `rbx` of cell `p[off]`.
    pub(crate) fn disp(&self, off: i32) -> i32 {
        (off - self.bias) * self.cell_bytes
    }
}
