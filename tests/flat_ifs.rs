//! Flat ifs (`src/jit/codegen/flat.rs`): an `if` whose body is a no-op when its condition
//! cell is 0 runs without a branch, after probes that keep the program's errors exactly as
//! they were.
//!
//! The programs have mandelbrot's shape, `[->>[-<<+>>]<<[->>+>+<<<]+>>>>>>>>>]`: the multiply
//! loop in the middle becomes `if p[0] { check p[0..=3]; p[2] = p[0]; p[3] += p[0] }` and
//! the check of `>>>>>>>>>` follows it. They walk that loop up to the right end of the tape,
//! where the `if` body's cell `p[3]` is the first cell past the end, with the condition
//! cell 0 (the program fails at `>>>>>>>>>`) and not 0 (it fails inside the `if` body):
//! the JIT must name the same `>` as the interpreter, at every level, width and cache
//! setting. Without the conditional probe the second would name `>>>>>>>>>`; without the
//! probe of the later check the first would name the body's `>`.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::Eof;

/// The loop of the module docs, preceded by `blocks` blocks of 9 cells whose first cell is
/// read from the input, the last block starting `gap` cells before the end of a tape of
/// `tape` cells; then it prints the last block's cells 0, 2 and 3.
fn walk(tape: usize, blocks: usize, gap: usize) -> String {
    let start = tape - gap - 9 * (blocks - 1);
    format!(
        "+++.{}{},{}[->>[-<<+>>]<<[->>+>+<<<]+>>>>>>>>>]<<<<<<<<<.>>.>.",
        ">".repeat(start),
        ",>>>>>>>>>".repeat(blocks - 1),
        "<".repeat(9 * (blocks - 1)),
    )
}

#[test]
fn a_flat_if_at_the_end_of_the_tape_fails_where_the_program_does() {
    // 4,096 cells end on a page boundary at every width: the flat form is used.
    let blocks = 20;
    let src = walk(4096, blocks, 3);
    // Condition cell 0 in the last block (1 - 1 + 0): the `>>>>>>>>>` leaves the tape.
    let zero = agree(&src, 4096, Eof::Unchanged, &[1; 20]);
    let err = zero.1.unwrap_err();
    // Condition cell 1 in the last block: the body's `>` leaves the tape first.
    let mut input = [1u8; 20];
    input[blocks - 1] = 2;
    let one = agree(&src, 4096, Eof::Unchanged, &input);
    assert_ne!(
        one.1.unwrap_err(),
        err,
        "the two failures are at different moves"
    );
    // Taken and not taken in earlier blocks, the last one again each way.
    for last in [1, 2] {
        let mut input: Vec<u8> = (0..blocks as u8).map(|k| 1 + k % 3).collect();
        input[blocks - 1] = last;
        let (_, r) = agree(&src, 4096, Eof::Unchanged, &input);
        assert!(r.is_err());
    }
}

#[test]
fn a_flat_if_away_from_the_edge_computes_what_the_branch_did() {
    // The loop ends at the zero block after the last one read; every mix of taken and
    // skipped bodies, and a tape that does not end on a page boundary (no flat form with
    // probes there).
    for tape in [4096, 4000] {
        let src = walk(tape, 12, 30);
        for seed in 0..8u8 {
            let input: Vec<u8> = (0..12u8)
                .map(|k| 1 + (k.wrapping_mul(seed + 3) ^ seed) % 4)
                .collect();
            let (out, r) = agree(&src, tape, Eof::Unchanged, &input);
            assert_eq!(r, Ok(()));
            assert_eq!(out.len(), 4);
        }
    }
}

/// The flat form is really used for this shape (so the tests above test it): no branch
/// over the body, a conditional probe instead.
#[test]
fn the_mandelbrot_shape_compiles_to_a_flat_if() {
    let src = walk(4096, 20, 3);
    let asm = asm(&src, 4096);
    assert!(asm.contains("cmove rax,rsp"), "{asm}");
}
