//! Absorbed constants (`src/opt/absorb.rs`): `p[c] += a` before a multiply `if p[c]` becomes
//! `a*k` added to the multiply's destination. The programs put the rule's shapes through
//! every level, width and cache setting against the interpreter at `-O0`, with the
//! condition cell's value after `+= a` 0 (the `if` skipped: its test changed with the
//! rewrite) and not, and long.b's shape against the right end of the tape, where a check
//! between the constant and the `if` fails. (Checked to fail with the rule's `a*k` term
//! left out.)

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod flat_support;

use flat_support::{agree, asm};
use jitbf::ir::Op;
use jitbf::{Config, Eof, Program};

/// The `+=` of constants left in the optimized IR of `src`, as `(offset, value)`.
fn adds(src: &str) -> Vec<(i32, u32)> {
    let program = Program::new(src, &Config::default()).unwrap();
    program
        .ir()
        .code
        .iter()
        .filter_map(|x| match x.op {
            Op::Add { off, val } => Some((off, val)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_peeled_multiply_loops_decrement() {
    // `while p[1] { p[0] += K; p[1] -= 1; p[2] = 0 }`: the first iteration is peeled (it
    // leaves p[2] known), and its `p[0] += K; p[1] -= 1` cancel into the multiply.
    for k in ["+", "+++", "+++++++", "-----"] {
        let src = format!(">>,>,>,<[<{k}>->+[-]<]<.>.>.");
        assert_eq!(adds(&src), [], "{src}");
        if k == "+++" {
            // (The code generator multiplies by 3 with a `lea`, not an `imul`.)
            let listing = asm(&src, 64);
            assert!(
                listing.contains("*2]") && !listing.contains("imul"),
                "{listing}"
            );
        }
        let step = if k.starts_with('+') {
            k.len() as u8
        } else {
            0u8.wrapping_sub(k.len() as u8)
        };
        for [x, y, z] in [
            [7u8, 0, 9],
            [7, 1, 9],
            [7, 2, 0],
            [200, 100, 3],
            [0, 255, 1],
        ] {
            let (out, r) = agree(&src, 64, Eof::Unchanged, &[x, y, z]);
            assert!(r.is_ok(), "{src}: {r:?}");
            let z = if y == 0 { z } else { 0 };
            assert_eq!(out, [x.wrapping_add(y.wrapping_mul(step)), 0, z], "{src}");
        }
    }
}

#[test]
fn a_constant_added_before_a_multiply_loop() {
    // `p[1] += a` then `[<+++>-]`: p[0] gets 3*(y + a), including when y + a is 0.
    for (a, ys) in [
        ("+", [0u8, 1, 44]),
        ("+++++", [0, 7, 250]),
        ("-", [1, 2, 9]),
        ("---", [3, 4, 100]),
    ] {
        let src = format!(",>,{a}[<+++>-]<.>.");
        for y in ys {
            let (out, r) = agree(&src, 64, Eof::Unchanged, &[5, y]);
            assert!(r.is_ok(), "{src}: {r:?}");
            let step = if a.starts_with('+') {
                a.len() as u8
            } else {
                0u8.wrapping_sub(a.len() as u8)
            };
            assert_eq!(
                out,
                [5u8.wrapping_add(y.wrapping_add(step).wrapping_mul(3)), 0]
            );
        }
    }
}

#[test]
fn longs_shape_at_the_right_end_of_the_tape() {
    // long.b's innermost loop, its scratch cells p[3] and p[4] past the end of the tape for
    // some `n`: the program fails at `>>` or at `>+++++<` when the inner loop runs, and ends
    // normally when it does not (y = 0). The checks lie between the decrement that moves
    // and its `if`.
    for tape in [64usize, 4096] {
        for n in [tape - 5, tape - 4, tape - 3] {
            let src = format!("{},>,<[>[<+++>->>+++[->+++++<]>[-]<<<]<<]>.", ">".repeat(n));
            if n == tape - 5 {
                // Left: `p[3] += 3` (before its clearing `if`), not `p[0] += 3; p[1] -= 1`.
                assert_eq!(adds(&src[n..]), [(3, 3)]);
            }
            for [x, y] in [[1u8, 0], [1, 1], [2, 5], [9, 255]] {
                let (_, r) = agree(&src, tape, Eof::Unchanged, &[x, y]);
                assert_eq!(r.is_ok(), y == 0 || n == tape - 5, "{n} of {tape}: {r:?}");
            }
        }
    }
}

#[test]
fn two_destinations_one_into_an_earlier_add_one_in_the_decrements_place() {
    // A generated program (the second reviewer's generator): in the peeled first iteration
    // `p[9] -= 3` comes before `if p[9] { p[6] += p[9]*k6; p[1] += p[9]*k1; p[9] = 0 }`.
    // `p[6]` has an earlier `p[6] += 2` (its term, -3*k6 = -2, cancels it), `p[1]` has none
    // and takes the decrement's place: -3*k1 with k1 = -1/3 is 1 at every width. (`p[9]`, the
    // last input, is a multiple of 3: otherwise the loop runs billions of times at 32 bits.)
    let src =
        ",>,>+++>,>,>,>,>++>,>,[<<<++>>>---<<<<<<+[-<<->>]>>>>>>]<<<<<<<<<.>.>.>.>.>.>.>.>.>.";
    assert_eq!(adds(src), [(3, 1), (1, 1)]);
    for input in [
        [1u8, 2, 3, 4, 5, 6, 7, 6],
        [0, 200, 0, 0, 0, 0, 0, 0],
        [9, 9, 9, 9, 9, 9, 9, 3],
        [255, 1, 254, 2, 253, 3, 252, 9],
    ] {
        for tape in [10usize, 64] {
            let (out, r) = agree(src, tape, Eof::Zero, &input);
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(out.len(), 10);
        }
    }
}
