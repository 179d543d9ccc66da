//! Optimization passes over the IR.
//!
//! Each pass is a function that rewrites an [`Ir`], in its own file with a doc comment
//! showing the Brainfuck it rewrites and unit tests. No pass may change what a program
//! prints, its exit status or the source position a runtime error names;
//! `tests/differential.rs` checks every level against the interpreter at `-O0`.
//!
//! Passes run in a fixed order, chosen by [`OptLevel`]:
//!
//! | level | passes |
//! |---|---|
//! | `-O0` | none: the parser's literal translation |
//! | `-O1` | [`fold`] (pointer moves into offsets, arithmetic combined, [`clear`] loops to stores) |
//! | `-O2` | [`fold`], [`mul`], [`scan`], [`known`], [`dse`], [`fold`], [`mul`], [`ladder`], [`carry`], [`absorb`] |
//!
//! At `-O2` the first three put loops in the shapes [`known`] works with; what [`known`] and
//! [`dse`] leave (stores made redundant, `if`s emptied, arithmetic made constant) is folded
//! again, and [`mul`] runs once more on loops that only became multiply loops then; last,
//! [`ladder`] turns the `if` ladders [`known`] made into bounded moves, and [`carry`] puts
//! the `if`s that carry a digit in the form the code generator runs without a branch;
//! [`absorb`] moves a constant added just before a multiply `if` into its destination.
//! [`mul`] and [`scan`]
//! each look at one loop at a time, once its body is folded: they run inside the [`fold`]
//! before them, as it closes each loop ([`fold::Fuse`]), with the same result and no walk over
//! the IR of their own. The first [`fold`] runs while the parser produces instructions
//! ([`parse_and_optimize`]), so the literal IR of a large program is never built. There,
//! [`known`], the pass that costs most per instruction, analyses at most the first
//! [`KNOWN_BUDGET`] instructions of the program (up to a top-level boundary) and leaves the
//! rest as it is, so a huge program costs time and memory in proportion to its size, and gets
//! slower code only in its later part, with no step at some size
//! ([`Optimized::unanalysed_ops`] says how much was left; `--stats` shows it). A source of
//! [`split::SPLIT_MIN`] bytes or more is cut in two pieces, parsed and optimized on two threads
//! at once and joined again ([`split`]; each piece has its own [`KNOWN_BUDGET`]). After the
//! passes, [`compact`] drops no-op instructions, merges neighbouring `print`s and rebuilds the
//! check tables.

pub mod absorb;
pub mod carry;
pub mod clear;
pub mod dse;
pub mod fold;
pub mod known;
pub mod ladder;
pub mod mul;
pub mod scan;
pub mod split;

use std::time::{Duration, Instant};

use crate::Config;
use crate::ir::{CheckId, Instr, Ir, Op};

/// Which optimizations run. Every level gives identical results; higher is faster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptLevel {
    /// No optimization: one IR op per run of identical commands.
    O0,
    /// Fold arithmetic and pointer moves into offsets; `[-]` becomes a store.
    O1,
    /// Everything.
    #[default]
    O2,
}

/// A pass: rewrites the IR for a configuration.
pub type Pass = fn(&mut Ir, &Config);

/// One step of a level's pipeline: which pass runs, and (for [`fold`]) which loop rewrites it
/// makes as it closes each loop.
///
/// The pipeline is data rather than a list of functions so that [`parse_and_optimize`] can
/// tell what a step is by its type: it runs a first [`Step::Fold`] as the parser produces
/// instructions, with that step's [`fold::Fuse`], and gives [`Step::Known`] its budget.
/// (Telling them apart by name would let a renamed pass silently stop being streamed.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// [`fold`], with the loop rewrites of [`mul`] and [`scan`] that the [`fold::Fuse`] turns
    /// on made as it closes each loop.
    Fold(fold::Fuse),
    /// [`known`].
    Known,
    /// [`dse`].
    Dse,
    /// [`ladder`].
    Ladder,
    /// [`carry`].
    Carry,
    /// [`absorb`].
    Absorb,
}

impl Step {
    /// The step's name: the pass, with the passes fused into a fold after a `+`
    /// (`fold+mul+scan`).
    pub fn name(self) -> &'static str {
        match self {
            Step::Fold(fold::Fuse { mul, scan }) => match (mul, scan) {
                (false, false) => "fold",
                (true, false) => "fold+mul",
                (false, true) => "fold+scan",
                (true, true) => "fold+mul+scan",
            },
            Step::Known => "known",
            Step::Dse => "dse",
            Step::Ladder => "ladder",
            Step::Carry => "carry",
            Step::Absorb => "absorb",
        }
    }

    /// Runs the step on `ir`.
    pub fn run(self, ir: &mut Ir, config: &Config) {
        match self {
            Step::Fold(fuse) => fold::run_fused(ir, config, fuse),
            Step::Known => known::run(ir, config),
            Step::Dse => dse::run(ir, config),
            Step::Ladder => ladder::run(ir, config),
            Step::Carry => carry::run(ir, config),
            Step::Absorb => absorb::run(ir, config),
        }
    }
}

