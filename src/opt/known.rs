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
//! * a loop whose cells are all known is *run at compile time* (within a step budget) and
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

mod fixpoint;
mod tape;

use rustc_hash::FxHashMap;

use self::fixpoint::Fixpoints;
use self::tape::Tape;
use crate::Config;
use crate::ir::{Instr, Ir, Op, Span};

/// Most IR steps one compile-time run of a loop may take.
const SIM_STEPS: u64 = 1 << 17;
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

/// What the pass knows about the tape. Cells are addressed by *coordinates*: absolute cell
/// numbers while `abs` holds, otherwise relative to some earlier pointer position.
///
/// Trial runs and the branches of an `if` change the state in place and are undone with an
/// undo log ([`State::save`], [`State::restore`]): copying the state instead would cost its
/// size at every loop.
#[derive(Debug)]
struct State {
    /// Cells that differ from `default`: `Some(v)` known to hold `v`, `None` unknown.
    cells: Cells,
    /// What every other cell holds (`Some(0)` on the untouched tape).
    default: Option<u32>,
    /// Coordinate of the pointer `p`.
    pos: i64,
    /// Coordinates are absolute cell numbers.
    abs: bool,
    /// Coordinates `lo..=hi` known to be on the tape (bounds checks of them have passed), so
    /// checks within them are redundant. (Not `pos` itself: `p` is only a base for offsets
    /// and may be off the tape.)
    safe: Option<(i64, i64)>,
    /// Changes since the oldest open save point, to undo them.
    log: Vec<Undo>,
    /// Number of open save points (changes are logged while there is one).
    saves: usize,
}

/// One entry of the undo log.
#[derive(Debug)]
enum Undo {
    /// A cell's entry in `cells` before a change.
    Cell(i64, Option<Option<u32>>),
    /// Everything, before the state was forgotten.
    All(Cells, Option<u32>, i64, bool, Option<(i64, i64)>),
}

/// A map from coordinates to `Option<u32>`: an array for the coordinates near the ones
/// used first (programs mostly work in a few hundred cells), a hash map beyond.
#[derive(Debug, Default)]
struct Cells {
    /// Coordinate of `dense[0]`.
    base: i64,
    /// `ABSENT`, `UNKNOWN`, or a known value.
    dense: Vec<u64>,
    far: FxHashMap<i64, Option<u32>>,
}

const ABSENT: u64 = u64::MAX;
const UNKNOWN: u64 = u64::MAX - 1;
/// Largest dense window.
const DENSE: i64 = 1 << 14;

impl Cells {
    fn decode(x: u64) -> Option<Option<u32>> {
        match x {
            ABSENT => None,
            UNKNOWN => Some(None),
            v => Some(Some(v as u32)),
        }
    }

    fn encode(v: Option<Option<u32>>) -> u64 {
        match v {
            None => ABSENT,
            Some(None) => UNKNOWN,
            Some(Some(v)) => u64::from(v),
        }
    }

    /// The slot for `coord` in `dense`, growing the window if that keeps it small.
    fn slot(&mut self, coord: i64, grow: bool) -> Option<&mut u64> {
        if self.dense.is_empty() {
            if !grow {
                return None;
            }
            self.base = coord;
        }
        let end = self.base + self.dense.len() as i64;
        if coord < self.base {
            if !grow || end - coord > DENSE {
                return None;
            }
            let extra = (self.base - coord) as usize;
            self.dense.splice(0..0, std::iter::repeat_n(ABSENT, extra));
            self.base = coord;
        } else if coord >= end {
            if !grow || coord - self.base >= DENSE {
                return None;
            }
            self.dense.resize((coord - self.base + 1) as usize, ABSENT);
        }
        self.dense.get_mut((coord - self.base) as usize)
    }

    fn get(&self, coord: i64) -> Option<Option<u32>> {
        let i = coord.wrapping_sub(self.base);
        match self.dense.get(usize::try_from(i).unwrap_or(usize::MAX)) {
            Some(&x) => Cells::decode(x),
            None => self.far.get(&coord).copied(),
        }
    }

