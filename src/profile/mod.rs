//! Where the time goes: loop counts (`jitbf --profile`), as text and as a heat map.
//!
//! With [`crate::Config::profile`], every *construct* of the optimized IR (a loop, an `if` or
//! a scan) has two counters: how often it was **entered** (counted when execution leaves
//! it), and how often its **body ran** (a loop's iterations; for a scan, the cells it stepped
//! over). The JIT compiles the counters into the code (`add qword [counters + 8*k], 1` where
//! a body starts and after the end; a scan adds the distance its pointer moved), and the
//! interpreter counts the same events, so both give
//! the same [`Counts`] for the same IR; the tests check it. Without `--profile` no counter
//! exists anywhere.
//!
//! # From constructs back to the source
//!
//! [`Report`] adds the counts up per *source loop*, the `[` each construct came from (its
//! span's start), because the optimizer may turn one source loop into several constructs: at
//! `-O2` a loop whose body moves the pointer can have its first iteration peeled off into an
//! `if`, followed by the loop proper, and both count iterations of the same source loop.
//! With `--profile` the optimizer always keeps the `if` of a peeled iteration (it otherwise
//! drops the test when the first iteration surely runs), so:
//!
//! **A source loop that is still a loop (or a scan) at some optimization level has exactly
//! the iteration and entry counts it has at `-O0`** (which the interpreter and the JIT agree
//! on). Loops the optimizer removed (run at compile time, `[-]` turned into a store) have no
//! counts; loops it turned into straight code that runs at most once per entry, such as
//! multiply loops (`[->+<]`), show as *if* with how often that code ran.
//!
//! [`text`] formats the hottest loops for the terminal and [`html`] writes the source as a
//! heat map.

pub mod html;
pub mod text;

use crate::ir::{Ir, Op};
use crate::source::{LineCol, LineMap};

/// The counts of one run: for construct `k` (see [`constructs`]), `entries[k]` and
/// `bodies[k]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// How often each construct was run through: counted when execution leaves it (so a
    /// construct that a run fails inside is not counted as entered).
    pub entries: Vec<u64>,
    /// How often each construct's body ran: a loop's iterations, an `if` taken, a scan's
    /// steps.
    pub bodies: Vec<u64>,
}

impl Counts {
    /// All zero, for `n` constructs.
    pub fn zero(n: usize) -> Counts {
        Counts {
            entries: vec![0; n],
            bodies: vec![0; n],
        }
    }
}

/// The constructs of `ir`: the indices of its `Loop`, `If` and `Scan` instructions, in
/// program order. Construct `k` is `constructs(ir)[k]`.
pub fn constructs(ir: &Ir) -> Vec<u32> {
    ir.code
        .iter()
        .enumerate()
        .filter(|(_, ins)| matches!(ins.op, Op::Loop { .. } | Op::If { .. } | Op::Scan { .. }))
        .map(|(i, _)| i as u32)
        .collect()
}

/// For each instruction of `ir`, its construct number, or `u32::MAX` for instructions that
/// are not constructs.
pub fn construct_of(ir: &Ir) -> Vec<u32> {
    let mut of = vec![u32::MAX; ir.code.len()];
    for (k, i) in constructs(ir).into_iter().enumerate() {
        of[i as usize] = k as u32;
    }
    of
}

/// What a source loop became in the optimized program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Still a loop.
    Loop,
    /// A loop whose first iteration was peeled off into an `if` (counted with the loop).
    Peeled,
    /// A scan (`[>]`, `[<<]`): its iterations are the cells it stepped over.
    Scan,
    /// Straight code that runs at most once per entry (a multiply loop, or a loop the
    /// optimizer proved runs at most once): its "iterations" are how often it ran.
    If,
}

impl Kind {
    /// The word the reports use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Loop => "loop",
            Kind::Peeled => "loop*",
            Kind::Scan => "scan",
            Kind::If => "if",
        }
    }
}

/// One source loop and its counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Hot {
    /// Source byte of its `[`.
    pub start: u32,
    /// One past its `]`.
    pub end: u32,
    /// Line and column of the `[`.
    pub at: LineCol,
    /// What it became.
    pub kind: Kind,
    /// How often it was entered.
    pub entries: u64,
    /// How often its body ran.
    pub iterations: u64,
    /// The work done in it (not in loops inside it): see [`Report`].
    pub work: u64,
    /// Its work as a fraction of all the work counted.
    pub share: f64,
}