/// The steps of a level, in the order they run. [`mul`] and [`scan`] run inside the
/// [`fold`] before them ([`fold::Fuse`]): the same result as running them after it, without a
/// walk over the IR each.
pub fn passes(level: OptLevel) -> &'static [Step] {
    match level {
        OptLevel::O0 => &[],
        OptLevel::O1 => &[Step::Fold(fold::Fuse::NONE)],
        OptLevel::O2 => &[
            Step::Fold(fold::Fuse::MUL_SCAN),
            Step::Known,
            Step::Dse,
            Step::Fold(fold::Fuse::MUL),
            Step::Ladder,
            Step::Carry,
            Step::Absorb,
        ],
    }
}

/// The loop rewrites fused into the first step of a level, if that step is a [`fold`] (which
/// [`parse_and_optimize`] then runs as the parser produces instructions).
fn first_fold(level: OptLevel) -> Option<fold::Fuse> {
    match passes(level).first()? {
        Step::Fold(fuse) => Some(*fuse),
        _ => None,
    }
}

/// Runs the passes of `config.opt_level` on the literal IR from the parser, then
/// [`compact`].
pub fn optimize(mut ir: Ir, config: &Config) -> Ir {
    for step in passes(config.opt_level) {
        step.run(&mut ir, config);
    }
    compact(ir)
}

/// Most instructions [`known`] analyses in [`parse_and_optimize`] (it costs a few hundred
/// nanoseconds per instruction, several times any other pass), in each piece of a program cut
/// in pieces ([`split`]: the budget bounds the time of one thread). A program longer than this
/// after the first fold gets the pass on its first part only (see [`known::run_within`]):
/// every pass is optional, so the result runs the same, only the rest of it more slowly.
pub const KNOWN_BUDGET: usize = 1 << 20;

/// The result of [`parse_and_optimize`].
pub struct Optimized {
    /// The optimized program.
    pub ir: Ir,
    /// Instructions the parser produced (the size of the literal IR).
    pub literal_ops: usize,
    /// Time spent parsing (including the first folding pass, which runs as the parser
    /// produces instructions). Wall time: with pieces, until the last of them is parsed.
    pub parse_time: Duration,
    /// Time spent in the other passes.
    pub optimize_time: Duration,
    /// Instructions at the end of the program that [`known`] left unanalysed (0 when it
    /// covered the whole program; see [`KNOWN_BUDGET`]).
    pub unanalysed_ops: usize,
    /// Pieces the program was optimized in (1, or 2 for a large program: see [`split`]).
    pub pieces: usize,
    /// Threads that optimized them (2 when a second thread took a piece).
    pub threads: usize,
}

/// An empty IR for the first fold's output, with room from the start for the folded code of
/// a small program (a few hundred KB at most: a larger source grows from there, past the
/// allocator's threshold for mapping memory, where growing moves no bytes).
fn folded_output(src_len: usize) -> Ir {
    let mut out = Ir::default();
    out.code.reserve((src_len / 2).clamp(1 << 12, 1 << 14));
    out.excursions.reserve((src_len / 8).clamp(1 << 8, 1 << 12));
    out.reaches.reserve((src_len / 8).clamp(1 << 8, 1 << 12));
    out
}

/// Runs `steps` on `ir` (the pipeline after the first fold), [`known`] within its
/// [`KNOWN_BUDGET`]; returns how many instructions [`known`] left unanalysed. The passes
/// allocate as they go, so this first makes sure their peak fits (see `crate::mem`).
fn run_steps(ir: &mut Ir, config: &Config, steps: &[Step]) -> Result<usize, crate::ParseError> {
    crate::mem::room_for(ir.len().saturating_mul(crate::mem::PASSES_PER_OP))
        .map_err(|_| out_of_memory())?;
    let mut unanalysed_ops = 0;
    for step in steps {
        if *step == Step::Known {
            let before = ir.len();
            unanalysed_ops = before - known::run_within(ir, config, KNOWN_BUDGET);
        } else {
            step.run(ir, config);
        }
    }
    Ok(unanalysed_ops)
}