    /// Sets `coord` to `v` (`None`: back to the default); returns what it was.
    /// The cells known to hold a value, with it.
    fn known(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        let base = self.base;
        self.dense
            .iter()
            .enumerate()
            .filter(|&(_, &x)| x < UNKNOWN)
            .map(move |(i, &x)| (base + i as i64, x as u32))
            .chain(self.far.iter().filter_map(|(&c, &v)| Some((c, v?))))
    }

    /// Forgets every entry (keeping the memory of the table).
    fn clear(&mut self) {
        self.dense.clear();
        if !self.far.is_empty() {
            self.far.clear();
        }
    }

    fn put(&mut self, coord: i64, v: Option<Option<u32>>) -> Option<Option<u32>> {
        // Most coordinates are inside the window: one lookup, as in `get`.
        let i = usize::try_from(coord.wrapping_sub(self.base)).unwrap_or(usize::MAX);
        if let Some(slot) = self.dense.get_mut(i) {
            return Cells::decode(std::mem::replace(slot, Cells::encode(v)));
        }
        if let Some(slot) = self.slot(coord, v.is_some()) {
            return Cells::decode(std::mem::replace(slot, Cells::encode(v)));
        }
        match v {
            Some(v) => self.far.insert(coord, v),
            None => self.far.remove(&coord),
        }
    }
}

/// A point to which a [`State`] can be restored.
#[derive(Clone, Copy)]
struct Save {
    log: usize,
    pos: i64,
    safe: Option<(i64, i64)>,
}

impl State {
    fn start() -> State {
        State {
            cells: Cells::default(),
            default: Some(0),
            pos: 0,
            abs: true,
            safe: Some((0, 0)),
            log: Vec::new(),
            saves: 0,
        }
    }

    fn at(&self, coord: i64) -> Option<u32> {
        self.cells.get(coord).unwrap_or(self.default)
    }

    fn get(&self, off: i32) -> Option<u32> {
        self.at(self.pos + i64::from(off))
    }

    fn set_at(&mut self, coord: i64, v: Option<u32>) {
        let old = self
            .cells
            .put(coord, if v == self.default { None } else { Some(v) });
        if self.saves > 0 {
            self.log.push(Undo::Cell(coord, old));
        }
    }

    fn set(&mut self, off: i32, v: Option<u32>) {
        self.set_at(self.pos + i64::from(off), v);
    }

    /// Forgets everything, as after a move by an unknown distance (the pointer gets a new
    /// coordinate system).
    fn forget(&mut self) {
        if self.saves > 0 {
            let cells = std::mem::take(&mut self.cells);
            self.log.push(Undo::All(
                cells,
                self.default,
                self.pos,
                self.abs,
                self.safe,
            ));
        } else {
            // Nothing can be undone: emptied in place, keeping the memory.
            self.cells.clear();
        }
        self.default = None;
        self.abs = false;
        self.safe = None;
    }

    /// Forgets every cell but keeps the pointer's coordinates.
    fn forget_cells(&mut self) {
        let (pos, abs) = (self.pos, self.abs);
        self.forget();
        (self.pos, self.abs) = (pos, abs);
    }

    fn save(&mut self) -> Save {
        self.saves += 1;
        Save {
            log: self.log.len(),
            pos: self.pos,
            safe: self.safe,
        }
    }

    /// Undoes every change since `save` (which must be the most recent open one).
    fn restore(&mut self, save: Save) {
        while self.log.len() > save.log {
            match self.log.pop().expect("nonempty") {
                Undo::Cell(coord, old) => {
                    self.cells.put(coord, old);
                }
                Undo::All(cells, default, pos, abs, safe) => {
                    (self.cells, self.default, self.pos, self.abs, self.safe) =
                        (cells, default, pos, abs, safe);
                }
            }
        }
        self.pos = save.pos;
        self.safe = save.safe;
        self.close(save);
    }

    /// Keeps the changes since `save` (which must be the most recent open one).
    fn close(&mut self, save: Save) {
        self.saves -= 1;
        if self.saves == 0 {
            self.log.clear();
        }
        debug_assert!(self.log.len() >= save.log || self.saves == 0);
    }

