//! Known-value propagation: what the compiler can work out about the tape, it does itself.
//!
//! The tape starts all zero with the pointer at cell 0, so at first every cell's value is
//! known. The pass follows the program keeping a map of the cells whose values are known
//! (and, while it can, the pointer's absolute position) and rewrites with it:
//!
//! ```text
//! ++++[>++++<-]>.      becomes      print "\x10"  (and the stores, if anything reads them)
//! ```
//!
//! * arithmetic on a known cell becomes a store (`p[1] += 4` on a 0 is `p[1] = 4`), and a
//!   multiply-add from a known cell becomes an add (or nothing, from a 0);
//! * `.` of a known cell becomes constant output (`print`), merged with neighbours;
//! * a loop or `if` whose condition cell is known to be 0 is deleted; a loop known to run
//!   exactly once loses its test; a loop whose body always ends with the condition cell at 0
//!   becomes an `if`;
//! * a loop whose cells are all known is *run at compile time* (within a step budget that
//!   grows with the loop's size, `SIM_STEPS_PER_OP`: a long run of a small loop costs more
//!   than compiling the loop and running it) and
//!   replaced by its effect: stores, a pointer move and constant output. This is how nested
//!   counting loops (`long.b`, `bench.b`) collapse. The run skips to the end of a counted loop
//!   as soon as its iterations stop changing anything but the counter (module `fixpoint`: bench.b's
//!   seven levels of ten iterations cost a few hundred steps, not ten million), and gives up
//!   early on a counted loop whose remaining iterations cannot fit the budget, and on any loop
//!   when one more iteration as long as the last would not;
//! * bounds checks are decided at compile time while the pointer's position is known;
//! * after a loop or `if`, the condition cell is known to be 0.
//!
//! At a loop whose cells are not all known, the cells its body writes are assumed to change,
//! except where a trial run of the body shows they come back to the value they had on entry
//! (they are then known on every iteration). After a loop or scan that moves the pointer by
//! an unknown amount, nothing is known.
//!
//! Nothing here changes behaviour: a loop that would leave the tape or read input is never
//! run at compile time, and checks are only removed when they are certain to pass.
//!
//! This file holds the walk itself ([`run`], and `Known::block`, which rewrites straight-line
//! code instruction by instruction and hands each loop and `if` to its own part). Beside it:
//!
//! * what the walk knows about the tape (`state.rs`), and the summary of each loop made
//!   before it starts (`summary.rs`);
//! * loops (`loops.rs`, which decides what becomes of each one), with the state at the head of
//!   a loop (`head.rs`), loops whose first iteration is peeled off (`peel.rs`) and loops that
//!   move the pointer by a fixed stride (`stride.rs`);
//! * `if`s, and what is known after them (`ifs.rs`);
//! * stores that put back what a cell held, which are dropped (`stores.rs`);
//! * the compile-time runs (`sim.rs`) with their scratch tape (`tape.rs`) and the skipping of
//!   settled loops (`fixpoint.rs`);
//! * the tests (`tests.rs`).

mod fast;
mod fixpoint;
mod head;
mod ifs;
mod loops;
mod peel;
mod sim;
mod state;
mod steps;
mod stores;
mod stride;
mod summary;
mod tape;

use self::sim::Scratch;
use self::state::State;
use self::summary::{Summaries, Summary, summarize};
use crate::Config;
use crate::ir::{Instr, Ir, Op, Span};

/// Most IR steps one compile-time run of a loop may take.
const SIM_STEPS: u64 = 1 << 17;
/// Most IR steps a compile-time run may take per IR instruction of the loop (but at least
/// [`SIM_STEPS_MIN`]).
///
/// A compile-time run costs about 35 machine instructions per IR step. Running the loop's
/// machine code instead costs one to three per step, plus about 1,000 per IR instruction to
/// generate that code. So running a loop at compile time only pays when the run is short
/// for the loop's size: at 64 steps per instruction it costs at most about twice what it
/// saves (more is gained when what the loop leaves known lets later code go as well).
/// sierpinski.b's 38-instruction loop took 34,500 steps: 1.2 M instructions at compile
/// time, against 0.2 M to compile it and run it. golden.b's and long.b's main loops, which
/// never finished within [`SIM_STEPS`], now give up after 61,000 and 4,400 steps instead of
/// 131,072; hanoi.b's 3,252-instruction loop still runs its 125,675 steps.
const SIM_STEPS_PER_OP: u64 = 64;
/// Steps any compile-time run may take, however short its loop.
const SIM_STEPS_MIN: u64 = 1 << 10;
/// Fewest steps a loop inside loops that ran out of steps may still take.
const SIM_STEPS_INNER_MIN: u64 = 1 << 10;
/// Most IR steps all compile-time runs together may take, per program.
const SIM_TOTAL: u64 = 1 << 22;
/// Deepest loop nesting analysed; deeper loops are copied as they are.
const MAX_DEPTH: usize = 64;
/// Largest loop (in instructions) whose first iteration may be peeled off.
const PEEL_MAX: usize = 64;
/// Largest set of cells a loop may write before it counts as writing everything.
const MAX_WRITES: usize = 64;