/// The error for a compile that does not fit in memory.
fn out_of_memory() -> crate::ParseError {
    crate::ParseError {
        kind: crate::parse::ParseErrorKind::OutOfMemory,
        pos: 0,
    }
}

/// Parses and optimizes in one go: the same result as [`optimize`] on the parser's output,
/// but the first pass ([`fold`]) takes the parser's instructions as they come, so the literal
/// IR of a large program is never held in memory. A source of [`split::SPLIT_MIN`] bytes or
/// more is cut in two pieces optimized on two threads ([`split`]).
pub fn parse_and_optimize(src: &[u8], config: &Config) -> Result<Optimized, crate::ParseError> {
    parse_and_optimize_split(src, config, split::Split::Auto)
}

/// [`parse_and_optimize`], cut in pieces as `split` says (forced, for tests, or never). The
/// program behaves the same however it is cut; its code may differ at the seam.
pub fn parse_and_optimize_split(
    src: &[u8],
    config: &Config,
    split: split::Split,
) -> Result<Optimized, crate::ParseError> {
    if let Some(done) = split::parse_and_optimize_cut(src, config, split) {
        return Ok(done);
    }
    let start = Instant::now();
    let passes = passes(config.opt_level);
    let fuse = first_fold(config.opt_level);
    let streamed = fuse.is_some();
    let (mut ir, literal_ops) = if let Some(fuse) = fuse {
        let mut folder = fold::Folder::new(folded_output(src.len())).fusing(fuse);
        crate::parse::parse_into_with(src, config.debug, &mut folder)?;
        let n = folder.consumed();
        (folder.finish(), n)
    } else {
        let ir = crate::parse::parse_with(src, config.debug)?;
        let n = ir.len();
        (ir, n)
    };
    let parse_time = start.elapsed();
    let unanalysed_ops = run_steps(&mut ir, config, &passes[usize::from(streamed)..])?;
    let ir = compact(ir);
    Ok(Optimized {
        ir,
        literal_ops,
        parse_time,
        optimize_time: start.elapsed() - parse_time,
        unanalysed_ops,
        pieces: 1,
        threads: 1,
    })
}

/// True for instructions that do nothing: `Add 0`, `Move 0`, and checks of nothing.
pub fn is_nop(ir: &Ir, ins: &Instr) -> bool {
    match ins.op {
        Op::Add { val: 0, .. } | Op::Move { delta: 0 } => true,
        Op::Check(id) => ir.excursion(id).len == 0,
        _ => false,
    }
}

/// Drops no-op instructions and merges adjacent `print`s (in place), and rebuilds the check
/// and print tables with only what is referenced.
///
/// The check tables are squeezed in place: the passes leave many checks unreferenced (every
/// fold makes new merged ones), and copying the survivors to new tables would briefly hold
/// both, the largest memory peak of a huge program's optimization.
pub fn compact(mut ir: Ir) -> Ir {
    // Which checks the remaining instructions use: `map[id]` is `UNUSED` or, after
    // `squeeze_checks`, the check's new id (with `SEEN` once an instruction refers to it).
    let mut map = vec![UNUSED; ir.excursions.len()];
    for ins in &ir.code {
        if let Op::Check(id) | Op::Scan { check: id, .. } = ins.op
            && !is_nop(&ir, ins)
        {
            map[id.0 as usize] = 0;
        }
    }
    squeeze_checks(&mut ir, &mut map);
    let mut bytes = Vec::new();
    let mut w: usize = 0;
    for r in 0..ir.code.len() {
        // (Most instructions stay as they are, and are copied whole; only the others are
        // taken apart below, which the compiler does field by field.)
        if !matches!(
            ir.code[r].op,
            Op::Check(_)
                | Op::Scan { .. }
                | Op::Print { .. }
                | Op::Add { val: 0, .. }
                | Op::Move { delta: 0 }
        ) {
            ir.code[w] = ir.code[r];
            w += 1;
            continue;
        }
        let mut ins = ir.code[r];
        if is_nop_squeezed(&map, &ins) {
            continue;
        }
        match &mut ins.op {
            Op::Check(id) | Op::Scan { check: id, .. } => {
                let new = &mut map[id.0 as usize];
                if *new & SEEN == 0 {
                    *id = CheckId(*new);
                    *new |= SEEN;
                } else {
                    // A second instruction with the same check (from a copied loop body) gets
                    // a copy of its own: every check belongs to one instruction.
                    let mut e = *ir.excursion(CheckId(*new & !SEEN));
                    let from = e.first as usize..(e.first + e.len) as usize;
                    e.first = ir.reaches.len() as u32;
                    ir.reaches.extend_from_within(from);
                    ir.excursions.push(e);
                    *id = CheckId(ir.excursions.len() as u32 - 1);
                }
            }
            Op::Print { start, len } => {
                let from = *start as usize..(*start + *len) as usize;
                let added = *len;
                *start = bytes.len() as u32;
                bytes.extend_from_slice(&ir.bytes[from]);
                if let Some(prev) = w.checked_sub(1).map(|i| &mut ir.code[i])
                    && let Op::Print { len: last, .. } = &mut prev.op
                {
                    // The previous print's bytes end where these were just appended.
                    *last += added;
                    prev.span = prev.span.to(ins.span);
                    continue;
                }
            }
            _ => {}
        }
        ir.code[w] = ins;
        w += 1;
    }
    ir.code.truncate(w);
    // The passes leave the program shorter than the first fold made it: give the rest back
    // (the memory was written, so it counts until it is returned).
    ir.code.shrink_to_fit();
    ir.bytes = bytes;
    ir
}
/// `map` entry of a check no instruction uses.
const UNUSED: u32 = u32::MAX;
/// Flag in a `map` entry: an instruction already refers to the check.
const SEEN: u32 = 1 << 31;