/// The counts of a run added up per source loop, hottest first.
///
/// Hotness is *work*: the IR instructions a loop executed itself, not counting those of
/// loops inside it. A loop's iteration runs the instructions of its body once (the bounds
/// checks excepted, which usually cost nothing), a nested loop's test included, so its work
/// is its iterations times that number; a scan's work is the cells it stepped over. Counts
/// alone would rank a tight inner loop and a big body alike; IR instructions are a few
/// machine instructions each, so work tracks where the time goes (the README compares it
/// with `perf` on the corpus), and it is the same in both executors.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Every source loop with a counted construct, by work (most first), then by position.
    pub loops: Vec<Hot>,
    /// All iterations counted.
    pub total: u64,
    /// All work counted.
    pub work: u64,
}

impl Report {
    /// Adds up `counts` (of a run of `ir`, compiled from `source`) per source loop.
    pub fn new(ir: &Ir, source: &[u8], counts: &Counts) -> Report {
        // Per source position: (has loop, has scan, has if, loop entries, if entries, body,
        // work).
        let mut by_pos: std::collections::BTreeMap<u32, [u64; 7]> = Default::default();
        let own = own_instructions(ir);
        for (k, &i) in constructs(ir).iter().enumerate() {
            let ins = &ir.code[i as usize];
            let e = by_pos.entry(ins.span.start).or_default();
            let (entries, body) = (counts.entries[k], counts.bodies[k]);
            match ins.op {
                Op::Loop { .. } => (e[0], e[3]) = (1, e[3] + entries),
                Op::Scan { .. } => (e[1], e[3]) = (1, e[3] + entries),
                _ => (e[2], e[4]) = (1, e[4] + entries),
            }
            e[5] += body;
            e[6] = e[6].saturating_add(body.saturating_mul(own[k]));
        }
        let ends = bracket_ends(source);
        let map = LineMap::new(source);
        let total: u64 = by_pos.values().map(|e| e[5]).sum();
        let work: u64 = by_pos.values().map(|e| e[6]).fold(0, u64::saturating_add);
        let mut loops: Vec<Hot> = by_pos
            .into_iter()
            .map(|(start, e)| {
                let kind = match (e[0] == 1, e[1] == 1, e[2] == 1) {
                    (_, true, _) => Kind::Scan,
                    (true, _, true) => Kind::Peeled,
                    (true, _, false) => Kind::Loop,
                    _ => Kind::If,
                };
                Hot {
                    start,
                    end: ends
                        .binary_search_by_key(&start, |&(s, _)| s)
                        .map_or(start + 1, |j| ends[j].1),
                    at: map.line_col(start),
                    kind,
                    entries: if kind == Kind::If { e[4] } else { e[3] },
                    iterations: e[5],
                    work: e[6],
                    share: if work == 0 {
                        0.0
                    } else {
                        e[6] as f64 / work as f64
                    },
                }
            })
            .collect();
        loops.sort_by(|a, b| {
            (b.work, b.iterations)
                .cmp(&(a.work, a.iterations))
                .then(a.start.cmp(&b.start))
        });
        Report { loops, total, work }
    }
}

/// For each construct, the instructions one run of its body executes itself: those directly
/// in it (a nested construct's opening instruction included, its body not), its own closing
/// test, and no bounds checks. A scan's step is one.
fn own_instructions(ir: &Ir) -> Vec<u64> {
    let of = construct_of(ir);
    let mut own = vec![0u64; constructs(ir).len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, ins) in ir.code.iter().enumerate() {
        match ins.op {
            Op::Loop { .. } | Op::If { .. } => {
                if let Some(&k) = open.last() {
                    own[k] += 1;
                }
                open.push(of[i] as usize);
            }
            Op::EndLoop { .. } | Op::EndIf => {
                if let Some(k) = open.pop() {
                    own[k] += u64::from(matches!(ins.op, Op::EndLoop { .. }));
                }
            }
            Op::Scan { .. } => {
                own[of[i] as usize] = 1;
                if let Some(&k) = open.last() {
                    own[k] += 1;
                }
            }
            Op::Check(_) => {}
            _ => {
                if let Some(&k) = open.last() {
                    own[k] += 1;
                }
            }
        }
    }
    own
}

