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

use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};

use super::Gen;
use super::effect::{Effect, Reg, Regs};
use super::encode::{at_cell, reg_asm, width_asm};
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
    /// Without such a check: the cells the body adds to that are not known to be on the
    /// tape, written through a picked address.
    redirect: Option<Vec<i32>>,
    /// The check the redirected write probes (see [`Redirect::probe`]).
    probe: Option<CheckId>,
}

/// What a flat body without a later check to probe needs while it is emitted.
pub(super) struct Redirect {
    /// The condition cell.
    cond: i32,
    /// The cells the body adds to that are not known to be on the tape.
    cells: Vec<i32>,
    /// The check whose one unproven end is the one cell in `cells`, when `p[cond]` keeps
    /// its value until the write: the write is that check's probe.
    probe: Option<CheckId>,
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
        // The unproven cells the body adds to, and whether it stores to one.
        let mut added = Vec::new();
        let mut stored = false;
        // Whether an instruction before the one seen last changed `p[c]`, and the last did.
        let (mut changed, mut changes) = (false, false);
        let mut j = i;
        loop {
            j += 1;
            let op = self.ir.code.get(j)?.op;
            if !matches!(op, Op::Check(_) | Op::EndIf) {
                changed |= changes;
                changes = match op {
                    Op::Add { off, .. } | Op::Set { off, .. } => off == c,
                    Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } | Op::MulAddMin { dst, .. } => {
                        dst == c
                    }
                    _ => false,
                };
            }
            match op {
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
                    if !self.state.proven(dst) && !added.contains(&dst) {
                        added.push(dst);
                    }
                }
                Op::MulSet { src, dst, .. } if src == c && zero_before(&self.ir.code, i, dst) => {
                    need(dst);
                    multiplies = true;
                    stored |= !self.state.proven(dst);
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
            match self.later_check(end) {
                Some((id, e)) if lo >= e.lo && hi <= e.hi => {
                    flat.later = Some((id, self.unproven_ends(e)?));
                }
                // A store of 0 cannot go to the stack. (Additions can, carries and plain
                // multiplies alike: mandelbrot's `[>[->>>>>>>>>+<<<<<<<<<]<<<<<<<<<<]` peels
                // into `if p[1] { p[10] += p[1]; p[1] = 0 }`, taken about one time in five
                // in no pattern; flat, the program ran 2.5% faster.)
                _ if stored => return None,
                _ => {
                    // One unproven end, the one cell written off the tape: its write probes it,
                    // if `p[c]` still tells then whether the body runs.
                    if let (&[(id, x)], &[y]) = (&flat.inner[..], &added[..])
                        && x == y
                        && !changed
                    {
                        flat.inner.clear();
                        flat.probe = Some(id);
                    }
                    flat.redirect = Some(added);
                }
            }
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
    pub(super) fn flat_probes(&mut self, c: i32, mut flat: Flat) {
        if let Some(cells) = flat.redirect.take() {
            self.redirect = Some(Redirect {
                cond: c,
                cells,
                probe: flat.probe,
            });
        }
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

    /// In a flat body whose own checks were probed conditionally: the condition cell, if
    /// `dst` is a cell the body adds to that is not known to be on the tape (and has no
    /// register, which would mean its memory was never needed).
    pub(super) fn redirected(&self, dst: i32) -> Option<i32> {
        let r = self.redirect.as_ref()?;
        (r.cells.contains(&dst) && self.home(dst).is_none()).then_some(r.cond)
    }

    /// `p[dst] += term` (`-=` with `sub`) in a flat body on `p[c]`, for a `dst` that may be
    /// off the tape when `p[c]` is 0. The term is then 0 (every term of a flat body is a
    /// multiple of `p[c]` or of `min(p[c], m)`): the addition goes to the stack, where adding
    /// 0 changes nothing. The address is picked by comparing with the tape's end, so it is
    /// known early (a store whose address waits for `p[c]` stalls the loads after it):
    ///
    /// ```text
    /// lea rax, [rbx+19]           ; p[dst]
    /// cmp rax, [r14+tape_end]
    /// cmovae rax, rsp             ; past the end: the stack
    /// add byte [rax], dl
    /// ```
    ///
    /// When `p[c]` is not 0 the body's check, probed before the body, proved `dst` is on the
    /// tape. Or the write is that probe ([`Redirect::probe`]): past the end it keeps the
    /// cell's address unless `p[c]` is 0, and faults as the check:
    ///
    /// ```text
    /// lea rax, [rbx+19]
    /// cmp rax, [r14+tape_end]
    /// jb write                    ; on the tape (always taken but at the very end)
    /// test cl, cl
    /// cmovz rax, rsp              ; past the end: the stack if p[c] is 0
    /// write: add byte [rax], dl   ; faults as the check if not
    /// ```
    pub(super) fn add_redirected(&mut self, c: i32, dst: i32, term: Reg, sub: bool) {
        let mut term = term;
        if term == Reg::Rax {
            // (A term in `rax` is `p[c]` itself, `k` = 1 or -1: it moves out of the way.)
            self.emit(super::inst::Inst::CopyCell {
                dst: Reg::Rdx,
                src: Reg::Rax,
                off: c,
            });
            term = Reg::Rdx;
        }
        // Which end of the tape `p[dst]` might be past: `p[c]` is on it.
        let (field, right) = if dst > c {
            (ctx!(tape_end), true)
        } else {
            (ctx!(tape_start), false)
        };
        let d = self.disp(dst);
        let dc = self.disp(c);
        let cs = self.enc.cell_bytes;
        let probe = self.redirect.as_ref().and_then(|r| r.probe);
        // (Not `rax`, which the address overwrites first. Without a register the cell's
        // memory is current: a cell out of date in memory keeps its home.)
        let c_reg = self
            .home(c)
            .or_else(|| self.copy_of(c).filter(|&r| r != Reg::Rax));
        if probe.is_some() && c_reg.is_none() && self.state.is_stale(c) {
            self.fail(format!(
                "p[{c}] is out of date in memory and in no register"
            ));
        }
        let effect = Effect {
            regs: Regs::of(&[Reg::Rax]),
            flags: super::effect::Flags::Lost,
            changes: Some(dst),
            stores: Some(dst),
            // (Testing `p[c]` in memory reads it.)
            touches: (probe.is_some() && c_reg.is_none()).then_some(c),
            redirected: true,
            ..Effect::NONE
        };
        if let Some(id) = probe {
            self.open_unit(super::Unit::Check(id));
        }
        self.sequence(effect, |g| {
            match i8::try_from(d) {
                Ok(d) => asm!(g.ops; lea rax, [BYTE p + d]),
                Err(_) => asm!(g.ops; lea rax, [p + d]),
            }
            match i8::try_from(field) {
                Ok(f) => asm!(g.ops; cmp rax, [BYTE r14 + f]),
                Err(_) => asm!(g.ops; cmp rax, [r14 + field]),
            }
            if probe.is_some() {
                if right {
                    asm!(g.ops; jb BYTE >write);
                } else {
                    asm!(g.ops; jae BYTE >write);
                }
                match (c_reg, cs) {
                    (Some(r), _) => width_asm!(g.ops, cs, r; test r, r),
                    (None, 1) => at_cell!(g.ops, dc; cmp BYTE, 0),
                    (None, 2) => at_cell!(g.ops, dc; cmp WORD, 0),
                    (None, _) => at_cell!(g.ops, dc; cmp DWORD, 0),
                }
                asm!(g.ops; cmovz rax, rsp; write:);
            } else if right {
                asm!(g.ops; cmovae rax, rsp);
            } else {
                asm!(g.ops; cmovb rax, rsp);
            }
            match (cs, sub) {
                (1, false) => reg_asm!(g.ops, term; add BYTE [rax], r_b),
                (1, true) => reg_asm!(g.ops, term; sub BYTE [rax], r_b),
                (2, false) => reg_asm!(g.ops, term; add WORD [rax], r_w),
                (2, true) => reg_asm!(g.ops, term; sub WORD [rax], r_w),
                (_, false) => reg_asm!(g.ops, term; add DWORD [rax], r_d),
                (_, true) => reg_asm!(g.ops, term; sub DWORD [rax], r_d),
            }
        });
        if probe.is_some() {
            self.close_unit();
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
