//! *Flat* ifs: an `if` whose body does nothing when its condition cell is 0 needs no branch.
//!
//! The multiply pass turns `[->>+>+<<<]` into
//!
//! ```text
//! if p[0] {
//!   p[2] += p[0]*1
//!   p[3] += p[0]*1
//!   p[0] = 0
//! }
//! ```
//!
//! With `p[0] = 0` every instruction of that body leaves the tape as it was: it adds
//! `0 * k`, stores 0 where 0 already is. So running the body unconditionally gives the same
//! tape, and saves the test and the jump. That pays where the branch is hard to predict
//! (mandelbrot enters such `if`s millions of times and takes about a quarter of them, in no
//! pattern), and costs a few instructions where it would have been skipped.
//!
//! Two things stop it:
//!
//! * **Faults.** The skipped body touches no memory; the flat one does. Every cell it
//!   touches, and both ends of every bounds check in it, must be known to be on the tape
//!   ([`super::state::State::proven`]) before it runs, so the flat body can never fault (and
//!   none of its checks needs code). Where one is not known yet, the bounds check that
//!   follows the `if` (in mandelbrot's `[->>+>+<<<]+>>>>>>>>>`, the one of `>>>>>>>>>`) may
//!   prove it, if it covers those cells and only arithmetic comes between: the original
//!   program reaches that check whichever way the `if` goes, with nothing observable done
//!   before it, so its *probes* (loads of its ends, which fault in a guard page if the
//!   pointer left the tape) can come first. Before them, the body's own check must still
//!   fail first when the body would run: its unproven ends are probed *conditionally*,
//!   through an address that is the end's when `p[c] != 0` and the stack pointer's (always
//!   readable) otherwise, picked with `cmovz` and no branch:
//!
//!   ```text
//!   test cl, cl                 ; p[c]
//!   lea rax, [rbx+3]            ; the body's unproven end
//!   cmovz rax, rsp              ; or the stack, when p[c] is 0
//!   movzx eax, byte [rax]       ; faults as the body's check when p[c] != 0
//!   movzx edx, byte [rbx+9]     ; the later check's end: faults as that check
//!   ```
//!
//!   This needs the guard pages to catch every miss: not with a tape whose right end is not
//!   a whole number of pages, nor for ends too far from their check's origin (those are
//!   compared explicitly, see [`super::control`]).
//! * **Stores that are not no-ops.** Only these instructions qualify, `c` being the
//!   condition cell:
//!   - `p[d] += p[c]*k` and `p[d] += min(p[c], m)*k` (add 0 when `p[c]` is 0);
//!   - `p[c] = 0`;
//!   - `p[d] = p[c]*k` when the last write of `p[d]` before the `if`, in the straight-line
//!     code just before it, is `p[d] = 0` (it then stores 0 over 0).
//!
//! Bodies are short (at most [`MAX_BODY`] instructions), so the unconditional work stays
//! small. Not with `--profile`, which counts how often each `if` body runs.

use dynasmrt::DynasmApi;

use super::Gen;
use super::effect::{Effect, Reg, Regs};
use crate::ir::{CheckId, Excursion, Op};
use crate::jit::runtime::GUARD;

/// Most instructions (bounds checks not counted) a flat body may have.
const MAX_BODY: usize = 4;

/// How to make a flat body safe: what to probe before it.
#[derive(Default)]
pub(super) struct Flat {
    /// Ends of the body's own checks to probe when the condition cell is not 0.
    inner: Vec<(CheckId, i32)>,
    /// The check after the `if` whose ends are probed before the body, with those ends.
    later: Option<(CheckId, Vec<i32>)>,
}

