//! What the code generator knows about registers and flags between instructions.
//!
//! A [`Tracker`] remembers which cell each scratch register holds (zero-extended) and which
//! cell ZF reflects, so that `p[1] += p[0]*3` followed by `out p[0]` loads `p[0]` once and a
//! loop test right after `p[0] -= 1` needs no `cmp`. It learns *only* from declared
//! [`Effect`]s (see [`super::inst`]), and forgets everything where control flow joins (a
//! label reached by a jump), because it does not know the state on the other path.
//!
//! All offsets are relative to the pointer `p` as it is now; a pointer move shifts them.

use super::inst::{Effect, Flags, Move, Reg};

/// Which cell each register and the flags reflect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tracker {
    /// `regs[n]`: the cell register number `n` holds, zero-extended.
    regs: [Option<i32>; 16],
    /// ZF is set exactly when this cell is 0.
    flags: Option<i32>,
}

impl Tracker {
    /// Knows nothing (at a join, or after code it cannot follow).
    pub(crate) fn forget(&mut self) {
        *self = Tracker::default();
    }

    /// A register that holds `p[off]`, if any.
    pub(crate) fn reg_holding(&self, off: i32) -> Option<Reg> {
        Reg::SCRATCH
            .into_iter()
            .find(|r| self.regs[r.num() as usize] == Some(off))
    }

    /// The cell `reg` holds, if known.
    pub(crate) fn held_by(&self, reg: Reg) -> Option<i32> {
        self.regs[reg.num() as usize]
    }

    /// The cell ZF reflects, if known.
    pub(crate) fn flags(&self) -> Option<i32> {
        self.flags
    }

    /// Updates what is known after code with effect `e`.
    pub(crate) fn apply(&mut self, e: &Effect) {
        match e.moves {
            Move::None => {}
            Move::By(cells) => {
                for r in self.regs.iter_mut().flatten() {
                    *r -= cells;
                }
                if let Some(f) = &mut self.flags {
                    *f -= cells;
                }
            }
            Move::Unknown => self.forget(),
        }
        // The flags are read before registers change (`test reg, reg` reflects the register).
        self.flags = match e.flags {
            Flags::Kept => self.flags,
            Flags::Lost => None,
            Flags::Cell(off) => Some(off),
            Flags::Reg(reg) => self.held_by(reg),
        };
        if let Some(off) = e.cell {
            for r in &mut self.regs {
                if *r == Some(off) {
                    *r = None;
                }
            }
            if self.flags == Some(off) && e.flags != Flags::Cell(off) {
                self.flags = None;
            }
        }
        for reg in Reg::SCRATCH {
            if e.regs.contains(reg) {
                self.regs[reg.num() as usize] = None;
            }
        }
        if let Some((reg, off)) = e.loads {
            self.regs[reg.num() as usize] = Some(off);
        }
    }

    /// Every claim the tracker makes: `(Some(reg), off)` for "reg holds p[off]",
    /// `(None, off)` for "ZF reflects p[off]".
    pub(crate) fn claims(&self) -> Vec<(Option<Reg>, i32)> {
        let mut out: Vec<(Option<Reg>, i32)> = Reg::SCRATCH
            .into_iter()
            .filter_map(|r| self.held_by(r).map(|off| (Some(r), off)))
            .collect();
        out.extend(self.flags.map(|off| (None, off)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::codegen::inst::{Inst, Regs};

    fn after(insts: &[Inst]) -> Tracker {
        let mut t = Tracker::default();
        for i in insts {
            t.apply(&i.effect());
        }
        t
    }

    #[test]
    fn a_load_is_remembered_until_the_cell_or_register_changes() {
        let load = Inst::Load {
            reg: Reg::Rax,
            off: 2,
        };
        assert_eq!(after(&[load]).reg_holding(2), Some(Reg::Rax));
        let store = Inst::StoreImm { off: 2, val: 7 };
        assert_eq!(after(&[load, store]).reg_holding(2), None);
        let other = Inst::StoreImm { off: 3, val: 7 };
        assert_eq!(after(&[load, other]).reg_holding(2), Some(Reg::Rax));
        let zero = Inst::Zero { reg: Reg::Rax };
        assert_eq!(after(&[load, zero]).reg_holding(2), None);
    }

    #[test]
    fn arithmetic_on_a_cell_sets_the_flags_and_imul_loses_them() {
        let add = Inst::AddImm { off: 1, val: 255 };
        assert_eq!(after(&[add]).flags(), Some(1));
        let load = Inst::Load {
            reg: Reg::Rax,
            off: 0,
        };
        let mul = Inst::MulImm {
            dst: Reg::Rdx,
            src: Reg::Rax,
            k: 2,
        };
        // The miscompile of issue 8: imul left ZF undefined while the generator still
        // believed it reflected p[1].
        assert_eq!(after(&[add, load, mul]).flags(), None);
        assert_eq!(after(&[add, load, mul]).reg_holding(0), Some(Reg::Rax));
        let test = Inst::Test { reg: Reg::Rax };
        assert_eq!(after(&[add, load, mul, test]).flags(), Some(0));
    }

    #[test]
    fn moves_shift_what_is_known() {
        let t = after(&[
            Inst::CmpZero { off: 3 },
            Inst::Load {
                reg: Reg::Rcx,
                off: 1,
            },
            Inst::MoveP { cells: 2 },
        ]);
        assert_eq!(t.flags(), Some(1));
        assert_eq!(t.reg_holding(-1), Some(Reg::Rcx));
        let mut t = t;
        t.apply(&Effect {
            moves: Move::Unknown,
            ..Effect::NONE
        });
        assert_eq!(t, Tracker::default());
    }

    #[test]
    fn writing_a_cell_that_the_flags_reflect_forgets_them_unless_it_sets_them() {
        let cmp = Inst::CmpZero { off: 0 };
        assert_eq!(
            after(&[cmp, Inst::StoreImm { off: 0, val: 1 }]).flags(),
            None
        );
        assert_eq!(
            after(&[
                cmp,
                Inst::AddReg {
                    off: 0,
                    reg: Reg::Rax
                }
            ])
            .flags(),
            Some(0)
        );
        let mut ops = crate::jit::codegen::inst::Ops::new(0);
        let call = Inst::Call {
            target: ops.new_dynamic_label(),
        };
        assert_eq!(call.effect().regs, Regs::SCRATCH);
        assert_eq!(after(&[cmp, call]).flags(), None);
    }
}
