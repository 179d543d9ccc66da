//! The instructions program code is made of, and what each one does: one table.
//!
//! The code generator remembers what some registers and the flags hold (see
//! [`super::track`]) so that it can skip a load or a compare. That memory is only as good as
//! its knowledge of every instruction emitted in between: a single instruction that changes
//! the flags without the generator knowing (`imul` leaves ZF undefined) makes a later loop test
//! read stale flags, and the program silently computes a wrong answer. So every instruction of
//! program code is an [`Inst`], and [`Inst::effect`] states, in one `match`, what it does to
//! the registers, the flags, the tape and the tape pointer. The generator never updates its
//! memory by hand; [`super::Gen::emit`] encodes an `Inst` and applies its declared effect.
//!
//! Longer sequences whose details the generator does not track (the scans, the bounds checks
//! that compare addresses) declare one [`Effect`] for the whole sequence, which says which
//! registers it may overwrite.
//!
//! The declarations are checked against the processor's real behaviour: in debug builds (so in
//! every test) and with [`crate::jit::Options::verify`], [`super::verify`] decodes every piece
//! of emitted code with iced-x86 and fails if it writes a register, a cell or a flag that its
//! declaration does not admit.

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm, x64::X64Relocation};

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
            Reg::Rsi => dynasm!($ops; .arch x64; .alias r_b, sil; .alias r_w, si; .alias r_d, esi; .alias r_q, rsi; $($t)*),
            Reg::Rdi => dynasm!($ops; .arch x64; .alias r_b, dil; .alias r_w, di; .alias r_d, edi; .alias r_q, rdi; $($t)*),
            Reg::R8 => dynasm!($ops; .arch x64; .alias r_b, r8b; .alias r_w, r8w; .alias r_d, r8d; .alias r_q, r8; $($t)*),
            Reg::R9 => dynasm!($ops; .arch x64; .alias r_b, r9b; .alias r_w, r9w; .alias r_d, r9d; .alias r_q, r9; $($t)*),
            Reg::R10 => dynasm!($ops; .arch x64; .alias r_b, r10b; .alias r_w, r10w; .alias r_d, r10d; .alias r_q, r10; $($t)*),
            Reg::R11 => dynasm!($ops; .arch x64; .alias r_b, r11b; .alias r_w, r11w; .alias r_d, r11d; .alias r_q, r11; $($t)*),
        }
    };
}

/// [`reg_asm!`] with a second register, `src`, named `s_d` (its 32-bit form).
macro_rules! reg2_asm {
    ($ops:expr, $reg:expr, $src:expr; $($t:tt)*) => {
        match $src {
            Reg::Rax => reg_asm!($ops, $reg; .alias s_d, eax; $($t)*),
            Reg::Rcx => reg_asm!($ops, $reg; .alias s_d, ecx; $($t)*),
            Reg::Rdx => reg_asm!($ops, $reg; .alias s_d, edx; $($t)*),
            Reg::Rsi => reg_asm!($ops, $reg; .alias s_d, esi; $($t)*),
            Reg::Rdi => reg_asm!($ops, $reg; .alias s_d, edi; $($t)*),
            Reg::R8 => reg_asm!($ops, $reg; .alias s_d, r8d; $($t)*),
            Reg::R9 => reg_asm!($ops, $reg; .alias s_d, r9d; $($t)*),
            Reg::R10 => reg_asm!($ops, $reg; .alias s_d, r10d; $($t)*),
            Reg::R11 => reg_asm!($ops, $reg; .alias s_d, r11d; $($t)*),
        }
    };
}

pub(crate) use {reg_asm, reg2_asm};

/// The assembler the code generator writes into.
pub(crate) type Ops = VecAssembler<X64Relocation>;

/// A general-purpose register, by its hardware number. Only the scratch registers appear
/// here; `rbx`, `r12`-`r14` have fixed roles (see the register table in [`super`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reg {
    Rax = 0,
    Rcx = 1,
    Rdx = 2,
    Rsi = 6,
    Rdi = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R11 = 11,
}

