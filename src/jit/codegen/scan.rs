//! Code for scan loops: `[>]`, `[<<<]`: find the next zero cell at a fixed stride.
//!
//! Three forms, by stride and by what one iteration checks:
//!
//! * **vector** (the stride in bytes divides 32, and the body only moves): compare 32 bytes
//!   at a time with zero using SSE2 (`pcmpeqb`, `pmovmskb`), keep the bits of the cells the
//!   scan visits, and take the first one (`bsf`; `bsr` going left);
//! * **unrolled** (other strides, plain bodies): four tests per loop iteration;
//! * **scalar** (bodies that reach beyond the cell they test, so each step probes its
//!   extremes for the bounds check): one cell per iteration.
//!
//! Each is a sequence written with dynasm directly and declared as a whole (it overwrites
//! [`SCAN_REGS`] and moves `rbx` by an amount known only at run time).
//!
//! The jumps within a scan go to places of its own code, [`Local`]s, not to dynasm labels:
//! a dynasm label and each jump to it would be kept in dynasm's tables (16 and 32 bytes)
//! until the whole program is assembled, which for a program of a million scans is more
//! memory than its code. A jump to a place already passed gets its displacement at once;
//! one to a place ahead gets it when the place is reached (as the loops' jumps do, see
//! [`super::jumps`]). The call of the out-of-bounds exit is written like the other calls of
//! subroutines, its displacement once the subroutine is placed.

use dynasmrt::{DynasmApi, dynasm};

use super::effect::{Effect, Move, Reg, Regs};
use super::encode::{at_cell, jcc};
use super::inst::{Cond, Inst};
use super::jumps::patch;
use super::{Gen, Unit};
use crate::ir::CheckId;

/// A place in a scan's code that its jumps go to: where it is once placed, and before that
/// the jumps to it (each by the code offset just after it; all are two-byte jumps, with a
/// one-byte displacement).
#[derive(Default)]
struct Local {
    at: Option<u32>,
    /// Ends of the jumps waiting for the place (a scan has at most three to one place).
    waiting: [u32; 3],
    count: usize,
}

/// The opcode of the two-byte `jmp` (a one-byte displacement).
const JMP_SHORT: u8 = 0xeb;

/// The opcode of `call rel32`.
const CALL: u8 = 0xe8;

/// The registers a scan may overwrite (and `xmm0`-`xmm2`, which nothing else uses).
const SCAN_REGS: Regs = Regs::of(&[Reg::Rax, Reg::Rcx, Reg::Rdx, Reg::Rsi, Reg::R8, Reg::R9]);