    /// The coordinates changed since `save` and their values now, into `out` (emptied
    /// first); false if the state was forgotten since.
    fn changed_since(&self, save: Save, out: &mut Vec<(i64, Option<u32>)>) -> bool {
        out.clear();
        for u in &self.log[save.log..] {
            match u {
                Undo::Cell(c, _) => out.push((*c, self.at(*c))),
                Undo::All(..) => return false,
            }
        }
        true
    }
}

/// What a loop body does, in summary.
#[derive(Clone, Copy, Debug, Default)]
struct Summary {
    /// The body leaves the pointer where it found it (no net move, no inner loop or scan
    /// that moves it).
    balanced: bool,
    /// The offsets the body may write are `writes[first..first+len]`; `len == u32::MAX`
    /// means "too many to list".
    first: u32,
    len: u32,
    /// Position of the matching `EndLoop` or `EndIf`.
    end: u32,
}

/// The summaries of a program's loops and ifs. (A vector indexed by instruction rather than a
/// hash map: the pass looks them up in program order, which this keeps cache friendly.)
struct Summaries {
    /// For each instruction, the index in `list` of its summary (if it opens a loop or if).
    index: Vec<u32>,
    list: Vec<Summary>,
}

/// Summaries of every loop and if, by the position of its opening instruction, and the
/// storage for their write lists.
fn summarize(code: &[Instr]) -> (Summaries, Vec<i32>) {
    let mut done = Summaries {
        index: vec![u32::MAX; code.len()],
        list: Vec::new(),
    };
    let mut lists: Vec<i32> = Vec::new();
    // Open brackets: (position, balanced, where its writes start in `stack`, or `None` for
    // too many).
    let mut open: Vec<(usize, bool, Option<usize>)> = Vec::new();
    // The write lists of the open brackets, one after the other, innermost last (one vector
    // for all of them: a loop costs no allocation).
    let mut stack: Vec<i32> = Vec::new();
    // Adds `off` to the innermost list, which starts at `from` in `stack`.
    let write = |stack: &mut Vec<i32>, from: &mut Option<usize>, off: i32| {
        if let Some(f) = *from
            && !stack[f..].contains(&off)
        {
            if stack.len() - f == MAX_WRITES {
                *from = None;
                stack.truncate(f);
            } else {
                stack.push(off);
            }
        }
    };
    for (i, ins) in code.iter().enumerate() {
        let Some((_, balanced, writes)) = open.last_mut() else {
            if matches!(ins.op, Op::Loop { .. } | Op::If { .. }) {
                open.push((i, true, Some(stack.len())));
            }
            continue;
        };
        match ins.op {
            Op::Add { off, .. } | Op::Set { off, .. } | Op::In { off } => {
                write(&mut stack, writes, off)
            }
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } => write(&mut stack, writes, dst),
            Op::Move { .. } | Op::Scan { .. } => *balanced = false,
            Op::Loop { .. } | Op::If { .. } => open.push((i, true, Some(stack.len()))),
            Op::EndLoop { .. } | Op::EndIf => {
                let (start, bal, w) = open.pop().expect("balanced");
                let (first, len) = match w {
                    Some(f) => {
                        lists.extend_from_slice(&stack[f..]);
                        let len = stack.len() - f;
                        stack.truncate(f);
                        ((lists.len() - len) as u32, len as u32)
                    }
                    None => (0, u32::MAX),
                };
                if let Some((_, parent_bal, parent_writes)) = open.last_mut() {
                    *parent_bal &= bal;
                    if w.is_some() {
                        let from = first as usize;
                        for &o in &lists[from..from + len as usize] {
                            write(&mut stack, parent_writes, o);
                        }
                    } else if let Some(f) = parent_writes.take() {
                        stack.truncate(f);
                    }
                }
                done.index[start] = done.list.len() as u32;
                done.list.push(Summary {
                    balanced: bal,
                    first,
                    len,
                    end: i as u32,
                });
            }
            Op::Check(_) | Op::Out { .. } | Op::Print { .. } | Op::Debug { .. } => {}
        }
    }
    (done, lists)
}

