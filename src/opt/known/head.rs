//! The state at the head of a balanced loop ([`Known::loop_head`]), and writing the loop's
//! code during the run of its body that finds it.
//!
//! Finding the head state takes trial runs of the body, and the last of them starts from
//! the head state itself. Writing the loop's code then runs the body once more from that
//! same state. For a body without loops inside, the two runs are the same analysis (the pass
//! treats only loops differently in a trial run), so the last trial run may write the code
//! as it goes ([`Known::head_trial`]): if the loop stays a loop (and is not peeled), the
//! code is kept and the body is not analysed again; otherwise the code is dropped, as if it
//! had been a trial run. Either way the pass decides exactly what it would have decided,
//! and charges its analysis budget as much. On lostkng.b this skips a sixth of all the
//! instructions the pass visits.

use super::Known;
use super::state::State;
use super::summary::Summary;
use crate::ir::{Instr, Op, Span};

/// One iteration of a loop, run (as a trial) from the state on entry (see
/// `Known::one_iteration`).
pub(super) struct AfterOne {
    /// The values the cells the body may write have after it, in the summary's order.
    pub(super) cells: Vec<(i32, Option<u32>)>,
    /// The condition's value after it.
    pub(super) cond: Option<u32>,
    /// Instructions the run visited (which it charged to the analysis budget).
    pub(super) visits: u64,
}

/// What [`Known::loop_head`] needs to write a loop while it finds its head state.
pub(super) struct Speculation<'s> {
    /// The state one iteration leaves, from the state on entry.
    pub(super) after_one: Option<&'s AfterOne>,
    /// The span of the loop's `Loop`.
    pub(super) span: Span,
}

/// A loop's `Loop` and body written by [`Known::head_trial`]: where they start in the
/// output, and what to undo or charge.
pub(super) struct Written {
    /// Length of the output before.
    mark: usize,
    /// Length of the print bytes before.
    bytes: usize,
    /// Analysis budget the run used, which the run that was skipped would have used again.
    pub(super) charge: u64,
}

/// Whether running `body` (a balanced loop's body) from its head state could leave its
/// condition `p[off]` known, when the head state knows nothing of it or knows it nonzero
/// and the body never writes it. Only an instruction that may set the cell can: a store, a
/// multiply-store, a loop, `if` or scan on it (which leave it 0), or anything that moves the
/// pointer (offsets then name other cells). Additions keep an unknown cell unknown, and a
/// compile-time run of an inner loop reads the cell before it could add to it, so it stops
/// there; a store inside an inner loop is found as well, since every depth is looked at.
fn may_know_cond(body: &[Instr], off: i32) -> bool {
    body.iter().any(|i| match i.op {
        Op::Set { off: o, .. } | Op::Loop { off: o } | Op::If { off: o } => o == off,
        Op::MulSet { dst, .. } => dst == off,
        Op::Move { .. } | Op::Scan { .. } => true,
        Op::Add { .. }
        | Op::MulAdd { .. }
        | Op::MulAddMin { .. }
        | Op::In { .. }
        | Op::Out { .. }
        | Op::Print { .. }
        | Op::Check(_)
        | Op::Debug { .. }
        | Op::EndLoop { .. }
        | Op::EndIf => false,
    })
}

/// True if one iteration of the loop (`after_one`) leaves some cell other than the
/// condition known that `st` (the loop's head state) does not know: then the first
/// iteration is peeled off (see `Known::lp`).
pub(super) fn gains(after_one: Option<&AfterOne>, st: &State, off: i32) -> bool {
    after_one.is_some_and(|after| {
        after
            .cells
            .iter()
            .any(|&(o, v)| o != off && v.is_some() && st.get(o).is_none())
    })
}

