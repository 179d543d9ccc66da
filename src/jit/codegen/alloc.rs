//! Register allocation for cells: which cells live in registers, and making paths agree.
//!
//! A cell gets a *home* register (one of [`Reg::HOMES`]) when it is used again later in its
//! region ([`super::plan`]); it is loaded once, updated there, and written back only when
//! memory must be right: before a scan reads memory, at the boundaries of loops that do not
//! keep their cells, or when its register is needed for another cell (the one needed furthest
//! ahead gives way, preferring cells whose memory is current). Cells used once stay in memory
//! (`add byte [rbx+3], 1` is one instruction; load, add and store would be three).
//!
//! Where paths join, each path must leave every cell whose memory is out of date in the same
//! register. [`Gen::conform`] makes the path being emitted agree with another state (the path
//! that skipped an `if`, or a loop head): it writes back what the other state does not keep
//! in that register, and reloads what the other state keeps but this path gave up.

use super::Gen;
use super::effect::{Reg, Regs};
use super::inst::Inst;
use super::plan::NEVER;
use super::state::State;

impl Gen<'_> {
    /// The home register holding cell `off`, if any.
    pub(super) fn home(&self, off: i32) -> Option<Reg> {
        self.state.reg_of(off, &Reg::HOMES)
    }

    /// Any register holding the current value of `off` (a home, or `rax`/`rdx` with a
    /// copy), when the generator may use registers at all.
    pub(super) fn copy_of(&self, off: i32) -> Option<Reg> {
        if !self.options.cache {
            return None;
        }
        self.state.reg_of(off, &Reg::ALL)
    }

    /// True if operand `slot` of instruction `i` is used again in its region, so that a
    /// register for it pays.
    pub(super) fn worth(&self, i: usize, slot: usize) -> bool {
        self.options.cache && self.plan.next_use(i, slot) != NEVER
    }

    /// Notes that instruction `i` used its operand `slot` in `reg` (for choosing which
    /// register to give up later).
    pub(super) fn used(&mut self, reg: Reg, i: usize, slot: usize) {
        self.next_use[reg.num() as usize] = self.plan.next_use(i, slot);
    }

    /// A home register for cell `off`: the one holding it, or a free one (giving up another
    /// cell if none is free, never one in `pinned`), loaded with the cell if `load`.
    pub(super) fn acquire(&mut self, off: i32, load: bool, pinned: Regs) -> Reg {
        if let Some(r) = self.home(off) {
            return r;
        }
        // Cost of taking each register: free ones first, then cells whose memory is current,
        // then cells needed furthest ahead.
        // (A free register costs nothing: the first one is taken without weighing the others.)
        let free = Reg::HOMES
            .into_iter()
            .find(|&r| !pinned.contains(r) && self.state.is_free(r));
        let victim = free.unwrap_or_else(|| {
            Reg::HOMES
                .into_iter()
                .filter(|r| !pinned.contains(*r))
                .min_by_key(|&r| match self.state.holds(r) {
                    None => (0, 0),
                    Some(c) => {
                        let next = self.next_use[r.num() as usize];
                        (1 + u8::from(self.state.is_stale(c)), NEVER - next)
                    }
                })
                .expect("more homes than pinned registers")
        });
        if let Some(c) = self.state.holds(victim)
            && self.state.is_stale(c)
        {
            self.emit(Inst::WriteBack {
                off: c,
                reg: victim,
            });
        }
        if load {
            self.emit(Inst::Load { reg: victim, off });
        }
        self.next_use[victim.num() as usize] = NEVER;
        victim
    }

    /// Writes back every cell whose memory is out of date.
    pub(super) fn write_back_all(&mut self) {
        for &off in self.state.stale_set().as_slice() {
            let reg = self.home(off).expect("a stale cell has a home");
            self.emit(Inst::WriteBack { off, reg });
        }
    }

    /// Makes the current path agree with `target` where they will meet: cells out of date in
    /// memory here are written back unless `target` keeps them in the same register; cells
    /// `target` keeps in a register are loaded there if this path does not have them (all of
    /// them for a loop head, `head`; otherwise only those whose memory is out of date on the
    /// other path, since a merge simply forgets the rest).
    pub(super) fn conform(&mut self, target: &State, head: bool) {
        for &off in self.state.stale_set().as_slice() {
            let reg = self.home(off).expect("a stale cell has a home");
            if !target.has(reg, off) {
                self.emit(Inst::WriteBack { off, reg });
            }
        }
        for (reg, off) in target.held() {
            if !self.state.has(reg, off) && (head || target.is_stale(off)) {
                // (A copy in another register is quicker than memory, which was maybe
                // just stored: see [`super::forward`].)
                match self.copy_of(off).filter(|_| self.forward.is_some()) {
                    Some(src) => self.emit(Inst::CopyCell { dst: reg, src, off }),
                    None => self.emit(Inst::Load { reg, off }),
                }
            }
        }
    }
}
