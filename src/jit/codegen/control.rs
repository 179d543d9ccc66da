//! Code for control flow and the pointer: loops, ifs, pointer moves and bounds checks.
//!
//! ```text
//! while p[0] {        cmp byte [rbx], 0          ; unless the flags already tell
//!                     je end
//!                   body:                        ; 16-byte aligned
//!   ...
//! } while p[0]        cmp byte [rbx], 0
//!                     jne body                   ; two bytes when it reaches
//!                   end:
//! ```
//!
//! A loop that ends with a pointer move (`[>>]`-like bodies that are not scans) tests its
//! condition cell *before* the move, at its new offset, so the `lea` that moves `rbx` sits
//! between the compare and the jump (it leaves the flags alone).

use super::inst::{Cond, Inst, Reg};
use super::{Frame, Gen, Unit};
use crate::ir::{CheckId, Op};
use crate::jit::runtime::GUARD;

impl Gen<'_> {
    /// `while p[off] {` (`is_loop`) or `if p[off] {`.
    pub(super) fn open_loop(&mut self, off: i32, is_loop: bool) {
        let body = self.ops.new_dynamic_label();
        let end = self.ops.new_dynamic_label();
        self.loops.push(Frame { body, end });
        self.cmp_zero(off);
        self.close_unit();
        self.emit(Inst::Jump {
            cond: Cond::Zero,
            target: end,
        });
        if is_loop {
            self.align_loop();
            // The body is also reached from the end of the loop.
            self.join(body);
        }
        // An `if` body is reached only by falling through: what is known still holds.
    }

    /// `} while p[off]`, after moving the pointer by `delta` cells (fused with a `Move`).
    pub(super) fn end_loop(&mut self, off: i32, delta: i32) {
        self.cmp_zero(delta + off);
        self.close_unit();
        let Frame { body, end } = self.loops.pop().expect("balanced");
        if delta != 0 {
            self.emit(Inst::MoveP { cells: delta });
        }
        self.emit(Inst::JumpBack {
            cond: Cond::NonZero,
            target: body,
        });
        self.join(end);
    }

    /// The end of an `if`.
    pub(super) fn end_if(&mut self) {
        self.close_unit();
        let frame = self.loops.pop().expect("balanced");
        self.join(frame.end);
    }

    /// `p += delta` (instruction `i`); returns the next instruction index.
    pub(super) fn move_p(&mut self, i: usize, delta: i32) -> usize {
        if let Some(Op::EndLoop { off }) = self.ir.code.get(i + 1).map(|n| n.op) {
            // Test the condition cell before moving: `cmp [p+delta+off], 0` is still
            // inside the window of the check that covers the move.
            self.end_loop(off, delta);
            return i + 2;
        }
        self.close_unit();
        self.emit(Inst::MoveP { cells: delta });
        i + 1
    }

    /// Opens the window of check `id` (instruction `i`) and makes sure that if the pointer
    /// left the tape, something in the window faults before the window ends.
    pub(super) fn check(&mut self, i: usize, id: CheckId) {
        self.close_unit();
        self.open_unit(Unit::Check(id));
        let e = *self.ir.excursion(id);
        let touched = self.window_accesses(i + 1);
        // A fault only lands in a guard if the cell is within a guard's size of the tape;
        // the origin is on the tape.
        let cs = i64::from(self.enc.cell_bytes);
        let far = |cells: i32| i64::from(cells) * cs >= GUARD as i64 / 2;
        let (lo_far, hi_far) = (far(e.origin - e.lo), far(e.hi - e.origin));
        // The origin is on the tape: only moves beyond it need checking.
        if e.lo < e.origin {
            if lo_far {
                self.explicit_check(e.lo, false);
            } else if !touched.contains(&e.lo) {
                self.emit(Inst::CmpZero { off: e.lo });
            }
        }
        if e.hi > e.origin {
            if hi_far || self.exact_right {
                self.explicit_check(e.hi, true);
            } else if !touched.contains(&e.hi) {
                self.emit(Inst::CmpZero { off: e.hi });
            }
        }
    }

    /// Offsets that the code of the window starting at instruction `i` will load or store
    /// before the window closes.
    fn window_accesses(&self, mut i: usize) -> Vec<i32> {
        let code = &self.ir.code;
        let mut touched = Vec::new();
        while let Some(ins) = code.get(i) {
            match ins.op {
                Op::Add { off, .. } | Op::Set { off, .. } => touched.push(off),
                Op::MulAdd { src, dst, .. } | Op::MulSet { src, dst, .. } => {
                    touched.extend([src, dst])
                }
                // The first access of these happens before the window closes.
                Op::Out { off }
                | Op::Loop { off }
                | Op::If { off }
                | Op::EndLoop { off }
                | Op::Scan { off, .. } => {
                    touched.push(off);
                    break;
                }
                Op::Move { delta } => {
                    if let Some(Op::EndLoop { off }) = code.get(i + 1).map(|n| n.op) {
                        touched.push(delta + off);
                    }
                    break;
                }
                Op::Check(_) | Op::In { .. } | Op::Print { .. } | Op::EndIf => break,
            }
            i += 1;
        }
        touched
    }

    /// Compares the address of cell `off` with the tape's start (`right == false`) or end,
    /// calling the failure path if it is off the tape. The call's return address identifies
    /// the unit.
    ///
    /// Careful: a loaded register or the flags could seem to make a later access of the
    /// window unnecessary, but that access is the bounds check only when it is near the
    /// tape; here nothing is skipped, and the compare itself loses the flags.
    fn explicit_check(&mut self, off: i32, right: bool) {
        let d = (i64::from(off) - i64::from(self.enc.bias)) * i64::from(self.enc.cell_bytes);
        let ok = self.ops.new_dynamic_label();
        self.emit(Inst::MovImm {
            reg: Reg::Rax,
            imm: d,
        });
        self.emit(Inst::AddP { reg: Reg::Rax });
        let (field, cond) = if right {
            (ctx!(tape_end), Cond::Below)
        } else {
            (ctx!(tape_start), Cond::AboveEqual)
        };
        self.emit(Inst::CmpCtx {
            reg: Reg::Rax,
            field,
        });
        self.emit(Inst::Jump { cond, target: ok });
        self.emit(Inst::Call {
            target: self.sub.oob,
        });
        self.join(ok);
    }
}
