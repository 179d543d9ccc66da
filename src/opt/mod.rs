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
//! | `-O2` | [`fold`], [`mul`], [`scan`], [`known`], [`dse`], [`fold`], [`mul`] |
//!
//! At `-O2` the first three put loops in the shapes [`known`] works with; what [`known`] and
//! [`dse`] leave (stores made redundant, `if`s emptied, arithmetic made constant) is folded
//! again, and [`mul`] runs once more on loops that only became multiply loops then. The first
//! [`fold`] runs while the parser produces instructions ([`parse_and_optimize`]), so the
//! literal IR of a large program is never built; a program of more than [`LARGE`]
//! instructions skips the [`EXPENSIVE`] passes there. After the passes, [`compact`] drops no-op
//! instructions, merges neighbouring `print`s and rebuilds the check tables.

pub mod clear;
pub mod dse;
pub mod fold;
pub mod known;
pub mod mul;
pub mod scan;

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

/// The passes of a level, in the order they run.
pub fn passes(level: OptLevel) -> &'static [(&'static str, Pass)] {
    match level {
        OptLevel::O0 => &[],
        OptLevel::O1 => &[("fold", fold::run)],
        OptLevel::O2 => &[
            ("fold", fold::run),
            ("mul", mul::run),
            ("scan", scan::run),
            ("known", known::run),
            ("dse", dse::run),
            ("fold", fold::run),
            ("mul", mul::run),
        ],
    }
}

/// Runs the passes of `config.opt_level` on the literal IR from the parser, then
/// [`compact`].
pub fn optimize(mut ir: Ir, config: &Config) -> Ir {
    for (_, pass) in passes(config.opt_level) {
        pass(&mut ir, config);
    }
    compact(ir)
}

/// Programs with more instructions than this after the first fold skip the [`EXPENSIVE`]
/// passes in [`parse_and_optimize`], so that compiling a source of tens of megabytes stays
/// at a few tens of nanoseconds per instruction. (Every pass is optional: the result runs
/// the same, only slower.)
pub const LARGE: usize = 1 << 20;

/// The passes that cost most per instruction.
pub const EXPENSIVE: &[&str] = &["known", "dse"];

/// The result of [`parse_and_optimize`].
pub struct Optimized {
    /// The optimized program.
    pub ir: Ir,
    /// Instructions the parser produced (the size of the literal IR).
    pub literal_ops: usize,
    /// Time spent parsing (including the first folding pass, which runs as the parser
    /// produces instructions).
    pub parse_time: Duration,
    /// Time spent in the other passes.
    pub optimize_time: Duration,
}

/// Parses and optimizes in one go: the same result as [`optimize`] on the parser's output,
/// but the first pass ([`fold`]) takes the parser's instructions as they come, so the literal
/// IR of a large program is never held in memory.
pub fn parse_and_optimize(src: &[u8], config: &Config) -> Result<Optimized, crate::ParseError> {
    let start = Instant::now();
    let passes = passes(config.opt_level);
    let streamed = matches!(passes.first(), Some(&("fold", _)));
    let (mut ir, literal_ops) = if streamed {
        let mut folder = fold::Folder::new(Ir::default());
        crate::parse::parse_into_with(src, config.debug, &mut folder)?;
        let n = folder.consumed();
        (folder.finish(), n)
    } else {
        let ir = crate::parse::parse_with(src, config.debug)?;
        let n = ir.len();
        (ir, n)
    };
    let parse_time = start.elapsed();
    // The passes allocate as they go: make sure their peak fits before starting (see
    // `crate::mem`).
    crate::mem::room_for(ir.len().saturating_mul(crate::mem::PASSES_PER_OP)).map_err(|_| {
        crate::ParseError {
            kind: crate::parse::ParseErrorKind::OutOfMemory,
            pos: 0,
        }
    })?;
    let large = ir.len() > LARGE;
    for (name, pass) in &passes[usize::from(streamed)..] {
        if large && EXPENSIVE.contains(name) {
            continue;
        }
        pass(&mut ir, config);
    }
    let ir = compact(ir);
    Ok(Optimized {
        ir,
        literal_ops,
        parse_time,
        optimize_time: start.elapsed() - parse_time,
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
pub fn compact(mut ir: Ir) -> Ir {
    let mut checks = Ir::default();
    let mut w: usize = 0;
    for r in 0..ir.code.len() {
        let mut ins = ir.code[r];
        if is_nop(&ir, &ins) {
            continue;
        }
        match &mut ins.op {
            Op::Check(id) | Op::Scan { check: id, .. } => *id = copy_check(&ir, *id, &mut checks),
            Op::Print { start, len } => {
                let from = *start as usize..(*start + *len) as usize;
                let added = *len;
                *start = checks.bytes.len() as u32;
                checks.bytes.extend_from_slice(&ir.bytes[from]);
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
    Ir {
        code: ir.code,
        ..checks
    }
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
