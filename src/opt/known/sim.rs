//! Running a loop at compile time: [`Known::simulate`] runs the IR of a loop whose cells
//! are known on a scratch tape ([`super::tape`]), within a step budget, skipping to the end of
//! counted loops that settle ([`super::fixpoint`]); [`Known::apply`] writes the effect out as
//! stores, a pointer move and constant output.

use super::fixpoint::{self, Fixpoints};
use super::state::State;
use super::tape::Tape;
use super::{Known, SIM_STEPS, SIM_STEPS_INNER_MIN, SIM_STEPS_MIN, SIM_STEPS_PER_OP};
use crate::ir::{CheckId, Op, Span};

/// What compile-time runs reuse from one to the next: the tape, and which loops can stop
/// early ([`fixpoint`]).
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) tape: Tape,
    pub(super) fixpoints: Fixpoints,
}

/// The effect of running a loop at compile time.
pub(super) struct Sim {
    /// Final values of the cells written, sorted by coordinate.
    pub(super) writes: Vec<(i64, u32)>,
    /// Output, in order.
    pub(super) output: Vec<u8>,
    /// Pointer movement.
    pub(super) moved: i64,
    /// The run stopped because it would not finish within its steps (it ran out of them,
    /// or the iterations left of a counted loop could not fit).
    pub(super) too_long: bool,
    /// Loops inside the one run that, entered once, took more steps than a run of their own
    /// may take inside a loop that ran out of them (see [`inner_limit`]).
    pub(super) long_inner: Vec<usize>,
}

/// The steps a run of a loop inside a loop that ran out of steps may take (at most `limit`):
/// an eighth of them, but at least [`SIM_STEPS_INNER_MIN`].
fn inner_limit(limit: u64) -> u64 {
    (limit >> 3).max(SIM_STEPS_INNER_MIN.min(limit))
}

