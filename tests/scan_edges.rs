//! Unrolled scans (`src/jit/codegen/scan.rs`, strides that do not divide 32) that run off
//! an end of the tape, stopping at each of the four tests of an iteration: the scan moves
//! the pointer itself, and a fault replays the scan from the pointer, so the pointer must
//! only ever hold a cell the scan has passed. The JIT must name the same move as the
//! interpreter at every width, level and cache setting, on tapes that end on a page
//! boundary (the guard page faults) and that do not (an explicit compare).

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::Eof;

/// `cells` cells `stride` apart read from the input, the last one `gap` cells before the
/// right end of a tape of `tape` cells (or, `left`, the first one `gap` cells after its
/// start), then a scan over them from the first read, towards that end.
fn run_off(tape: usize, stride: usize, cells: usize, gap: usize, left: bool) -> String {
    let (to, back) = if left { ("<", ">") } else { (">", "<") };
    let span = stride * (cells - 1);
    let start = if left {
        gap + span
    } else {
        tape - 1 - gap - span
    };
    format!(
        "{},{}{}[{}]",
        ">".repeat(start),
        format!("{},", to.repeat(stride)).repeat(cells - 1),
        back.repeat(span),
        to.repeat(stride),
    )
}

#[test]
fn a_scan_that_runs_off_an_end_fails_where_the_program_does() {
    for tape in [4096, 4000] {
        for stride in [3, 5, 9] {
            for left in [false, true] {
                // 1 to 9 nonzero cells: the scan leaves the tape at each of the four tests.
                for cells in 1..=9 {
                    for gap in 0..stride.min(3) {
                        let src = run_off(tape, stride, cells, gap, left);
                        let input = vec![1u8; cells];
                        let (_, r) = agree(&src, tape, Eof::Unchanged, &input);
                        assert!(r.is_err(), "{tape} {stride} {left} {cells} {gap}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_scan_that_stops_before_an_end_finds_the_zero() {
    for stride in [3, 5, 9] {
        for left in [false, true] {
            for cells in 1..=9 {
                // (The zero is the last cell read, and the scan prints where it stopped.)
                let src = format!("{}+.", run_off(4096, stride, cells, stride + 1, left));
                let mut input = vec![1u8; cells];
                input[cells - 1] = 0;
                let (out, r) = agree(&src, 4096, Eof::Unchanged, &input);
                assert_eq!((out, r), (vec![1], Ok(())), "{stride} {left} {cells}");
            }
        }
    }
}

/// The shapes compile to the unrolled form (so the tests above test it).
#[test]
fn the_scans_are_unrolled() {
    for left in [false, true] {
        let asm = asm(&run_off(4096, 9, 4, 0, left), 4096);
        assert!(asm.contains("jne") && !asm.contains("pcmpeqb"), "{asm}");
    }
}
