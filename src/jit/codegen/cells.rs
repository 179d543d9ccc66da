//! Code for the IR instructions that compute with cells and do I/O: multiply-adds, `.`,
//! `print` and `,`. (`Add` and `Set` are single instructions, emitted straight from
//! [`super::Gen::instr`].)
//!
//! ```text
//! p[2] += p[0]*3      movzx eax, byte [rbx]       ; unless eax already holds p[0]
//!                     imul edx, eax, 3
//!                     add [rbx+2], dl
//! out p[2]            movzx eax, byte [rbx+2]
//!                     call putc
//! ```

use super::Gen;
use super::inst::{Cond, Inst, Reg};
use crate::Eof;

impl Gen<'_> {
    /// `eax = p[off]`, zero-extended, unless it already is.
    fn load_eax(&mut self, off: i32) {
        if self.reg_holding(off) != Some(Reg::Rax) {
            self.emit(Inst::Load { reg: Reg::Rax, off });
        }
    }

    /// Sets ZF from `p[off]`: nothing if the flags already reflect it, `test` if a register
    /// holds it, else a compare in memory. (A cell held in a register or the flags was
    /// accessed since `p` last moved, so skipping the memory access never skips a bounds
    /// fault.)
    pub(super) fn cmp_zero(&mut self, off: i32) {
        if self.flags_hold(off) {
            return;
        }
        match self.reg_holding(off) {
            Some(reg) => self.emit(Inst::Test { reg }),
            None => self.emit(Inst::CmpZero { off }),
        }
    }

    /// `p[dst] += p[src] * k`.
    pub(super) fn mul_add(&mut self, src: i32, dst: i32, k: u32) {
        self.load_eax(src);
        if k == 1 {
            self.emit(Inst::AddReg {
                off: dst,
                reg: Reg::Rax,
            });
        } else {
            self.emit(Inst::MulImm {
                dst: Reg::Rdx,
                src: Reg::Rax,
                k,
            });
            self.emit(Inst::AddReg {
                off: dst,
                reg: Reg::Rdx,
            });
        }
    }

    /// `p[dst] = p[src] * k`.
    pub(super) fn mul_set(&mut self, src: i32, dst: i32, k: u32) {
        self.load_eax(src);
        if k == 1 {
            self.emit(Inst::Store {
                off: dst,
                reg: Reg::Rax,
            });
        } else {
            self.emit(Inst::MulImm {
                dst: Reg::Rdx,
                src: Reg::Rax,
                k,
            });
            self.emit(Inst::Store {
                off: dst,
                reg: Reg::Rdx,
            });
        }
    }

    /// `.`: the byte goes to `putc` in `al`.
    pub(super) fn out(&mut self, off: i32) {
        self.load_eax(off);
        self.close_unit();
        self.emit(Inst::Call {
            target: self.sub.putc,
        });
    }

    /// Constant output: the bytes go into the code buffer after the code, and `puts` copies
    /// them to the output buffer.
    pub(super) fn print(&mut self, start: u32, len: u32) {
        self.close_unit();
        let data = self.ops.new_dynamic_label();
        self.strings
            .push((data, start as usize..(start + len) as usize));
        self.emit(Inst::LeaLabel {
            reg: Reg::R8,
            label: data,
        });
        self.emit(Inst::MovImm {
            reg: Reg::R9,
            imm: i64::from(len),
        });
        self.emit(Inst::Call {
            target: self.sub.puts,
        });
    }

    /// `,`: `getc` returns the byte in `eax`, or -1 at end of input.
    pub(super) fn input(&mut self, off: i32) {
        self.close_unit();
        self.emit(Inst::Call {
            target: self.sub.getc,
        });
        let store = Inst::Store { off, reg: Reg::Rax };
        let skip = self.ops.new_dynamic_label();
        match self.eof {
            Eof::Unchanged => {
                self.emit(Inst::Test { reg: Reg::Rax });
                self.emit(Inst::Jump {
                    cond: Cond::Sign,
                    target: skip,
                });
                self.emit(store);
                self.join(skip);
            }
            Eof::Zero => {
                self.emit(Inst::Test { reg: Reg::Rax });
                self.emit(Inst::Jump {
                    cond: Cond::NotSign,
                    target: skip,
                });
                self.emit(Inst::Zero { reg: Reg::Rax });
                self.join(skip);
                self.emit(store);
            }
            // -1 is all ones: the largest cell value.
            Eof::Max => self.emit(store),
        }
    }
}