impl Known<'_> {
    /// Emits the effect of a loop run at compile time.
    pub(super) fn apply(&mut self, sim: Sim, st: &mut State, span: Span) {
        self.print(&sim.output, span);
        for (coord, v) in sim.writes {
            if st.at(coord) != Some(v) {
                let off = (coord - st.pos) as i32;
                self.emit(Op::Set { off, val: v }, span);
                st.set_at(coord, Some(v));
            }
        }
        if sim.moved != 0 {
            self.emit(
                Op::Move {
                    delta: sim.moved as i32,
                },
                span,
            );
            st.pos += sim.moved;
        }
    }

    /// Runs `start..=end` at compile time if every cell it reads is known, it reads no
    /// input, every bounds check can be decided and passes, and it finishes within budget.
    pub(super) fn simulate(&mut self, start: usize, end: usize, st: &State) -> Option<Sim> {
        let worth = SIM_STEPS_PER_OP
            .saturating_mul((end - start + 1) as u64)
            .max(SIM_STEPS_MIN);
        let mut limit = SIM_STEPS.min(worth).min(self.sim_budget);
        for &(s, e) in &self.too_long {
            if s == start {
                return None;
            }
            if s < start && start < e {
                limit = inner_limit(limit);
            }
        }
        if limit == 0 {
            return None;
        }
        if let Op::Loop { off } = self.code[start].op
            && st.get(off).is_none()
        {
            // The run would stop at its first step, on the unknown condition: the same
            // answer, and the same step charged, without setting up the scratch tape.
            self.sim_budget -= 1;
            return None;
        }
        let mut steps = 0u64;
        let mut sim = Sim {
            writes: Vec::new(),
            output: Vec::new(),
            moved: 0,
            too_long: false,
            long_inner: Vec::new(),
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.tape.reset(st.pos);
        scratch.fixpoints.reset(self.code);
        let finished =
            self.run_at_compile_time(start, end, st, &mut scratch, &mut sim, &mut steps, limit);
        if finished.is_some() {
            sim.writes = scratch.tape.writes();
        }
        self.scratch = scratch;
        self.sim_budget = self.sim_budget.saturating_sub(steps);
        if finished.is_none() && sim.too_long {
            self.too_long.push((start, end));
            // A loop inside that took longer on one entry than it may on its own would most
            // likely run out of steps again when it is reached (from much the same cells)
            // later in the pass: it is not run at all.
            for &s in &sim.long_inner {
                let e = self.partner(s);
                if !self.too_long.contains(&(s, e)) {
                    self.too_long.push((s, e));
                }
            }
        }
        finished.map(|()| sim)
    }

    /// The interpreter behind [`Known::simulate`]: `None` as soon as it has to give up.
    /// Cells are read from and written to the scratch tape, which falls back to `st` for
    /// cells the run has not touched yet. Loops that settle ([`fixpoint`]) are left as soon
    /// as an iteration changes nothing but their counter. A loop whose condition goes down
    /// by the same amount every iteration is given up on as soon as the iterations left,
    /// each as long as the last one, would pass `limit`, and any loop as soon as one more
    /// iteration as long as the last would: a run that will not finish is pure cost. (hanoi.b's
    /// main loop gives up after two of its iterations, 89,000 steps, not at 131,072.)
    // (Never inlined: this loop is the hottest code of the pass, and compiled on its own
    // it keeps its registers to itself rather than sharing them with whatever calls it.)
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn run_at_compile_time(
        &self,
        start: usize,
        end: usize,
        st: &State,
        scratch: &mut Scratch,
        sim: &mut Sim,
        steps: &mut u64,
        limit: u64,
    ) -> Option<()> {
        /// A loop being run: where it starts, how many of its iterations were compared with
        /// the one before, and where the cells' values at the start of this iteration are
        /// in `snapshots` (`NONE`: not compared).
        // (Laid out to stay 40 bytes: one is pushed and popped at every entry into a loop.)
        struct Head {
            start: usize,
            snapshot: usize,
            /// The step count when the loop was entered, and when its current iteration began
            /// (at the end of the last one).
            entered: u64,
            began: u64,
            tries: u32,
            /// The condition's value at the end of the last iteration (0: this is the first).
            prev: u32,
        }
        const NONE: usize = usize::MAX;
        let Scratch { tape, fixpoints } = scratch;
        // (The run works on the tape moved into a local of its own, and moves it back at the
        // end: through the `&mut` it came by, the compiler cannot tell the run's writes to
        // cells from the fields that say where the window is, and loads them again after
        // every write; it can tell them from a local's.)
        let mut own = std::mem::take(tape);
        let tape = &mut own;
        let load = |c: i64| st.at(c);
        let read = |tape: &mut Tape, c: i64| tape.read(c, load);
        let mask = self.mask;
        // (What the checks read is copied to locals first: the run writes its tape through
        // pointers the compiler cannot tell apart from these fields, so it would load them
        // again after every write.)
        // (Without absolute coordinates no check can be decided: the lowest cell allowed is
        // then past every coordinate, which fails them all with one comparison less each.)
        let (excursions, cells) = (&self.ir.excursions[..], self.cells);
        let first_cell = if st.abs { 0 } else { i64::MAX };
        let check = |id: CheckId, pos: i64| {
            let e = &excursions[id.0 as usize];
            pos + i64::from(e.lo) >= first_cell && pos + i64::from(e.hi) < cells
        };
        let mut pos = st.pos;
        let mut heads: Vec<Head> = Vec::new();
        let mut i = start;
        // (The step count is kept in a local, which can live in a register, and the loop
        // walks a slice ending at `end`, so one bounds check both ends it and reads an
        // instruction.)
        let code = &self.code[..=end];
        let mut n = *steps;
        let long = inner_limit(limit);
        let result = 'run: {
            // (A block rather than a closure called at once: the run's counters and
            // position stay locals the compiler can keep in registers.)
            macro_rules! known {
                ($e:expr) => {
                    match $e {
                        Some(v) => v,
                        None => break 'run None,
                    }
                };
            }
            while let Some(ins) = code.get(i) {
                // (Every step counts, but the count is compared with the limit only where
                // the run jumps back (`EndLoop`, and every step of a scan): between two of
                // those it walks forward through at most the loop's length. A run that gives
                // up for another reason after passing the limit is treated below as if it
                // had stopped right there, as it would have with a comparison at every step.)
                n += 1;
                let at = |off: i32| pos + i64::from(off);
                match ins.op {
                    Op::Add { off, val } => {
                        known!(tape.update(at(off), load, |v| v.wrapping_add(val) & mask));
                    }
                    Op::Set { off, val } => tape.write(at(off), val & mask),
                    Op::MulAdd { src, dst, k } => {
                        let s = known!(read(tape, at(src)));
                        known!(
                            tape.update(at(dst), load, |d| d.wrapping_add(s.wrapping_mul(k))
                                & mask)
                        );
                    }
                    Op::MulSet { src, dst, k } => {
                        let s = known!(read(tape, at(src)));
                        tape.write(at(dst), s.wrapping_mul(k) & mask);
                    }
                    Op::MulAddMin { src, dst, k, max } => {
                        let s = known!(read(tape, at(src))).min(u32::from(max));
                        known!(
                            tape.update(at(dst), load, |d| d.wrapping_add(s.wrapping_mul(k))
                                & mask)
                        );
                    }
                    Op::Move { delta } => pos += i64::from(delta),
                    Op::Check(id) => {
                        if !check(id, pos) {
                            break 'run None;
                        }
                    }
                    Op::Out { off } => sim.output.push(known!(read(tape, at(off))) as u8),
                    Op::Print { start, len } => sim
                        .output
                        .extend_from_slice(&self.ir.bytes[start as usize..(start + len) as usize]),
                    // Input and tape dumps happen at run time.
                    Op::In { .. } | Op::Debug { .. } => break 'run None,
                    Op::Scan {
                        off,
                        step,
                        check: id,
                    } => {
                        while known!(read(tape, pos + i64::from(off))) != 0 {
                            n += 1;
                            if n > limit {
                                sim.too_long = true;
                                break 'run None;
                            }
                            if !check(id, pos) {
                                break 'run None;
                            }
                            pos += i64::from(step);
                        }
                    }
                    Op::If { off } => {
                        if known!(read(tape, at(off))) == 0 {
                            i = self.partner(i);
                        }
                    }
                    Op::Loop { off } => {
                        if known!(read(tape, at(off))) == 0 {
                            i = self.partner(i);
                        } else {
                            let mut snapshot = NONE;
                            if fixpoints.qualifies(self.code, i, || {
                                let s = self.summary(i);
                                (s.end as usize, s.balanced && s.len != u32::MAX)
                            }) {
                                let writes = self.writes(self.summary(i)).expect("qualifies");
                                // The cells the body writes, as this iteration begins (if known).
                                snapshot = fixpoints.snapshots.len();
                                for &o in writes.iter().filter(|&&o| o != off) {
                                    match read(tape, at(o)) {
                                        Some(v) => fixpoints.snapshots.push(v),
                                        None => {
                                            fixpoints.snapshots.truncate(snapshot);
                                            snapshot = NONE;
                                            break;
                                        }
                                    }
                                }
                            }
                            heads.push(Head {
                                start: i,
                                tries: 0,
                                snapshot,
                                entered: n,
                                began: n,
                                prev: 0,
                            });
                        }
                    }
                    Op::EndLoop { off } => {
                        if n > limit {
                            break 'run None;
                        }
                        let head = heads.last_mut().expect("balanced");
                        let v = known!(read(tape, at(off)));
                        let mut again = v != 0;
                        if again {
                            // A counter going down by `d` per iteration has `v / d` to go: if
                            // that many more of the last iteration do not fit, stop now.
                            if head.prev != 0 {
                                let d = head.prev.wrapping_sub(v) & mask;
                                if d != 0 && v % d == 0 {
                                    let laps = u64::from(v / d);
                                    if n + laps.saturating_mul(n - head.began) > limit {
                                        sim.too_long = true;
                                        break 'run None;
                                    }
                                }
                            }
                            head.prev = v;
                        }
                        if again && head.snapshot != NONE {
                            // Compare with the iteration's start; keep this end as the next start.
                            let writes = self.writes(self.summary(head.start)).expect("compared");
                            let mut settled = true;
                            let others = writes.iter().filter(|&&o| o != off);
                            for (k, &o) in (head.snapshot..).zip(others) {
                                let v = known!(read(tape, at(o)));
                                settled &= fixpoints.snapshots[k] == v;
                                fixpoints.snapshots[k] = v;
                            }
                            head.tries += 1;
                            if settled {
                                // Every later iteration only moves the counter, to 0.
                                tape.write(at(off), 0);
                                again = false;
                            } else if head.tries == fixpoint::TRIES {
                                fixpoints.snapshots.truncate(head.snapshot);
                                head.snapshot = NONE;
                            }
                        }
                        if again {
                            // Another iteration comes: if it is as long as this one and
                            // does not fit, stop now.
                            if n + (n - head.began) > limit {
                                sim.too_long = true;
                                break 'run None;
                            }
                            head.began = n;
                            i = head.start;
                        } else {
                            let head = heads.pop().expect("balanced");
                            if head.snapshot != NONE {
                                fixpoints.snapshots.truncate(head.snapshot);
                            }
                            if n - head.entered > long && head.start != start {
                                sim.long_inner.push(head.start);
                            }
                        }
                    }
                    Op::EndIf => {}
                }
                i += 1;
            }
            sim.moved = pos - st.pos;
            Some(())
        };
        if result.is_none() && n > limit {
            // The run passed its limit: it gave up there, at step `limit + 1`.
            sim.too_long = true;
            n = limit + 1;
        }
        *steps = n;
        scratch.tape = own;
        result
    }
}
