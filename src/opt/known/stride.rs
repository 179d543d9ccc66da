//! Loops that move the pointer by the same amount every iteration ([`Known::stride_loop`]).
//!
//! ```text
//! while p[0] { p[1] = 0; p[2] += 1; p += 3 }
//! ```
//!
//! The pass cannot give such a loop a head state (each iteration works on different cells),
//! but every iteration after the first starts just past what the one before it left: here,
//! with `p[-2]` known to be 0, and the cells the checks of the last iteration covered known to
//! be on the tape. So the first iteration is peeled off as an `if`, and the loop after it is
//! analysed knowing what one iteration always leaves behind, one stride back.

use super::state::State;
use super::{Known, PEEL_MAX};
use crate::ir::Op;

impl Known<'_> {
    /// The pointer movement of one iteration of the loop `start..=end`, if it is a small
    /// loop whose body moves the pointer by a fixed amount (no inner loops or scans).
    pub(super) fn stride(&self, start: usize, end: usize) -> Option<i64> {
        if end - start > PEEL_MAX {
            return None;
        }
        let mut moved = 0i64;
        let mut depth = 0usize;
        for ins in &self.code[start + 1..end] {
            match ins.op {
                Op::Move { delta } if depth == 0 => moved += i64::from(delta),
                Op::Loop { .. } | Op::Scan { .. } | Op::Move { .. } => return None,
                Op::If { .. } => depth += 1,
                Op::EndIf => depth -= 1,
                _ => {}
            }
        }
        (moved != 0).then_some(moved)
    }

    /// A loop whose body moves the pointer by `stride` cells. From the second iteration on,
    /// the head of the loop knows what the body always leaves behind, one stride back: the
    /// cells it sets to constants, and the cells its checks proved to be on the tape. So the
    /// first iteration is peeled off (`if p[off] { body }`) and the loop runs with that.
    pub(super) fn stride_loop(
        &mut self,
        start: usize,
        end: usize,
        off: i32,
        stride: i64,
        st: &mut State,
        depth: usize,
    ) {
        let body = start + 1..end;
        // (The `]`'s span is read only when it is emitted, after the body: reading it now
        // would be a cache miss per loop on a large program.)
        let lo_span = self.code[start].span;
        // What one iteration leaves known, whatever it starts from (relative to the pointer
        // after the iteration).
        let outer = st.save();
        st.forget();
        let base = st.pos;
        let trial = st.save();
        self.trial(body.clone(), st, depth);
        let after = st.pos;
        debug_assert_eq!(after - base, stride);
        let known: Vec<(i64, u32)> = st.known().map(|(c, v)| (c - after, v)).collect();
        let safe = st.safe.map(|(a, b)| (a - after, b - after));
        st.restore(trial);
        st.restore(outer);
        let head_knows = !known.is_empty() || safe.is_some();
        if head_knows {
            // The first iteration, from the state on entry (no test if it surely runs, unless
            // iterations are counted: the `if` counts the first one).
            if st.get(off).is_some() && !self.profile {
                self.block(body.clone(), st, depth + 1);
            } else {
                let mark = self.out.len();
                self.emit(Op::If { off }, lo_span);
                self.block(body.clone(), st, depth + 1);
                self.close_if(mark, self.code[end].span);
            }
        }
        self.emit(Op::Loop { off }, lo_span);
        st.forget();
        if head_knows {
            for &(rel, v) in &known {
                st.set_at(st.pos + rel, Some(v));
            }
            st.safe = safe.map(|(a, b)| (st.pos + a, st.pos + b));
        }
        self.block(body, st, depth + 1);
        self.emit(Op::EndLoop { off }, self.code[end].span);
        st.forget();
        st.set(off, Some(0));
    }
}
