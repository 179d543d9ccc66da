//! Loop-carried cells forwarded in a register across the back edge
//! (`src/jit/codegen/forward.rs`): a loop that moves the pointer by a fixed distance and
//! writes the cell its next iteration reads keeps that cell in a register, and memory is
//! made right again on the way out. These programs move a value along the tape that way,
//! factor.b's `<[-]>>>>>>>>>>[-<<<<<<<<<<+>>>>>>>>>>]<<<<<<<<<<<` with a step of two, both
//! ways, with output, input and updates of the forwarded cell in the body, and walk until a
//! zero stops them or off the end of the tape (which must fail where the interpreter does,
//! with the same output before it). The JIT must agree with the interpreter at every level,
//! width and cache setting.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::Eof;

/// Cells read from the input: every one of `cells` (so all are known to be on the tape
/// when the loop starts), then the loop from cell 2 (rightwards, `step` at `>[-]<<` ...
/// between the move of the value and the move of the pointer) and the cells printed.
fn rightwards(cells: usize, step: &str) -> String {
    format!(
        "{},{}>>[>[-]<<[->>+<<]>>{step}>]{}",
        ",>".repeat(cells - 1),
        "<".repeat(cells - 1),
        "<.>.>.>.>.>.",
    )
}

/// The mirror image, from cell `cells - 3` down towards cell 0.
fn leftwards(cells: usize, step: &str) -> String {
    format!(
        "{},<<[<[-]>>[-<<+>>]<<{step}<]{}",
        ",>".repeat(cells - 1),
        ">.<.<.<.<.<.",
    )
}

/// The bodies' extras: nothing, output of the moved value, an update of it, input into it.
const STEPS: [&str; 4] = ["", ".", "+", ","];

/// Inputs for `cells` cells: the moved value and each flag nonzero, but for one zero flag at
/// `stop` (or none), then a few bytes more for the body's input.
fn input(cells: usize, stop: Option<usize>, left: bool) -> Vec<u8> {
    let mut v: Vec<u8> = (0..cells).map(|k| 1 + (k * 37 % 200) as u8).collect();
    if let Some(s) = stop {
        let at = if left { cells - 3 - 2 * s } else { 2 + 2 * s };
        v[at] = 0;
    }
    v.extend([
        7, 0, 255, 9, 1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17,
    ]);
    v
}

#[test]
fn a_forwarded_cell_is_right_in_memory_after_the_loop_and_at_a_fault() {
    // Tapes of 64 cells (the walk off the right end faults on the guard page) and of 60
    // (the right end compared explicitly); the walk left ends at cell 0 or before it.
    for tape in [64, 60] {
        for step in STEPS {
            for left in [false, true] {
                let src = match left {
                    false => rightwards(tape, step),
                    true => leftwards(tape, step),
                };
                let (mut ok, mut failed) = (0, 0);
                for stop in [Some(0), Some(1), Some(5), None] {
                    match agree(&src, tape, Eof::Unchanged, &input(tape, stop, left)).1 {
                        Ok(()) => ok += 1,
                        Err(_) => failed += 1,
                    }
                }
                assert!(ok == 3 && failed == 1, "{ok} ok, {failed} failed: {src}");
            }
        }
    }
}

#[test]
fn the_end_of_input_leaves_a_forwarded_cell_as_the_mode_says() {
    let tape = 64;
    // (Not `Eof::Max`: moving 2^32 - 1 one at a time at `-O0` takes too long.)
    for eof in [Eof::Unchanged, Eof::Zero] {
        for left in [false, true] {
            let src = match left {
                false => rightwards(tape, ","),
                true => leftwards(tape, ","),
            };
            // Input runs out inside the walk.
            let mut input = input(tape, Some(12), left);
            input.truncate(tape + 3);
            // (The zero flag stops the walk before the edge: no error.)
            assert_eq!(agree(&src, tape, eof, &input).1, Ok(()), "{eof:?} {src}");
        }
    }
}

/// The forwarded form is really emitted (so the tests above test it): the loop's body
/// loads nothing from the tape; the value goes from register to register (the load is on
/// the way in, before the body).
#[test]
fn the_moved_value_stays_in_a_register_across_the_back_edge() {
    for src in [rightwards(4096, ""), leftwards(4096, "")] {
        let asm = asm(&src, 4096);
        let lines: Vec<&str> = asm.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.contains("while p["))
            .expect("a loop");
        let end = start
            + lines[start..]
                .iter()
                .position(|l| l.contains("} while"))
                .unwrap();
        // (The lines before the first annotation are the test and the load on the way in.)
        let first = start
            + 1
            + lines[start + 1..]
                .iter()
                .position(|l| l.starts_with(';'))
                .unwrap();
        // (The back edge's code follows the annotation of the loop's end.)
        let last = end
            + 1
            + lines[end + 1..]
                .iter()
                .position(|l| l.starts_with(';'))
                .unwrap();
        let body = lines[first..last].join("\n");
        assert!(!body.contains("movzx"), "{body}");
        assert!(body.contains("mov ecx,"), "{body}");
    }
}