/// [`is_nop`] while [`compact`] runs, with the checks already squeezed: a check is a no-op
/// exactly when it was left out.
fn is_nop_squeezed(map: &[u32], ins: &Instr) -> bool {
    match ins.op {
        Op::Add { val: 0, .. } | Op::Move { delta: 0 } => true,
        Op::Check(id) => map[id.0 as usize] == UNUSED,
        _ => false,
    }
}

/// Keeps only the checks whose `map` entry is not `UNUSED`, in id order, and sets their
/// entries to their new ids. When the tables are laid out in id order (as the parser and
/// the passes, which only append, leave them) this moves everything down in place;
/// otherwise it copies to new tables.
fn squeeze_checks(ir: &mut Ir, map: &mut [u32]) {
    let in_order = ir
        .excursions
        .windows(2)
        .all(|w| w[0].first + w[0].len <= w[1].first);
    debug_assert!(
        ir.excursions.len() < SEEN as usize,
        "ids fit below the SEEN flag"
    );
    if !in_order {
        let mut to = Ir::default();
        for (id, new) in map.iter_mut().enumerate() {
            if *new != UNUSED {
                *new = copy_check(ir, CheckId(id as u32), &mut to).0;
            }
        }
        (ir.excursions, ir.reaches) = (to.excursions, to.reaches);
        return;
    }
    let (mut we, mut wr) = (0, 0);
    for (id, new) in map.iter_mut().enumerate() {
        if *new == UNUSED {
            continue;
        }
        let mut e = ir.excursions[id];
        let from = e.first as usize..(e.first + e.len) as usize;
        ir.reaches.copy_within(from, wr);
        e.first = wr as u32;
        wr += e.len as usize;
        ir.excursions[we] = e;
        *new = we as u32;
        we += 1;
    }
    ir.excursions.truncate(we);
    ir.reaches.truncate(wr);
    ir.excursions.shrink_to_fit();
    ir.reaches.shrink_to_fit();
}

/// Copies a check from `from` into `to`, returning its id there.
fn copy_check(from: &Ir, id: CheckId, to: &mut Ir) -> CheckId {
    let mut e = *from.excursion(id);
    let first = to.reaches.len() as u32;
    to.reaches.extend_from_slice(from.reaches_of(id));
    e.first = first;
    to.excursions.push(e);
    CheckId(to.excursions.len() as u32 - 1)
}

