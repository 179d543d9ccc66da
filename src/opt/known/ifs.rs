//! `if`s: what the pass does with them, and what is known after them.
//!
//! `if`s come from the multiply-loop pass (`[->++<]` is `if p[0] { p[1] += p[0]*2; p[0] = 0
//! }`) and from this pass, for loops that run at most once (see `loops.rs`).
//!
//! ```text
//! if p[0] { p[1] += p[0]*2; p[0] = 0 }      with p[1] known to be 0 becomes
//!           p[1] = p[0]*2;  p[0] = 0        (no test: with p[0] = 0 the body does nothing)
//! ```
//!
//! An `if` whose condition is known is its body or nothing. Otherwise its body is analysed
//! knowing the condition is nonzero, and afterwards the pass keeps what holds whether or not
//! it was taken: a cell keeps its value only if the body leaves it as it was before; the
//! condition cell is 0 if the body clears it. An `if` whose body came out empty, or does
//! nothing when the condition is 0, loses its test.

use super::state::State;
use super::{Known, MAX_DEPTH};
use crate::ir::{Op, Span};

impl Known<'_> {
    /// The `if` `start..=end` (condition `p[off]`).
    pub(super) fn iff(&mut self, start: usize, end: usize, off: i32, st: &mut State, depth: usize) {
        match st.get(off) {
            Some(0) => {}
            Some(_) => self.block(start + 1..end, st, depth + 1),
            None if depth >= MAX_DEPTH || !self.summary(start).balanced => {
                self.opaque(start, end, st);
                st.set(off, None);
            }
            None => self.if_body(start, end, off, st, depth),
        }
    }

    /// Emits `if p[off] { body }` for the loop or if `start..=end`, analysing the body from
    /// `st` with the condition nonzero; afterwards `st` holds what is true either way.
    pub(super) fn if_body(
        &mut self,
        start: usize,
        end: usize,
        off: i32,
        st: &mut State,
        depth: usize,
    ) {
        let mark = self.out.len();
        self.emit(Op::If { off }, self.code[start].span);
        let save = st.save();
        self.block(start + 1..end, st, depth + 1);
        // (The buffer is reused: nothing below analyses another body before it is read.)
        let mut taken = std::mem::take(&mut self.changes);
        let known_changes = st.changed_since(save, &mut taken);
        let cond = st.pos + i64::from(off);
        let taken_cond = st.at(cond);
        st.restore(save);
        self.close_if(mark, self.code[end].span);
        self.unconditional_if(mark, off, st);
        // Not taken: the condition was 0. Taken: the body's changes. Keep what agrees.
        st.set(off, Some(0));
        if known_changes {
            for &(c, v) in &taken {
                if st.at(c) != v {
                    st.set_at(c, None);
                }
            }
            if taken_cond != Some(0) {
                st.set(off, None);
            }
        } else {
            st.forget_cells();
        }
        self.changes = taken;
    }

    /// Drops the test of the `if` emitted at `mark` (condition `p[off]`, entered with state
    /// `st`) when its body does nothing if the condition is 0: it only multiplies the
    /// condition cell into cells (`+=`, or `=` into a cell that was 0) and clears it.
    pub(super) fn unconditional_if(&mut self, mark: usize, off: i32, st: &State) {
        if !self.emitting || !matches!(self.out.get(mark).map(|i| i.op), Some(Op::If { .. })) {
            return;
        }
        let body = &self.out[mark + 1..self.out.len() - 1];
        let harmless = body.iter().all(|i| match i.op {
            Op::MulAdd { src, .. } => src == off,
            Op::MulSet { src, dst, .. } => src == off && st.get(dst) == Some(0),
            Op::Set { off: o, val: 0 } => o == off,
            _ => false,
        });
        if harmless {
            self.out.pop();
            self.out.remove(mark);
        }
    }

    /// Emits `EndIf`, or removes the `If` at `mark` if its body came out empty.
    pub(super) fn close_if(&mut self, mark: usize, span: Span) {
        if self.emitting && self.out.len() == mark + 1 {
            self.out.pop();
        } else {
            self.emit(Op::EndIf, span);
        }
    }
}
