//! Checking the declared effects against the machine: every piece of program code is decoded
//! with iced-x86 and compared with the [`Effect`] it was emitted under.
//!
//! [`super::inst`] declares what each instruction does; the state ([`super::state`]) believes those
//! declarations. If a declaration were wrong (say, `imul` declared to keep the flags), the
//! tracker would skip a compare that is needed and the program would compute a wrong answer
//! only on some inputs. This check turns such a mistake into a failure the first time the
//! instruction is emitted in any test: for each emitted piece it asks iced-x86 which registers,
//! memory and flags the decoded instructions really write, and requires that
//!
//! * every general-purpose register written is one the effect admits (`rbx` only if the
//!   pointer moves; `r12`-`r15` and `rbp` never: their roles are fixed);
//! * the only memory written is the declared cell, at the cell's width (calls may push; a
//!   declared profile counter is a quadword through `rdx`);
//! * ZF is not touched when the flags are declared kept, and when the flags are declared to
//!   reflect a cell or register, the last instruction to write ZF is a `cmp cell, 0`, an
//!   `add cell, ..` or a `test reg, reg` of exactly that operand, and defines ZF;
//! * a declared load is a `movzx`/`mov` of exactly that cell into that register, and a
//!   declared pointer move is the `lea rbx, [rbx + d]` of exactly that distance.
//!
//! The shared subroutines, which `call`s declare to overwrite every scratch register, are
//! checked to write nothing else but their own state (the output cursor `r12`, the context
//! block, the stack).
//!
//! This runs in debug builds (every test; programs of up to 2^16 IR instructions) and with [`crate::jit::Options::verify`]; release
//! builds skip it, as it costs a decode of all generated code.

use iced_x86::{
    Decoder, DecoderOptions, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind,
    Register, RflagsBits,
};

use super::effect::{Effect, Flags, Move};
use super::encode::Enc;

/// A piece of emitted code and the effect it was declared with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece {
    pub start: u32,
    pub end: u32,
    pub effect: Effect,
}

/// Registers that no program code may write (besides `rbx`, which only pointer moves may).
const FIXED: [Register; 3] = [Register::R12, Register::R13, Register::R14];

/// Checks every piece against `code`; `subroutines` is the range of the shared subroutines.
/// Returns a description of the first mismatch.
pub(crate) fn check(
    code: &[u8],
    pieces: &[Piece],
    enc: Enc,
    subroutines: std::ops::Range<usize>,
) -> Result<(), String> {
    let mut info = InstructionInfoFactory::new();
    for piece in pieces {
        let bytes = &code[piece.start as usize..piece.end as usize];
        let insts: Vec<Instruction> =
            Decoder::with_ip(64, bytes, u64::from(piece.start), DecoderOptions::NONE)
                .into_iter()
                .collect();
        check_piece(&insts, &piece.effect, enc, &mut info).map_err(|e| {
            format!(
                "code at {:#x}: {e} (declared {:?})",
                piece.start, piece.effect
            )
        })?;
    }
    let subs = &code[subroutines.clone()];
    for ins in Decoder::with_ip(64, subs, subroutines.start as u64, DecoderOptions::NONE) {
        check_subroutine(&ins, &mut info)
            .map_err(|e| format!("subroutine code at {:#x}: {e}", ins.ip()))?;
    }
    Ok(())
}

/// True if `ins` has the cell `p[off]` as its memory operand, at the cell width.
fn on_cell(ins: &Instruction, off: i32, enc: Enc) -> bool {
    ins.memory_base() == Register::RBX
        && ins.memory_index() == Register::None
        && ins.memory_displacement64() as i64 == i64::from(enc.disp(off))
        && ins.memory_size().size() == enc.cell_bytes as usize
}

/// True if `reg` is the register with hardware number `num`, at the cell width.
fn at_width(reg: Register, num: u8, enc: Enc) -> bool {
    reg.full_register().number() as u8 == num && reg.size() == enc.cell_bytes as usize
}