impl Gen<'_> {
    /// Whether the `if p[c]` at instruction `i` (whose body leaves the pointer where it was)
    /// can be compiled without its branch here, and which probes that needs first.
    pub(super) fn flat_if(&self, i: usize, c: i32) -> Option<Flat> {
        if self.constructs.is_some() || !self.options.cache || !self.state.proven(c) {
            return None;
        }
        let mut flat = Flat::default();
        // The unproven cells the body touches, as a range.
        let mut unproven: Option<(i32, i32)> = None;
        let mut need = |x: i32| {
            if !self.state.proven(x) {
                unproven = Some(unproven.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
            }
        };
        let mut work = 0;
        let mut multiplies = false;
        let mut j = i;
        loop {
            j += 1;
            match self.ir.code.get(j)?.op {
                Op::EndIf => break,
                Op::Check(id) => {
                    let e = self.ir.excursion(id);
                    for x in self.unproven_ends(e)? {
                        need(x);
                        flat.inner.push((id, x));
                    }
                    continue;
                }
                Op::MulAdd { src, dst, .. } | Op::MulAddMin { src, dst, .. } if src == c => {
                    need(dst);
                    multiplies = true;
                }
                Op::MulSet { src, dst, .. } if src == c && zero_before(&self.ir.code, i, dst) => {
                    need(dst);
                    multiplies = true;
                }
                Op::Set { off, val: 0 } if off == c => {}
                _ => return None,
            }
            work += 1;
            if work > MAX_BODY {
                return None;
            }
        }
        let end = j;
        if work == 0 {
            return None;
        }
        if let Some((lo, hi)) = unproven {
            // Probes cost more than a branch saves when the body only clears `p[c]`
            // (`if p[c] { p[c] = 0 }` with a check).
            if !multiplies {
                return None;
            }
            let (id, e) = self.later_check(end)?;
            if lo < e.lo || hi > e.hi {
                return None;
            }
            flat.later = Some((id, self.unproven_ends(e)?));
        }
        Some(flat)
    }

    /// The ends of check `e` not known to be on the tape, if the guard pages catch them
    /// (`None` if one would need an explicit compare).
    fn unproven_ends(&self, e: &Excursion) -> Option<Vec<i32>> {
        let cs = i64::from(self.enc.cell_bytes);
        let far = |cells: i32| i64::from(cells) * cs >= GUARD as i64 / 2;
        let mut ends = Vec::new();
        if e.lo < e.origin && !self.state.proven(e.lo) {
            if far(e.origin - e.lo) {
                return None;
            }
            ends.push(e.lo);
        }
        if e.hi > e.origin && !self.state.proven(e.hi) {
            if far(e.hi - e.origin) || self.exact_right {
                return None;
            }
            ends.push(e.hi);
        }
        Some(ends)
    }

    /// The bounds check the program reaches after the `EndIf` at `end` with only
    /// arithmetic on the way (nothing observable, no control flow, no pointer move).
    fn later_check(&self, end: usize) -> Option<(CheckId, &Excursion)> {
        for x in &self.ir.code[end + 1..] {
            match x.op {
                Op::Check(id) => return Some((id, self.ir.excursion(id))),
                Op::Add { .. }
                | Op::Set { .. }
                | Op::MulAdd { .. }
                | Op::MulSet { .. }
                | Op::MulAddMin { .. } => {}
                _ => return None,
            }
        }
        None
    }

    /// Emits the probes `flat` needs before a flat body on `p[c]`.
    pub(super) fn flat_probes(&mut self, c: i32, flat: Flat) {
        if !flat.inner.is_empty() {
            self.test_cell(c, false);
            for (id, x) in flat.inner {
                let d_end = self.disp(x);
                self.open_unit(super::Unit::Check(id));
                // (`lea`, `cmov` and a load leave the flags alone.)
                let effect = Effect {
                    regs: Regs::of(&[Reg::Rax]),
                    ..Effect::NONE
                };
                self.sequence(effect, |g| {
                    match i8::try_from(d_end) {
                        Ok(d) => asm!(g.ops; lea rax, [BYTE p + d]),
                        Err(_) => asm!(g.ops; lea rax, [p + d_end]),
                    }
                    asm!(g.ops
                        ; cmovz rax, rsp
                        ; movzx eax, BYTE [rax]
                    );
                });
                self.close_unit();
            }
        }
        if let Some((id, ends)) = flat.later {
            self.open_unit(super::Unit::Check(id));
            for x in ends {
                self.emit(super::inst::Inst::Probe { off: x });
            }
            self.close_unit();
            let e = *self.ir.excursion(id);
            self.state.prove(e.lo, e.hi);
        }
    }
}

/// Whether cell `d` is surely 0 when instruction `i` starts: the last instruction before it
/// that writes `d`, in the straight-line code that leads to it, is `p[d] = 0`.
fn zero_before(code: &[crate::ir::Instr], i: usize, d: i32) -> bool {
    for x in code[..i].iter().rev() {
        match x.op {
            Op::Set { off, val } if off == d => return val == 0,
            Op::Add { off, .. } | Op::In { off } if off == d => return false,
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } | Op::MulAddMin { dst, .. }
                if dst == d =>
            {
                return false;
            }
            Op::Add { .. }
            | Op::Set { .. }
            | Op::MulAdd { .. }
            | Op::MulSet { .. }
            | Op::MulAddMin { .. }
            | Op::In { .. }
            | Op::Out { .. }
            | Op::Print { .. }
            | Op::Check(_) => {}
            Op::Move { .. }
            | Op::Loop { .. }
            | Op::EndLoop { .. }
            | Op::If { .. }
            | Op::EndIf
            | Op::Scan { .. }
            | Op::Debug { .. } => return false,
        }
    }
    false
}
