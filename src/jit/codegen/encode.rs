//! Machine code for [`Inst`]: the encoder, and the `dynasm!` helpers that pick the shortest
//! encoding (a one-byte displacement when it fits, a register's name without a REX prefix
//! where it needs none, the 8-, 16- or 32-bit form for the cell width).
//!
//! What each instruction *does* is declared in [`super::inst`]; this file only says which
//! bytes it is. In debug builds [`super::verify`] decodes these bytes and checks them against
//! the declaration.

use dynasmrt::{DynasmApi, VecAssembler, dynasm, x64::X64Relocation};

use super::effect::Reg;
use super::inst::{Cond, Inst};

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

pub(crate) use {at_cell, reg_asm, width_asm};

/// The assembler the code generator writes into.
pub(crate) type Ops = VecAssembler<X64Relocation>;

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

impl Inst {
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
                // (The caller masked `k` to the cell's width.) `lea` multiplies by 3, 5 or 9
                // in one cycle where `imul` takes three, in as many bytes (but with `rbp` as
                // the base, which needs a displacement byte): long.b's hot loop waits for
                // such a product every iteration.
                let lea = src != Reg::Rbp;
                if k == 1 {
                    reg2_asm!(ops, reg, src; mov r_d, s_d)
                } else if lea && k == 3 {
                    reg2_asm!(ops, reg, src; lea r_d, [s_q + s_q * 2])
                } else if lea && k == 5 {
                    reg2_asm!(ops, reg, src; lea r_d, [s_q + s_q * 4])
                } else if lea && k == 9 {
                    reg2_asm!(ops, reg, src; lea r_d, [s_q + s_q * 8])
                } else {
                    // Only the cell's width of the product counts: a factor read as signed
                    // at that width (255 is -1 in a byte) often fits an 8-bit immediate.
                    let k = match cs {
                        1 => i32::from(k as u8 as i8),
                        2 => i32::from(k as u16 as i16),
                        _ => k as i32,
                    };
                    match i8::try_from(k) {
                        Ok(k) => reg2_asm!(ops, reg, src; imul r_d, s_d, BYTE k as _),
                        Err(_) => reg2_asm!(ops, reg, src; imul r_d, s_d, k),
                    }
                }
            }
            Inst::CopyCell { dst, src, .. } => reg2_asm!(ops, dst, src; mov r_d, s_d),
            // `min(src, 1)` is `src != 0`, in fewer bytes.
            Inst::NonZero { dst } => reg_asm!(ops, dst; setnz r_b),
            Inst::MinImm { dst, src, max: 1 } => {
                debug_assert_ne!(dst, src);
                reg_asm!(ops, dst; xor r_d, r_d);
                width_asm!(ops, cs, src; test r, r);
                reg_asm!(ops, dst; setnz r_b);
            }
            Inst::MinImm { dst, src, max } => {
                debug_assert_ne!(dst, src);
                reg_asm!(ops, dst; mov r_d, i32::from(max));
                // (An 8-bit immediate would be sign-extended at the wider widths.)
                match cs {
                    1 => reg_asm!(ops, src; cmp r_b, max as i8),
                    2 => reg_asm!(ops, src; cmp r_w, i16::from(max)),
                    _ => reg_asm!(ops, src; cmp r_d, i32::from(max)),
                }
                reg2_asm!(ops, dst, src; cmovb r_d, s_d);
            }
            Inst::TestValue { reg } => reg_asm!(ops, reg; test r_d, r_d),
            Inst::Zero { reg } | Inst::ZeroCell { reg, .. } => reg_asm!(ops, reg; xor r_d, r_d),
            Inst::AddP { reg } => reg_asm!(ops, reg; add r_q, rbx),
            Inst::CmpCtx { reg, field } => match i8::try_from(field) {
                Ok(d8) => reg_asm!(ops, reg; cmp r_q, [BYTE r14 + d8]),
                Err(_) => reg_asm!(ops, reg; cmp r_q, [r14 + field]),
            },
            // `lea r64, [rip + rel32]`: REX.W (and R), 8d, ModRM `00 reg 101`; the
            // displacement is written after assembly, as a call's is.
            Inst::LeaLabel { reg, .. } => {
                let r = reg.num();
                ops.extend([0x48 | (r >> 3) << 2, 0x8d, 0x05 | (r & 7) << 3, 0, 0, 0, 0]);
            }
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
            // `call rel32`: the displacement is written after assembly, once the target is
            // placed (see `Gen::emit`), like a forward jump's, without a dynasm relocation.
            Inst::Call { .. } | Inst::CallNoReturn { .. } => ops.extend([0xe8, 0, 0, 0, 0]),
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
