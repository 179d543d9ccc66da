//! Multiply loops: `[->+++>+<<]` becomes multiply-adds.
//!
//! A loop whose body only adds constants to cells (no I/O, no inner loops, no net pointer
//! movement) and adds an odd constant `k` to its own condition cell runs exactly
//! `n = -c / k` times (mod 2^bits) when it starts with the condition cell at `c`. So every
//! other cell `d` the body adds `a` to ends up with `d + a*n`, and the condition cell ends at 0:
//!
//! ```text
//! [->+++>+<<]      if p[0] {
//!                    p[1] += p[0]*3
//!                    p[2] += p[0]*1
//!                    p[0] = 0
//!                  }
//! ```
//!
//! The body may also store constants (`[->+>[-]<<]` leaves `p[2] = 0`): those stores happen
//! once the loop has run at least once, which the `if` expresses. Not to a cell it also adds
//! to, though: `[->[-]+<]` sets `p[1]` to 1 on every iteration, so it ends at 1, not at
//! `p[0]`. The body's bounds check
//! moves into the `if`: it is the same on every iteration, so checking it once, on the first,
//! reports the same error.

use crate::Config;
use crate::ir::{Instr, Ir, Op, Span};

/// Runs the pass.
pub fn run(ir: &mut Ir, _config: &Config) {
    let code = &mut ir.code;
    // Index of each open loop or if. Rewrites keep the length, so they happen in place.
    let mut open: Vec<usize> = Vec::new();
    for i in 0..code.len() {
        match code[i].op {
            Op::Loop { .. } | Op::If { .. } => open.push(i),
            Op::EndLoop { .. } => {
                let start = open.pop().expect("balanced");
                rewrite_loop(&mut code[start..=i]);
            }
            Op::EndIf => {
                open.pop();
            }
            _ => {}
        }
    }
}

/// Rewrites `lp` (a whole loop, `Loop` to `EndLoop`) in place into its multiply form if it
/// is a multiply loop (the form has the same length), and says whether it was. ([`super::fold`]
/// calls this as it closes each loop, so that at `-O2` this pass costs no walk of its own.)
pub fn rewrite_loop(lp: &mut [Instr]) -> bool {
    multiply_form(lp).is_some()
}

/// [`rewrite_loop`], with `None` for "not a multiply loop" (and `lp` left as it was).
fn multiply_form(lp: &mut [Instr]) -> Option<()> {
    let (&first, &last) = (lp.first()?, lp.last()?);
    let (Op::Loop { off: cond }, Op::EndLoop { off: end }) = (first.op, last.op) else {
        return None;
    };
    if cond != end {
        return None;
    }
    let n = lp.len();
    let body = &lp[1..n - 1];
    let mut step = None;
    // The cells stored to (rarely any, so this seldom allocates).
    let mut stores = Vec::new();
    for ins in body {
        match ins.op {
            Op::Add { off, val } if off == cond => {
                if step.is_some() {
                    return None;
                }
                step = Some(val);
            }
            Op::Add { .. } | Op::Check(_) => {}
            Op::Set { off, .. } if off != cond => stores.push(off),
            _ => return None,
        }
    }
    let step = step?;
    if !stores.is_empty() {
        stores.sort_unstable();
        let added_and_stored = body
            .iter()
            .any(|ins| matches!(ins.op, Op::Add { off, .. } if stores.binary_search(&off).is_ok()));
        if added_and_stored {
            return None;
        }
    }
    if step % 2 == 0 {
        return None;
    }
    // The loop runs n = -c * step^-1 times; each `Add a` contributes `a * n`.
    let factor = inverse(step).wrapping_neg();
    let span = first.span.to(last.span);
    lp[0] = Instr {
        op: Op::If { off: cond },
        span: first.span,
    };
    // The body without the step of the condition cell, written over itself: one shorter.
    let mut w = 1;
    for r in 1..n - 1 {
        let ins = lp[r];
        let op = match ins.op {
            Op::Add { off, .. } if off == cond => continue,
            Op::Add { off, val } => Op::MulAdd {
                src: cond,
                dst: off,
                k: val.wrapping_mul(factor),
            },
            other => other,
        };
        lp[w] = Instr { op, span: ins.span };
        w += 1;
    }
    debug_assert_eq!(w, n - 2, "the body had one step of the condition cell");
    lp[n - 2] = Instr {
        op: Op::Set { off: cond, val: 0 },
        span: Span::new(span.end.saturating_sub(1), span.end),
    };
    lp[n - 1] = Instr {
        op: Op::EndIf,
        span: last.span,
    };
    Some(())
}

/// The inverse of an odd number modulo 2^32 (Newton's iteration; each step doubles the
/// number of correct low bits). It is also the inverse modulo 2^16 and 2^8.
fn inverse(k: u32) -> u32 {
    debug_assert!(k % 2 == 1);
    let mut x = k; // correct to 3 bits: k*k = 1 mod 8 for odd k
    for _ in 0..4 {
        x = x.wrapping_mul(2u32.wrapping_sub(k.wrapping_mul(x)));
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opt::testing::ops_after;
    use crate::opt::{clear, fold};

    fn mul(src: &str) -> Vec<Op> {
        ops_after(src, &[fold::run, clear::run, fold::run, run])
    }

    #[test]
    fn inverse_is_an_inverse() {
        for k in [1u32, 3, 5, 255, 0xffff_ffff, 12345677] {
            assert_eq!(k.wrapping_mul(inverse(k)), 1, "{k}");
        }
    }

    #[test]
    fn copy_and_multiply() {
        assert_eq!(
            mul("[->+++>+<<]"),
            vec![
                Op::If { off: 0 },
                Op::MulAdd {
                    src: 0,
                    dst: 1,
                    k: 3
                },
                Op::MulAdd {
                    src: 0,
                    dst: 2,
                    k: 1
                },
                Op::Set { off: 0, val: 0 },
                Op::EndIf,
            ]
        );
    }

    #[test]
    fn counting_up_negates_and_stores_stay() {
        // `+` on the counter: the loop runs 256 - c times, so p[1] gets -c.
        assert_eq!(
            mul("[+>+>[-]<<]"),
            vec![
                Op::If { off: 0 },
                Op::MulAdd {
                    src: 0,
                    dst: 1,
                    k: u32::MAX
                },
                Op::Set { off: 2, val: 0 },
                Op::Set { off: 0, val: 0 },
                Op::EndIf,
            ]
        );
    }

    #[test]
    fn not_multiply_loops() {
        // The last two store to a cell they add to (the second with the store split from
        // the add by a move, so that no fold merges them).
        for src in [
            "[->+<<]",
            "[-->+<]",
            "[->.<]",
            "[->[>]<]",
            "[>+<]",
            "[->[-]+<]",
            "[->>>[-]<[-]>+<<<]",
        ] {
            assert!(
                !mul(src).iter().any(|op| matches!(op, Op::MulAdd { .. })),
                "{src}"
            );
        }
    }
}