impl Known<'_> {
    /// Turns `st` into the state at the head of a balanced loop: cells the body writes are
    /// unknown, except those that a trial run shows the body returns to their entry value.
    /// Returns whether the body always ends with the condition `p[off]` at 0 (if `ask`;
    /// without it, and without a `speculation`, the answer may be a plain `false`) and, with
    /// a `speculation`, the loop's code if it was written on the way (only when it stays a
    /// loop that is not peeled). `first`, if some, is a trial run of the body from `st`
    /// made already.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn loop_head(
        &mut self,
        st: &mut State,
        summary: Summary,
        off: i32,
        body: std::ops::Range<usize>,
        depth: usize,
        speculation: Option<Speculation>,
        ask: bool,
        first: Option<&AfterOne>,
    ) -> (bool, Option<Written>) {
        // Optimistically assume every written cell that is known on entry keeps its value;
        // drop the ones a trial run disproves, until the assumption holds.
        let writes = self.writes(summary).map(<[i32]>::to_vec);
        let mut keep: Vec<(i32, u32)> = writes
            .iter()
            .flatten()
            .filter_map(|&o| st.get(o).map(|v| (o, v)))
            .collect();
        match &writes {
            Some(writes) => {
                for &o in writes {
                    st.set(o, None);
                }
            }
            None => st.forget_cells(),
        }
        // The first guess is the state on entry: every cell the body writes as it was. A run
        // of the body from there made already (`first`: by `one_iteration` for a small loop,
        // or to see whether a loop entered with its condition known runs once) stands for
        // this one (which would visit the same instructions and end in the same state).
        let mut ran = first;
        for _ in 0..3 {
            if keep.is_empty() || self.analysis_budget == 0 {
                break;
            }
            let guess = st.save();
            for &(o, v) in &keep {
                st.set(o, Some(v));
            }
            let before = keep.len();
            let cleared = if let Some(one) = ran.take() {
                self.charge(one.visits);
                keep.retain(|&(o, v)| {
                    one.cells
                        .iter()
                        .any(|&(c, after)| c == o && after == Some(v))
                });
                one.cond == Some(0)
            } else {
                let trial = st.save();
                self.trial(body.clone(), st, depth);
                let cleared = st.get(off) == Some(0);
                keep.retain(|&(o, v)| st.get(o) == Some(v));
                st.restore(trial);
                cleared
            };
            if keep.len() == before {
                st.close(guess);
                return (cleared, None);
            }
            st.restore(guess);
        }
        // The last trial run starts from the head state. (Earlier ones may too, when the
        // guess holds, but mostly it does not, and writing code that is dropped costs more
        // than a trial run.) It is only needed for what it tells: whether the body clears the
        // condition, and the loop's code if it writes it. When nobody asks, or the body cannot
        // leave the condition known (it is unknown here, or known and never written), the
        // answer is known without it.
        if speculation.is_none() && (!ask || !may_know_cond(&self.code[body.clone()], off)) {
            return (false, None);
        }
        let trial = st.save();
        let written = self.head_trial(body, st, depth, off, speculation);
        let cleared = st.get(off) == Some(0);
        st.restore(trial);
        (cleared, self.keep_if(written, !cleared))
    }

    /// A trial run of the loop body `body` (condition `p[off]`) from `st`, which may be the
    /// loop's head state. With a `speculation`, unless the loop would be peeled from this
    /// state, the run writes the loop's `Loop` and body instead of only analysing them.
    fn head_trial(
        &mut self,
        body: std::ops::Range<usize>,
        st: &mut State,
        depth: usize,
        off: i32,
        speculation: Option<Speculation>,
    ) -> Option<Written> {
        let Some(s) = speculation.filter(|s| !gains(s.after_one, st, off)) else {
            self.trial(body, st, depth);
            return None;
        };
        let (mark, bytes, budget) = (self.out.len(), self.ir.bytes.len(), self.analysis_budget);
        self.emit(Op::Loop { off }, s.span);
        self.block(body, st, depth + 1);
        Some(Written {
            mark,
            bytes,
            charge: budget - self.analysis_budget,
        })
    }

    /// `written` if `keep`; otherwise its code is dropped (the run counts as a trial run).
    fn keep_if(&mut self, written: Option<Written>, keep: bool) -> Option<Written> {
        let w = written?;
        if keep {
            return Some(w);
        }
        self.out.truncate(w.mark);
        self.recent.clear();
        self.ir.bytes.truncate(w.bytes);
        None
    }
}
