//! Code for control flow and the pointer: loops, ifs, pointer moves and bounds checks.
//!
//! ```text
//! while p[0] {        test cl, cl                ; p[0] in cl (or cmp byte [rbx], 0)
//!                     je end                     ; (nothing if the flags already tell)
//!                   body:                        ; 16-byte aligned
//!   ...
//! } while p[0]        test cl, cl
//!                     jne body                   ; two bytes when it reaches
//!                   end:
//! ```
//!
//! **Loops** come in two kinds. An innermost loop that does not move the pointer and uses
//! few enough cells keeps them all in registers from before its first test to after its
//! last ([`FrameKind::Carried`]): each iteration is pure register arithmetic. Any other loop
//! starts each iteration with every cell in memory: cells changed in registers are written
//! back before the loop and before the jump back.
//!
//! **Ifs** that leave the pointer where it was keep registers across: the body's end is made
//! to agree with the path that skipped it ([`Gen::conform`]). An `if` whose body moves the
//! pointer (a peeled first iteration) has every cell in memory on both paths. A multiply
//! `if` whose body does nothing when its condition cell is 0 may have no test and no jump
//! at all ([`super::flat`]).
//!
//! A loop that ends with a pointer move tests its condition cell *before* the move, at its
//! new offset, so the `lea` that moves `rbx` sits between the test and the jump (it leaves
//! the flags alone).
//!
//! **Bounds checks** cost nothing when the cells at the ends of a check's range are accessed
//! in memory anyway before anything observable happens: if the pointer left the tape, that
//! access lands in a guard page (see [`super::super::fault`]). The window of a check lasts
//! until the next output, input, control flow, check or move; ends not touched in memory by
//! then are loaded at that point (a *probe*), and ends already known to be on the tape need
//! nothing. Ends too far for the guard pages, and the right end of a tape that is not a whole
//! number of pages, are compared explicitly. Without the cache (so with `--debug`, which
//! shows the tape with an error) there is no window: the ends are loaded at the check, before
//! any store that follows it.

use super::effect::{Reg, Regs};
use super::inst::{Cond, Inst};
use super::plan::CARRIED_MAX;
use super::{Frame, FrameKind, Gen, Unit};
use crate::ir::{CheckId, Op};
use crate::jit::runtime::GUARD;

