//! Tests of the known-value pass on whole (small) programs.

use super::*;
use crate::opt::testing::after;
use crate::opt::{clear, dse, fold, mul};

fn known(src: &str) -> Ir {
    crate::opt::compact(after(
        src,
        &[fold::run, clear::run, fold::run, mul::run, run, dse::run],
    ))
}

/// Whether a loop is left for run time.
fn has_loop(ir: &Ir) -> bool {
    ir.code.iter().any(|i| matches!(i.op, Op::Loop { .. }))
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
    assert!(!has_loop(&ir), "{:?}", ir.code);
}

#[test]
fn a_long_run_through_moves_scans_and_checks_becomes_its_output() {
    // A run long for its loop: past its first steps it keeps decoded steps and takes most of
    // them in the loop of `fast.rs`, leaving the scan `[<]` and the first visit of each cell
    // to the full interpreter, in turns.
    let ir = known(
        "++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]\
         >>.>---.+++++++..+++.>>.<-.<.+++.------.--------.>>+.>++.",
    );
    assert_eq!(printed(&ir), b"Hello World!\n");
    assert!(!has_loop(&ir), "{:?}", ir.code);
}

#[test]
fn counting_loops_that_do_not_settle_stay_loops() {
    // The innermost body adds 1 to a cell: 10^6 times in all, and every iteration of
    // every level changes that cell (by 10^k, never a multiple of 256).
    let ir = known(&format!("{}>>>>>>>>.", nest(6, 10, ">+<")));
    assert!(has_loop(&ir), "{:?}", ir.code);
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
    assert!(has_loop(&ir), "{:?}", ir.code);
}

#[test]
fn cells_a_loop_restores_stay_known() {
    // p[2] is set to 5 before the loop; the body uses and restores it, so after the loop
    // it is still known and `.` prints a constant.
    let ir = known(">>+++++<<,[>>[-<+>]<[->+<]<-]>>.");
    assert_eq!(printed(&ir), [5]);
}

/// The `Set`s of the IR, as (offset, value).
fn sets(ir: &Ir) -> Vec<(i32, u32)> {
    ir.code
        .iter()
        .filter_map(|i| match i.op {
            Op::Set { off, val } => Some((off, val)),
            _ => None,
        })
        .collect()
}

#[test]
fn stores_that_put_a_cell_back_vanish() {
    // Each iteration takes p[2] and p[3] from 0 through 3 and 15 back to 0: known 0 at the
    // loop head, so the body writes neither (the loop is left with its counter alone).
    let ir = known(",[>>+++[->+++++<]>[-]<<<-]>>.>.");
    assert_eq!(printed(&ir), [0, 0]);
    assert!(
        sets(&ir).iter().all(|&(off, _)| off != 2 && off != 3),
        "{:?}",
        ir.code
    );
    // A store the cell already holds is not written either.
    let ir = known(",>[-]+[-]>+<<.");
    assert!(!sets(&ir).contains(&(1, 0)), "{:?}", ir.code);
}

#[test]
fn a_store_something_reads_stays() {
    // p[2] is 0 at the loop head (`[-]` clears it), and `p[2] = 3` is read by the multiply
    // loop adding p[3] into it, which `.` prints before the clear: the store must stay.
    let ir = known(",[>>+++>,[<+>-]<.[-]<<-]");
    assert!(sets(&ir).contains(&(2, 3)), "{:?}", ir.code);
}

#[test]
fn a_peeled_loop_runs_its_rest_inside_the_first_iteration() {
    // p[2] and p[3] are unknown on entry (input), and every iteration leaves them 0: the
    // first iteration is peeled off and the rest of the loop, which knows them, goes inside
    // its `if`, without stores to them (and without the bounds check the first passed).
    let ir = known(",>>,>,<<<[>>+++[->+++++<]>[-]<<<-]");
    let ops: Vec<Op> = ir.code.iter().map(|i| i.op).collect();
    let open = ops.iter().position(|o| matches!(o, Op::If { .. }));
    let lp = ops.iter().position(|o| matches!(o, Op::Loop { .. }));
    let close = ops.iter().rposition(|o| matches!(o, Op::EndIf));
    assert!(
        matches!((open, lp, close), (Some(a), Some(b), Some(c)) if a < b && b < c),
        "{ops:?}"
    );
    let rest = &ops[lp.unwrap()..];
    assert!(
        !rest
            .iter()
            .any(|o| matches!(o, Op::Set { off: 2 | 3, .. } | Op::Check(_))),
        "{ops:?}"
    );
}