/// Runs the pass.
pub fn run(ir: &mut Ir, config: &Config) {
    run_within(ir, config, usize::MAX);
}

/// Runs the pass on the longest start of the program that is at most `limit` instructions
/// and ends between two top-level instructions (outside every loop and `if`), leaving the
/// rest as it is; returns the length of that start.
///
/// This is how a huge program is optimized in bounded time and memory without a cliff: the
/// first `limit` instructions get the full treatment, the rest none. Stopping there is always
/// correct, because the pass writes every store it simulates as it goes (it never leaves a
/// value only "known" for later instructions to supply), so its output for the start is a
/// complete program start, and the original instructions after it do not depend on what the
/// pass knew.
pub fn run_within(ir: &mut Ir, config: &Config, limit: usize) -> usize {
    let mut code = std::mem::take(&mut ir.code);
    let cut = top_level_cut(&code, limit);
    let done = &code[..cut];
    let (summaries, write_lists) = summarize(done);
    let mut k = Known {
        code: done,
        summaries,
        write_lists,
        ir,
        out: Vec::with_capacity(cut),
        mask: config.cell_bits.max(),
        cells: config.tape_cells as i64,
        analysis_budget: 16 * cut as u64 + (1 << 16),
        sim_budget: SIM_TOTAL,
        too_long: Default::default(),
        scratch: Scratch::default(),
        emitting: true,
        profile: config.profile,
        changes: Vec::new(),
        recent: Vec::with_capacity(stores::RECENT_MAX),
    };
    let mut state = State::start();
    k.block(0..cut, &mut state, 0);
    let out = std::mem::take(&mut k.out);
    if cut == code.len() {
        ir.code = out;
    } else {
        // The rewritten start replaces the original one in place: the untouched rest is
        // moved, not copied into a second full-size vector.
        code.splice(..cut, out);
        ir.code = code;
    }
    cut
}

/// The largest `n <= limit` such that `code[..n]` is a sequence of whole top-level
/// instructions (every loop and `if` in it closed).
fn top_level_cut(code: &[Instr], limit: usize) -> usize {
    if code.len() <= limit {
        return code.len();
    }
    let mut depth = 0usize;
    let mut cut = 0;
    for (i, ins) in code[..limit].iter().enumerate() {
        match ins.op {
            Op::Loop { .. } | Op::If { .. } => depth += 1,
            Op::EndLoop { .. } | Op::EndIf => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            cut = i + 1;
        }
    }
    cut
}

struct Known<'a> {
    code: &'a [Instr],
    /// Loop summaries by the position of the loop's first instruction.
    summaries: Summaries,
    /// Storage for the write lists of the summaries.
    write_lists: Vec<i32>,
    /// The check tables and print bytes (its `code` is unused while the pass runs).
    ir: &'a mut Ir,
    out: Vec<Instr>,
    mask: u32,
    cells: i64,
    /// Instructions the pass may still visit in trial runs (past it, loops are treated
    /// conservatively, so the pass stays linear).
    analysis_budget: u64,
    /// Steps left for compile-time runs.
    sim_budget: u64,
    /// Loops (`start..=end`) whose compile-time run once ran out of steps: they are not run
    /// again, and a loop inside one gets an eighth of the steps per enclosing one (inner
    /// loops of a long nest usually run long too). A loop that took more than that eighth
    /// on one entry during such a run is listed too (hanoi.b's inner loop of 31,000 steps
    /// was run again, in vain, in the trial run of its outer loop's body). Without this, a long loop nest is run
    /// again, to the limit, at every level of its analysis (every trial run of every loop
    /// around it), which cost long.b and bench.b milliseconds for nothing.
    too_long: Vec<(usize, usize)>,
    /// What compile-time runs reuse from one to the next.
    scratch: Scratch,
    /// False during trial runs, which only compute states.
    emitting: bool,
    /// Loops are being counted ([`Config::profile`]): never inline a loop's first iteration
    /// while the loop stays, so that the loop's count stays the source loop's count.
    profile: bool,
    /// Scratch space for [`Known::if_body`] (kept, so that an `if` costs no allocation).
    changes: Vec<(i64, Option<u32>)>,
    /// Stores written since anything last read their cells (see `stores.rs`).
    recent: Vec<stores::Recent>,
}

