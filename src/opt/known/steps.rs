//! The IR as compile-time runs ([`super::Known::simulate`]) read it: each instruction
//! decoded into a [`Step`] that holds what the run needs in place of what it would otherwise
//! look up at every step (the loop's or `if`'s other end, the bounds of a check, a store's
//! value already cut to the cell size).
//!
//! A long run takes up to 2^17 steps, most of them through the same few hundred
//! instructions: there a lookup saved per step is worth far more than the decoding, and the
//! steps are kept, decoded once each (in the scratch space of the runs, for the stretch of
//! code of one loop, and reused by later runs inside that stretch: the code does not change
//! while the pass runs). A short run decodes each step as it takes it (see
//! `Known::run_at_compile_time`).

use crate::ir::{CheckId, Ir, Op};

/// An instruction as a compile-time run executes it (see the module docs). The variants
/// are those of [`Op`], with these differences:
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Not decoded yet.
    Undecoded,
    Add {
        off: i32,
        val: u32,
    },
    /// `val` is cut to the cell size.
    Set {
        off: i32,
        val: u32,
    },
    MulAdd {
        src: i32,
        dst: i32,
        k: u32,
    },
    MulSet {
        src: i32,
        dst: i32,
        k: u32,
    },
    MulAddMin {
        src: i32,
        dst: i32,
        k: u32,
        max: u8,
    },
    Move {
        delta: i32,
    },
    /// A check whose excursion has `lo <= hi` (every one the passes make): it passes if
    /// `p + lo` and `p + hi` are cells of the tape. With the two bounds here, no lookup in
    /// the check table.
    Check {
        lo: i32,
        hi: i32,
    },
    /// Any other check, tested from the table.
    CheckById(CheckId),
    Out {
        off: i32,
    },
    Print {
        start: u32,
        len: u32,
    },
    /// Input or a tape dump, which happen at run time: the run gives up.
    Stop,
    Scan {
        off: i32,
        step: i32,
        check: CheckId,
    },
    /// `end`: the index of the matching `EndIf`.
    If {
        off: i32,
        end: u32,
    },
    /// `end`: the index of the matching `EndLoop`.
    Loop {
        off: i32,
        end: u32,
    },
    EndLoop {
        off: i32,
    },
    EndIf,
}

/// Decodes `op`, whose loop or `if` (if it opens one) ends at `end`, for cells masked by
/// `mask`.
#[inline]
pub(super) fn decode(op: Op, end: impl FnOnce() -> usize, ir: &Ir, mask: u32) -> Step {
    match op {
        Op::Add { off, val } => Step::Add { off, val },
        Op::Set { off, val } => Step::Set {
            off,
            val: val & mask,
        },
        Op::MulAdd { src, dst, k } => Step::MulAdd { src, dst, k },
        Op::MulSet { src, dst, k } => Step::MulSet { src, dst, k },
        Op::MulAddMin { src, dst, k, max } => Step::MulAddMin { src, dst, k, max },
        Op::Move { delta } => Step::Move { delta },
        Op::Check(id) => {
            let e = ir.excursion(id);
            if e.lo <= e.hi {
                Step::Check { lo: e.lo, hi: e.hi }
            } else {
                Step::CheckById(id)
            }
        }
        Op::Out { off } => Step::Out { off },
        Op::Print { start, len } => Step::Print { start, len },
        Op::In { .. } | Op::Debug { .. } => Step::Stop,
        Op::Scan { off, step, check } => Step::Scan { off, step, check },
        Op::If { off } => Step::If {
            off,
            end: end() as u32,
        },
        Op::Loop { off } => Step::Loop {
            off,
            end: end() as u32,
        },
        Op::EndLoop { off } => Step::EndLoop { off },
        Op::EndIf => Step::EndIf,
    }
}

/// Whether a check with bounds `lo <= hi` passes for the pointer `pos` on a tape of `cells`
/// cells (0 when the pointer's absolute position is not known, which fails every check).
///
/// `p + hi` is on the tape if it is below `cells` as an unsigned number (a negative one is
/// huge), and then `p + lo` is too if it is not above `p + hi` as an unsigned number (which
/// it is when negative). Two comparisons, as with signed numbers, but without the lowest cell
/// in a register.
#[inline(always)]
pub(super) fn check_passes(pos: i64, lo: i32, hi: i32, cells: u64) -> bool {
    let (l, h) = (
        pos.wrapping_add(i64::from(lo)) as u64,
        pos.wrapping_add(i64::from(hi)) as u64,
    );
    h < cells && l <= h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the check means, the long way.
    fn spec(pos: i64, lo: i32, hi: i32, cells: u64) -> bool {
        cells > 0 && pos + i64::from(lo) >= 0 && pos + i64::from(hi) < cells as i64
    }

    #[test]
    fn checks_pass_exactly_when_both_ends_are_on_the_tape() {
        for cells in [0u64, 1, 2, 5, 30_000] {
            for pos in -40i64..40 {
                for lo in -6..=6 {
                    for hi in lo..=8 {
                        assert_eq!(
                            check_passes(pos, lo, hi, cells),
                            spec(pos, lo, hi, cells),
                            "pos {pos} lo {lo} hi {hi} cells {cells}"
                        );
                    }
                }
            }
        }
        assert!(check_passes(1 << 40, -5, 5, 1 << 41), "a huge tape");
        assert!(!check_passes(-(1 << 40), -5, 5, 1 << 41), "far left of it");
    }

    #[test]
    fn stores_are_cut_to_the_cell_size_and_brackets_know_their_end() {
        let ir = Ir::from_ops(&[Op::Set { off: 1, val: 0x1ff }]);
        assert_eq!(
            decode(Op::Set { off: 1, val: 0x1ff }, || 0, &ir, 0xff),
            Step::Set { off: 1, val: 0xff }
        );
        assert_eq!(
            decode(Op::Loop { off: 2 }, || 9, &ir, 0xff),
            Step::Loop { off: 2, end: 9 }
        );
        assert_eq!(decode(Op::In { off: 0 }, || 0, &ir, 0xff), Step::Stop);
    }
}
