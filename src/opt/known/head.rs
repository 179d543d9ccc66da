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
//!
//! Trial runs whose answer is known beforehand are not made at all: a first guess that the
//! instructions alone show to fail as a whole ([`all_change`]: every guessed cell is counted
//! up or down, or stored to another value, at the body's top level), and the last run when
//! nothing asks what it tells or the body cannot leave the condition known
//! ([`may_know_cond`]). The pass decides the same; only its analysis budget, a safety limit,
//! is charged less. On lostkng.b the two save about 6 M of the process's 139 M instructions.

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

/// Whether a trial run of `body` (a balanced loop's body), from a state that knows the cells
/// of `keep` to hold their values there, certainly ends with none of them holding that value:
/// then the first guess of [`Known::loop_head`] fails as a whole, and its trial run can be
/// skipped. Told from the instructions alone, for the common case: each of the cells is
/// written only at the body's top level, by additions, stores and input, so that its value
/// at the end is its value at the start plus the sum of the additions (nonzero), or the
/// last store plus the additions after it (not its value at the start), or unknown (after
/// input). Anything else that writes one of them (inside a loop or `if`, a multiply, a loop,
/// `if` or scan on it), or a pointer move anywhere, and the answer is no.
fn all_change(body: &[Instr], keep: &[(i32, u32)], mask: u32) -> bool {
    /// What the body leaves in a cell: its value plus this, this value, or unknown.
    #[derive(Clone, Copy)]
    enum Fate {
        Plus(u32),
        Is(u32),
        Lost,
    }
    if keep.is_empty() || keep.len() > 8 {
        return false;
    }
    let mut fates = [Fate::Plus(0); 8];
    let find = |o: i32| keep.iter().position(|&(c, _)| c == o);
    let mut depth = 0u32;
    for ins in body {
        // (The write, as a change to the fate: add `k`, store `x`, or input.)
        let (off, add, store) = match ins.op {
            Op::Add { off, val } => (off, Some(val), None),
            Op::Set { off, val } => (off, None, Some(val)),
            Op::In { off } => (off, None, None),
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } | Op::MulAddMin { dst, .. } => {
                if find(dst).is_some() {
                    return false;
                }
                continue;
            }
            Op::Loop { off } | Op::If { off } => {
                if find(off).is_some() {
                    return false;
                }
                depth += 1;
                continue;
            }
            Op::EndLoop { .. } | Op::EndIf => {
                depth -= 1;
                continue;
            }
            Op::Move { .. } | Op::Scan { .. } => return false,
            Op::Out { .. } | Op::Print { .. } | Op::Check(_) | Op::Debug { .. } => continue,
        };
        let Some(i) = find(off) else { continue };
        if depth > 0 {
            return false;
        }
        fates[i] = match (fates[i], add, store) {
            (Fate::Plus(k), Some(d), _) => Fate::Plus(k.wrapping_add(d)),
            (Fate::Is(x), Some(d), _) => Fate::Is(x.wrapping_add(d)),
            (Fate::Lost, Some(_), _) => Fate::Lost,
            (_, None, Some(x)) => Fate::Is(x),
            (_, None, None) => Fate::Lost,
        };
    }
    keep.iter().zip(fates).all(|(&(_, v), f)| match f {
        Fate::Plus(k) => k & mask != 0,
        Fate::Is(x) => x & mask != v & mask,
        Fate::Lost => true,
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
        // (Asked only of a body without loops: in a body with loops, a guessed cell is mostly
        // written inside one, where the answer is no, found at the cost of a look at the
        // whole nest, again at every level of it.)
        if ran.is_none()
            && !summary.inner_loop
            && all_change(&self.code[body.clone()], &keep, self.mask)
        {
            // The first trial run would drop every guess: no need to make it.
            keep.clear();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Ir;

    const DEC: u32 = u32::MAX;

    fn body(ops: &[Op]) -> Vec<Instr> {
        Ir::from_ops(ops).code
    }

    fn changes(ops: &[Op], keep: &[(i32, u32)], mask: u32) -> bool {
        all_change(&body(ops), keep, mask)
    }

    #[test]
    fn additions_and_stores_at_the_top_level_decide_whether_a_guess_fails() {
        let count = [Op::Add { off: 0, val: DEC }, Op::Add { off: 1, val: 1 }];
        assert!(changes(&count, &[(0, 5), (1, 3)], 0xff));
        assert!(!changes(&count, &[], 0xff), "nothing to drop");
        let back = [Op::Add { off: 1, val: 1 }, Op::Add { off: 1, val: DEC }];
        assert!(!changes(&back, &[(1, 3)], 0xff), "back where it was");
        let wrap = [Op::Add { off: 1, val: 256 }];
        assert!(!changes(&wrap, &[(1, 3)], 0xff), "a whole turn of a byte");
        assert!(changes(&wrap, &[(1, 3)], 0xffff));
        let store = [Op::Set { off: 1, val: 2 }, Op::Add { off: 1, val: 1 }];
        assert!(!changes(&store, &[(1, 3)], 0xff), "stored back");
        assert!(changes(&store, &[(1, 4)], 0xff));
        let input = [Op::In { off: 1 }, Op::Add { off: 1, val: 1 }];
        assert!(changes(&input, &[(1, 0)], 0xff), "unknown after input");
        let partly = [Op::Add { off: 0, val: DEC }];
        assert!(!changes(&partly, &[(0, 5), (1, 3)], 0xff), "cell 1 kept");
    }

    #[test]
    fn any_other_write_of_a_guessed_cell_leaves_the_question_to_a_trial_run() {
        let dec = Op::Add { off: 0, val: DEC };
        let keep = [(0, 5), (1, 3)];
        let others = [
            vec![Op::If { off: 2 }, Op::Add { off: 1, val: 1 }, Op::EndIf],
            vec![
                Op::Loop { off: 2 },
                Op::Add { off: 1, val: 1 },
                Op::EndLoop { off: 2 },
            ],
            vec![Op::MulAdd {
                src: 2,
                dst: 1,
                k: 1,
            }],
            vec![Op::MulSet {
                src: 2,
                dst: 1,
                k: 1,
            }],
            vec![Op::If { off: 1 }, Op::EndIf],
            vec![Op::Move { delta: 1 }, Op::Move { delta: -1 }],
        ];
        for other in others {
            let mut ops = vec![dec, Op::Add { off: 1, val: 1 }];
            ops.extend(other.iter().copied());
            assert!(!changes(&ops, &keep, 0xff), "{other:?}");
        }
        // Writes to other cells, inside or out, change nothing.
        let ops = [
            dec,
            Op::Add { off: 1, val: 1 },
            Op::If { off: 2 },
            Op::MulAdd {
                src: 2,
                dst: 3,
                k: 1,
            },
            Op::Set { off: 2, val: 0 },
            Op::EndIf,
        ];
        assert!(changes(&ops, &keep, 0xff));
    }

    #[test]
    fn only_a_store_a_clear_or_a_move_can_leave_an_unknown_condition_known() {
        let know = |ops: &[Op]| may_know_cond(&body(ops), 0);
        assert!(!know(&[
            Op::Add { off: 0, val: DEC },
            Op::Add { off: 1, val: 1 }
        ]));
        assert!(!know(&[
            Op::MulAdd {
                src: 1,
                dst: 0,
                k: 2
            },
            Op::In { off: 0 }
        ]));
        assert!(know(&[Op::Set { off: 0, val: 0 }]));
        assert!(know(&[Op::MulSet {
            src: 1,
            dst: 0,
            k: 1
        }]));
        assert!(know(&[Op::If { off: 0 }, Op::EndIf]));
        assert!(know(&[
            Op::Loop { off: 1 },
            Op::Set { off: 0, val: 1 },
            Op::EndLoop { off: 1 }
        ]));
        assert!(know(&[Op::Move { delta: 1 }, Op::Move { delta: -1 }]));
    }
}