fn check_piece(
    insts: &[Instruction],
    effect: &Effect,
    enc: Enc,
    info: &mut InstructionInfoFactory,
) -> Result<(), String> {
    let mut last_zf: Option<&Instruction> = None;
    for ins in insts {
        if ins.is_invalid() {
            return Err("bytes that do not decode".into());
        }
        let i = info.info(ins);
        for used in i.used_registers() {
            if !writes(used.access()) {
                continue;
            }
            let full = used.register().full_register();
            if full.is_xmm() || full.is_ymm() || full.is_zmm() {
                continue; // vector registers are never tracked
            }
            match full {
                Register::RSP | Register::RIP => {} // calls
                Register::RBX if effect.moves != Move::None => {}
                r if FIXED.contains(&r) || r == Register::RBX => {
                    return Err(format!("{ins} writes {r:?}, which it may not"));
                }
                r => {
                    let num = r.number() as u8;
                    let declared = effect.regs.contains_num(num)
                        || effect.holds.is_some_and(|(reg, _)| reg.num() == num);
                    if !declared {
                        return Err(format!("{ins} writes {r:?}, which is not declared"));
                    }
                }
            }
        }
        for mem in i.used_memory() {
            if mem.base() == Register::RSP {
                continue; // calls push their return address
            }
            let is_cell = |off: i32| {
                mem.base() == Register::RBX
                    && mem.index() == Register::None
                    && mem.displacement() as i64 == i64::from(enc.disp(off))
                    && mem.memory_size().size() == enc.cell_bytes as usize
            };
            let counter = effect.counter
                && mem.base() == Register::RDX
                && mem.index() == Register::None
                && mem.memory_size().size() == 8;
            // (A redirected write goes to the cell or, adding 0, to the stack.)
            let redirected = effect.redirected
                && effect.stores.is_some()
                && mem.base() == Register::RAX
                && mem.index() == Register::None
                && mem.displacement() == 0
                && mem.memory_size().size() == enc.cell_bytes as usize;
            if writes(mem.access())
                && !effect.stores.is_some_and(is_cell)
                && !counter
                && !redirected
            {
                return Err(format!("{ins} writes memory that is not the declared cell"));
            }
            // Reading or writing a cell proves it is on the tape: only what is declared.
            let touches = mem.base() == Register::RBX && mem.index() == Register::None;
            if touches && !effect.touches.is_some_and(is_cell) && effect.moves == Move::None {
                return Err(format!("{ins} accesses a cell that is not declared"));
            }
        }
        if ins.rflags_modified() & RflagsBits::ZF != 0 {
            if effect.flags == Flags::Kept {
                return Err(format!("{ins} changes ZF, declared kept"));
            }
            last_zf = Some(ins);
        }
    }
    if let Flags::Cell { off, via } = effect.flags {
        let ins = last_zf.ok_or("no instruction sets the flags declared")?;
        let sets = match via {
            // `cmp cell, 0` or `add cell, ...`.
            None => {
                ins.op0_kind() == OpKind::Memory
                    && on_cell(ins, off, enc)
                    && match ins.mnemonic() {
                        Mnemonic::Add | Mnemonic::Sub => true,
                        Mnemonic::Cmp => {
                            ins.op1_kind() != OpKind::Register && ins.immediate(1) == 0
                        }
                        _ => false,
                    }
            }
            // `test r, r`, or `add`/`sub` into `r`, at the cell width.
            Some(reg) => {
                ins.op0_kind() == OpKind::Register
                    && at_width(ins.op0_register(), reg.num(), enc)
                    && match ins.mnemonic() {
                        Mnemonic::Test => ins.op1_register() == ins.op0_register(),
                        Mnemonic::Add | Mnemonic::Sub => true,
                        _ => false,
                    }
            }
        };
        if !sets || ins.rflags_undefined() & RflagsBits::ZF != 0 {
            return Err(format!("{ins} does not make ZF reflect p[{off}]"));
        }
    }
    if let Some((reg, off)) = effect.holds {
        let last = insts
            .iter()
            .rev()
            .find(|ins| writes_reg(ins, reg.num(), info))
            .ok_or("the declared register is not written")?;
        // A load must be of that cell; an update must be into that register.
        let load_ok = !matches!(last.mnemonic(), Mnemonic::Movzx)
            || last.op1_kind() == OpKind::Memory && on_cell(last, off, enc);
        let mem_ok = last.op1_kind() != OpKind::Memory
            || last.mnemonic() == Mnemonic::Lea
            || on_cell(last, off, enc);
        if !(load_ok && mem_ok) {
            return Err(format!("{last} does not put p[{off}] in {reg:?}"));
        }
    }
    if let Move::By(cells) = effect.moves {
        let last = insts
            .iter()
            .rev()
            .find(|ins| writes_reg(ins, 3, info))
            .ok_or("the declared pointer move is missing")?;
        let ok = last.mnemonic() == Mnemonic::Lea
            && last.memory_base() == Register::RBX
            && last.memory_index() == Register::None
            && last.memory_displacement64() as i64 == i64::from(cells * enc.cell_bytes);
        if !ok {
            return Err(format!("{last} is not a move of {cells} cells"));
        }
    }
    Ok(())
}

