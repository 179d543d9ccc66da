//! Run-time checks of the generator's beliefs ([`super::super::Options::verify`]): before
//! every IR instruction, code that compares what the generator believes registers and flags
//! hold with what they do hold, and exits with status `VERIFY` where a belief is wrong. It
//! exists only when asked for; the program's own code is the same with or without it.

use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};

use super::Gen;
use super::effect::Reg;
use super::encode::{reg_asm, width_asm};

impl Gen<'_> {
    /// [`super::Options::verify`]: code that checks, at run time, what the generator
    /// believes: that each register holding a cell whose memory is current holds the same
    /// value (at the cell width), and that ZF tells whether the cell it is believed to reflect
    /// is 0 (in memory, or in its register if memory is out of date). A wrong belief exits
    /// with status `VERIFY`. The check changes no register and leaves ZF as it found it.
    #[allow(clippy::useless_conversion)] // dynasm's dynamic registers take `impl Into<u8>`
    pub(super) fn assert_beliefs(&mut self) {
        let fail = self.sub.verify_failed;
        let cs = self.enc.cell_bytes;
        let beliefs: Vec<(Reg, i32)> = self
            .state
            .held()
            .filter(|&(_, off)| !self.state.is_stale(off))
            .collect();
        for (reg, off) in beliefs {
            let d = self.disp(off);
            let ok = self.ops.new_dynamic_label();
            // A second register to load the cell into, saved around the check.
            let t = if reg == Reg::Rcx { Reg::Rdx } else { Reg::Rcx };
            let (r, tn) = (reg.num(), t.num());
            dynasm!(self.ops; .arch x64; pushfq);
            reg_asm!(self.ops, t; push r_q);
            match cs {
                1 => dynasm!(self.ops; .arch x64; movzx Rd(tn), BYTE [rbx + d]; cmp Rb(r), Rb(tn)),
                2 => dynasm!(self.ops; .arch x64; movzx Rd(tn), WORD [rbx + d]; cmp Rw(r), Rw(tn)),
                _ => dynasm!(self.ops; .arch x64; mov Rd(tn), DWORD [rbx + d]; cmp Rd(r), Rd(tn)),
            }
            reg_asm!(self.ops, t; pop r_q);
            dynasm!(self.ops
                ; .arch x64
                ; je =>ok
                ; call =>fail
                ; =>ok
                ; popfq
            );
        }
        // The flags last: checking them leaves ZF alone but not the other flags.
        if let Some(off) = self.state.flags() {
            let (ok, zero) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
            let in_reg = self.home(off).filter(|_| self.state.is_stale(off));
            dynasm!(self.ops; .arch x64; jz =>zero);
            self.test_raw(off, in_reg);
            dynasm!(self.ops; .arch x64; jne =>ok; call =>fail; =>zero);
            self.test_raw(off, in_reg);
            dynasm!(self.ops; .arch x64; je =>ok; call =>fail; =>ok);
        }
    }

    /// Sets ZF from cell `off`, in `reg` or in memory, outside the tracked instructions (for
    /// [`Gen::assert_beliefs`]).
    fn test_raw(&mut self, off: i32, reg: Option<Reg>) {
        let cs = self.enc.cell_bytes;
        match reg {
            Some(reg) => width_asm!(self.ops, cs, reg; test r, r),
            None => self.cmp_cell_raw(self.disp(off), cs),
        }
    }

    /// `cmp cell [rbx + d], 0`, outside the tracked instructions (for [`Gen::assert_beliefs`]).
    fn cmp_cell_raw(&mut self, d: i32, cs: i32) {
        match cs {
            1 => dynasm!(self.ops; .arch x64; cmp BYTE [rbx + d], 0),
            2 => dynasm!(self.ops; .arch x64; cmp WORD [rbx + d], 0),
            _ => dynasm!(self.ops; .arch x64; cmp DWORD [rbx + d], 0),
        }
    }
}
