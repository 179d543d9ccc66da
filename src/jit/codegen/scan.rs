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

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi};

use super::effect::{Effect, Move, Reg, Regs};
use super::inst::{Cond, Inst};
use super::{Gen, Unit};
use crate::ir::CheckId;

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
        let (next, ok, oob) = (
            self.ops.new_dynamic_label(),
            self.ops.new_dynamic_label(),
            self.sub.oob,
        );
        asm!(self.ops
            ; mov rax, p
            ; =>next
            ; add rax, s
        );
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
                ; jb BYTE =>ok
                ; call =>oob
                ; =>ok
            );
        }
        self.cmp_zero_at_rax(d);
        asm!(self.ops; jnz BYTE =>next);
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
        let (next, found) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        if step > 0 {
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; shr edx, cl                // forget cells before the first
                ; shl edx, cl
                ; test edx, edx
                ; jnz BYTE =>found
                ; =>next
                ; add rax, 32
            );
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; jz BYTE =>next
                ; =>found
                ; bsf edx, edx
                ; add rax, rdx
            );
            if self.exact_right {
                let (ok, oob) = (self.ops.new_dynamic_label(), self.sub.oob);
                asm!(self.ops
                    ; cmp rax, [BYTE ctx + ctx8!(tape_end)]
                    ; jb BYTE =>ok
                    ; call =>oob
                    ; =>ok
                );
            }
        } else {
            self.zero_mask_edx();
            asm!(self.ops
                ; xor ecx, 31
                ; and edx, r8d
                ; shl edx, cl                // forget cells after the first
                ; shr edx, cl
                ; test edx, edx
                ; jnz BYTE =>found
                ; =>next
                ; sub rax, 32
            );
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; jz BYTE =>next
                ; =>found
                ; bsr edx, edx
                ; add rax, rdx
            );
        }
        asm!(self.ops; lea p, [rax - d]);
    }

    /// A plain scan, one cell at a time but four cells per loop iteration: each test is a
    /// load and a branch that is not taken until the end, and the loop branch is taken once
    /// per four cells.
    fn scan_unrolled(&mut self, off: i32, step: i32) {
        let d = self.disp(off);
        let s = self.bytes(step);
        let (top, found) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        let hits: [DynamicLabel; 3] = std::array::from_fn(|_| self.ops.new_dynamic_label());
        asm!(self.ops; mov rax, p);
        self.align_loop();
        asm!(self.ops; =>top);
        for (k, &hit) in hits.iter().enumerate() {
            self.cmp_zero_at_rax(d + s * (k as i32 + 1));
            // (The exits are all within a short jump: under 60 bytes of code follow.)
            asm!(self.ops; je BYTE =>hit);
        }
        // The fourth cell: step there first, so that finding it needs no fix-up.
        let four = s * 4;
        match i8::try_from(four) {
            Ok(four) => asm!(self.ops; add rax, BYTE four as _),
            Err(_) => asm!(self.ops; add rax, four),
        }
        self.cmp_zero_at_rax(d);
        self.jnz_back(top);
        asm!(self.ops; jmp BYTE =>found);
        for (k, &hit) in hits.iter().enumerate() {
            let moved = s * (k as i32 + 1);
            asm!(self.ops; =>hit);
            match i8::try_from(moved) {
                Ok(m) => asm!(self.ops; lea rax, [BYTE rax + m]),
                Err(_) => asm!(self.ops; lea rax, [rax + moved]),
            }
            if k + 1 < hits.len() {
                asm!(self.ops; jmp BYTE =>found);
            }
        }
        asm!(self.ops; =>found);
        if self.exact_right && step > 0 {
            let (ok, oob) = (self.ops.new_dynamic_label(), self.sub.oob);
            asm!(self.ops
                ; lea rcx, [rax + d]
                ; cmp rcx, [BYTE ctx + ctx8!(tape_end)]
                ; jb BYTE =>ok
                ; call =>oob
                ; =>ok
            );
        }
        asm!(self.ops; mov p, rax);
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

    /// `jnz` back to `label` (already placed): the two-byte form when it reaches.
    fn jnz_back(&mut self, label: DynamicLabel) {
        let target = self.ops.labels().resolve_dynamic(label).expect("placed").0 as i64;
        match i8::try_from(target - (self.here() as i64 + 2)) {
            Ok(_) => asm!(self.ops; jnz BYTE =>label),
            Err(_) => asm!(self.ops; jnz =>label),
        }
    }
}
