//! Stores that put a cell back: a store the pass writes, followed (before anything reads the
//! cell) by another that gives the cell back the value it had before the first, is two
//! stores too many.
//!
//! ```text
//! p[40] = 0 known at a loop's head, and the body is
//!     p[40] += 3; if p[40] { p[41] += p[40]*5; p[40] = 0 }; p[41] = 0
//! the pass works out            p[40] = 3; p[41] = 15; p[40] = 0; p[41] = 0
//! and writes                    (nothing)
//! ```
//!
//! The first store of each pair is dead anyway (the dead-store pass would delete it), but
//! the second is not: only here is it known that the cell held that value before. So the
//! pass remembers, for each cell it stored to since the last instruction that could read it
//! or move the pointer, where in its output that store is and what the cell held before
//! ([`Recent`]); a store that brings the value back is not written, and the first becomes a
//! no-op (`p[x] += 0`, which later passes drop; taking it out would move all the output
//! after it). A later store to the cell also makes the earlier one a no-op, and takes its
//! place in the list, with the value from before the earlier one.
//! Between the two stores nothing reads the cell, so no one sees the difference (a failing
//! bounds check does not read cells: the program stops there, see the `dse` pass).

use super::Known;
use super::state::State;
use crate::ir::{Op, Span};

/// A store the pass wrote that nothing has read since: its position in the output, its
/// cell's offset (from the pointer of the current stretch), and the cell's value before it.
pub(super) type Recent = (usize, i32, Option<u32>);

/// Most stores remembered at once.
pub(super) const RECENT_MAX: usize = 8;

impl Known<'_> {
    /// Sets `p[off] = val`: nothing if the cell is known to hold `val` already (a known value
    /// is always the one in memory: every store the pass works out is written as it goes),
    /// and nothing either (the earlier store becoming a no-op) if it only undoes a store
    /// written since the cell was last read.
    #[inline(always)]
    pub(super) fn store(&mut self, st: &mut State, off: i32, val: u32, span: Span) {
        let val = val & self.mask;
        let Some(before) = st.store(off, val) else {
            return;
        };
        if !self.emitting {
            return;
        }
        if !self.recent.is_empty() && self.undoes(off, val, span) {
            return;
        }
        // (A full list is started again: long straight stretches of stores would make every
        // lookup slow, and the stores that put a cell back are usually close together.)
        if self.recent.len() == RECENT_MAX {
            self.recent.clear();
        }
        self.recent.push((self.out.len(), off, before));
        self.out.push(crate::ir::Instr {
            op: Op::Set { off, val },
            span,
        });
    }

    /// The part of [`Known::store`] for a cell stored to since it was last read (true if
    /// it wrote the store or found it not needed).
    #[inline(never)]
    fn undoes(&mut self, off: i32, val: u32, span: Span) -> bool {
        let Some(k) = self.recent.iter().rposition(|&(_, o, _)| o == off) else {
            return false;
        };
        // The earlier store is dead: this one overwrites it and nothing read it between.
        // (It becomes a no-op, which later passes drop, rather than being taken out: taking
        // it out would move everything written after it.)
        // (The list holds each cell once, and nothing depends on its order: the last
        // entry takes the place of this one, which moves nothing else.)
        let (at, _, first_before) = self.recent.swap_remove(k);
        // Positions stay right only because whatever deletes or moves written instructions
        // forgets the remembered stores first.
        debug_assert!(
            matches!(self.out[at].op, Op::Set { off: o, .. } if o == off),
            "remembered store {at} is not a store to p[{off}]"
        );
        self.out[at].op = Op::Add { off, val: 0 };
        if first_before != Some(val) {
            self.recent.push((self.out.len(), off, first_before));
            self.out.push(crate::ir::Instr {
                op: Op::Set { off, val },
                span,
            });
        }
        // Else back to the value before the first store: neither is needed.
        true
    }

    /// Updates [`Recent`] for an instruction about to be written that is not a store of
    /// [`Known::store`]: forgets the stores to the cells it reads or writes, or all of them
    /// at anything that may read any cell, move the pointer or branch.
    pub(super) fn note(&mut self, op: &Op) {
        if self.recent.is_empty() {
            return;
        }
        let (a, b) = match *op {
            Op::Add { off, .. } | Op::Set { off, .. } | Op::In { off } | Op::Out { off } => {
                (off, off)
            }
            Op::MulAdd { src, dst, .. }
            | Op::MulSet { src, dst, .. }
            | Op::MulAddMin { src, dst, .. } => (src, dst),
            Op::Check(_) | Op::Print { .. } => return,
            Op::Move { .. }
            | Op::Loop { .. }
            | Op::EndLoop { .. }
            | Op::If { .. }
            | Op::EndIf
            | Op::Scan { .. }
            | Op::Debug { .. } => {
                self.recent.clear();
                return;
            }
        };
        self.recent.retain(|&(_, o, _)| o != a && o != b);
    }
}