/// Subroutines may write `rax`, the registers they save and restore around system calls
/// (`rcx`, `rdx`, `rsi`, `rdi`, `r11`), their own `r12`, and memory through the context
/// block, the output cursor and the stack. (That they restore what they save is checked
/// by the tests that keep cells in registers across I/O.)
fn check_subroutine(ins: &Instruction, info: &mut InstructionInfoFactory) -> Result<(), String> {
    if ins.is_invalid() {
        return Err("bytes that do not decode".into());
    }
    let allowed = [
        Register::RAX,
        Register::RCX,
        Register::RDX,
        Register::RSI,
        Register::RDI,
        Register::R11,
        Register::R12,
        Register::RSP,
        Register::RIP,
    ];
    let i = info.info(ins);
    for used in i.used_registers() {
        let full = used.register().full_register();
        if writes(used.access()) && !allowed.contains(&full) {
            return Err(format!("{ins} writes {full:?}"));
        }
    }
    for mem in i.used_memory() {
        let ok = matches!(mem.base(), Register::RSP | Register::R12 | Register::R14)
            || mem.base() == Register::RAX && !writes(mem.access());
        if writes(mem.access()) && !ok {
            return Err(format!("{ins} writes memory through {:?}", mem.base()));
        }
    }
    Ok(())
}

fn writes(access: OpAccess) -> bool {
    matches!(
        access,
        OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite
    )
}

fn writes_reg(ins: &Instruction, num: u8, info: &mut InstructionInfoFactory) -> bool {
    info.info(ins).used_registers().iter().any(|u| {
        writes(u.access()) && {
            let full = u.register().full_register();
            full.is_gpr64() && full.number() as u8 == num
        }
    })
}

#[cfg(test)]
mod tests {
    use dynasmrt::{DynasmApi, DynasmLabelApi};

    use super::*;
    use crate::jit::codegen::effect::{Reg, Regs};
    use crate::jit::codegen::encode::Ops;
    use crate::jit::codegen::inst::{Cond, Inst};

    /// Every form of every instruction, at every cell width and both displacement sizes.
    fn all_forms(ops: &mut Ops) -> Vec<Inst> {
        let label = ops.new_dynamic_label();
        let mut jumps = crate::jit::codegen::jumps::Jumps::default();
        let mut forms = Vec::new();
        for off in [0, 1, -3, 200, -5000] {
            forms.extend([
                Inst::AddMem { off, val: 3 },
                Inst::AddMem { off, val: u32::MAX },
                Inst::SetMem { off, val: 0 },
                Inst::SetMem { off, val: 70_000 },
                Inst::CmpMem { off },
                Inst::Probe { off },
            ]);
            for reg in Reg::ALL {
                forms.extend([
                    Inst::Load { reg, off },
                    Inst::StoreMem { off, reg },
                    Inst::WriteBack { off, reg },
                    Inst::AddMemReg {
                        off,
                        reg,
                        sub: false,
                    },
                    Inst::AddMemReg {
                        off,
                        reg,
                        sub: true,
                    },
                ]);
            }
        }
        for reg in Reg::ALL {
            let off = 4;
            for val in [1, 3, 255, 0xffff, 70_000, u32::MAX] {
                for flags in [false, true] {
                    forms.push(Inst::AddReg {
                        reg,
                        off,
                        val,
                        flags,
                    });
                }
            }
            forms.extend([
                Inst::SetReg { reg, off, val: 9 },
                Inst::ZeroCell { reg, off },
                Inst::TestReg { reg, off },
                Inst::TestValue { reg },
                Inst::Zero { reg },
                Inst::NonZero { dst: reg },
                Inst::MovImm { reg, imm: 7 },
                Inst::MovImm { reg, imm: -1 },
                Inst::MovImm { reg, imm: 1 << 40 },
                Inst::AddP { reg },
                Inst::CmpCtx { reg, field: 16 },
                Inst::LeaLabel { reg, label },
            ]);
            for src in Reg::ALL {
                forms.push(Inst::CopyCell { dst: reg, src, off });
                for (sub, flags) in [(false, false), (false, true), (true, true)] {
                    forms.push(Inst::AddRegReg {
                        reg,
                        off,
                        src,
                        sub,
                        flags,
                    });
                }
                for scale in [2, 4, 8] {
                    forms.push(Inst::AddScaled {
                        reg,
                        off,
                        src,
                        scale,
                    });
                }
                if reg != src {
                    for max in [1, 10, 127, 128, 255] {
                        forms.push(Inst::MinImm { dst: reg, src, max });
                    }
                }
                for k in [1, 2, 3, 5, 9, 255, 1000, u32::MAX] {
                    forms.push(Inst::MulImm { dst: reg, src, k });
                    forms.push(Inst::MulSet { reg, off, src, k });
                }
            }
        }
        for cells in [1, -1, 40, -100_000] {
            forms.push(Inst::MoveP { cells });
        }
        for cond in [
            Cond::Zero,
            Cond::NonZero,
            Cond::Sign,
            Cond::NotSign,
            Cond::Below,
            Cond::AboveEqual,
        ] {
            // (Their displacements stay 0: the effects do not depend on them.)
            forms.push(Inst::Jump {
                cond,
                target: jumps.new_target(),
                short: false,
            });
            forms.push(Inst::Jump {
                cond,
                target: jumps.new_target(),
                short: true,
            });
        }
        forms.push(Inst::Call {
            target: label,
            clobbers: Regs::of(&[Reg::Rax]),
            needs: None,
        });
        forms.push(Inst::CallNoReturn { target: label });
        for slot in [0, 1, 100_000] {
            forms.push(Inst::Count { slot });
            forms.push(Inst::CountPointer { slot, add: true });
            forms.push(Inst::CountPointer { slot, add: false });
        }
        for off in [0, -3, 5000] {
            forms.push(Inst::DebugHook { off, index: 7 });
        }
        forms
    }

