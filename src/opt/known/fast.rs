//! The common steps of a compile-time run ([`super::Known::simulate`]), in a loop of their
//! own: arithmetic on cells the run has touched already, moves, checks, `if`s, and entering,
//! repeating and leaving loops whose iterations are not compared ([`super::fixpoint`]).
//! Anything else (a cell the run has not touched, output, a scan, a loop that may settle, an
//! instruction not decoded yet) it leaves to the full interpreter in `sim.rs`, which takes
//! that one step and hands the run back.
//!
//! Why apart: the full interpreter calls functions on its rare paths (to load a cell from
//! the analysis's state, to grow a vector), and around those calls the compiler keeps the
//! run's position, step count and pointer in memory rather than in registers, at a cost of
//! a load and a store each per step. This loop calls nothing, so they stay in registers:
//! hanoi.b's two runs, 215,000 steps, went from 37 machine instructions a step to 28.
//!
//! Every step it takes is exactly the step the full interpreter would take (same cells,
//! same count, same decisions to give up), so which runs finish, and what they leave, does
//! not depend on which of the two took a step.

use super::fixpoint::DOES_NOT_QUALIFY;
use super::sim::{Head, NONE};
use super::steps::{self, Step};
use super::tape::{FULL, WRITTEN};

/// Where a run is: the index of the next step, the steps taken, the pointer's coordinate.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor {
    pub(super) i: usize,
    pub(super) n: u64,
    pub(super) pos: i64,
}

/// What stays the same through a run.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fixed {
    /// The largest cell value (all ones).
    pub(super) mask: u32,
    /// The tape's cells, or 0 if the pointer's absolute position is not known.
    pub(super) cells: u64,
    /// The run's step limit, and the steps a loop inside it may take on one entry before
    /// it is listed in [`super::sim::Sim::long_inner`].
    pub(super) limit: u64,
    pub(super) long: u64,
    /// The loop being run.
    pub(super) start: usize,
}

/// Why [`run`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Leave {
    /// The next step is for the full interpreter (or there is none).
    Slow,
    /// The run gives up (a check it cannot pass, or it passed its limit).
    GiveUp,
    /// The run gives up because it would not finish within its steps.
    TooLong,
}

