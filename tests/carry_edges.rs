//! Carries (`src/opt/carry.rs`) whose constant term lands on the first cell past an end of
//! the tape, run again and again in a balanced loop: the condition cell is changed by a
//! step before each carry, so some iterations carry (the program then fails where the
//! interpreter does) and some do not (the write must go nowhere). Each shape comes with the
//! cell next to the carry touched in the loop (the carry's write is then its check's probe)
//! and not (a plain redirected write), at every width and level, with the cache and the
//! run-time self-checks on and off, on tapes that end on a page boundary (the flat form) and
//! that do not.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::Eof;

/// The carry's body on `p[c]`, the pointer on `c`: take 1, add `k` to the cell `dir` away,
/// 1 to the cell `2*dir` away, move the rest to the cell `dir` away.
fn carry(dir: i32, k: &str) -> String {
    let (to, back) = if dir > 0 { (">", "<") } else { ("<", ">") };
    format!("-{to}{k}{back}{to}{to}+{back}{back}[-{to}+{back}]")
}

/// The right-end shape: counter at `tape - 3`, condition cell at `tape - 2`, the carry's
/// `+1` one past the end. With `touch`, the loop adds 1 to the last cell first (which its
/// check then proves on the tape: the carry's write is the probe).
fn rightwards(tape: usize, step: &str, k: &str, touch: bool) -> String {
    format!(
        "{},>,<[->{}{step}[{}]<]>.>.",
        ">".repeat(tape - 3),
        if touch { ">+<" } else { "" },
        carry(1, k),
    )
}

/// The left-end shape: condition cell at 1, counter at 2, the carry's `+1` at cell -1.
fn leftwards(step: &str, k: &str, touch: bool) -> String {
    format!(
        ">>,<,>[-<{}{step}[{}]>]<.<.",
        if touch { "<+>" } else { "" },
        carry(-1, k),
    )
}

#[test]
fn a_carry_off_either_end_inside_a_loop_fails_only_when_it_carries() {
    // Steps that make the condition cell 0 (no carry) for some of the values read, and
    // factors that wrap at 8 bits (and read as signed at the cell's width).
    let cases = [("+", "---------"), ("-", "+"), ("+++", &"-".repeat(128))];
    for (step, k) in cases {
        for touch in [false, true] {
            for tape in [4096, 4000] {
                let src = rightwards(tape, step, k, touch);
                let (mut ok, mut failed) = (0, 0);
                for count in 1..=3u8 {
                    for v in [0u8, 1, 2, 253, 254, 255] {
                        let input = [count, v];
                        match agree(&src, tape, Eof::Zero, &input).1 {
                            Ok(()) => ok += 1,
                            Err(_) => failed += 1,
                        }
                    }
                }
                assert!(
                    ok > 0 && failed > 0,
                    "{ok} ok, {failed} failed: {step} {k} {touch}"
                );
            }
            let src = leftwards(step, k, touch);
            let (mut ok, mut failed) = (0, 0);
            for count in 1..=3u8 {
                for v in [0u8, 1, 2, 253, 254, 255] {
                    let input = [count, v];
                    match agree(&src, 4096, Eof::Zero, &input).1 {
                        Ok(()) => ok += 1,
                        Err(_) => failed += 1,
                    }
                }
            }
            assert!(
                ok > 0 && failed > 0,
                "{ok} ok, {failed} failed: {step} {k} {touch}"
            );
        }
    }
}

/// The shapes above compile to the forms they are meant to test: a redirected write
/// (`cmovae`/`cmovb` to the stack) without `touch`, the write as the check's probe (a test
/// of the digit and `cmove`) with it.
#[test]
fn the_loop_carries_compile_to_redirected_writes() {
    for (src, cmov) in [
        (rightwards(4096, "+", "---------", false), "cmovae rax,rsp"),
        (rightwards(4096, "+", "---------", true), "cmove rax,rsp"),
        (leftwards("+", "---------", false), "cmovb rax,rsp"),
        (leftwards("+", "---------", true), "cmove rax,rsp"),
    ] {
        let asm = asm(&src, 4096);
        assert!(asm.contains(cmov), "{cmov} missing");
    }
}
