//! Optimization passes over the IR.
//!
//! Each pass is a function `Ir -> Ir` in its own file, with a doc comment showing the Brainfuck
//! it rewrites and unit tests. No pass may change what a program prints, its exit status or
//! the source position a runtime error names; `tests/differential.rs` checks every level
//! against the interpreter at `-O0`.
//!
//! Passes run in a fixed order, chosen by [`OptLevel`]:
//!
//! | level | passes |
//! |---|---|
//! | `-O0` | none: the parser's literal translation |
//! | `-O1` | [`fold`], [`clear`], [`fold`] |
//! | `-O2` | `-O1`, then [`mul`], [`scan`], [`fold`] |
//!
//! After the passes, [`compact`] drops no-op instructions and unreferenced checks.

pub mod clear;
pub mod fold;
pub mod mul;
pub mod scan;

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
pub type Pass = fn(Ir, &Config) -> Ir;

/// The passes of a level, in the order they run.
pub fn passes(level: OptLevel) -> &'static [(&'static str, Pass)] {
    match level {
        OptLevel::O0 => &[],
        OptLevel::O1 => &[
            ("fold", fold::run),
            ("clear", clear::run),
            ("fold", fold::run),
        ],
        OptLevel::O2 => &[
            ("fold", fold::run),
            ("clear", clear::run),
            ("fold", fold::run),
            ("mul", mul::run),
            ("scan", scan::run),
            ("fold", fold::run),
        ],
    }
}

/// Runs the passes of `config.opt_level`, then [`compact`].
pub fn optimize(ir: Ir, config: &Config) -> Ir {
    let mut ir = ir;
    for (_, pass) in passes(config.opt_level) {
        ir = pass(ir, config);
    }
    compact(ir)
}

/// True for instructions that do nothing: `Add 0`, `Move 0`, and checks of nothing.
pub fn is_nop(ir: &Ir, ins: &Instr) -> bool {
    match ins.op {
        Op::Add { val: 0, .. } | Op::Move { delta: 0 } => true,
        Op::Check(id) => ir.excursion(id).len == 0,
        _ => false,
    }
}

/// Drops no-op instructions and rebuilds the check tables with only what is referenced.
pub fn compact(ir: Ir) -> Ir {
    let mut out = Ir {
        code: Vec::with_capacity(ir.code.len()),
        ..Ir::default()
    };
    for ins in &ir.code {
        if is_nop(&ir, ins) {
            continue;
        }
        let mut ins = *ins;
        match &mut ins.op {
            Op::Check(id) | Op::Scan { check: id, .. } => *id = copy_check(&ir, *id, &mut out),
            _ => {}
        }
        out.code.push(ins);
    }
    out
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