/// What compile-time runs reuse from one to the next: the tape, and which loops can stop
/// early ([`fixpoint`]).
#[derive(Debug, Default)]
struct Scratch {
    tape: Tape,
    fixpoints: Fixpoints,
}

/// The effect of running a loop at compile time.
struct Sim {
    /// Final values of the cells written, sorted by coordinate.
    writes: Vec<(i64, u32)>,
    /// Output, in order.
    output: Vec<u8>,
    /// Pointer movement.
    moved: i64,
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
}

impl Known<'_> {
    fn emit(&mut self, op: Op, span: Span) {
        if self.emitting {
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
            self.ir.bytes.extend_from_slice(bytes);
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
        let mut i = range.start;
        while i < range.end {
            self.analysis_budget = self.analysis_budget.saturating_sub(1);
            let Instr { op, span } = self.code[i];
            match op {
                Op::Add { off, val } => match st.get(off) {
                    Some(v) => self.store(st, off, v.wrapping_add(val), span),
                    None => self.emit(op, span),
                },
                Op::Set { off, val } => self.store(st, off, val, span),
                Op::MulAdd { src, dst, k } => match (st.get(src), st.get(dst)) {
                    (Some(s), _) if s.wrapping_mul(k) & self.mask == 0 => {}
                    (Some(s), Some(d)) => {
                        self.store(st, dst, d.wrapping_add(s.wrapping_mul(k)), span)
                    }
                    (Some(s), None) => self.emit(
                        Op::Add {
                            off: dst,
                            val: s.wrapping_mul(k),
                        },
                        span,
                    ),
                    (None, Some(0)) => {
                        self.emit(Op::MulSet { src, dst, k }, span);
                        st.set(dst, None);
                    }
                    (None, _) => {
                        self.emit(op, span);
                        st.set(dst, None);
                    }
                },
                Op::MulSet { src, dst, k } => match st.get(src) {
                    Some(s) => self.store(st, dst, s.wrapping_mul(k), span),
                    None => {
                        self.emit(op, span);
                        st.set(dst, None);
                    }
                },
                Op::Move { delta } => {
                    self.emit(op, span);
                    st.pos += i64::from(delta);
                }
                Op::Check(id) => {
                    let e = self.ir.excursion(id);
                    let (lo, hi) = (st.pos + i64::from(e.lo), st.pos + i64::from(e.hi));
                    let certain = (st.abs && lo >= 0 && hi < self.cells)
                        || st.safe.is_some_and(|(a, b)| a <= lo && hi <= b);
                    if !certain {
                        self.emit(op, span);
                    }
                    // Past a check, its cells are on the tape (else the program stopped), and
                    // so is everything between them and the cells already known to be.
                    st.safe = Some(match st.safe {
                        Some((a, b)) => (a.min(lo), b.max(hi)),
                        None => (lo, hi),
                    });
                }
                Op::Out { off } => match st.get(off) {
                    Some(v) => self.print(&[v as u8], span),
                    None => self.emit(op, span),
                },
                Op::Print { start, len } => {
                    let bytes = self.ir.bytes[start as usize..(start + len) as usize].to_vec();
                    self.print(&bytes, span);
                }
                Op::In { off } => {
                    self.emit(op, span);
                    st.set(off, None);
                }
                // A dump reads the tape as it is, which every rewrite here keeps exact.
                Op::Debug { .. } => self.emit(op, span),
                Op::Scan { off, .. } => {
                    if st.get(off) != Some(0) {
                        self.emit(op, span);
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

    fn store(&mut self, st: &mut State, off: i32, val: u32, span: Span) {
        let val = val & self.mask;
        self.emit(Op::Set { off, val }, span);
        st.set(off, Some(val));
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
        let at_most_once = self.loop_head(st, summary, off, body.clone(), depth);
        if at_most_once {
            // A body that always ends with the condition at 0 runs at most once: an `if`,
            // analysed from the (more precise) entry state.
            st.restore(entry);
            self.if_body(start, end, off, st, depth);
            return;
        }
        // Cells one iteration leaves known that are unknown at the head.
        let gain = after_one.as_ref().is_some_and(|after| {
            after
                .iter()
                .any(|&(o, v)| o != off && v.is_some() && st.get(o).is_none())
        });
        if let (true, Some(after_one)) = (gain, after_one) {
            // The body leaves cells known that are unknown on entry: run the first iteration
            // on its own (`if p[off] { body }`), then loop with what it leaves known.
            st.restore(entry);
            self.if_body(start, end, off, st, depth);
            let after_if = st.save();
            for &(o, v) in &after_one {
                st.set(o, v);
            }
            self.loop_head(st, summary, off, body.clone(), depth);
            let head: Vec<(i32, Option<u32>)> =
                after_one.iter().map(|&(o, _)| (o, st.get(o))).collect();
            self.emit(Op::Loop { off }, lo_span);
            let in_loop = st.save();
            self.block(body, st, depth + 1);
            st.restore(in_loop);
            self.emit(Op::EndLoop { off }, self.code[end].span);
            // Either the loop ran (ending at its head state) or it did not (the state after
            // the `if`); keep what agrees. Only written cells can differ.
            st.restore(after_if);
            for (o, v) in head {
                if st.get(o) != v {
                    st.set(o, None);
                }
            }
            st.set(off, Some(0));
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
        let known: Vec<(i64, u32)> = st.cells.known().map(|(c, v)| (c - after, v)).collect();
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

    /// Turns `st` into the state at the head of a balanced loop: cells the body writes are
    /// unknown, except those that a trial run shows the body returns to their entry value.
    /// Returns whether the body always ends with the condition `p[off]` at 0.
    fn loop_head(
        &mut self,
        st: &mut State,
        summary: Summary,
        off: i32,
        body: std::ops::Range<usize>,
        depth: usize,
    ) -> bool {
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
        for _ in 0..3 {
            if keep.is_empty() || self.analysis_budget == 0 {
                break;
            }
            let guess = st.save();
            for &(o, v) in &keep {
                st.set(o, Some(v));
            }
            let trial = st.save();
            self.trial(body.clone(), st, depth);
            let before = keep.len();
            let cleared = st.get(off) == Some(0);
            keep.retain(|&(o, v)| st.get(o) == Some(v));
            st.restore(trial);
            if keep.len() == before {
                st.close(guess);
                return cleared;
            }
            st.restore(guess);
        }
        let trial = st.save();
        self.trial(body, st, depth);
        let cleared = st.get(off) == Some(0);
        st.restore(trial);
        cleared
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

    /// Emits the effect of a loop run at compile time.
    fn apply(&mut self, sim: Sim, st: &mut State, span: Span) {
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
    fn simulate(&mut self, start: usize, end: usize, st: &State) -> Option<Sim> {
        let mut limit = SIM_STEPS.min(self.sim_budget);
        for &(s, e) in &self.too_long {
            if s == start {
                return None;
            }
            if s < start && start < e {
                limit = (limit >> 3).max(SIM_STEPS_INNER_MIN.min(limit));
            }
        }
        if limit == 0 {
            return None;
        }
        let mut steps = 0u64;
        let mut sim = Sim {
            writes: Vec::new(),
            output: Vec::new(),
            moved: 0,
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
        if finished.is_none() && steps > limit {
            self.too_long.push((start, end));
        }
        finished.map(|()| sim)
    }

    /// The interpreter behind [`Known::simulate`]: `None` as soon as it has to give up.
    /// Cells are read from and written to the scratch tape, which falls back to `st` for
    /// cells the run has not touched yet. Loops that settle ([`fixpoint`]) are left as soon
    /// as an iteration changes nothing but their counter. A loop whose condition goes down
    /// by the same amount every iteration is given up on as soon as the iterations left,
    /// each as long as the last one, would pass `limit` (squares.b's outer loop: after
    /// 15,721 steps instead of all 131,072): a run that will not finish is pure cost.
    #[allow(clippy::too_many_arguments)]
    fn run_at_compile_time(
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
        struct Head {
            start: usize,
            tries: u32,
            snapshot: usize,
            /// The condition's value and the step count at the end of the last iteration.
            lap: Option<(u32, u64)>,
        }
        const NONE: usize = usize::MAX;
        let Scratch { tape, fixpoints } = scratch;
        let load = |c: i64| st.at(c);
        let read = |tape: &mut Tape, c: i64| tape.read(c, load);
        let mask = self.mask;
        let check = |id, pos: i64| {
            let e = self.ir.excursion(id);
            st.abs && pos + i64::from(e.lo) >= 0 && pos + i64::from(e.hi) < self.cells
        };
        let mut pos = st.pos;
        let mut heads: Vec<Head> = Vec::new();
        let mut i = start;
        while i <= end {
            *steps += 1;
            if *steps > limit {
                return None;
            }
            let at = |off: i32| pos + i64::from(off);
            match self.code[i].op {
                Op::Add { off, val } => {
                    tape.update(at(off), load, |v| v.wrapping_add(val) & mask)?;
                }
                Op::Set { off, val } => tape.write(at(off), val & self.mask),
                Op::MulAdd { src, dst, k } => {
                    let s = read(tape, at(src))?;
                    tape.update(at(dst), load, |d| d.wrapping_add(s.wrapping_mul(k)) & mask)?;
                }
                Op::MulSet { src, dst, k } => {
                    let s = read(tape, at(src))?;
                    tape.write(at(dst), s.wrapping_mul(k) & self.mask);
                }
                Op::Move { delta } => pos += i64::from(delta),
                Op::Check(id) => {
                    if !check(id, pos) {
                        return None;
                    }
                }
                Op::Out { off } => sim.output.push(read(tape, at(off))? as u8),
                Op::Print { start, len } => sim
                    .output
                    .extend_from_slice(&self.ir.bytes[start as usize..(start + len) as usize]),
                // Input and tape dumps happen at run time.
                Op::In { .. } | Op::Debug { .. } => return None,
                Op::Scan {
                    off,
                    step,
                    check: id,
                } => {
                    while read(tape, pos + i64::from(off))? != 0 {
                        *steps += 1;
                        if *steps > limit || !check(id, pos) {
                            return None;
                        }
                        pos += i64::from(step);
                    }
                }
                Op::If { off } => {
                    if read(tape, at(off))? == 0 {
                        i = self.partner(i);
                    }
                }
                Op::Loop { off } => {
                    if read(tape, at(off))? == 0 {
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
                            lap: None,
                        });
                    }
                }
                Op::EndLoop { off } => {
                    let head = heads.last_mut().expect("balanced");
                    let v = read(tape, at(off))?;
                    let mut again = v != 0;
                    if again {
                        // A counter going down by `d` per iteration has `v / d` to go: if
                        // that many more of the last iteration do not fit, stop now.
                        if let Some((prev, at_prev)) = head.lap {
                            let d = prev.wrapping_sub(v) & self.mask;
                            if d != 0 && v % d == 0 {
                                let laps = u64::from(v / d);
                                if *steps + laps.saturating_mul(*steps - at_prev) > limit {
                                    *steps = limit + 1;
                                    return None;
                                }
                            }
                        }
                        head.lap = Some((v, *steps));
                    }
                    if again && head.snapshot != NONE {
                        // Compare with the iteration's start; keep this end as the next start.
                        let writes = self.writes(self.summary(head.start)).expect("compared");
                        let mut settled = true;
                        let others = writes.iter().filter(|&&o| o != off);
                        for (k, &o) in (head.snapshot..).zip(others) {
                            let v = read(tape, at(o))?;
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
                        i = head.start;
                    } else {
                        let head = heads.pop().expect("balanced");
                        if head.snapshot != NONE {
                            fixpoints.snapshots.truncate(head.snapshot);
                        }
                    }
                }
                Op::EndIf => {}
            }
            i += 1;
        }
        sim.moved = pos - st.pos;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opt::testing::after;
    use crate::opt::{clear, dse, fold, mul};

    fn known(src: &str) -> Ir {
        crate::opt::compact(after(
            src,
            &[fold::run, clear::run, fold::run, mul::run, run, dse::run],
        ))
    }

    fn printed(ir: &Ir) -> Vec<u8> {
        ir.code
            .iter()
            .filter_map(|i| match i.op {
                Op::Print { start, len } => Some(&ir.bytes[start as usize..(start + len) as usize]),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    #[test]
    fn constant_programs_become_output() {
        let ir = known("++++++++[>++++++++<-]>+.+.");
        assert_eq!(printed(&ir), b"AB");
        assert!(
            ir.code.iter().all(|i| matches!(i.op, Op::Print { .. })),
            "{:?}",
            ir.code
        );
    }

    #[test]
    fn nested_counting_loops_run_at_compile_time() {
        let ir = known("++++[>++++[>++++[>+<-]<-]<-]>>>.");
        assert_eq!(printed(&ir), [64]);
    }

    /// `levels` counting loops of `count` iterations, each at the cell right of the one
    /// around it (from cell 1), around `inner`.
    fn nest(levels: usize, count: usize, inner: &str) -> String {
        let mut src = inner.to_string();
        for _ in 0..levels {
            src = format!("{}[>{src}<-]", "+".repeat(count));
        }
        format!(">{src}")
    }

    #[test]
    fn counting_loops_that_settle_run_at_compile_time_however_long_they_are() {
        // Eight levels of 10 iterations around a `[-]`: 10^8 iterations in all, far beyond
        // the step limit, but each loop leaves its cells as the iteration before it did.
        let src = nest(8, 10, "+++[-]");
        let ir = known(&format!("{src}+++++.>.>>>>>>>>+."));
        assert_eq!(printed(&ir), [5, 0, 1]);
        assert!(
            !ir.code.iter().any(|i| matches!(i.op, Op::Loop { .. })),
            "{:?}",
            ir.code
        );
    }

    #[test]
    fn counting_loops_that_do_not_settle_stay_loops() {
        // The innermost body adds 1 to a cell: 10^6 times in all, and every iteration of
        // every level changes that cell (by 10^k, never a multiple of 256).
        let ir = known(&format!("{}>>>>>>>>.", nest(6, 10, ">+<")));
        assert!(
            ir.code.iter().any(|i| matches!(i.op, Op::Loop { .. })),
            "{:?}",
            ir.code
        );
        // And where whole iterations add a multiple of 256, they do settle: 16^6 in all.
        let ir = known(&format!("{}>>>>>>>>.", nest(6, 16, ">+<")));
        assert_eq!(printed(&ir), [0]);
    }

    #[test]
    fn a_loop_whose_cells_cycle_is_not_settled() {
        // p[1] alternates between 0 and 128 from one iteration to the next: an iteration
        // ends as the one before it began, but never as it began itself. (The inner loop
        // keeps the multiply pass off the outer one.)
        let src = format!("+++[>{}>++[>+<-]>[-]<<<-]>.", "+".repeat(128));
        assert_eq!(printed(&known(&src)), [128]);
    }

    #[test]
    fn input_stops_the_knowledge() {
        let ir = known(",[>+<-]>.");
        assert!(ir.code.iter().any(|i| matches!(i.op, Op::In { .. })));
        assert!(ir.code.iter().any(|i| matches!(i.op, Op::Out { .. })));
    }

    #[test]
    fn loops_on_known_zero_cells_vanish() {
        let ir = known("[->+<]>[<]+.");
        assert_eq!(printed(&ir), [1]);
        assert!(
            !ir.code
                .iter()
                .any(|i| matches!(i.op, Op::Loop { .. } | Op::Scan { .. }))
        );
    }

    #[test]
    fn leaving_the_tape_is_left_to_run_time() {
        // The loop would run off the left end: it must stay, to fail when it runs.
        let ir = known("+[<+]");
        assert!(
            ir.code.iter().any(|i| matches!(i.op, Op::Loop { .. })),
            "{:?}",
            ir.code
        );
    }

    #[test]
    fn cells_a_loop_restores_stay_known() {
        // p[2] is set to 5 before the loop; the body uses and restores it, so after the loop
        // it is still known and `.` prints a constant.
        let ir = known(">>+++++<<,[>>[-<+>]<[->+<]<-]>>.");
        assert_eq!(printed(&ir), [5]);
    }
}