/// `(position of '[', one past its ']')` for every bracket pair of `source`, by position.
fn bracket_ends(source: &[u8]) -> Vec<(u32, u32)> {
    let mut open = Vec::new();
    let mut pairs = Vec::new();
    for (i, &b) in source.iter().enumerate() {
        match b {
            b'[' => open.push(i as u32),
            b']' => {
                if let Some(s) = open.pop() {
                    pairs.push((s, i as u32 + 1));
                }
            }
            _ => {}
        }
    }
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Executor, Io, OptLevel, Program};

    fn counts(src: &str, level: OptLevel) -> (Program, Counts) {
        let config = Config::default().opt_level(level).profile(true);
        let program = Program::new(src, &config).unwrap();
        let mut interp = program.interpreter();
        interp.run(&mut Io::memory(Vec::new())).unwrap();
        let counts = interp.profile().unwrap().clone();
        (program, counts)
    }

    #[test]
    fn nested_loops_count_entries_and_iterations() {
        // The outer loop runs 3 times; the inner one is entered 3 times and runs 2 each.
        let src = "+++[>++[>+<-]<-]";
        let (program, c) = counts(src, OptLevel::O0);
        let report = Report::new(program.ir(), src.as_bytes(), &c);
        let inner = report.loops.iter().find(|h| h.start == 7).unwrap();
        let outer = report.loops.iter().find(|h| h.start == 3).unwrap();
        assert_eq!((inner.entries, inner.iterations), (3, 6));
        assert_eq!((outer.entries, outer.iterations), (1, 3));
        assert_eq!((inner.end, outer.end), (13, 16));
        assert_eq!((inner.at.col, inner.kind), (8, Kind::Loop));
        assert_eq!(report.total, 9);
        assert_eq!(report.loops[0].start, 7, "hottest first");
        // Work (at -O0 each move is an instruction, checks aside): the inner body `>+<-`
        // plus its `]` is 5 instructions, run 6 times; the outer `>`, `++`, the inner loop's
        // test, `<`, `-` and `]` are 6, run 3 times.
        assert_eq!((inner.work, outer.work, report.work), (30, 18, 48));
        assert!((inner.share - 30.0 / 48.0).abs() < 1e-9);
    }

    #[test]
    fn a_loop_made_straight_code_is_an_if_and_a_peeled_loop_counts_as_one() {
        // `[>[-]<-]` runs at most once per entry at -O2 (nothing reads p[0] after it).
        let src = ",>,<[>[-]<-]>.";
        let config = Config::default().profile(true);
        let program = Program::new(src, &config).unwrap();
        let mut interp = program.interpreter();
        interp.run(&mut Io::memory(*b"\x05\x07")).unwrap();
        let report = Report::new(program.ir(), src.as_bytes(), interp.profile().unwrap());
        assert_eq!(report.loops.len(), 1);
        let h = &report.loops[0];
        assert_eq!((h.kind, h.entries, h.iterations), (Kind::If, 1, 1));

        // `[>,]` has its first iteration peeled off at -O2: an `if` and a loop at one `[`,
        // whose counts add up to the loop's at -O0.
        let src = ",[>,]";
        let input = b"abc";
        let config = Config::default().profile(true).eof(crate::Eof::Zero);
        let mut reports = Vec::new();
        for level in [OptLevel::O0, OptLevel::O2] {
            let program = Program::new(src, &config.opt_level(level)).unwrap();
            let mut interp = program.interpreter();
            interp.run(&mut Io::memory(*input)).unwrap();
            reports.push(Report::new(
                program.ir(),
                src.as_bytes(),
                interp.profile().unwrap(),
            ));
        }
        assert_eq!(reports[0].loops[0].kind, Kind::Loop);
        assert_eq!(reports[1].loops[0].kind, Kind::Peeled);
        assert_eq!(
            (reports[1].loops[0].entries, reports[1].loops[0].iterations),
            (1, 3)
        );
        assert_eq!(reports[0].loops[0].iterations, 3);
        assert_eq!(reports[0].loops[0].entries, 1);
    }
}
