//! Loops that stop changing anything but their counter: run at compile time in a few
//! iterations instead of all of them.
//!
//! ```text
//! p[1] = 10
//! while p[1] {                 // 10 iterations
//!     p[2] = 10
//!     while p[2] {             // 10 iterations each
//!         p[3] += 10
//!         while p[3] { p[4] = 0; p[3] -= 1 }
//!         p[2] -= 1
//!     }
//!     p[1] -= 1
//! }
//! ```
//!
//! Run step by step, a nest like this (bench.b has seven levels) takes more steps than a
//! compile-time run may, so it used to stay a loop nest and run at run time. But after its
//! first iteration, each of these loops leaves every cell it writes, except its counter, as
//! it found it. A compile-time run can see that and skip to the end.
//!
//! Why that is exact: take `while p[c] { B }` where
//!
//! * `B` never moves the pointer (no move or scan at any depth), so each offset in `B` names
//!   the same cell in every iteration;
//! * `B` has no input, output or tape dump;
//! * `p[c]` appears in `B` only once, as `p[c] += k` outside any inner loop or `if`, with
//!   `k` odd.
//!
//! What an iteration does to the cells other than `p[c]` then depends only on the cells
//! other than `p[c]`. So if an iteration ends with every cell `B` writes (but `p[c]`)
//! holding what it held when the iteration began, the next iteration starts from the same
//! cells and does the same, and so does every one after it: from then on the loop only adds
//! `k` to `p[c]`. Because `k` is odd, it is invertible modulo the cell size and `p[c]`
//! reaches 0 after finitely many iterations (at most 2^width), where the loop ends. The run
//! can set `p[c] = 0` and go on after the loop: the tape is what running every iteration
//! would leave, and there is no output to repeat. Bounds checks in `B` are at the same
//! cells every iteration, so they pass again.
//!
//! The run compares the cells at the start and end of the first few iterations of each
//! entry into such a loop ([`TRIES`]); a loop that has not settled by then is run on
//! normally, without paying for the comparison at every iteration.

use crate::ir::{Instr, Op};

/// Iterations of each entry into a qualifying loop that are compared with the one before.
pub(super) const TRIES: u32 = 3;

/// Which loops qualify (see the module docs), computed once per loop.
#[derive(Debug, Default)]
pub(super) struct Fixpoints {
    /// By the position of the loop's `Loop`: 0 not yet tested, 1 qualifies, 2 does not.
    /// (An array, not a map: the lookup is on every entry into every loop a run reaches.)
    qualifies: Vec<u8>,
    /// The cell values at the start of the current iteration of each loop being compared,
    /// innermost last (the run's scratch; see `Known::run_at_compile_time`).
    pub(super) snapshots: Vec<u32>,
}

/// A loop's verdict in [`Fixpoints::verdicts`]: not tested yet.
pub(super) const UNTESTED: u8 = 0;
/// A loop's verdict: it qualifies (its iterations are compared).
pub(super) const QUALIFIES: u8 = 1;
/// A loop's verdict: it does not qualify.
pub(super) const DOES_NOT_QUALIFY: u8 = 2;

impl Fixpoints {
    /// Prepares for a run of `code`.
    pub(super) fn reset(&mut self, code: &[Instr]) {
        self.qualifies.resize(code.len(), UNTESTED);
        self.snapshots.clear();
    }

    /// What is known of each loop by the position of its `Loop`: [`UNTESTED`], [`QUALIFIES`]
    /// or [`DOES_NOT_QUALIFY`].
    pub(super) fn verdicts(&self) -> &[u8] {
        &self.qualifies
    }

    /// Whether the loop opening at `code[start]` qualifies; `body` gives the position of
    /// its end and whether its body leaves the pointer alone (asked only once per loop).
    #[inline]
    pub(super) fn qualifies(
        &mut self,
        code: &[Instr],
        start: usize,
        body: impl FnOnce() -> (usize, bool),
    ) -> bool {
        match self.qualifies[start] {
            UNTESTED => {
                let (end, balanced) = body();
                let yes = balanced && qualifies(code, start, end);
                self.qualifies[start] = if yes { QUALIFIES } else { DOES_NOT_QUALIFY };
                yes
            }
            known => known == QUALIFIES,
        }
    }
}

