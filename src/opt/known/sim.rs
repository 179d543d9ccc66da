//! Running a loop at compile time: [`Known::simulate`] runs the IR of a loop whose cells
//! are known on a scratch tape ([`super::tape`]), within a step budget, skipping to the end of
//! counted loops that settle ([`super::fixpoint`]); [`Known::apply`] writes the effect out as
//! stores, a pointer move and constant output.

use super::fast::{self, Cursor, Fixed, Leave};
use super::fixpoint::{self, Fixpoints};
use super::state::State;
use super::steps::{self, Step};
use super::tape::Tape;
use super::{Known, SIM_STEPS, SIM_STEPS_INNER_MIN, SIM_STEPS_MIN, SIM_STEPS_PER_OP};
use crate::ir::{CheckId, Instr, Op, Span};

/// What compile-time runs reuse from one to the next: the tape, and which loops can stop
/// early ([`fixpoint`]).
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) tape: Tape,
    pub(super) fixpoints: Fixpoints,
    /// The code as runs execute it ([`steps`]): `decoded[j]` is instruction `dbase + j`.
    /// (Only the stretch of one long run: see [`Known::run_at_compile_time`].) Decoded
    /// steps are kept from run to run, which is right because a `Scratch` serves one
    /// [`Known`], whose code does not change while the pass runs (each piece of a split has
    /// its own); the check bounds and printed bytes a step holds rely on the pass only
    /// appending to `ir.bytes` and never changing `ir.excursions`.
    decoded: Vec<Step>,
    dbase: usize,
    /// The loops the run is in, innermost last.
    heads: Vec<Head>,
}

impl Scratch {
    /// Prepares for a run of `code` from the pointer coordinate `pos`.
    fn reset(&mut self, code: &[Instr], pos: i64) {
        self.tape.reset(pos);
        self.fixpoints.reset(code);
    }
}

/// A loop being run: where it starts, how many of its iterations were compared with the one
/// before, and where the cells' values at the start of this iteration are in the snapshots
/// (`NONE`: not compared).
// (Laid out to stay 40 bytes: one is pushed and popped at every entry into a loop.)
#[derive(Debug)]
pub(super) struct Head {
    pub(super) start: usize,
    pub(super) snapshot: usize,
    /// The step count when the loop was entered, and when its current iteration began
    /// (at the end of the last one).
    pub(super) entered: u64,
    pub(super) began: u64,
    pub(super) tries: u32,
    /// The condition's value at the end of the last iteration (0: this is the first).
    pub(super) prev: u32,
}

/// Makes `decoded`, whose first step is instruction `dbase`, hold the instructions
/// `start..=end` (not decoded yet, unless it held them already).
fn cover(decoded: &mut Vec<Step>, dbase: &mut usize, start: usize, end: usize) {
    if start < *dbase || end >= *dbase + decoded.len() {
        decoded.clear();
        decoded.resize(end - start + 1, Step::Undecoded);
        *dbase = start;
    }
}

/// Instructions decoded at once, from the first one a run reaches that is not decoded yet.
const DECODE_AHEAD: usize = 64;

