//! Scan loops: `[>]`, `[<<]`, `[>>>>>>>>>]` become a search.
//!
//! A loop whose body only moves the pointer looks for the next zero cell at a fixed stride:
//!
//! ```text
//! [>>>>]        scan p[0] by 4 to 0      (while p[0] != 0 { p += 4 })
//! ```
//!
//! The JIT turns this into a vectorized search over the tape. The body's bounds check stays
//! with the scan and is applied per step, so a scan that runs off the tape reports the same
//! `<` or `>` as the loop did.

use crate::Config;
use crate::ir::{Instr, Ir, Op};

/// Longest stride turned into a scan (longer ones stay loops).
pub const MAX_STEP: i32 = 64;

/// Runs the pass.
pub fn run(ir: &mut Ir, _config: &Config) {
    let code = &mut ir.code;
    // Rewrite in place: `w` trails the read position.
    let mut w = 0;
    for r in 0..code.len() {
        code[w] = code[r];
        w += 1;
        if w < 4 {
            continue;
        }
        if let [
            Instr {
                op: Op::Loop { off: a },
                span: start,
            },
            Instr {
                op: Op::Check(check),
                ..
            },
            Instr {
                op: Op::Move { delta },
                ..
            },
            Instr {
                op: Op::EndLoop { off: b },
                span: end,
            },
        ] = code[w - 4..w]
            && a == b
            && delta != 0
            && delta.abs() <= MAX_STEP
        {
            code[w - 4] = Instr {
                op: Op::Scan {
                    off: a,
                    step: delta,
                    check,
                },
                span: start.to(end),
            };
            w -= 3;
        }
    }
    code.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opt::fold;
    use crate::opt::testing::ops_after;

    fn scan(src: &str) -> Vec<Op> {
        ops_after(src, &[fold::run, run])
    }

    #[test]
    fn strided_scans() {
        assert!(matches!(
            scan("[>]")[..],
            [Op::Scan {
                off: 0,
                step: 1,
                ..
            }]
        ));
        assert!(matches!(
            scan(">>[<<<]")[..],
            [Op::Scan {
                off: 2,
                step: -3,
                ..
            }]
        ));
        // Moves that cancel out inside the body still make a scan of the net stride.
        assert!(matches!(
            scan("[>><]")[..],
            [Op::Scan {
                off: 0,
                step: 1,
                ..
            }]
        ));
    }

    #[test]
    fn loops_that_do_more_are_not_scans() {
        for src in ["[>+]", "[><]", "[>.]", "[[>]]x"] {
            let ops = scan(src);
            assert!(!matches!(ops[..], [Op::Scan { .. }]), "{src}: {ops:?}");
        }
    }
}