/// The test of the module docs on a loop whose body does not move the pointer.
// (Made once per loop: kept out of the compile-time run's loop, whose code it would
// otherwise crowd.)
#[cold]
#[inline(never)]
fn qualifies(code: &[Instr], start: usize, end: usize) -> bool {
    let Op::Loop { off: c } = code[start].op else {
        return false;
    };
    let mut depth = 0;
    let mut counter_updates = 0;
    for ins in &code[start + 1..end] {
        let touches_c = match ins.op {
            Op::Add { off, val } => {
                if off == c {
                    if depth > 0 || val % 2 == 0 {
                        return false;
                    }
                    counter_updates += 1;
                }
                false
            }
            Op::Set { off, .. } => off == c,
            Op::MulAdd { src, dst, .. }
            | Op::MulSet { src, dst, .. }
            | Op::MulAddMin { src, dst, .. } => src == c || dst == c,
            Op::Loop { off } | Op::If { off } => {
                depth += 1;
                off == c
            }
            Op::EndLoop { off } => {
                depth -= 1;
                off == c
            }
            Op::EndIf => {
                depth -= 1;
                false
            }
            Op::Check(_) => false,
            Op::Move { .. }
            | Op::Scan { .. }
            | Op::In { .. }
            | Op::Out { .. }
            | Op::Print { .. }
            | Op::Debug { .. } => return false,
        };
        if touches_c {
            return false;
        }
    }
    counter_updates == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Ir;

    fn code(ops: &[Op]) -> Vec<Instr> {
        Ir::from_ops(ops).code
    }

    fn check(ops: &[Op]) -> bool {
        let code = code(ops);
        qualifies(&code, 0, code.len() - 1)
    }

    const LOOP: Op = Op::Loop { off: 0 };
    const END: Op = Op::EndLoop { off: 0 };
    const DEC: Op = Op::Add {
        off: 0,
        val: u32::MAX,
    };

    #[test]
    fn a_counted_loop_that_clears_its_cells_qualifies() {
        let inner = [Op::Loop { off: 2 }, Op::Set { off: 3, val: 0 }];
        let inner_end = [Op::Add { off: 2, val: 1 }, Op::EndLoop { off: 2 }];
        let mut ops = vec![LOOP, Op::Add { off: 2, val: 10 }];
        ops.extend(inner);
        ops.extend(inner_end);
        ops.extend([DEC, END]);
        assert!(check(&ops));
    }

    #[test]
    fn the_counter_must_change_once_by_an_odd_amount_at_the_top() {
        assert!(
            !check(&[LOOP, Op::Set { off: 1, val: 0 }, END]),
            "no update"
        );
        assert!(
            !check(&[LOOP, Op::Add { off: 0, val: 2 }, END]),
            "even step"
        );
        assert!(!check(&[LOOP, DEC, DEC, END]), "two updates");
        assert!(check(&[LOOP, Op::Add { off: 0, val: 3 }, END]));
        let nested = [LOOP, Op::If { off: 1 }, DEC, Op::EndIf, END];
        assert!(!check(&nested), "update inside an if");
    }

    #[test]
    fn anything_else_reading_or_writing_the_counter_disqualifies() {
        let uses = [
            Op::MulAdd {
                src: 0,
                dst: 1,
                k: 1,
            },
            Op::MulAdd {
                src: 1,
                dst: 0,
                k: 1,
            },
            Op::MulSet {
                src: 0,
                dst: 1,
                k: 1,
            },
            Op::Set { off: 0, val: 5 },
        ];
        for u in uses {
            assert!(!check(&[LOOP, u, DEC, END]), "{u:?}");
        }
        assert!(!check(&[LOOP, Op::If { off: 0 }, Op::EndIf, DEC, END]));
    }

    #[test]
    fn moves_and_io_disqualify() {
        for op in [
            Op::Move { delta: 1 },
            Op::Out { off: 1 },
            Op::In { off: 1 },
            Op::Print { start: 0, len: 1 },
        ] {
            assert!(!check(&[LOOP, op, DEC, END]), "{op:?}");
        }
    }
}
