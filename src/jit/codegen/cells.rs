//! Code for the IR instructions that compute with cells and do I/O.
//!
//! Each chooses between the cell's register and memory (see [`super::alloc`]):
//!
//! ```text
//! p[1] += 3           add byte [rbx+1], 3         ; used once: stays in memory
//!                     lea esi, [rsi+3]            ; kept in esi: the flags survive
//!                     add sil, 3                  ; ... or set them for the next test
//! p[2] += p[0]*3      imul edx, ecx, 3            ; p[0] in ecx
//!                     add [rbx+2], dl             ; p[2] in memory
//! p[2] += p[0]*4      lea esi, [rsi+rcx*4]        ; both in registers
//! out p[2]            mov eax, esi
//!                     call putc
//! ```

use super::Gen;
use super::effect::{Reg, Regs};
use super::inst::{Cond, Inst};
use crate::Eof;

impl Gen<'_> {
    /// `p[off] += val` (instruction `i`).
    pub(super) fn add(&mut self, i: usize, off: i32, val: u32) {
        let flags = self.plan.wants_flags(i);
        // In its register if it is used again or its memory is out of date; otherwise one
        // read-modify-write in memory beats an update and a write-back.
        if self.keeps(i, 0, off) || self.state.is_stale(off) {
            let reg = self.acquire(off, true, Regs::NONE);
            self.emit(Inst::AddReg {
                reg,
                off,
                val,
                flags,
            });
            self.used(reg, i, 0);
        } else {
            self.emit(Inst::AddMem { off, val });
        }
    }

    /// `p[off] = val` (instruction `i`).
    pub(super) fn set(&mut self, i: usize, off: i32, val: u32) {
        // (A cell whose memory is out of date stays in its register, as in `add`: a store
        // would drop the register, and a join that expects it there would reload it. In a
        // loop that forwards a cell no join but the back edge's follows, which wants only
        // the forwarded cell: `p[29] = 0` after `p[19] = p[29]` is a store.)
        if self.keeps(i, 0, off) || self.state.is_stale(off) && self.forward.is_none() {
            let reg = self.acquire(off, false, Regs::NONE);
            // `xor` is shorter but loses the flags.
            if val == 0 && self.state.flags().is_none() {
                self.emit(Inst::ZeroCell { reg, off });
            } else {
                self.emit(Inst::SetReg { reg, off, val });
            }
            self.used(reg, i, 0);
        } else {
            self.emit(Inst::SetMem { off, val });
        }
    }

    /// A register holding the current value of `p[off]` (operand `slot` of instruction
    /// `i`): its home or a copy, a new home if it is used again, else `rax`.
    fn value(&mut self, i: usize, slot: usize, off: i32) -> Reg {
        if let Some(reg) = self.copy_of(off) {
            if Reg::HOMES.contains(&reg) {
                self.used(reg, i, slot);
            }
            return reg;
        }
        if self.worth(i, slot) {
            let reg = self.acquire(off, true, Regs::NONE);
            self.used(reg, i, slot);
            return reg;
        }
        self.emit(Inst::Load { reg: Reg::Rax, off });
        Reg::Rax
    }

    /// `p[dst] += p[src] * k` (instruction `i`).
    pub(super) fn mul_add(&mut self, i: usize, src: i32, dst: i32, k: u32) {
        let mask = self.cell_mask();
        let k = k & mask;
        let s = self.value(i, 1, src);
        let flags = self.plan.wants_flags(i);
        let in_reg =
            self.home(dst).is_some() || self.keeps(i, 0, dst) && self.redirected(dst).is_none();
        // `lea` adds a value times 2, 4 or 8 without touching the flags.
        if in_reg && !flags && matches!(k, 2 | 4 | 8) {
            let reg = self.acquire(dst, true, Regs::of(&[s]));
            self.emit(Inst::AddScaled {
                reg,
                off: dst,
                src: s,
                scale: k as u8,
            });
            self.used(reg, i, 0);
            return;
        }
        // `+=` and `-=` of the value itself need no multiplication.
        let (term, sub) = if k == 1 {
            (s, false)
        } else if k == mask {
            (s, true)
        } else {
            self.emit(Inst::MulImm {
                dst: Reg::Rdx,
                src: s,
                k,
            });
            (Reg::Rdx, false)
        };
        self.add_term(i, dst, term, sub, s);
    }

    /// `p[dst] += min(p[src], max) * k` (instruction `i`): `rdx` = the smaller of the two
    /// (`cmovb`), then added (or subtracted, for `k` = -1) like a multiply's term. With
    /// `dst == src` this takes from the cell itself.
    ///
    /// A ladder level is a pair, `p[d] += min(p[c], m)*k; p[c] -= min(p[c], m)`: the second
    /// reuses the minimum the first left in `rdx` when nothing was emitted in between and
    /// the first neither scaled it nor changed `p[c]` (`min_in_rdx`).
    pub(super) fn mul_add_min(&mut self, i: usize, src: i32, dst: i32, k: u32, max: u8) {
        let mask = self.cell_mask();
        let k = k & mask;
        let reuse = self
            .min_in_rdx
            .take()
            .is_some_and(|(j, s, m, end)| j + 1 == i && s == src && m == max && end == self.here());
        // (ZF telling already whether a byte cell is 0, `min(p[src], 1)` is one `setnz`.)
        let nonzero = max == 1 && self.enc.cell_bytes == 1 && self.flags_hold(src);
        if reuse || nonzero {
            // (Kept for the allocator, as `value` would: when the value is used next.)
            if let Some(reg) = self.copy_of(src)
                && Reg::HOMES.contains(&reg)
            {
                self.used(reg, i, 1);
            }
            if !reuse {
                self.emit(Inst::NonZero { dst: Reg::Rdx });
            }
        } else {
            let mut s = self.value(i, 1, src);
            if s == Reg::Rdx {
                // (`rdx` receives the minimum: the value moves out of its way first.)
                self.emit(Inst::CopyCell {
                    dst: Reg::Rax,
                    src: s,
                    off: src,
                });
                s = Reg::Rax;
            }
            self.emit(Inst::MinImm {
                dst: Reg::Rdx,
                src: s,
                max,
            });
        }
        let sub = k == mask;
        if k != 1 && !sub {
            self.emit(Inst::MulImm {
                dst: Reg::Rdx,
                src: Reg::Rdx,
                k,
            });
        }
        self.add_term(i, dst, Reg::Rdx, sub, Reg::Rdx);
        if (k == 1 || sub) && dst != src {
            self.min_in_rdx = Some((i, src, max, self.here()));
        }
    }

    /// `p[dst] += term` (`-=` with `sub`) for instruction `i`: in `dst`'s register if it has
    /// one or is used again (setting the flags if the next test wants them), else in memory.
    /// Loading `dst` must not take `keep`, which still holds the term or its source.
    fn add_term(&mut self, i: usize, dst: i32, term: Reg, sub: bool, keep: Reg) {
        if let Some(c) = self.redirected(dst) {
            self.add_redirected(c, dst, term, sub);
        } else if self.home(dst).is_some() || self.keeps(i, 0, dst) {
            let flags = self.plan.wants_flags(i);
            let reg = self.acquire(dst, true, Regs::of(&[keep]));
            self.emit(Inst::AddRegReg {
                reg,
                off: dst,
                src: term,
                sub,
                flags,
            });
            self.used(reg, i, 0);
        } else {
            self.emit(Inst::AddMemReg {
                off: dst,
                reg: term,
                sub,
            });
        }
    }

    /// `p[dst] = p[src] * k`.
    pub(super) fn mul_set(&mut self, i: usize, src: i32, dst: i32, k: u32) {
        let k = k & self.cell_mask();
        let s = self.value(i, 1, src);
        if self.home(dst).is_some() || self.keeps(i, 0, dst) {
            let reg = self.acquire(dst, false, Regs::of(&[s]));
            self.emit(Inst::MulSet {
                reg,
                off: dst,
                src: s,
                k,
            });
            self.used(reg, i, 0);
        } else if k == 1 {
            self.emit(Inst::StoreMem { off: dst, reg: s });
        } else {
            self.emit(Inst::MulImm {
                dst: Reg::Rdx,
                src: s,
                k,
            });
            self.emit(Inst::StoreMem {
                off: dst,
                reg: Reg::Rdx,
            });
        }
    }

    /// The largest cell value.
    fn cell_mask(&self) -> u32 {
        match self.enc.cell_bytes {
            1 => 0xff,
            2 => 0xffff,
            _ => u32::MAX,
        }
    }

    /// `.`: the byte goes to `putc` in `al`.
    pub(super) fn out(&mut self, off: i32) {
        match self.copy_of(off) {
            Some(Reg::Rax) => {}
            Some(src) => self.emit(Inst::CopyCell {
                dst: Reg::Rax,
                src,
                off,
            }),
            None => self.emit(Inst::Load { reg: Reg::Rax, off }),
        }
        self.end_window();
        self.emit(Inst::Call {
            target: self.sub.putc,
            clobbers: Regs::of(&[Reg::Rax]),
            needs: Some((Reg::Rax, off)),
        });
    }

    /// Constant output: the bytes go into the code buffer after the code, and `puts` copies
    /// `edx` of them from `rax` to the output buffer.
    pub(super) fn print(&mut self, start: u32, len: u32) {
        self.end_window();
        let data = self.ops.new_dynamic_label();
        self.strings
            .push((data, start as usize..(start + len) as usize));
        self.emit(Inst::LeaLabel {
            reg: Reg::Rax,
            label: data,
        });
        self.emit(Inst::MovImm {
            reg: Reg::Rdx,
            imm: i64::from(len),
        });
        self.emit(Inst::Call {
            target: self.sub.puts,
            clobbers: Regs::of(&[Reg::Rax, Reg::Rdx]),
            needs: None,
        });
    }

    /// `,` (instruction `i`): `getc` returns the byte in `eax`, or -1 at end of input.
    pub(super) fn input(&mut self, i: usize, off: i32) {
        // A register for the cell, chosen before the paths split (when end of input leaves
        // the cell as it was, it must hold the old value).
        let home = (self.home(off).is_some() || self.worth(i, 0))
            .then(|| self.acquire(off, self.eof == Eof::Unchanged, Regs::NONE));
        self.end_window();
        self.emit(Inst::Call {
            target: self.sub.getc,
            clobbers: Regs::of(&[Reg::Rax]),
            needs: None,
        });
        let store = match home {
            Some(reg) => Inst::MulSet {
                reg,
                off,
                src: Reg::Rax,
                k: 1,
            },
            None => Inst::StoreMem { off, reg: Reg::Rax },
        };
        let skip = self.jumps.new_target();
        match self.eof {
            Eof::Unchanged => {
                self.emit(Inst::TestValue { reg: Reg::Rax });
                self.emit(Inst::Jump {
                    cond: Cond::Sign,
                    target: skip,
                    short: true,
                });
                self.emit(store);
                self.join(skip);
            }
            Eof::Zero => {
                self.emit(Inst::TestValue { reg: Reg::Rax });
                self.emit(Inst::Jump {
                    cond: Cond::NotSign,
                    target: skip,
                    short: true,
                });
                self.emit(Inst::Zero { reg: Reg::Rax });
                self.join(skip);
                self.emit(store);
            }
            // -1 is all ones: the largest cell value.
            Eof::Max => self.emit(store),
        }
        if let Some(reg) = home {
            self.used(reg, i, 0);
        }
    }
}
