//! Summaries of every loop and `if`, made once before the pass: where each ends, whether its
//! body leaves the pointer where it found it, and which cells it may write. The pass uses them
//! to treat a loop as a whole (what it may change) without walking its body again.

use super::MAX_WRITES;
use crate::ir::{Instr, Op};

/// What a loop body does, in summary.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Summary {
    /// The body leaves the pointer where it found it (no net move, no inner loop or scan
    /// that moves it).
    pub(super) balanced: bool,
    /// The offsets the body may write are `writes[first..first+len]`; `len == u32::MAX`
    /// means "too many to list".
    pub(super) first: u32,
    pub(super) len: u32,
    /// Position of the matching `EndLoop` or `EndIf`.
    pub(super) end: u32,
    /// The body holds a loop (at any depth): the only thing the pass analyses differently
    /// in a trial run than when it writes code (see `Known::loop_head`).
    pub(super) inner_loop: bool,
}

/// The summaries of a program's loops and ifs. (A vector indexed by instruction rather than a
/// hash map: the pass looks them up in program order, which this keeps cache friendly.)
pub(super) struct Summaries {
    /// For each instruction, 1 + the index in `list` of its summary if it opens a loop or
    /// if, else 0. (0 for none rather than `u32::MAX`: a vector of zeros is allocated
    /// zeroed, where any other value is written into every entry.)
    pub(super) index: Vec<u32>,
    pub(super) list: Vec<Summary>,
}

/// An open bracket while [`summarize`] walks the program.
struct Open {
    /// Position of the `Loop` or `If`.
    start: usize,
    /// No net move so far.
    balanced: bool,
    /// Where its write list starts in the shared stack, or `None` for too many.
    writes: Option<usize>,
    /// Which offsets its list may hold, by `off mod 64` (see [`Open::write`]).
    seen: u64,
    /// The body holds a loop.
    inner_loop: bool,
}

impl Open {
    fn new(start: usize, from: usize) -> Open {
        Open {
            start,
            balanced: true,
            writes: Some(from),
            seen: 0,
            inner_loop: false,
        }
    }

    /// Adds `off` to this bracket's list, the top of `stack`, unless it is there already.
    ///
    /// Most bodies write a few cells many times over, and loops nest, so every list is
    /// asked about its offsets again and again; searching it each time made this a third of
    /// the pass on small programs. Two shortcuts answer most questions without a search:
    /// `seen` has the bit `off mod 64` of every offset in the list (a clear bit: not
    /// there), and `last` remembers where in `stack` each offset was last found or put, by
    /// `off mod 256` (checked against `stack`, so a stale or colliding entry only costs the
    /// search it would have cost anyway).
    #[inline]
    fn write(&mut self, stack: &mut Vec<i32>, last: &mut [u32; 256], off: i32) {
        let Some(f) = self.writes else {
            return;
        };
        let bit = 1u64 << (off & 63);
        let slot = &mut last[(off & 255) as usize];
        if self.seen & bit != 0 {
            let at = *slot as usize;
            if (f..stack.len()).contains(&at) && stack[at] == off {
                return;
            }
            if let Some(k) = stack[f..].iter().position(|&o| o == off) {
                *slot = (f + k) as u32;
                return;
            }
        }
        if stack.len() - f == MAX_WRITES {
            self.writes = None;
            stack.truncate(f);
        } else {
            self.seen |= bit;
            *slot = stack.len() as u32;
            stack.push(off);
        }
    }
}

/// Summaries of every loop and if, by the position of its opening instruction, and the
/// storage for their write lists.
pub(super) fn summarize(code: &[Instr]) -> (Summaries, Vec<i32>) {
    // (Sized for typical programs, so that a small one's vectors are not grown and
    // copied a dozen times: a loop or `if` every eight instructions, writing four cells.)
    let mut done = Summaries {
        index: vec![0; code.len()],
        list: Vec::with_capacity(code.len() / 8),
    };
    let mut lists: Vec<i32> = Vec::with_capacity(code.len() / 2);
    // Open brackets, innermost last.
    let mut open: Vec<Open> = Vec::with_capacity(16);
    // The write lists of the open brackets, one after the other, innermost last (one vector
    // for all of them: a loop costs no allocation).
    let mut stack: Vec<i32> = Vec::with_capacity(4 * MAX_WRITES);
    // Where in `stack` an offset was last seen, by `off mod 256` (see [`Open::write`]).
    let mut last = [u32::MAX; 256];
    for (i, ins) in code.iter().enumerate() {
        let Some(top) = open.last_mut() else {
            if matches!(ins.op, Op::Loop { .. } | Op::If { .. }) {
                open.push(Open::new(i, stack.len()));
            }
            continue;
        };
        match ins.op {
            Op::Add { off, .. } | Op::Set { off, .. } | Op::In { off } => {
                top.write(&mut stack, &mut last, off)
            }
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } | Op::MulAddMin { dst, .. } => {
                top.write(&mut stack, &mut last, dst)
            }
            Op::Move { .. } | Op::Scan { .. } => top.balanced = false,
            Op::Loop { .. } | Op::If { .. } => {
                top.inner_loop |= matches!(ins.op, Op::Loop { .. });
                open.push(Open::new(i, stack.len()));
            }
            Op::EndLoop { .. } | Op::EndIf => {
                let o = open.pop().expect("balanced");
                let (first, len) = match o.writes {
                    Some(f) => {
                        lists.extend_from_slice(&stack[f..]);
                        let len = stack.len() - f;
                        stack.truncate(f);
                        ((lists.len() - len) as u32, len as u32)
                    }
                    None => (0, u32::MAX),
                };
                if let Some(parent) = open.last_mut() {
                    parent.balanced &= o.balanced;
                    parent.inner_loop |= o.inner_loop;
                    if o.writes.is_some() {
                        let from = first as usize;
                        for &off in &lists[from..from + len as usize] {
                            parent.write(&mut stack, &mut last, off);
                        }
                    } else if let Some(f) = parent.writes.take() {
                        stack.truncate(f);
                    }
                }
                done.list.push(Summary {
                    balanced: o.balanced,
                    first,
                    len,
                    end: i as u32,
                    inner_loop: o.inner_loop,
                });
                done.index[o.start] = done.list.len() as u32;
            }
            Op::Check(_) | Op::Out { .. } | Op::Print { .. } | Op::Debug { .. } => {}
        }
    }
    (done, lists)
}