/// Helpers for the passes' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::Pass;
    use crate::Config;
    use crate::ir::{Ir, Op};

    /// `src` parsed and put through `passes` in order, with the default configuration.
    pub fn after(src: &str, passes: &[Pass]) -> Ir {
        let config = Config::default();
        let mut ir = crate::parse::parse(src.as_bytes()).expect("test programs parse");
        for pass in passes {
            pass(&mut ir, &config);
        }
        ir
    }

    /// The ops of [`after`], without the bounds checks (which most tests are not about).
    pub fn ops_after(src: &str, passes: &[Pass]) -> Vec<Op> {
        after(src, passes)
            .code
            .iter()
            .map(|i| i.op)
            .filter(|op| !matches!(op, Op::Check(_)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::after;
    use super::*;
    use crate::ir::Span;

    fn ops(ir: &Ir) -> Vec<Op> {
        ir.code.iter().map(|i| i.op).collect()
    }

    #[test]
    fn o1_and_o2_stream_their_first_fold_with_its_fused_rewrites() {
        // `parse_and_optimize` folds as the parser produces instructions exactly when this
        // says so: if a change to the pipelines stopped it, the literal IR of every program
        // would be built again (and this would fail).
        assert_eq!(first_fold(OptLevel::O0), None);
        assert_eq!(first_fold(OptLevel::O1), Some(fold::Fuse::NONE));
        assert_eq!(first_fold(OptLevel::O2), Some(fold::Fuse::MUL_SCAN));
    }

    #[test]
    fn steps_keep_their_names() {
        let names = |level| passes(level).iter().map(|s| s.name()).collect::<Vec<_>>();
        assert!(names(OptLevel::O0).is_empty());
        assert_eq!(names(OptLevel::O1), ["fold"]);
        assert_eq!(
            names(OptLevel::O2),
            [
                "fold+mul+scan",
                "known",
                "dse",
                "fold+mul",
                "ladder",
                "carry",
                "absorb"
            ]
        );
    }

    #[test]
    fn known_analyses_only_whole_top_level_instructions_within_its_limit() {
        // `+.` twice, then a loop: with room for 5 instructions the first two outputs
        // become constant; the loop (which would end past the limit) is left as it was.
        let src = "+.+.[->+<]+.";
        let config = Config::default();
        let mut ir = after(src, &[fold::run]);
        let before = ir.clone();
        let done = known::run_within(&mut ir, &config, 5);
        assert_eq!(done, 4, "the cut is before the loop that crosses the limit");
        assert!(ir.code[..ir.len() - (before.len() - 4)].contains(&Instr {
            op: Op::Set { off: 0, val: 2 },
            span: Span::new(2, 3)
        }));
        assert!(ir.code.iter().any(|i| matches!(i.op, Op::Print { .. })));
        let rest = before.len() - 4;
        assert_eq!(
            ir.code[ir.len() - rest..],
            before.code[4..],
            "the rest is untouched"
        );
        // With room for everything, the last output is constant too.
        let mut all = before.clone();
        assert_eq!(
            known::run_within(&mut all, &config, usize::MAX),
            before.len()
        );
        assert!(!ops(&all).contains(&Op::Out { off: 0 }));
        // A limit inside the first loop analyses nothing.
        let mut none = after("[->+<]+.", &[fold::run]);
        let untouched = none.clone();
        assert_eq!(known::run_within(&mut none, &config, 2), 0);
        assert_eq!(none, untouched);
    }

    #[test]
    fn compact_keeps_used_checks_in_place_and_gives_a_shared_check_a_copy() {
        let mut ir = Ir::default();
        let reach = |off, pos| crate::ir::Reach::new(off, pos, 1, 1);
        let unused = ir.add_excursion(0, [reach(1, 0)]);
        let used = ir.add_excursion(0, [reach(1, 1), reach(2, 2)]);
        let empty = ir.add_excursion(0, []);
        let span = Span::new(0, 1);
        for op in [
            Op::Check(used),
            Op::Move { delta: 0 },
            Op::Check(empty),
            Op::Check(used),
        ] {
            ir.code.push(Instr { op, span });
        }
        let _ = unused;
        let reaches = ir.reaches_of(used).to_vec();
        let ir = compact(ir);
        // The no-ops are gone; the two uses of one check now have a check each, with the
        // same records; the unused and empty checks are gone from the tables.
        assert_eq!(ops(&ir), [Op::Check(CheckId(0)), Op::Check(CheckId(1))]);
        assert_eq!(ir.excursions.len(), 2);
        assert_eq!(ir.reaches_of(CheckId(0)), reaches);
        assert_eq!(ir.reaches_of(CheckId(1)), reaches);
        assert_eq!(ir.reaches.len(), 4);
    }

    #[test]
    fn compact_copes_with_tables_out_of_order() {
        // Tables built by hand need not be laid out in id order: compact copies then.
        let mut ir = Ir::default();
        let a = ir.add_excursion(0, [crate::ir::Reach::new(1, 0, 1, 1)]);
        let b = ir.add_excursion(0, [crate::ir::Reach::new(-1, 1, 1, -1)]);
        ir.excursions.swap(0, 1);
        let span = Span::new(0, 1);
        ir.code.push(Instr {
            op: Op::Check(a),
            span,
        });
        ir.code.push(Instr {
            op: Op::Check(b),
            span,
        });
        let (ra, rb) = (ir.reaches_of(a).to_vec(), ir.reaches_of(b).to_vec());
        let ir = compact(ir);
        assert_eq!(ir.reaches_of(CheckId(0)), ra);
        assert_eq!(ir.reaches_of(CheckId(1)), rb);
    }
}