impl Gen<'_> {
    /// Sets ZF from `p[off]`: nothing if the flags already reflect it, a `test` of its
    /// register if one holds it (a new one if `worth`), else a compare in memory.
    pub(super) fn test_cell(&mut self, off: i32, worth: bool) {
        if self.flags_hold(off) {
            return;
        }
        if self.copy_of(off).is_none() && worth {
            self.acquire(off, true, Regs::NONE);
        }
        match self.copy_of(off) {
            Some(reg) => self.emit(Inst::TestReg { reg, off }),
            None => self.emit(Inst::CmpMem { off }),
        }
    }

    /// Aligns the body of the loop opened at instruction `i` if it is an innermost loop
    /// (the next loop bracket after it closes it: [`super::plan::Plan::innermost`]): those
    /// run hot. Aligning every loop costs up to 15 bytes of padding each for little.
    fn align_innermost(&mut self, i: usize) {
        if self.plan.innermost(i) {
            self.align_loop();
        }
    }

    /// Whether the loop or `if` opened at instruction `i` is surely short enough for a
    /// two-byte jump over it: a generous estimate of its code, with room for the write-backs
    /// and reloads at its end. (A wrong guess is caught when the code is assembled: see
    /// [`super::compile`].)
    fn short_body(&self, i: usize, extra: usize) -> bool {
        // Most bytes left for the instructions themselves.
        const ROOM: usize = 127 - 56;
        if !self.short_jumps {
            return false;
        }
        #[cfg(test)]
        if self.options.all_short {
            return true;
        }
        let mut bytes = extra;
        let mut depth = 0usize;
        for x in &self.ir.code[i + 1..] {
            bytes += match x.op {
                Op::Loop { .. } | Op::If { .. } => {
                    depth += 1;
                    16
                }
                Op::EndLoop { .. } | Op::EndIf if depth == 0 => return true,
                Op::EndLoop { .. } | Op::EndIf => {
                    depth -= 1;
                    16
                }
                Op::Check(_) => 12,
                Op::Print { .. } => 20,
                Op::Scan { .. } | Op::Debug { .. } => return false,
                _ => 12,
            };
            if bytes > ROOM {
                return false;
            }
        }
        false
    }

    /// `while p[off] {` (instruction `i`).
    pub(super) fn open_loop(&mut self, i: usize, off: i32) {
        let end = self.jumps.new_target();
        let balanced = self.plan.balanced(i);
        // (Each loop is opened once: its entry is taken, not copied.)
        let carried = self
            .plan
            .carried
            .remove(&(i as u32))
            .filter(|_| self.options.cache);
        if carried.is_none() {
            self.write_back_all();
        }
        self.test_cell(off, false);
        self.end_window();
        // (Besides the body: alignment, the back edge, and a carried loop's loads.)
        let profiling = self.constructs.is_some();
        let forward = (carried.is_none() && !balanced && !profiling)
            .then(|| self.carried_cell(i))
            .flatten();
        let extra =
            24 + if carried.is_some() { 54 } else { 0 } + 16 * usize::from(forward.is_some());
        let short = self.short_body(i, extra);
        self.emit(Inst::Jump {
            cond: Cond::Zero,
            target: end,
            short,
        });
        // In a loop that does not move the pointer, the check that opens the body is the
        // same on every iteration: done once, here, when the loop is entered. (Not with
        // `--profile`, which counts the first iteration as begun when that check fails.)
        if balanced
            && !profiling
            && let Some(Op::Check(id)) = self.ir.code.get(i + 1).map(|x| x.op)
        {
            self.check(id);
            self.hoisted = Some(i + 1);
        }
        let (body, kind) = match carried {
            Some((cells, writes)) => {
                // Every cell of the loop in a register for the whole loop, loaded now: those
                // of the open check's range first (loading them is the check's access), then
                // the others known to be on the tape. A cell not known to be on the tape
                // cannot be loaded before the body's own checks: it stays out.
                let mut pinned = Regs::NONE;
                for pass in 0..2 {
                    for &c in cells.as_slice() {
                        let ok = match pass {
                            0 => self.window.is_some_and(|(lo, hi)| lo <= c && c <= hi),
                            _ => self.state.proven(c),
                        };
                        if ok && self.home(c).is_none() {
                            let reg = self.acquire(c, true, pinned);
                            pinned = Regs(pinned.0 | Regs::of(&[reg]).0);
                        } else if let Some(reg) = self.home(c) {
                            pinned = Regs(pinned.0 | Regs::of(&[reg]).0);
                        }
                    }
                    if pass == 0 {
                        self.end_window();
                    }
                }
                // (The written cells that got a register: at most all the loop's cells, so
                // an array on the stack.)
                let mut held = [0i32; 2 * CARRIED_MAX];
                let mut n = 0;
                for &c in writes.as_slice() {
                    if self.home(c).is_some() {
                        held[n] = c;
                        n += 1;
                    }
                }
                self.align_innermost(i);
                let head = self.state.homes_only().with_stale(&held[..n]);
                (self.place_head(head), FrameKind::Carried(head))
            }
            None => {
                self.end_window();
                // (Loaded on the way in, after the test: see [`super::forward`].)
                let forward = forward
                    .filter(|&(c, _)| self.state.proven(c))
                    .map(|(c, t)| (self.acquire(c, true, Regs::NONE), c, t));
                self.align_innermost(i);
                // Every cell in memory (but a forwarded one); the flags tell about the
                // condition on both ways in.
                let mut head = self.state.in_memory(balanced);
                if let Some((reg, c, t)) = forward {
                    head = head.holding(reg, c);
                    self.forward = Some(t);
                }
                (
                    self.place_head(head),
                    FrameKind::InMemory { head, balanced },
                )
            }
        };
        self.loops.push(Frame { body, end, kind });
    }

    /// `} while p[off]`, after moving the pointer by `delta` cells (fused with a `Move`).
    pub(super) fn end_loop(&mut self, off: i32, delta: i32) {
        let Frame { body, end, kind } = self.loops.pop().expect("balanced");
        let (head, forget) = match &kind {
            FrameKind::Carried(head) => (head, false),
            FrameKind::InMemory { head, balanced } => (head, !balanced),
            FrameKind::If(_) | FrameKind::IfMoving | FrameKind::Flat => {
                unreachable!("an if ends with EndIf")
            }
        };
        // (A forwarded cell is where the head wants it once the pointer has moved.)
        self.conform(&head.shifted(-delta), true);
        self.forward = None;
        self.test_cell(delta + off, false);
        self.end_window();
        if delta != 0 {
            self.emit(Inst::MoveP { cells: delta });
        }
        self.emit(Inst::JumpBack {
            cond: Cond::NonZero,
            head: body,
        });
        // No jump reaches the head from anywhere else: its state is no longer needed.
        self.drop_head(body);
        if forget {
            // Leaving after any number of moves: the offsets known on the way out of the
            // body do not match the path that skipped the loop. (A forwarded cell goes
            // back to memory first.)
            self.write_back_all();
            self.forget();
        } else if let Some(skipped) = self.arrival(end).copied() {
            // A loop that kept its cells in registers leaves them out of date in memory;
            // the path that skipped the loop may not have them in registers at all.
            self.conform(&skipped, false);
        }
        self.join(end);
        self.count_close();
    }

    /// `if p[off] {` (instruction `i`).
    pub(super) fn open_if(&mut self, i: usize, off: i32) {
        let end = self.jumps.new_target();
        let flat = self
            .plan
            .balanced(i)
            .then(|| self.flat_if(i, off))
            .flatten();
        let kind = if let Some(flat) = flat {
            // No test, no jump: the body is a no-op when `p[off]` is 0 (see [`super::flat`]).
            self.end_window();
            self.flat_probes(off, flat);
            FrameKind::Flat
        } else if self.plan.balanced(i) {
            self.test_cell(off, self.worth(i, 0));
            self.end_window();
            let short = self.short_body(i, 0);
            self.emit(Inst::Jump {
                cond: Cond::Zero,
                target: end,
                short,
            });
            FrameKind::If(self.state)
        } else {
            self.write_back_all();
            self.test_cell(off, false);
            self.end_window();
            let short = self.short_body(i, 0);
            self.emit(Inst::Jump {
                cond: Cond::Zero,
                target: end,
                short,
            });
            FrameKind::IfMoving
        };
        self.loops.push(Frame { body: 0, end, kind });
    }

    /// The end of an `if`.
    pub(super) fn end_if(&mut self) {
        self.end_window();
        let Frame { end, kind, .. } = self.loops.pop().expect("balanced");
        match kind {
            FrameKind::If(skipped) => self.conform(&skipped, false),
            FrameKind::Flat => self.redirect = None,
            FrameKind::IfMoving => {
                // (Keeping what each path knows is only sound if the skipped path's state,
                // recorded by the jump at the top, is merged in by `join` below.)
                debug_assert!(self.arrival(end).is_some(), "a moving if's skipped path");
                self.write_back_all();
                // The pointer may have moved: what the body knows of registers is in other
                // offsets. What each path knows relative to its own pointer is still true
                // there, though: the cells known on the tape (and the flags) are merged.
                self.state = self.state.in_memory(true);
            }
            _ => unreachable!("a loop ends with EndLoop"),
        }
        self.join(end);
        self.count_close();
    }

    /// `p += delta` (instruction `i`); returns the next instruction index.
    pub(super) fn move_p(&mut self, i: usize, delta: i32) -> usize {
        if let Some(Op::EndLoop { off }) = self.ir.code.get(i + 1).map(|n| n.op) {
            self.end_loop(off, delta);
            return i + 2;
        }
        self.end_window();
        self.emit(Inst::MoveP { cells: delta });
        i + 1
    }

    /// Opens the window of check `id`: the ends of its range not known to be on the tape
    /// become pending (see the module docs), or are compared explicitly.
    pub(super) fn check(&mut self, id: CheckId) {
        self.end_window();
        self.open_unit(Unit::Check(id));
        let e = *self.ir.excursion(id);
        self.window = Some((e.lo, e.hi));
        // The origin is on the tape by construction.
        self.state.prove(e.origin, e.origin);
        // A fault only lands in a guard if the cell is within a guard's size of the tape.
        let cs = i64::from(self.enc.cell_bytes);
        let far = |cells: i32| i64::from(cells) * cs >= GUARD as i64 / 2;
        if e.lo < e.origin && !self.state.proven(e.lo) {
            if far(e.origin - e.lo) {
                self.explicit_check(e.lo, false);
                self.state.prove(e.lo, e.origin);
            } else {
                self.pending.push(e.lo);
            }
        }
        if e.hi > e.origin && !self.state.proven(e.hi) {
            if far(e.hi - e.origin) || self.exact_right {
                self.explicit_check(e.hi, true);
                self.state.prove(e.origin, e.hi);
            } else {
                self.pending.push(e.hi);
            }
        }
        // Without the cache (so with `--debug`), the tape shown with an error must be the
        // tape as the program left it at the failed check: a store in the window must not
        // land before a pending end faults. The ends are loaded at once.
        if !self.options.cache {
            self.end_window();
        }
    }

    /// Ends the open check window: pending ends are loaded (they fault here if the pointer
    /// left the tape), and code from here on cannot fault on the check's behalf.
    #[inline]
    pub(super) fn end_window(&mut self) {
        self.window = None;
        // (Most calls find nothing to do: no pending end and no open unit.)
        if self.pending.is_empty() && !self.unit_open {
            return;
        }
        self.end_window_slow();
    }

    /// [`Gen::end_window`] with pending ends or an open unit.
    fn end_window_slow(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        for &off in &pending {
            if !self.state.proven(off) {
                self.emit(Inst::Probe { off });
            }
        }
        // (The vector's memory is kept for the next window.)
        pending.clear();
        self.pending = pending;
        self.close_unit();
    }

    /// Compares the address of cell `off` with the tape's start (`right == false`) or end,
    /// calling the failure path if it is off the tape. The call's return address identifies
    /// the unit.
    fn explicit_check(&mut self, off: i32, right: bool) {
        let d = (i64::from(off) - i64::from(self.enc.bias)) * i64::from(self.enc.cell_bytes);
        let ok = self.jumps.new_target();
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
        self.emit(Inst::Jump {
            cond,
            target: ok,
            short: true,
        });
        self.emit(Inst::CallNoReturn {
            target: self.sub.oob,
        });
        self.join(ok);
    }
}