/// Runs the steps of `code` (instructions `dbase..`) from `cur` while they are common ones
/// (see the module docs). `window` is the scratch tape's (see [`super::tape::Tape::window`]); `heads` the loops the
/// run is in; `verdicts` what is known of which loops may settle
/// ([`super::fixpoint::Fixpoints::verdicts`]).
#[inline(never)]
pub(super) fn run(
    cur: &mut Cursor,
    code: &[Step],
    dbase: usize,
    (base, win): (i64, &mut [u64]),
    heads: &mut Vec<Head>,
    verdicts: &[u8],
    fixed: &Fixed,
) -> Leave {
    let Cursor { i, n, pos } = *cur;
    // (Indices into `code` from here on.)
    let mut i = i - dbase;
    let cells = fixed.cells;
    let mask = fixed.mask;
    // The pointer, and the same as an index into the window (both kept: the checks need
    // the one, the cells the other, and moves are rarer than either).
    let mut pos = pos;
    let mut rel = pos - base;
    // The step count is not kept up to date step by step: between two jumps the run walks
    // forward one instruction per step, so the count is `k + i + 1` while the step at `i`
    // runs (it counts that step), and only a jump, from `i` to after `t`, changes `k`:
    // by `i - t`.
    let mut k = n.wrapping_sub(i as u64);
    // (Debug builds also count the steps one by one, to check the derived count on the way
    // out: a step that takes more than one step of the count, such as a scan, would break
    // the derivation and must stay with the full interpreter.)
    #[cfg(debug_assertions)]
    let (entry, mut taken) = (n, 0u64);
    let leave = loop {
        let Some(&step) = code.get(i) else {
            break Leave::Slow;
        };
        // Leaves the step to the full interpreter: nothing was changed, it is not counted.
        macro_rules! slow {
            () => {
                break Leave::Slow
            };
        }
        // Continues after `t` rather than after this step.
        macro_rules! jump {
            ($t:expr) => {{
                let t = $t;
                k = k.wrapping_add((i as u64).wrapping_sub(t as u64));
                i = t;
            }};
        }
        // The slot of `p[off]`, if it is in the window and holds a value.
        macro_rules! slot {
            ($off:expr) => {{
                let at = rel.wrapping_add(i64::from($off)) as u64 as usize;
                match win.get_mut(at) {
                    Some(s) if *s & FULL != 0 => s,
                    _ => slow!(),
                }
            }};
        }
        // Stores `v` (cut to the cell size) in `slot`.
        let put = |slot: &mut u64, v: u32| *slot = FULL | WRITTEN | u64::from(v & mask);
        match step {
            Step::Add { off, val } => {
                let s = slot!(off);
                put(s, (*s as u32).wrapping_add(val));
            }
            Step::Set { off, val } => put(slot!(off), val),
            Step::MulAdd {
                src,
                dst,
                k: factor,
            } => {
                let v = (*slot!(src) as u32).wrapping_mul(factor);
                let d = slot!(dst);
                put(d, (*d as u32).wrapping_add(v));
            }
            Step::MulSet {
                src,
                dst,
                k: factor,
            } => {
                let v = (*slot!(src) as u32).wrapping_mul(factor);
                put(slot!(dst), v);
            }
            Step::MulAddMin {
                src,
                dst,
                k: factor,
                max,
            } => {
                let v = (*slot!(src) as u32)
                    .min(u32::from(max))
                    .wrapping_mul(factor);
                let d = slot!(dst);
                put(d, (*d as u32).wrapping_add(v));
            }
            Step::Move { delta } => {
                pos += i64::from(delta);
                rel += i64::from(delta);
            }
            Step::Check { lo, hi } => {
                if !steps::check_passes(pos, lo, hi, cells) {
                    break Leave::GiveUp;
                }
            }
            Step::If { off, end } => {
                if *slot!(off) as u32 == 0 {
                    jump!(end as usize - dbase);
                }
            }
            Step::Loop { off, end } => {
                if *slot!(off) as u32 == 0 {
                    jump!(end as usize - dbase);
                } else {
                    // Only a loop known not to settle: the others take a snapshot.
                    if verdicts.get(i + dbase) != Some(&DOES_NOT_QUALIFY)
                        || heads.len() == heads.capacity()
                    {
                        slow!();
                    }
                    let n = k.wrapping_add(i as u64 + 1);
                    heads.push(Head {
                        start: i + dbase,
                        tries: 0,
                        snapshot: NONE,
                        entered: n,
                        began: n,
                        prev: 0,
                    });
                }
            }
            Step::EndLoop { off } => {
                // The count with this step.
                let n = k.wrapping_add(i as u64 + 1);
                if n > fixed.limit {
                    break Leave::GiveUp;
                }
                let v = *slot!(off) as u32;
                let Some(head) = heads.last_mut() else {
                    slow!()
                };
                if head.snapshot != NONE {
                    slow!();
                }
                if v != 0 {
                    // As in the full interpreter: if the iterations left of a counted loop,
                    // or one more, would not fit, stop now.
                    if head.prev != 0 {
                        let d = head.prev.wrapping_sub(v) & mask;
                        if d != 0 && v.is_multiple_of(d) {
                            let laps = u64::from(v / d);
                            if n + laps.saturating_mul(n - head.began) > fixed.limit {
                                break Leave::TooLong;
                            }
                        }
                    }
                    head.prev = v;
                    if n + (n - head.began) > fixed.limit {
                        break Leave::TooLong;
                    }
                    head.began = n;
                    jump!(head.start - dbase);
                } else {
                    if n - head.entered > fixed.long && head.start != fixed.start {
                        // Listed as a long inner loop, by the full interpreter.
                        slow!();
                    }
                    heads.pop();
                }
            }
            Step::EndIf => {}
            Step::Undecoded
            | Step::CheckById(_)
            | Step::Out { .. }
            | Step::Print { .. }
            | Step::Stop
            | Step::Scan { .. } => slow!(),
        }
        #[cfg(debug_assertions)]
        {
            taken += 1;
        }
        i += 1;
    };
    // The steps taken: up to the one at `i`, and that one too if the run gives up there.
    let n = k.wrapping_add(i as u64) + u64::from(leave != Leave::Slow);
    #[cfg(debug_assertions)]
    debug_assert_eq!(n, entry + taken + u64::from(leave != Leave::Slow));
    *cur = Cursor {
        i: i + dbase,
        n,
        pos,
    };
    leave
}