impl Gen<'_> {
    /// `while p[off] != 0 { p += step }`.
    pub(super) fn scan(&mut self, i: usize, off: i32, step: i32, check: CheckId) {
        let done = self.jumps.new_target();
        // The scan reads memory: every cell's memory must be current.
        self.write_back_all();
        self.test_cell(off, false);
        self.end_window();
        let e = *self.ir.excursion(check);
        // A *plain* scan moves only in one direction, one stride per step.
        let plain = if step > 0 {
            e.lo == off && e.hi == off + step
        } else {
            e.hi == off && e.lo == off + step
        };
        let stride = step.unsigned_abs() * self.enc.cell_bytes as u32;
        // The unrolled form is under 100 bytes (without `--profile`'s counters): a two-byte
        // jump skips it.
        let unrolled = plain && 32 % stride != 0;
        self.emit(Inst::Jump {
            cond: Cond::Zero,
            target: done,
            short: unrolled && self.short_jumps && self.constructs.is_none(),
        });
        self.open_unit(Unit::Scan(i as u32));
        self.count_scan(i, false);
        // Scans move `rbx` by an amount known only at run time.
        let effect = Effect {
            moves: Move::Unknown,
            ..Effect::clobbers(SCAN_REGS)
        };
        self.sequence(effect, |g| {
            if plain && 32 % stride == 0 {
                g.scan_vector(off, step);
            } else if unrolled {
                g.scan_unrolled(off, step);
            } else {
                g.scan_scalar(off, step, e.lo, e.hi);
            }
        });
        self.count_scan(i, true);
        self.close_unit();
        self.join(done);
    }

    /// A scan that tests one cell per step (any stride, any body).
    fn scan_scalar(&mut self, off: i32, step: i32, lo: i32, hi: i32) {
        let d = self.disp(off);
        let s = self.bytes(step);
        let mut next = Local::default();
        asm!(self.ops; mov rax, p);
        self.place_local(&mut next);
        asm!(self.ops; add rax, s);
        // Probe the extremes of an iteration that the next test does not touch (relative
        // to the new position, which is `step` beyond the iteration's start).
        for x in [lo, hi] {
            if x != off && x != off + step {
                let xd = self.disp(x - step);
                asm!(self.ops; cmp BYTE [rax + xd], 0);
            }
        }
        if self.exact_right && hi > off {
            let hd = self.disp(hi - step);
            asm!(self.ops
                ; lea rcx, [rax + hd]
                ; cmp rcx, [BYTE ctx + ctx8!(tape_end)]
            );
            self.oob_unless_below();
        }
        self.cmp_zero_at_rax(d);
        self.jump_local(Some(Cond::NonZero), &mut next);
        asm!(self.ops; mov p, rax);
    }

    /// A plain scan whose stride in bytes divides 32, 32 bytes at a time with SSE2: compare
    /// an aligned 32-byte chunk with zero, keep the bits of the cells the scan would visit,
    /// take the first (or last, going left). Aligned loads never cross a page, so they only
    /// touch a guard page when the scan really runs off the tape.
    fn scan_vector(&mut self, off: i32, step: i32) {
        let d = self.disp(off);
        let stride = step.unsigned_abs() as i32 * self.enc.cell_bytes;
        // Bits of the cells at multiples of the stride, in a 32-byte chunk.
        let visit: u32 = match stride {
            1 => 0xffff_ffff,
            2 => 0x5555_5555,
            4 => 0x1111_1111,
            8 => 0x0101_0101,
            16 => 0x0001_0001,
            _ => 0x0000_0001,
        };
        asm!(self.ops
            ; lea rsi, [p + d]           // address of the first cell to test
            ; mov rax, rsi
            ; and rax, -32               // its chunk
            ; mov ecx, esi
            ; and ecx, stride - 1        // which cells of a chunk the scan visits
            ; mov r8d, visit as i32
            ; shl r8d, cl
            ; mov ecx, esi
            ; and ecx, 31                // where the first cell is in its chunk
            ; pxor xmm0, xmm0
        );
        let (mut next, mut found) = (Local::default(), Local::default());
        if step > 0 {
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; shr edx, cl                // forget cells before the first
                ; shl edx, cl
                ; test edx, edx
            );
            self.jump_local(Some(Cond::NonZero), &mut found);
            self.place_local(&mut next);
            asm!(self.ops; add rax, 32);
            self.zero_mask_edx();
            asm!(self.ops; and edx, r8d);
            self.jump_local(Some(Cond::Zero), &mut next);
            self.place_local(&mut found);
            asm!(self.ops
                ; bsf edx, edx
                ; add rax, rdx
            );
            if self.exact_right {
                asm!(self.ops; cmp rax, [BYTE ctx + ctx8!(tape_end)]);
                self.oob_unless_below();
            }
        } else {
            self.zero_mask_edx();
            asm!(self.ops
                ; xor ecx, 31
                ; and edx, r8d
                ; shl edx, cl                // forget cells after the first
                ; shr edx, cl
                ; test edx, edx
            );
            self.jump_local(Some(Cond::NonZero), &mut found);
            self.place_local(&mut next);
            asm!(self.ops; sub rax, 32);
            self.zero_mask_edx();
            asm!(self.ops; and edx, r8d);
            self.jump_local(Some(Cond::Zero), &mut next);
            self.place_local(&mut found);
            asm!(self.ops
                ; bsr edx, edx
                ; add rax, rdx
            );
        }
        asm!(self.ops; lea p, [rax - d]);
    }

    /// A plain scan, one cell at a time but four cells per loop iteration: each test is a
    /// load and a branch that is not taken until the end, and the loop branch is taken once
    /// per four cells.
    ///
    /// ```text
    ///      top:                      ; 16-byte aligned
    ///        cmp byte [rbx+d+s], 0
    ///        je hit1
    ///        cmp byte [rbx+d+2s], 0
    ///        je hit2
    ///        cmp byte [rbx+d+3s], 0
    ///        je hit3
    ///        cmp byte [rbx+d+4s], 0
    ///        lea rbx, [rbx+4s]
    ///        jne top
    ///        jmp found
    ///      hit3: lea rbx, [rbx+s]    ; the exits fall through one another: the k-th adds
    ///      hit2: lea rbx, [rbx+s]    ; k strides (taken once per scan, these few adds cost
    ///      hit1: lea rbx, [rbx+s]    ; less than the bytes of a jump from each)
    ///      found:
    /// ```
    ///
    /// The pointer itself moves, four strides at a time, and only ever to a cell the scan
    /// has passed (found not 0) or the one it found: a fault in the scan replays the scan
    /// from the pointer ([`crate::jit`]'s `fault_error`), which then takes the same steps as
    /// from the scan's start. (A copy of the pointer in `rax`, moved back at the end, cost
    /// two instructions and six bytes a scan; it stays where the right end is compared
    /// explicitly, since the cell found may then be past the end.)
    ///
    /// Four per iteration is what measured best on mandelbrot (stride 9, 15 to 25 cells a
    /// scan): two or three per iteration were 6% slower over the whole program, one 16%,
    /// six or eight 2 to 3%.
    fn scan_unrolled(&mut self, off: i32, step: i32) {
        let d = self.disp(off);
        let s = self.bytes(step);
        // Past a right end that is not a page boundary, the cell found is compared with the
        // end before the pointer moves there: the scan moves a copy, `rax`.
        let copy = self.exact_right && step > 0;
        if copy {
            asm!(self.ops; mov rax, p);
        }
        let (mut top, mut found) = (Local::default(), Local::default());
        let mut hits: [Local; 3] = Default::default();
        self.align_loop();
        self.place_local(&mut top);
        for (k, hit) in hits.iter_mut().enumerate() {
            self.cmp_zero_at(copy, d + s * (k as i32 + 1));
            // (The exits are all within a short jump: under 60 bytes of code follow.)
            self.jump_local(Some(Cond::Zero), hit);
        }
        // The fourth cell is tested before the pointer moves there (`lea` keeps the flags):
        // a fault on it replays the scan from the pointer, whose cell must be one passed.
        self.cmp_zero_at(copy, d + s * 4);
        self.step_by(copy, s * 4);
        self.jnz_back(&top);
        self.jump_local(None, &mut found);
        // The last exit first: each falls into the one before it.
        for hit in hits.iter_mut().rev() {
            self.place_local(hit);
            self.step_by(copy, s);
        }
        self.place_local(&mut found);
        if copy {
            asm!(self.ops
                ; lea rcx, [rax + d]
                ; cmp rcx, [BYTE ctx + ctx8!(tape_end)]
            );
            self.oob_unless_below();
            asm!(self.ops; mov p, rax);
        }
    }

    /// `lea rbx, [rbx + bytes]` (`rax` with `copy`), which leaves the flags alone.
    fn step_by(&mut self, copy: bool, bytes: i32) {
        match (copy, i8::try_from(bytes)) {
            (false, Ok(b)) => asm!(self.ops; lea p, [BYTE p + b]),
            (false, Err(_)) => asm!(self.ops; lea p, [p + bytes]),
            (true, Ok(b)) => asm!(self.ops; lea rax, [BYTE rax + b]),
            (true, Err(_)) => asm!(self.ops; lea rax, [rax + bytes]),
        }
    }

    /// `cmp cell [rbx + d], 0` (`[rax + d]` with `copy`).
    fn cmp_zero_at(&mut self, copy: bool, d: i32) {
        if copy {
            self.cmp_zero_at_rax(d);
            return;
        }
        match self.enc.cell_bytes {
            1 => at_cell!(self.ops, d; cmp BYTE, 0),
            2 => at_cell!(self.ops, d; cmp WORD, 0),
            _ => at_cell!(self.ops, d; cmp DWORD, 0),
        }
    }

    /// `cmp cell [rax + d], 0`.
    fn cmp_zero_at_rax(&mut self, d: i32) {
        match (self.enc.cell_bytes, i8::try_from(d)) {
            (1, Ok(d)) => asm!(self.ops; cmp BYTE [BYTE rax + d], 0),
            (1, Err(_)) => asm!(self.ops; cmp BYTE [rax + d], 0),
            (2, Ok(d)) => asm!(self.ops; cmp WORD [BYTE rax + d], 0),
            (2, Err(_)) => asm!(self.ops; cmp WORD [rax + d], 0),
            (_, Ok(d)) => asm!(self.ops; cmp DWORD [BYTE rax + d], 0),
            (_, Err(_)) => asm!(self.ops; cmp DWORD [rax + d], 0),
        }
    }

    /// `edx` = one bit per byte of the 32-byte chunk at `rax`, set where the cell is zero
    /// (for wider cells, both or all four bytes of a zero cell are set). Needs `xmm0` = 0.
    fn zero_mask_edx(&mut self) {
        asm!(self.ops
            ; movdqa xmm1, [rax]
            ; movdqa xmm2, [rax + 16]
        );
        match self.enc.cell_bytes {
            1 => asm!(self.ops; pcmpeqb xmm1, xmm0; pcmpeqb xmm2, xmm0),
            2 => asm!(self.ops; pcmpeqw xmm1, xmm0; pcmpeqw xmm2, xmm0),
            _ => asm!(self.ops; pcmpeqd xmm1, xmm0; pcmpeqd xmm2, xmm0),
        }
        asm!(self.ops
            ; pmovmskb edx, xmm1
            ; pmovmskb r9d, xmm2
            ; shl r9d, 16
            ; or edx, r9d
        );
    }

    /// `jnz` back to `to` (already placed): the two-byte form when it reaches.
    fn jnz_back(&mut self, to: &Local) {
        let Some(at) = to.at else {
            self.fail("a scan jumps back to a place not placed".to_string());
            return;
        };
        let rel = i64::from(at) - (i64::from(self.here()) + 2);
        match i8::try_from(rel) {
            Ok(rel) => jcc(&mut self.ops, Cond::NonZero, true, rel.into()),
            // (The six-byte form counts from its own end, four bytes further.)
            Err(_) => jcc(&mut self.ops, Cond::NonZero, false, rel as i32 - 4),
        }
    }

    /// A two-byte jump to `to` (`jmp`, or `jcc` on `cond`): its displacement now if `to` is
    /// placed, else when it is ([`Gen::place_local`]).
    fn jump_local(&mut self, cond: Option<Cond>, to: &mut Local) {
        let end = self.here() + 2;
        let rel = to.at.map_or(0, |at| i64::from(at) - i64::from(end));
        let Ok(rel) = i8::try_from(rel) else {
            self.fail("a scan's jump back does not reach".to_string());
            return;
        };
        match cond {
            Some(cond) => jcc(&mut self.ops, cond, true, rel.into()),
            None => self.ops.extend([JMP_SHORT, rel as u8]),
        }
        if to.at.is_none() {
            match to.waiting.get_mut(to.count) {
                Some(w) => *w = end,
                None => self.fail("too many jumps to one place of a scan".to_string()),
            }
            to.count += 1;
        }
    }

    /// Places `l` here: the jumps waiting for it get their displacements.
    fn place_local(&mut self, l: &mut Local) {
        let here = self.here();
        for &end in &l.waiting[..l.count.min(l.waiting.len())] {
            match i8::try_from(here - end) {
                Ok(rel) => patch(&mut self.ops, end - 1, &[rel as u8]),
                Err(_) => self.fail("a scan's jump ahead does not reach".to_string()),
            }
        }
        l.at = Some(here);
    }

    /// `jb` over a call of the out-of-bounds exit (after a compare of an address with the
    /// tape's end). The call's displacement is written once the exit is placed, as for the
    /// calls of program code (see [`Gen::emit`]).
    fn oob_unless_below(&mut self) {
        jcc(&mut self.ops, Cond::Below, true, 5);
        self.ops.extend([CALL, 0, 0, 0, 0]);
        self.label_refs.push((self.here(), self.sub.oob));
    }
}