impl Known<'_> {
    fn emit(&mut self, op: Op, span: Span) {
        if self.emitting {
            self.note(&op);
            self.out.push(Instr { op, span });
        }
    }

    /// Appends constant output, merging with a `print` just before.
    fn print(&mut self, bytes: &[u8], span: Span) {
        if !self.emitting || bytes.is_empty() {
            return;
        }
        if let Some(Instr {
            op: Op::Print { start, len },
            span: last_span,
        }) = self.out.last_mut()
            && (*start + *len) as usize == self.ir.bytes.len()
        {
            *len += bytes.len() as u32;
            *last_span = last_span.to(span);
            // (Mostly one byte, from a `.`: a push, not a copy.)
            match bytes {
                [b] => self.ir.bytes.push(*b),
                _ => self.ir.bytes.extend_from_slice(bytes),
            }
            return;
        }
        let start = self.ir.bytes.len() as u32;
        self.ir.bytes.extend_from_slice(bytes);
        self.emit(
            Op::Print {
                start,
                len: bytes.len() as u32,
            },
            span,
        );
    }

    /// Rewrites the instructions in `range` (which is well nested), updating `st`.
    fn block(&mut self, range: std::ops::Range<usize>, st: &mut State, depth: usize) {
        // (Fields of the instruction are read where they are used: copying the whole of it
        // up front cost a dozen loads and spills per instruction visited.)
        // (The slice ends at the block's end, so one bounds check both ends the walk and reads
        // an instruction. Visits are counted in a local and charged to the analysis budget
        // before anything that reads the budget (the loops and `if`s, which may analyse their
        // bodies) and at the end: subtracting with saturation in one go or one by one gives the
        // same budget, and a local can live in a register where the field is a load and a
        // store per instruction.)
        let code = &self.code[..range.end];
        let mut i = range.start;
        let mut visits = 0u64;
        while let Some(ins) = code.get(i) {
            visits += 1;
            match ins.op {
                Op::Add { off, val } => match st.get(off) {
                    Some(v) => self.store(st, off, v.wrapping_add(val), ins.span),
                    None => self.emit(ins.op, ins.span),
                },
                Op::Set { off, val } => self.store(st, off, val, ins.span),
                Op::MulAdd { src, dst, k } => match (st.get(src), st.get(dst)) {
                    (Some(s), _) if s.wrapping_mul(k) & self.mask == 0 => {}
                    (Some(s), Some(d)) => {
                        self.store(st, dst, d.wrapping_add(s.wrapping_mul(k)), ins.span)
                    }
                    (Some(s), None) => self.emit(
                        Op::Add {
                            off: dst,
                            val: s.wrapping_mul(k),
                        },
                        ins.span,
                    ),
                    (None, Some(0)) => {
                        self.emit(Op::MulSet { src, dst, k }, ins.span);
                        st.set(dst, None);
                    }
                    (None, _) => {
                        self.emit(ins.op, ins.span);
                        st.set(dst, None);
                    }
                },
                Op::MulAddMin { src, dst, k, max } => match (st.get(src), st.get(dst)) {
                    (Some(s), d) => {
                        let v = s.min(u32::from(max)).wrapping_mul(k);
                        match d {
                            Some(d) => self.store(st, dst, d.wrapping_add(v), ins.span),
                            None if v & self.mask != 0 => {
                                self.emit(Op::Add { off: dst, val: v }, ins.span)
                            }
                            None => {}
                        }
                    }
                    (None, _) => {
                        self.emit(ins.op, ins.span);
                        st.set(dst, None);
                    }
                },
                Op::MulSet { src, dst, k } => match st.get(src) {
                    Some(s) => self.store(st, dst, s.wrapping_mul(k), ins.span),
                    None => {
                        self.emit(ins.op, ins.span);
                        st.set(dst, None);
                    }
                },
                Op::Move { delta } => {
                    self.emit(ins.op, ins.span);
                    st.pos += i64::from(delta);
                }
                Op::Check(id) => {
                    let e = self.ir.excursion(id);
                    let (lo, hi) = (st.pos + i64::from(e.lo), st.pos + i64::from(e.hi));
                    // (Whether the check is certain to pass only matters when it is written:
                    // a trial run skips the question.)
                    if self.emitting
                        && !((st.abs && lo >= 0 && hi < self.cells)
                            || st.safe.is_some_and(|(a, b)| a <= lo && hi <= b))
                    {
                        self.emit(ins.op, ins.span);
                    }
                    // Past a check, its cells are on the tape (else the program stopped), and
                    // so is everything between them and the cells already known to be.
                    st.safe = Some(match st.safe {
                        Some((a, b)) => (a.min(lo), b.max(hi)),
                        None => (lo, hi),
                    });
                }
                Op::Out { off } => match st.get(off) {
                    // (A trial run writes nothing: no call to find that out.)
                    Some(v) if self.emitting => self.print(&[v as u8], ins.span),
                    Some(_) => {}
                    None => self.emit(ins.op, ins.span),
                },
                Op::Print { start, len } => {
                    let bytes = self.ir.bytes[start as usize..(start + len) as usize].to_vec();
                    self.print(&bytes, ins.span);
                }
                Op::In { off } => {
                    self.emit(ins.op, ins.span);
                    st.set(off, None);
                }
                // A dump reads the tape as it is, which every rewrite here keeps exact.
                Op::Debug { .. } => self.emit(ins.op, ins.span),
                Op::Scan { off, .. } => {
                    if st.get(off) != Some(0) {
                        self.emit(ins.op, ins.span);
                        st.forget();
                        st.set(off, Some(0));
                    }
                }
                Op::Loop { off } => {
                    self.charge(std::mem::take(&mut visits));
                    let end = self.partner(i);
                    self.lp(i, end, off, st, depth);
                    i = end;
                }
                Op::If { off } => {
                    self.charge(std::mem::take(&mut visits));
                    let end = self.partner(i);
                    self.iff(i, end, off, st, depth);
                    i = end;
                }
                Op::EndLoop { .. } | Op::EndIf => unreachable!("ranges are well nested"),
            }
            i += 1;
        }
        self.charge(visits);
    }

    /// Takes `visits` instructions visited off the analysis budget (down to 0).
    #[inline]
    fn charge(&mut self, visits: u64) {
        self.analysis_budget = self.analysis_budget.saturating_sub(visits);
    }

    /// The offsets a loop's body may write (see [`Summary`]), or `None` for too many.
    fn writes(&self, s: Summary) -> Option<&[i32]> {
        (s.len != u32::MAX).then(|| &self.write_lists[s.first as usize..(s.first + s.len) as usize])
    }

    /// The summary of the loop or if opening at `i`.
    fn summary(&self, i: usize) -> Summary {
        self.summaries.list[self.summaries.index[i] as usize - 1]
    }

    /// The index of the bracket matching the `Loop` or `If` at `i`.
    fn partner(&self, i: usize) -> usize {
        self.summary(i).end as usize
    }

    /// Copies `start..=end` unchanged and forgets what it may change.
    fn opaque(&mut self, start: usize, end: usize, st: &mut State) {
        if self.emitting {
            self.recent.clear();
            self.out.extend_from_slice(&self.code[start..=end]);
        }
        let s = self.summary(start);
        match (self.writes(s), s.balanced) {
            (Some(w), true) => {
                for &o in w {
                    st.set(o, None);
                }
            }
            (None, true) => st.forget_cells(),
            (_, false) => st.forget(),
        }
    }

    /// Runs the analysis of `body` on `st` without emitting anything.
    fn trial(&mut self, body: std::ops::Range<usize>, st: &mut State, depth: usize) {
        let emitting = std::mem::replace(&mut self.emitting, false);
        self.block(body, st, depth + 1);
        self.emitting = emitting;
    }
}

#[cfg(test)]
mod tests;
