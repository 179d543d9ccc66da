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
//! The records a declaration is made of (registers, flags, [`Effect`], [`Requires`]) are in
//! [`super::effect`]; the bytes each instruction is encoded as are in [`super::encode`].
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

use dynasmrt::DynamicLabel;

use super::effect::{Effect, Flags, Move, Reg, Regs, Requires};
use super::jumps::Target;

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
/// encoder turns them into displacements from `rbx` (see [`super::encode::Enc`]). "At the cell width" means
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
    /// `mov dst32, max; cmp src, max; cmovb dst32, src32`: `dst = min(src, max)`, comparing
    /// at the cell width (the bits of `dst` above it are then undefined, as in a cell's
    /// register). `dst` must not be `src`.
    MinImm { dst: Reg, src: Reg, max: u8 },
    /// `setnz dst8`: `dst = min(p[c], 1)`, the 0 or 1 in its low byte, for byte cells when
    /// ZF already tells whether `p[c]` is 0 (the `sub` of a ladder level just set it). Only
    /// the low byte is written: the bits above are undefined, as in a cell's register, and
    /// byte cells never read them. Unlike [`Inst::MinImm`] it keeps the flags, and the one
    /// instruction is all that stands between the cell's update and the term's use: in
    /// factor's decimal carries (`p[c] -= min(p[c], 10)`, then `p[c+10] -= min(p[c], 1)`,
    /// which is the next digit's `p[c]`) it shortens the chain from digit to digit.
    NonZero { dst: Reg },
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
    #[inline(always)]
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
            Inst::MulImm { dst, .. } | Inst::MinImm { dst, .. } => {
                Effect::clobbers(Regs::of(&[dst]))
            }
            Inst::NonZero { dst } => Effect {
                regs: Regs::of(&[dst]),
                ..none
            },
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
    #[inline(always)]
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
}