impl Reg {
    /// Every scratch register (caller-saved in the SysV ABI; the subroutines and `syscall`
    /// may overwrite them).
    pub(crate) const SCRATCH: [Reg; 9] = [
        Reg::Rax,
        Reg::Rcx,
        Reg::Rdx,
        Reg::Rsi,
        Reg::Rdi,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
    ];

    /// The hardware register number (dynasm's `Rq(n)`, `Rd(n)`, ...).
    pub(crate) fn num(self) -> u8 {
        self as u8
    }
}

/// A set of scratch registers, one bit per hardware register number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Regs(pub(crate) u16);

impl Regs {
    /// No register.
    pub(crate) const NONE: Regs = Regs(0);

    /// Every scratch register.
    pub(crate) const SCRATCH: Regs = Regs::of(&Reg::SCRATCH);

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
    /// ZF is set exactly when the cell `p[off]` (after the instruction) is 0.
    Cell(i32),
    /// ZF is set exactly when the register is 0 (it reflects whatever the register holds).
    Reg(Reg),
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
    /// Registers that may be overwritten.
    pub regs: Regs,
    /// Afterwards this register holds the cell `p[off]`, zero-extended to 32 bits.
    pub loads: Option<(Reg, i32)>,
    /// The flags afterwards.
    pub flags: Flags,
    /// A cell written (anything known about its old value is stale).
    pub cell: Option<i32>,
    /// The tape pointer register's movement.
    pub moves: Move,
}

impl Effect {
    /// Nothing tracked changes.
    pub(crate) const NONE: Effect = Effect {
        regs: Regs::NONE,
        loads: None,
        flags: Flags::Kept,
        cell: None,
        moves: Move::None,
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

/// One instruction of program code. Cell operands are offsets from the pointer `p`; the
/// encoder turns them into displacements from `rbx` (see [`Enc`]). Register operands are
/// used at the cell width (`al`, `ax` or `eax`) where they meet a cell, at 32 bits otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inst {
    /// `add cell, imm`: `p[off] += val`.
    AddImm { off: i32, val: u32 },
    /// `mov cell, imm`: `p[off] = val`.
    StoreImm { off: i32, val: u32 },
    /// `movzx reg, cell` (`mov` for 32-bit cells): `reg = p[off]`.
    Load { reg: Reg, off: i32 },
    /// `mov cell, reg`: `p[off] = reg` (truncated to the cell width).
    Store { off: i32, reg: Reg },
    /// `add cell, reg`: `p[off] += reg`.
    AddReg { off: i32, reg: Reg },
    /// `imul dst, src, k` (32 bits).
    MulImm { dst: Reg, src: Reg, k: u32 },
    /// `cmp cell, 0`: ZF tells whether `p[off]` is 0. Also a bounds probe: a load.
    CmpZero { off: i32 },
    /// `test reg, reg` (32 bits).
    Test { reg: Reg },
    /// `xor reg, reg` (32 bits): `reg = 0`.
    Zero { reg: Reg },
    /// `mov reg, imm`: a 32-bit immediate, zero-extended, or a 64-bit one.
    MovImm { reg: Reg, imm: i64 },
    /// `add reg, rbx` (64 bits).
    AddP { reg: Reg },
    /// `cmp reg, [r14 + field]` (64 bits): compares with a field of the context block.
    CmpCtx { reg: Reg, field: i32 },
    /// `lea reg, [rip + label]`.
    LeaLabel { reg: Reg, label: DynamicLabel },
    /// `lea rbx, [rbx + cells * cell size]`: `p += cells`, flags untouched.
    MoveP { cells: i32 },
    /// `jcc label` (a forward jump: the long form).
    Jump { cond: Cond, target: DynamicLabel },
    /// `jcc label` to a label already placed: the short form when it reaches.
    JumpBack { cond: Cond, target: DynamicLabel },
    /// `call label`: one of the shared subroutines, which may overwrite every scratch
    /// register and the flags.
    Call { target: DynamicLabel },
}

impl Inst {
    /// What the instruction does to the tracked state. **The** place where this is said.
    pub(crate) fn effect(&self) -> Effect {
        let none = Effect::NONE;
        match *self {
            Inst::AddImm { off, .. } | Inst::AddReg { off, .. } => Effect {
                flags: Flags::Cell(off),
                cell: Some(off),
                ..none
            },
            Inst::StoreImm { off, .. } | Inst::Store { off, .. } => Effect {
                cell: Some(off),
                ..none
            },
            Inst::Load { reg, off } => Effect {
                regs: Regs::of(&[reg]),
                loads: Some((reg, off)),
                ..none
            },
            // imul leaves ZF (and SF, AF, PF) undefined.
            Inst::MulImm { dst, .. } => Effect::clobbers(Regs::of(&[dst])),
            Inst::CmpZero { off } => Effect {
                flags: Flags::Cell(off),
                ..none
            },
            Inst::Test { reg } => Effect {
                flags: Flags::Reg(reg),
                ..none
            },
            Inst::Zero { reg } | Inst::AddP { reg } => Effect::clobbers(Regs::of(&[reg])),
            Inst::MovImm { reg, .. } | Inst::LeaLabel { reg, .. } => Effect {
                regs: Regs::of(&[reg]),
                ..none
            },
            Inst::CmpCtx { .. } => Effect::clobbers(Regs::NONE),
            Inst::MoveP { cells } => Effect {
                moves: Move::By(cells),
                ..none
            },
            Inst::Jump { .. } | Inst::JumpBack { .. } => none,
            Inst::Call { .. } => Effect::clobbers(Regs::SCRATCH),
        }
    }

