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
        if let Some(scan) = as_scan(&code[..w]) {
            code[w - 4] = scan;
            w -= 3;
        }
    }
    code.truncate(w);
}

/// The scan that the last four instructions of `code` make, if they are a loop whose body is
/// one bounds check and one move of at most [`MAX_STEP`]. ([`super::fold`] asks this as it
/// closes each loop, so that at `-O2` this pass costs no walk of its own.)
#[inline]
pub fn as_scan(code: &[Instr]) -> Option<Instr> {
    let [
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
    ] = *code.last_chunk::<4>()?
    else {
        return None;
    };
    (a == b && delta != 0 && delta.abs() <= MAX_STEP).then(|| Instr {
        op: Op::Scan {
            off: a,
            step: delta,
            check,
        },
        span: start.to(end),
    })
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