    fn assemble(enc: Enc, with: impl Fn(&Inst) -> Effect) -> (Vec<u8>, Vec<Piece>) {
        let mut ops = Ops::new(0);
        let forms = all_forms(&mut ops);
        let mut pieces = Vec::new();
        for inst in &forms {
            let start = ops.offset().0 as u32;
            inst.encode(&mut ops, enc);
            let end = ops.offset().0 as u32;
            pieces.push(Piece {
                start,
                end,
                effect: with(inst),
            });
        }
        // Place the one label the forms use.
        let first = forms
            .iter()
            .find_map(|i| match i {
                Inst::LeaLabel { label, .. } => Some(*label),
                _ => None,
            })
            .unwrap();
        dynasmrt::dynasm!(ops; .arch x64; =>first; ret);
        (ops.finalize().unwrap(), pieces)
    }

    #[test]
    fn every_declared_effect_matches_the_machine() {
        for cell_bytes in [1, 2, 4] {
            for bias in [0, 7] {
                let enc = Enc { cell_bytes, bias };
                let (code, pieces) = assemble(enc, Inst::effect);
                assert!(pieces.len() > 1000);
                check(&code, &pieces, enc, 0..0).unwrap();
            }
        }
    }

    #[test]
    fn a_wrong_declaration_is_caught() {
        let enc = Enc {
            cell_bytes: 1,
            bias: 0,
        };
        // Pretend `imul` keeps the flags (the bug of issue 8), or that a load comes from the
        // next cell, or that a store writes nothing, or that `add` leaves a register alone,
        // or that a test reflects another register.
        type Lie = fn(&Inst) -> Option<Effect>;
        let lies: [(&str, Lie); 5] = [
            ("changes ZF, declared kept", |i| match i {
                Inst::MulImm { k: 2, .. } => Some(Effect {
                    flags: Flags::Kept,
                    ..i.effect()
                }),
                _ => None,
            }),
            ("does not put p[", |i| match *i {
                Inst::Load { reg, off } => Some(Effect {
                    holds: Some((reg, off + 1)),
                    ..i.effect()
                }),
                _ => None,
            }),
            ("writes memory that is not the declared cell", |i| match i {
                Inst::SetMem { .. } => Some(Effect {
                    stores: None,
                    ..i.effect()
                }),
                _ => None,
            }),
            ("which is not declared", |i| match i {
                Inst::AddP { .. } => Some(Effect {
                    regs: Regs::NONE,
                    ..i.effect()
                }),
                _ => None,
            }),
            ("does not make ZF reflect", |i| match *i {
                Inst::TestReg { reg, off } => Some(Effect {
                    flags: Flags::Cell {
                        off,
                        via: Some(if reg == Reg::Rax { Reg::Rcx } else { Reg::Rax }),
                    },
                    ..i.effect()
                }),
                _ => None,
            }),
        ];
        for (message, lie) in lies {
            let (code, pieces) = assemble(enc, |i| lie(i).unwrap_or_else(|| i.effect()));
            let err = check(&code, &pieces, enc, 0..0).unwrap_err();
            assert!(err.contains(message), "{message}: {err}");
        }
    }

    #[test]
    fn subroutines_may_not_touch_the_tape_pointer() {
        let mut ops = Ops::new(0);
        dynasmrt::dynasm!(ops; .arch x64; mov rax, [r14 + 8]; add r12, 1; ret);
        let ok = ops.finalize().unwrap();
        let enc = Enc {
            cell_bytes: 1,
            bias: 0,
        };
        check(&ok, &[], enc, 0..ok.len()).unwrap();
        let mut ops = Ops::new(0);
        dynasmrt::dynasm!(ops; .arch x64; add rbx, 1; ret);
        let bad = ops.finalize().unwrap();
        assert!(check(&bad, &[], enc, 0..bad.len()).is_err());
    }
}
