//! Carries (`src/opt/carry.rs`) and the flat `if`s they become (`src/jit/codegen/flat.rs`):
//! an `if` that carries a digit adds 1 to a cell ten to one side, which no later check
//! covers, so the code generator writes it through an address that is the stack's when that
//! cell is off the tape (the condition cell is then 0 and the addition adds 0).
//!
//! The programs have factor.b's shape: blocks of ten cells (flag, digit, sum) walked by
//! `[>-[->---------<>>>>>>>>>>+<<<<<<<<<<[->+<]]>>>>>>>>>]`, the carry going to the next
//! block's digit. They walk up to an end of the tape, where the last block's carry cell is
//! the first cell past the end: the program fails there when the last digit carries, and
//! ends normally when it does not. The JIT must agree with the interpreter at every level,
//! width and cache setting, on tapes that end on a page boundary (the flat form) and that
//! do not (the branch). Without the probe of the carry's check a carry off the tape would
//! add to the stack instead of failing; without the redirection a digit that does not carry
//! would fault on the guard page.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::Eof;

/// `blocks` blocks walked rightwards, the last one's carry cell the first past the end of a
/// tape of `tape` cells; the input gives each block's flag and digit. Prints the last two
/// blocks' digits and sums. With `sum`, each step adds 1 to the sum first, so that the carry
/// cell is the only one of the carry the code generator does not know to be on the tape
/// (its write is then the check's probe); without, the sum is another.
fn rightwards(tape: usize, blocks: usize, sum: bool) -> String {
    let first = tape - 11 - 10 * (blocks - 1);
    format!(
        "{}{}{}[{}[->---------<>>>>>>>>>>+<<<<<<<<<<[->+<]]>>>>>>>>>]<<<<<<<<<.>.<<<<<<<<<<.>.",
        ">".repeat(first),
        ",>,<>>>>>>>>>>".repeat(blocks),
        "<".repeat(10 * blocks),
        if sum { ">>+<-" } else { ">-" },
    )
}

/// The mirror image: blocks walked leftwards to cell 0, the last carry going to cell -1.
/// Prints the digits and sums of the blocks at cells 10 and 20.
fn leftwards(blocks: usize, sum: bool) -> String {
    format!(
        ">>>>>>>>>>{}{}[{}[-<--------->{}+{}[-<+>]]<<<<<<<<<]>>>>>>>>.>.>>>>>>>>>.>.",
        ",<,>>>>>>>>>>>".repeat(blocks),
        "<".repeat(10),
        if sum { "<<+>-" } else { "<-" },
        "<".repeat(10),
        ">".repeat(10),
    )
}

/// Inputs for `blocks` blocks: every flag 1, digits from a few patterns. A digit is 0 after
/// the `-` if it was 1 (or 0 with a carry into it): it does not carry; 2, 3 and 6 do, and
/// then every later one does. For each pattern, the last digit is picked once to end
/// normally and once to carry off the tape. (A 0 with no carry into it would become the
/// largest value, and moving that with `[->+<]` at `-O0` and 32 bits takes billions of
/// steps.)
fn inputs(blocks: usize) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for seed in 0..8usize {
        let mut digits: Vec<u8> = (0..blocks - 1)
            .map(|k| [1, 1, 2, 3, 6][(k * 7 + seed * 5 + seed / 4) % 5])
            .collect();
        let carried = digits.iter().any(|&d| d != 1);
        for last in [0, 1] {
            digits.push(if carried { last } else { 1 + last });
            all.push(digits.iter().flat_map(|&d| [1, d]).collect());
            digits.pop();
        }
    }
    all
}

#[test]
fn a_carry_at_either_end_of_the_tape_fails_where_the_program_does() {
    let blocks = 6;
    let tape = 4096;
    for sum in [false, true] {
        for (src, left) in [
            (rightwards(tape, blocks, sum), false),
            (leftwards(blocks, sum), true),
        ] {
            let (mut ok, mut failed) = (0, 0);
            for mut input in inputs(blocks) {
                if left {
                    // (The leftward walk reads its blocks left to right and runs them
                    // right to left.)
                    input = input.chunks(2).rev().flatten().copied().collect();
                }
                match agree(&src, tape, Eof::Unchanged, &input).1 {
                    Ok(()) => ok += 1,
                    Err(_) => failed += 1,
                }
            }
            assert!(
                ok > 0 && failed > 0,
                "both endings: {ok} ok, {failed} failed"
            );
        }
    }
}

#[test]
fn a_carry_away_from_the_edge_computes_what_the_branch_did() {
    // Four blocks more on a tape of 4,096 cells and of 4,000 (not a page multiple: the
    // branch), with the walk stopped by a zero flag before the edge.
    for tape in [4096, 4000] {
        let src = rightwards(tape, 10, tape == 4096);
        for mut input in inputs(10) {
            input[12] = 0;
            let (out, r) = agree(&src, tape, Eof::Unchanged, &input);
            assert_eq!(r, Ok(()));
            assert_eq!(out.len(), 4);
        }
    }
}

/// The flat form with redirected writes is really used for every shape (so the tests above
/// test it): no branch over the carry, a compare with the tape's end and a `cmov` (with the
/// sum, a jump over the `cmov`, which then tests the digit: the write is the probe).
#[test]
fn the_carries_compile_to_flat_ifs() {
    for (src, cmov) in [
        (rightwards(4096, 6, false), "cmovae rax,rsp"),
        (leftwards(6, false), "cmovb rax,rsp"),
        (rightwards(4096, 6, true), "cmove rax,rsp"),
        (leftwards(6, true), "cmove rax,rsp"),
    ] {
        let asm = asm(&src, 4096);
        assert!(asm.contains(cmov), "{asm}");
        assert!(asm.contains("setne"), "{asm}");
    }
}
