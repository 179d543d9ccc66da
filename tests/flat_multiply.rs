//! Flat `if`s whose body is a plain multiply (`src/jit/codegen/flat.rs`), not a carry, with
//! the multiply's cells not known to be on the tape and no later check that covers them:
//! the writes go to the stack when the condition cell is 0, and to the cells (faulting as
//! the body's check, past an end) when it is not.
//!
//! The shape is a loop that reads a cell and runs `[->>>>>>>>>+<<<<<<<<<]` on it (the
//! `if p[1] { p[10] += p[1]; p[1] = 0 }` of mandelbrot's peeled
//! `[>[->>>>>>>>>+<<<<<<<<<]<<<<<<<<<<]`), placed where `p[10]` is the first cell past the
//! right end (and mirrored, past the left end). Reading 0 the program goes on (the body
//! never ran: no error); reading anything else it fails at the body's ninth `>`. A write
//! that always went to the cell would fail in the first case; one that went to the stack
//! whenever the cell is off the tape would not fail in the second. The second shape adds to
//! two cells, so that the body's check is probed before the writes instead of by them.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::Eof;

/// The multiply body: 9 cells to the right (`wide`: and 10), or to the left.
fn multiply(right: bool, wide: bool) -> String {
    let (to, back) = if right { (">", "<") } else { ("<", ">") };
    let (out, home) = if wide {
        (format!("{}+{to}+", to.repeat(9)), back.repeat(10))
    } else {
        (format!("{}+", to.repeat(9)), back.repeat(9))
    };
    format!("[-{out}{home}]")
}

/// The loop on a tape of `tape` cells: reads `p[0]` (go on or not), then `p[1]` (`p[-1]`
/// going left), moves it with [`multiply`] and prints what is left of it (0). Going right
/// `p[0]` is at `tape - 10 - shift`, so that with `shift` = 0 `p[10]` is one past the end;
/// going left at `9 + shift`, `p[-10]` one before the start.
fn walk(tape: usize, right: bool, wide: bool, shift: usize) -> String {
    let body = multiply(right, wide);
    if right {
        let start = ">".repeat(tape - 10 - shift);
        format!("{start},[>,{body}.<,]")
    } else {
        let start = ">".repeat(9 + shift);
        format!("{start},[<,{body}.>,]")
    }
}

#[test]
fn a_flat_multiply_past_an_end_fails_only_when_it_runs() {
    for right in [true, false] {
        for wide in [false, true] {
            let src = walk(4096, right, wide, 0);
            let (out, r) = agree(&src, 4096, Eof::Unchanged, &[1, 0, 1, 0, 0]);
            assert_eq!((out, r), (vec![0, 0], Ok(())), "{right} {wide}: reading 0");
            // (A run that should fail here and does not reads the last 0 and ends.)
            let (out, r) = agree(&src, 4096, Eof::Unchanged, &[1, 0, 1, 3, 0]);
            assert_eq!(out, vec![0], "{right} {wide}");
            assert!(r.is_err(), "{right} {wide}: reading 3 must fail");
        }
    }
}

#[test]
fn a_flat_multiply_away_from_the_edge_moves_the_value() {
    for tape in [4096, 4000] {
        for right in [true, false] {
            for wide in [false, true] {
                let src = walk(tape, right, wide, 5);
                // (The cells it adds to are printed at the end, `p[10]` and `p[11]`.)
                let to = if right { ">" } else { "<" };
                let src = format!("{src}{}.{to}.", to.repeat(10));
                let input = [1, 2, 1, 0, 1, 255, 1, 7, 0];
                let (out, r) = agree(&src, tape, Eof::Unchanged, &input);
                assert_eq!(r, Ok(()), "{tape} {right} {wide}");
                let ten = if wide { 8 } else { 0 };
                assert_eq!(out, vec![0, 0, 0, 0, 8, ten], "{tape} {right} {wide}");
            }
        }
    }
}

/// The shapes compile to the flat form (so the tests above test it): no branch over the
/// body, an address compared with an end of the tape and, when the condition cell is 0,
/// the stack's picked with `cmov` instead.
#[test]
fn the_multiply_compiles_to_a_redirected_write() {
    for (right, wide, cmov) in [
        (true, false, "cmove rax,rsp"),
        (true, true, "cmovae rax,rsp"),
        (false, false, "cmove rax,rsp"),
        (false, true, "cmovb rax,rsp"),
    ] {
        let asm = asm(&walk(4096, right, wide, 0), 4096);
        assert!(asm.contains(cmov), "{right} {wide}: {cmov} missing");
    }
}
