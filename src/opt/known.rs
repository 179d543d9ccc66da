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
//!   early on a counted loop whose remaining iterations cannot fit the budget;
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
//! This file walks the program ([`run`], and the rewrite of loops and `if`s); beside it are
//! what the walk knows about the tape (`state.rs`), the summary of each loop made before it
//! starts (`summary.rs`), the compile-time runs (`sim.rs`) with their scratch tape
//! (`tape.rs`) and the skipping of settled loops (`fixpoint.rs`), and the tests (`tests.rs`).

mod fixpoint;
mod head;
mod peel;
mod sim;
mod state;
mod stores;
mod summary;
mod tape;

use self::head::{Speculation, gains};
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
    /// loops of a long nest usually run long too). Without this, a long loop nest is run
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
        let code = self.code;
        let mut i = range.start;
        while i < range.end {
            self.analysis_budget = self.analysis_budget.saturating_sub(1);
            let ins = &code[i];
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
                    let certain = (st.abs && lo >= 0 && hi < self.cells)
                        || st.safe.is_some_and(|(a, b)| a <= lo && hi <= b);
                    if !certain {
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
                    Some(v) => self.print(&[v as u8], ins.span),
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
                    let end = self.partner(i);
                    self.lp(i, end, off, st, depth);
                    i = end;
                }
                Op::If { off } => {
                    let end = self.partner(i);
                    self.iff(i, end, off, st, depth);
                    i = end;
                }
                Op::EndLoop { .. } | Op::EndIf => unreachable!("ranges are well nested"),
            }
            i += 1;
        }
    }

    /// The offsets a loop's body may write (see [`Summary`]), or `None` for too many.
    fn writes(&self, s: Summary) -> Option<&[i32]> {
        (s.len != u32::MAX).then(|| &self.write_lists[s.first as usize..(s.first + s.len) as usize])
    }

    /// The summary of the loop or if opening at `i`.
    fn summary(&self, i: usize) -> Summary {
        self.summaries.list[self.summaries.index[i] as usize]
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

    /// The loop `start..=end` (condition `p[off]`).
    fn lp(&mut self, start: usize, end: usize, off: i32, st: &mut State, depth: usize) {
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
        if c.is_some() && writes_cond {
            // Known nonzero: if one pass through the body clears it, the loop runs once.
            let save = st.save();
            self.trial(body.clone(), st, depth);
            let once = st.get(off) == Some(0);
            st.restore(save);
            if once {
                self.block(body, st, depth + 1);
                return;
            }
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
        let after_one = self.one_iteration(start, end, summary, st, depth);
        // (A loop without loops inside is analysed the same way in a trial run as when its
        // code is written: `loop_head` may write the loop while it runs the body from its
        // head state.)
        let speculation = (!summary.inner_loop).then_some(Speculation {
            after_one: after_one.as_deref(),
            span: lo_span,
        });
        let (at_most_once, written) =
            self.loop_head(st, summary, off, body.clone(), depth, speculation);
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
        let gain = gains(after_one.as_deref(), st, off);
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

    /// The pointer movement of one iteration of the loop `start..=end`, if it is a small
    /// loop whose body moves the pointer by a fixed amount (no inner loops or scans).
    fn stride(&self, start: usize, end: usize) -> Option<i64> {
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
    fn stride_loop(
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

    /// For a small loop without inner loops: the values the cells its body writes have
    /// after one iteration from the state `st` (which is left as it was).
    fn one_iteration(
        &mut self,
        start: usize,
        end: usize,
        summary: Summary,
        st: &mut State,
        depth: usize,
    ) -> Option<Vec<(i32, Option<u32>)>> {
        let small = end - start <= PEEL_MAX
            && !self.code[start + 1..end]
                .iter()
                .any(|i| matches!(i.op, Op::Loop { .. } | Op::Scan { .. }));
        if !small || self.analysis_budget == 0 {
            return None;
        }
        let writes = self.writes(summary)?.to_vec();
        let trial = st.save();
        self.trial(start + 1..end, st, depth);
        let after = writes.iter().map(|&o| (o, st.get(o))).collect();
        st.restore(trial);
        Some(after)
    }

    /// Runs the analysis of `body` on `st` without emitting anything.
    fn trial(&mut self, body: std::ops::Range<usize>, st: &mut State, depth: usize) {
        let emitting = std::mem::replace(&mut self.emitting, false);
        self.block(body, st, depth + 1);
        self.emitting = emitting;
    }

    /// Emits `if p[off] { body }` for the loop or if `start..=end`, analysing the body from
    /// `st` with the condition nonzero; afterwards `st` holds what is true either way.
    fn if_body(&mut self, start: usize, end: usize, off: i32, st: &mut State, depth: usize) {
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
    fn unconditional_if(&mut self, mark: usize, off: i32, st: &State) {
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
    fn close_if(&mut self, mark: usize, span: Span) {
        if self.emitting && self.out.len() == mark + 1 {
            self.out.pop();
        } else {
            self.emit(Op::EndIf, span);
        }
    }

    /// The `if` `start..=end` (condition `p[off]`).
    fn iff(&mut self, start: usize, end: usize, off: i32, st: &mut State, depth: usize) {
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
}

#[cfg(test)]
mod tests;
