//! Loops ([`Known::lp`]): what becomes of each loop the walk reaches.
//!
//! In the order [`Known::lp`] tries them:
//!
//! * a loop whose condition cell is known to be 0 is deleted;
//! * past the nesting limit or the analysis budget, a loop is copied as it is, and the cells
//!   it may write are forgotten;
//! * a loop whose cells are all known is run at compile time (`sim.rs`) and replaced by its
//!   effect;
//! * a loop entered with its condition known nonzero, whose body clears it on the first pass,
//!   runs exactly once: its body is written without the test;
//! * a loop whose body moves the pointer is a *stride loop* (`stride.rs`) or, failing that,
//!   is written as it is, knowing nothing inside;
//! * a loop whose body leaves the pointer where it found it (a *balanced* loop) gets a *head
//!   state*: what is true at the top of every iteration (`head.rs`). If the body always ends
//!   with the condition at 0 the loop is an `if` (`ifs.rs`); if one iteration leaves cells
//!   known that are unknown at the head, its first iteration is peeled off (`peel.rs`);
//!   otherwise the loop is written from the head state.
//!
//! After any loop, its condition cell is known to be 0.

use super::head::{AfterOne, Speculation, gains};
use super::state::State;
use super::summary::Summary;
use super::{Known, MAX_DEPTH, PEEL_MAX};
use crate::ir::Op;

impl Known<'_> {
    /// The loop `start..=end` (condition `p[off]`).
    pub(super) fn lp(&mut self, start: usize, end: usize, off: i32, st: &mut State, depth: usize) {
        let c = st.get(off);
        if c == Some(0) {
            return;
        }
        if depth >= MAX_DEPTH || self.analysis_budget == 0 {
            self.opaque(start, end, st);
            st.set(off, Some(0));
            return;
        }
        if let Some(sim) = self.simulate(start, end, st) {
            self.apply(sim, st, self.code[start].span.to(self.code[end].span));
            return;
        }
        let summary = self.summary(start);
        if !self.emitting {
            // A trial run only needs the state after the loop: take it from the summary
            // instead of analysing the body again (which keeps the pass linear).
            self.opaque(start, end, st);
            st.set(off, Some(0));
            return;
        }
        let body = start + 1..end;
        // (The `]`'s span is read only when it is emitted, after the body: reading it now
        // would be a cache miss per loop on a large program.)
        let lo_span = self.code[start].span;
        let writes_cond = self.writes(summary).is_none_or(|w| w.contains(&off));
        // A pass through the body from the state on entry, if one was made: it is the first
        // trial run that `one_iteration` and `loop_head` would make too, from the same state.
        let mut first = None;
        if c.is_some() && writes_cond {
            // Known nonzero: if one pass through the body clears it, the loop runs once.
            let one = self.iteration(start, end, off, summary, st, depth);
            if one.cond == Some(0) {
                self.block(body, st, depth + 1);
                return;
            }
            first = Some(one);
        }
        if !summary.balanced {
            if let Some(stride) = self.stride(start, end) {
                self.stride_loop(start, end, off, stride, st, depth);
                return;
            }
            self.emit(Op::Loop { off }, lo_span);
            st.forget();
            self.block(body, st, depth + 1);
            self.emit(Op::EndLoop { off }, self.code[end].span);
            st.forget();
            st.set(off, Some(0));
            return;
        }
        let entry = st.save();
        let after_one = self.one_iteration(start, end, off, summary, st, depth, &mut first);
        // (A loop without loops inside is analysed the same way in a trial run as when its
        // code is written: `loop_head` may write the loop while it runs the body from its
        // head state.)
        let first = after_one.as_ref().or(first.as_ref());
        let speculation = (!summary.inner_loop).then_some(Speculation {
            after_one: after_one.as_ref(),
            span: lo_span,
        });
        let (at_most_once, written) = self.loop_head(
            st,
            summary,
            off,
            body.clone(),
            depth,
            speculation,
            true,
            first,
        );
        if at_most_once {
            // A body that always ends with the condition at 0 runs at most once: an `if`,
            // analysed from the (more precise) entry state.
            st.restore(entry);
            self.if_body(start, end, off, st, depth);
            return;
        }
        if let Some(w) = written {
            // The loop's head and body are written already, from the state at its head.
            self.analysis_budget = self.analysis_budget.saturating_sub(w.charge);
            st.close(entry);
            self.emit(Op::EndLoop { off }, self.code[end].span);
            st.set(off, Some(0));
            return;
        }
        // Cells one iteration leaves known that are unknown at the head.
        let gain = gains(after_one.as_ref(), st, off);
        if gain {
            // The body leaves cells known that are unknown on entry: run the first iteration
            // on its own, then loop with what it leaves known (see `peel.rs`).
            st.restore(entry);
            self.peeled_loop(start, end, off, st, depth);
            return;
        }
        st.close(entry);
        // `st` is now the state at the loop head.
        self.emit(Op::Loop { off }, lo_span);
        let head = st.save();
        self.block(body, st, depth + 1);
        st.restore(head);
        self.emit(Op::EndLoop { off }, self.code[end].span);
        st.set(off, Some(0));
    }

    /// For a small loop without inner loops (condition `p[off]`): what one iteration from
    /// the state `st` (which is left as it was) leaves in the cells its body writes and in
    /// the condition. `ran`, if some, is that iteration run already: it is taken instead of
    /// running it again (and charged to the analysis budget as the run would be).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn one_iteration(
        &mut self,
        start: usize,
        end: usize,
        off: i32,
        summary: Summary,
        st: &mut State,
        depth: usize,
        ran: &mut Option<AfterOne>,
    ) -> Option<AfterOne> {
        let small = end - start <= PEEL_MAX
            && !self.code[start + 1..end]
                .iter()
                .any(|i| matches!(i.op, Op::Loop { .. } | Op::Scan { .. }));
        if !small || self.analysis_budget == 0 {
            return None;
        }
        self.writes(summary)?;
        if let Some(one) = ran.take() {
            self.charge(one.visits);
            return Some(one);
        }
        Some(self.iteration(start, end, off, summary, st, depth))
    }

    /// A trial run of the body of the loop `start..=end` (condition `p[off]`) from `st`
    /// (which is left as it was): what it leaves in the cells the body writes (none, if
    /// there are too many to list) and in the condition.
    fn iteration(
        &mut self,
        start: usize,
        end: usize,
        off: i32,
        summary: Summary,
        st: &mut State,
        depth: usize,
    ) -> AfterOne {
        let trial = st.save();
        let budget = self.analysis_budget;
        self.trial(start + 1..end, st, depth);
        let cells = match self.writes(summary) {
            Some(w) => w.iter().map(|&o| (o, st.get(o))).collect(),
            None => Vec::new(),
        };
        let after = AfterOne {
            cells,
            cond: st.get(off),
            visits: budget - self.analysis_budget,
        };
        st.restore(trial);
        after
    }
}