    /// Appends the machine code.
    pub(crate) fn encode(&self, ops: &mut Ops, enc: Enc) {
        match *self {
            Inst::AddImm { off, val } => {
                let d = enc.disp(off);
                match enc.cell_bytes {
                    1 => at_cell!(ops, d; add BYTE, val as i8),
                    2 => at_cell!(ops, d; add WORD, val as i16),
                    _ => at_cell!(ops, d; add DWORD, val as i32),
                }
            }
            Inst::StoreImm { off, val } => {
                let d = enc.disp(off);
                match enc.cell_bytes {
                    1 => at_cell!(ops, d; mov BYTE, val as i8),
                    2 => at_cell!(ops, d; mov WORD, val as i16),
                    _ => at_cell!(ops, d; mov DWORD, val as i32),
                }
            }
            Inst::Load { reg, off } => {
                let d = enc.disp(off);
                match (enc.cell_bytes, i8::try_from(d)) {
                    (1, Ok(d)) => reg_asm!(ops, reg; movzx r_d, BYTE [BYTE rbx + d]),
                    (1, Err(_)) => reg_asm!(ops, reg; movzx r_d, BYTE [rbx + d]),
                    (2, Ok(d)) => reg_asm!(ops, reg; movzx r_d, WORD [BYTE rbx + d]),
                    (2, Err(_)) => reg_asm!(ops, reg; movzx r_d, WORD [rbx + d]),
                    (_, Ok(d)) => reg_asm!(ops, reg; mov r_d, DWORD [BYTE rbx + d]),
                    (_, Err(_)) => reg_asm!(ops, reg; mov r_d, DWORD [rbx + d]),
                }
            }
            Inst::Store { off, reg } => {
                let d = enc.disp(off);
                match (enc.cell_bytes, i8::try_from(d)) {
                    (1, Ok(d)) => reg_asm!(ops, reg; mov BYTE [BYTE rbx + d], r_b),
                    (1, Err(_)) => reg_asm!(ops, reg; mov BYTE [rbx + d], r_b),
                    (2, Ok(d)) => reg_asm!(ops, reg; mov WORD [BYTE rbx + d], r_w),
                    (2, Err(_)) => reg_asm!(ops, reg; mov WORD [rbx + d], r_w),
                    (_, Ok(d)) => reg_asm!(ops, reg; mov DWORD [BYTE rbx + d], r_d),
                    (_, Err(_)) => reg_asm!(ops, reg; mov DWORD [rbx + d], r_d),
                }
            }
            Inst::AddReg { off, reg } => {
                let d = enc.disp(off);
                match (enc.cell_bytes, i8::try_from(d)) {
                    (1, Ok(d)) => reg_asm!(ops, reg; add BYTE [BYTE rbx + d], r_b),
                    (1, Err(_)) => reg_asm!(ops, reg; add BYTE [rbx + d], r_b),
                    (2, Ok(d)) => reg_asm!(ops, reg; add WORD [BYTE rbx + d], r_w),
                    (2, Err(_)) => reg_asm!(ops, reg; add WORD [rbx + d], r_w),
                    (_, Ok(d)) => reg_asm!(ops, reg; add DWORD [BYTE rbx + d], r_d),
                    (_, Err(_)) => reg_asm!(ops, reg; add DWORD [rbx + d], r_d),
                }
            }
            Inst::MulImm { dst, src, k } => {
                let k = k as i32;
                match i8::try_from(k) {
                    Ok(k) => reg2_asm!(ops, dst, src; imul r_d, s_d, BYTE k as _),
                    Err(_) => reg2_asm!(ops, dst, src; imul r_d, s_d, k),
                }
            }
            Inst::CmpZero { off } => {
                let d = enc.disp(off);
                match enc.cell_bytes {
                    1 => at_cell!(ops, d; cmp BYTE, 0),
                    2 => at_cell!(ops, d; cmp WORD, 0),
                    _ => at_cell!(ops, d; cmp DWORD, 0),
                }
            }
            Inst::Test { reg } => reg_asm!(ops, reg; test r_d, r_d),
            Inst::Zero { reg } => reg_asm!(ops, reg; xor r_d, r_d),
            Inst::MovImm { reg, imm } => match u32::try_from(imm) {
                Ok(imm) => reg_asm!(ops, reg; mov r_d, imm as i32),
                Err(_) => reg_asm!(ops, reg; mov r_q, QWORD imm),
            },
            Inst::AddP { reg } => reg_asm!(ops, reg; add r_q, rbx),
            Inst::CmpCtx { reg, field } => reg_asm!(ops, reg; cmp r_q, [r14 + field]),
            Inst::LeaLabel { reg, label } => reg_asm!(ops, reg; lea r_q, [=>label]),
            Inst::MoveP { cells } => {
                let d = cells * enc.cell_bytes;
                match i8::try_from(d) {
                    Ok(d) => dynasm!(ops; .arch x64; lea rbx, [BYTE rbx + d]),
                    Err(_) => dynasm!(ops; .arch x64; lea rbx, [rbx + d]),
                }
            }
            Inst::Jump { cond, target } => match cond {
                Cond::Zero => dynasm!(ops; .arch x64; jz =>target),
                Cond::NonZero => dynasm!(ops; .arch x64; jnz =>target),
                Cond::Sign => dynasm!(ops; .arch x64; js =>target),
                Cond::NotSign => dynasm!(ops; .arch x64; jns =>target),
                Cond::Below => dynasm!(ops; .arch x64; jb =>target),
                Cond::AboveEqual => dynasm!(ops; .arch x64; jae =>target),
            },
            Inst::JumpBack { cond, target } => {
                let at = ops.labels().resolve_dynamic(target).expect("placed").0 as i64;
                // A short jump is two bytes long; its displacement counts from its end.
                let short = i8::try_from(at - (ops.offset().0 as i64 + 2)).is_ok();
                match (cond, short) {
                    (Cond::NonZero, true) => dynasm!(ops; .arch x64; jnz BYTE =>target),
                    (Cond::Zero, true) => dynasm!(ops; .arch x64; jz BYTE =>target),
                    _ => Inst::Jump { cond, target }.encode(ops, enc),
                }
            }
            Inst::Call { target } => dynasm!(ops; .arch x64; call =>target),
        }
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
