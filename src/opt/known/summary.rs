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
    /// For each instruction, the index in `list` of its summary (if it opens a loop or if).
    pub(super) index: Vec<u32>,
    pub(super) list: Vec<Summary>,
}

/// Summaries of every loop and if, by the position of its opening instruction, and the
/// storage for their write lists.
pub(super) fn summarize(code: &[Instr]) -> (Summaries, Vec<i32>) {
    let mut done = Summaries {
        index: vec![u32::MAX; code.len()],
        list: Vec::new(),
    };
    let mut lists: Vec<i32> = Vec::new();
    // Open brackets: (position, balanced, where its writes start in `stack`, or `None` for
    // too many, holds a loop).
    let mut open: Vec<(usize, bool, Option<usize>, bool)> = Vec::new();
    // The write lists of the open brackets, one after the other, innermost last (one vector
    // for all of them: a loop costs no allocation).
    let mut stack: Vec<i32> = Vec::new();
    // Adds `off` to the innermost list, which starts at `from` in `stack`.
    let write = |stack: &mut Vec<i32>, from: &mut Option<usize>, off: i32| {
        if let Some(f) = *from
            && !stack[f..].contains(&off)
        {
            if stack.len() - f == MAX_WRITES {
                *from = None;
                stack.truncate(f);
            } else {
                stack.push(off);
            }
        }
    };
    for (i, ins) in code.iter().enumerate() {
        let Some((_, balanced, writes, inner_loop)) = open.last_mut() else {
            if matches!(ins.op, Op::Loop { .. } | Op::If { .. }) {
                open.push((i, true, Some(stack.len()), false));
            }
            continue;
        };
        match ins.op {
            Op::Add { off, .. } | Op::Set { off, .. } | Op::In { off } => {
                write(&mut stack, writes, off)
            }
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } | Op::MulAddMin { dst, .. } => {
                write(&mut stack, writes, dst)
            }
            Op::Move { .. } | Op::Scan { .. } => *balanced = false,
            Op::Loop { .. } | Op::If { .. } => {
                *inner_loop |= matches!(ins.op, Op::Loop { .. });
                open.push((i, true, Some(stack.len()), false));
            }
            Op::EndLoop { .. } | Op::EndIf => {
                let (start, bal, w, inner) = open.pop().expect("balanced");
                let (first, len) = match w {
                    Some(f) => {
                        lists.extend_from_slice(&stack[f..]);
                        let len = stack.len() - f;
                        stack.truncate(f);
                        ((lists.len() - len) as u32, len as u32)
                    }
                    None => (0, u32::MAX),
                };
                if let Some((_, parent_bal, parent_writes, parent_inner)) = open.last_mut() {
                    *parent_bal &= bal;
                    *parent_inner |= inner;
                    if w.is_some() {
                        let from = first as usize;
                        for &o in &lists[from..from + len as usize] {
                            write(&mut stack, parent_writes, o);
                        }
                    } else if let Some(f) = parent_writes.take() {
                        stack.truncate(f);
                    }
                }
                done.index[start] = done.list.len() as u32;
                done.list.push(Summary {
                    balanced: bal,
                    first,
                    len,
                    end: i as u32,
                    inner_loop: inner,
                });
            }
            Op::Check(_) | Op::Out { .. } | Op::Print { .. } | Op::Debug { .. } => {}
        }
    }
    (done, lists)
}
