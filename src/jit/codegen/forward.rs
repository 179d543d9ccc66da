//! A loop-carried cell forwarded in a register across the back edge of a loop that moves the
//! pointer by a fixed distance.
//!
//! In `while p[20] { p[19] = p[29]; p[29] = 0; p += -10 }` the byte stored at `p[19]` in one
//! iteration is the `p[29]` loaded by the next: through memory, each iteration waits for a
//! store to be forwarded to a load (several cycles, on the one chain the loop cannot
//! overlap). Instead the loop head keeps `p[29]` in a register, out of date in memory, and
//! the body leaves its next value there before the move:
//!
//! ```text
//!                     movzx ecx, byte [rbx+29]   ; on the way in only: p[29] in ecx
//!                   body:
//!   p[19] = p[29]     mov esi, ecx               ; p[19] kept in a register
//!   p[29] = 0         mov byte [rbx+29], 0
//!                     mov [rbx+19], sil          ; memory is still written every
//!                                                ; iteration (a store costs no wait)
//!                     mov ecx, esi               ; the next iteration's p[29]
//!   p += -10          cmp byte [rbx+10], 0
//!                     lea rbx, [rbx-10]
//!                     jne body
//! ```
//!
//! (Here the jump back leaves `p[29]` current in memory too; had the body left it only in
//! the register, the way out would write it back.)
//!
//! Only a straight-line innermost body qualifies (cells, checks and I/O, one move at its
//! end), so that every iteration runs all of it: the cell forwarded (`t`, before the move)
//! is then written on every path to the back edge, and its check has passed by then. The
//! cell held at the head (`c = t - delta` after the move) must be known to be on the tape
//! when the loop is entered (it is loaded before the first iteration's checks). Everything
//! else is the usual machinery: the head's [`super::state::State`] says the register holds
//! `c` with memory out of date, each jump back must agree with it ([`Gen::conform`] copies
//! the value into the register), and the way out writes it back before anything reads
//! memory. A fault inside the body leaves `c` stale in memory, as in any loop that keeps
//! cells in registers; `--debug`, which shows the tape at an error, keeps no cells.

use super::Gen;
use crate::ir::Op;

impl Gen<'_> {
    /// For the loop opened at instruction `i`: `(c, t)` if its body is straight-line, moves
    /// the pointer by a fixed `delta != 0` at its end, reads cell `c` before writing it, and
    /// writes `t = c + delta` (which is `c` after the move). The first such `c` read.
    pub(super) fn carried_cell(&self, i: usize) -> Option<(i32, i32)> {
        if !self.options.cache {
            return None;
        }
        // (Few cells: a short body's reads before writes, and its writes, as small lists.)
        let mut read_first: Vec<i32> = Vec::new();
        let mut written: Vec<i32> = Vec::new();
        let mut read = |c: i32, written: &Vec<i32>| {
            if !written.contains(&c) && !read_first.contains(&c) {
                read_first.push(c);
            }
        };
        let code = &self.ir.code;
        let mut j = i + 1;
        let delta = loop {
            // (Long bodies gain little and would make this quadratic in a nest of them.)
            if j - i > 64 {
                return None;
            }
            match code.get(j)?.op {
                Op::Move { delta } => {
                    if !matches!(code.get(j + 1)?.op, Op::EndLoop { .. }) || delta == 0 {
                        return None;
                    }
                    break delta;
                }
                Op::Add { off, .. } => {
                    read(off, &written);
                    written.push(off);
                }
                Op::Set { off, .. } | Op::In { off } => written.push(off),
                Op::MulAdd { src, dst, .. } | Op::MulAddMin { src, dst, .. } => {
                    read(src, &written);
                    read(dst, &written);
                    written.push(dst);
                }
                Op::MulSet { src, dst, .. } => {
                    read(src, &written);
                    written.push(dst);
                }
                Op::Out { off } => read(off, &written),
                Op::Check(_) | Op::Print { .. } => {}
                _ => return None,
            }
            j += 1;
        };
        // (`t` written by a copy, `p[t] = p[s]*k`: a value moved along the tape. Where it is
        // only updated, `p[t] += ...`, one read-modify-write of memory is short and the
        // forwarded form costs more code than it saves time.)
        read_first
            .into_iter()
            .map(|c| (c, c + delta))
            .find(|&(_, t)| {
                code[i + 1..j]
                    .iter()
                    .any(|x| matches!(x.op, Op::MulSet { dst, .. } if dst == t))
            })
    }

    /// True if operand `slot` (cell `off`) of instruction `i` should get a register: it is
    /// used again in its region, or it is the cell the open loop forwards across its back
    /// edge (a register there saves loading it back from the store just made).
    pub(super) fn keeps(&self, i: usize, slot: usize, off: i32) -> bool {
        self.worth(i, slot) || self.forward == Some(off)
    }
}