/// The snapshot of a loop whose iterations are not compared.
pub(super) const NONE: usize = usize::MAX;

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
    // (Never inlined: what it sets up for a run would otherwise crowd the registers of the
    // walk that calls it, `Known::block`, which visits every instruction.)
    #[inline(never)]
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
        scratch.reset(self.code, st.pos);
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
    ///
    /// It executes the decoded form of the code ([`super::steps`]): decoded step by step at
    /// first, and once the run proves long for its loop, kept and run by the loop of
    /// `fast.rs`.
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
        let Scratch {
            tape,
            fixpoints,
            decoded,
            dbase,
            heads,
        } = scratch;
        // (The run works on the tape moved into a local of its own, and moves it back at the
        // end: through the `&mut` it came by, the compiler cannot tell the run's writes to
        // cells from the fields that say where the window is, and loads them again after
        // every write; it can tell them from a local's.)
        let mut own = std::mem::take(tape);
        let tape = &mut own;
        let load = |c: i64| st.at(c);
        let read = |tape: &mut Tape, c: i64| tape.read(c, load);
        let mask = self.mask;
        // (Without absolute coordinates no check can be decided: a tape of no cells fails
        // them all in `fast.rs`, and the lowest cell allowed past every coordinate here.)
        let cells = if st.abs { self.cells as u64 } else { 0 };
        let excursions = &self.ir.excursions[..];
        let first_cell = if st.abs { 0 } else { i64::MAX };
        let check_by_id = |id: CheckId, pos: i64| {
            let e = &excursions[id.0 as usize];
            pos + i64::from(e.lo) >= first_cell && pos + i64::from(e.hi) < self.cells
        };
        let mut pos = st.pos;
        heads.clear();
        let mut i = start;
        // (The step count is kept in a local, which can live in a register.)
        let mut n = *steps;
        // Keeping decoded steps costs a few machine instructions per instruction of the loop,
        // to make room for them, and saves about 20 per step: it pays once the run has taken
        // more steps than a quarter of its loop's length (and goes on as long again). Until
        // then the run decodes each step as it takes it, and keeps nothing: most runs take a
        // handful of steps, and a long run through a huge loop may only visit a corner of it
        // (lostkng.b's main loop: 7,300 steps in 69,000 instructions).
        let (first, room_after) = (n, (end - start + 1) as u64 / 4);
        let mut decoding = false;
        let long = inner_limit(limit);
        let fixed = Fixed {
            mask,
            cells,
            limit,
            long,
            start,
        };
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
            loop {
                if decoding {
                    // The common steps, in a loop of their own (see `fast.rs`); this one
                    // takes the others, one at a time.
                    let mut cur = Cursor { i, n, pos };
                    let leave = fast::run(
                        &mut cur,
                        &decoded[..=end - *dbase],
                        *dbase,
                        tape.window(),
                        heads,
                        fixpoints.verdicts(),
                        &fixed,
                    );
                    Cursor { i, n, pos } = cur;
                    match leave {
                        Leave::Slow => {}
                        Leave::GiveUp => break 'run None,
                        Leave::TooLong => {
                            sim.too_long = true;
                            break 'run None;
                        }
                    }
                } else if n - first > room_after {
                    cover(decoded, dbase, start, end);
                    decoding = true;
                    continue;
                }
                if i > end {
                    break;
                }
                let step = if decoding {
                    let j = i - *dbase;
                    if decoded[j] == Step::Undecoded {
                        self.decode(&mut decoded[..=end - *dbase], *dbase, j);
                    }
                    decoded[j]
                } else {
                    steps::decode(self.code[i].op, || self.partner(i), self.ir, mask)
                };
                // (Every step counts, but the count is compared with the limit only where
                // the run jumps back (`EndLoop`, and every step of a scan): between two of
                // those it walks forward through at most the loop's length. A run that gives
                // up for another reason after passing the limit is treated below as if it
                // had stopped right there, as it would have with a comparison at every step.)
                n += 1;
                let at = |off: i32| pos + i64::from(off);
                match step {
                    Step::Undecoded => unreachable!("decoded above"),
                    Step::Add { off, val } => {
                        known!(tape.update(at(off), load, |v| v.wrapping_add(val) & mask));
                    }
                    Step::Set { off, val } => tape.write(at(off), val),
                    Step::MulAdd { src, dst, k } => {
                        let s = known!(read(tape, at(src)));
                        known!(
                            tape.update(at(dst), load, |d| d.wrapping_add(s.wrapping_mul(k))
                                & mask)
                        );
                    }
                    Step::MulSet { src, dst, k } => {
                        let s = known!(read(tape, at(src)));
                        tape.write(at(dst), s.wrapping_mul(k) & mask);
                    }
                    Step::MulAddMin { src, dst, k, max } => {
                        let s = known!(read(tape, at(src))).min(u32::from(max));
                        known!(
                            tape.update(at(dst), load, |d| d.wrapping_add(s.wrapping_mul(k))
                                & mask)
                        );
                    }
                    Step::Move { delta } => pos += i64::from(delta),
                    Step::Check { lo, hi } => {
                        if !steps::check_passes(pos, lo, hi, cells) {
                            break 'run None;
                        }
                    }
                    Step::CheckById(id) => {
                        if !check_by_id(id, pos) {
                            break 'run None;
                        }
                    }
                    Step::Out { off } => sim.output.push(known!(read(tape, at(off))) as u8),
                    Step::Print { start, len } => sim
                        .output
                        .extend_from_slice(&self.ir.bytes[start as usize..(start + len) as usize]),
                    // Input and tape dumps happen at run time.
                    Step::Stop => break 'run None,
                    Step::Scan {
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
                            if !check_by_id(id, pos) {
                                break 'run None;
                            }
                            pos += i64::from(step);
                        }
                    }
                    Step::If { off, end } => {
                        if known!(read(tape, at(off))) == 0 {
                            i = end as usize;
                        }
                    }
                    Step::Loop { off, end } => {
                        if known!(read(tape, at(off))) == 0 {
                            i = end as usize;
                        } else {
                            let snapshot = self.snapshot(i, off, pos, tape, fixpoints, load);
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
                    Step::EndLoop { off } => {
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
                    Step::EndIf => {}
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

    /// Decodes `code[j]`, instruction `dbase + j`, and those after it up to one decoded
    /// already, a few dozen or the end of `code`: a run that reaches an instruction for the
    /// first time mostly goes on to the next ones.
    #[cold]
    #[inline(never)]
    fn decode(&self, code: &mut [Step], dbase: usize, j: usize) {
        let end = code.len().min(j + DECODE_AHEAD);
        for (k, step) in code[..end].iter_mut().enumerate().skip(j) {
            if k > j && *step != Step::Undecoded {
                break;
            }
            let i = dbase + k;
            *step = steps::decode(self.code[i].op, || self.partner(i), self.ir, self.mask);
        }
    }

    /// On entry into an iteration of the loop at `i` (condition `p[off]`, pointer at `pos`):
    /// if the loop may settle ([`fixpoint`]), the values of the cells its body writes
    /// (but the condition), pushed onto the snapshots, and where they start there; else, or
    /// if one of them is unknown, [`NONE`].
    // (Out of the run's loop, which it would otherwise crowd: a loop is entered at most once
    // per iteration of the loop around it.)
    #[inline(never)]
    fn snapshot(
        &self,
        i: usize,
        off: i32,
        pos: i64,
        tape: &mut Tape,
        fixpoints: &mut Fixpoints,
        load: impl Fn(i64) -> Option<u32>,
    ) -> usize {
        if !fixpoints.qualifies(self.code, i, || {
            let s = self.summary(i);
            (s.end as usize, s.balanced && s.len != u32::MAX)
        }) {
            return NONE;
        }
        let writes = self.writes(self.summary(i)).expect("qualifies");
        // The cells the body writes, as this iteration begins (if known).
        let snapshot = fixpoints.snapshots.len();
        for &o in writes.iter().filter(|&&o| o != off) {
            match tape.read(pos + i64::from(o), &load) {
                Some(v) => fixpoints.snapshots.push(v),
                None => {
                    fixpoints.snapshots.truncate(snapshot);
                    return NONE;
                }
            }
        }
        snapshot
    }
}
