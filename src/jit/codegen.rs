//! x86-64 code generation: IR to machine code, with dynasm.
//!
//! # Register convention
//!
//! Fixed for the whole of the generated code (all callee-saved, so they survive `syscall`):
//!
//! | register | alias     | holds                                                  |
//! |----------|-----------|--------------------------------------------------------|
//! | `rbx`    | `p`       | the tape pointer: address of the current cell          |
//! | `r12`    | `out`     | output cursor: next free byte of the output buffer     |
//! | `r13`    | `out_end` | end of the output buffer                               |
//! | `r14`    | `ctx`     | the [`Ctx`] block (fds, buffers, saved `rsp`, results) |
//!
//! `rax`, `rcx`, `rdx`, `rsi`, `rdi` and `r8`-`r11` are scratch; `syscall` clobbers `rax`,
//! `rcx` and `r11`. Cell offsets become displacements: `p[3] += 1` on 16-bit cells is
//! `add word [rbx+6], 1`.
//!
//! # Layout
//!
//! The entry point (prologue) comes first, then one block of code per IR instruction, then
//! the epilogue and the shared subroutines: `flush` (write the output buffer, retrying on
//! `EINTR` and continuing short writes), `getc` (next input byte, refilling the input buffer
//! with `read` after flushing output), the fault stub and the explicit-check failure path.
//!
//! # Bounds checks
//!
//! An IR `Check` costs nothing when the generated code touches the extreme cells of its
//! window anyway: if the pointer left the tape, that access lands in a guard page (see
//! [`super::fault`]). For an extreme that is not touched before the window ends, a *probe*
//! (`cmp byte [rbx+off], 0`, a load) is emitted. Offsets too large for the guard regions, and
//! the right end of a tape that is not a whole number of pages, are compared explicitly.
//! The codegen records, for every code range, which check or scan it belongs to ([`Unit`]),
//! so a fault can be traced to the IR.

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm, x64::X64Relocation};

use super::runtime::{Ctx, GUARD, page_size, status};
use crate::ir::{CheckId, Ir, Op};
use crate::{Config, Eof};

/// `dynasm!` with the register aliases of the convention above.
macro_rules! asm {
    ($ops:expr; $($t:tt)*) => {
        dynasm!($ops
            ; .arch x64
            ; .alias p, rbx
            ; .alias out, r12
            ; .alias out_end, r13
            ; .alias ctx, r14
            ; $($t)*
        )
    };
}

/// Offset of a [`Ctx`] field, as a displacement.
macro_rules! ctx {
    ($field:ident) => {
        std::mem::offset_of!(Ctx, $field) as i32
    };
}

/// What a stretch of code is doing, for tracing a fault back to the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Nothing that can fault.
    None,
    /// The window of a `Check`: the tape pointer register holds `p` of the check.
    Check(CheckId),
    /// A scan loop (the IR instruction index): the tape pointer register holds `p` at the
    /// start of the scan.
    Scan(u32),
}

/// Generated code and the tables that describe it.
pub(crate) struct Code {
    /// Machine code, position independent.
    pub bytes: Vec<u8>,
    /// Offset of the entry point.
    pub entry: usize,
    /// Offset of the fault stub.
    pub fault_stub: usize,
    /// `(start offset, unit)`, sorted by offset: each unit runs to the next entry.
    pub units: Vec<(u32, Unit)>,
}

impl Code {
    /// The unit the instruction at code offset `off` belongs to.
    pub(crate) fn unit_at(&self, off: u32) -> Unit {
        match self.units.partition_point(|&(start, _)| start <= off) {
            0 => Unit::None,
            i => self.units[i - 1].1,
        }
    }
}

/// Compiles `ir` for `config`.
pub(crate) fn compile(ir: &Ir, config: &Config) -> Result<Code, String> {
    let cs = config.cell_bits.bytes() as i32;
    let mut g = Gen {
        ops: VecAssembler::new(0),
        ir,
        cs,
        eof: config.eof,
        exact_right: (config.tape_cells * cs as usize) % page_size() != 0,
        units: Vec::new(),
        unit_open: false,
        loops: Vec::new(),
    };
    let entry = g.ops.offset().0;
    g.prologue();
    let mut i = 0;
    while i < ir.code.len() {
        i = g.instr(i);
    }
    g.close_unit();
    let fault_stub = g.epilogue_and_subroutines();
    g.ops.commit().map_err(|e| e.to_string())?;
    let bytes = g.ops.finalize().map_err(|e| e.to_string())?;
    Ok(Code {
        bytes,
        entry,
        fault_stub,
        units: g.units,
    })
}

struct Gen<'a> {
    ops: VecAssembler<X64Relocation>,
    ir: &'a Ir,
    /// Cell size in bytes.
    cs: i32,
    eof: Eof,
    /// The tape does not end on a page boundary: check the right end explicitly.
    exact_right: bool,
    units: Vec<(u32, Unit)>,
    unit_open: bool,
    /// Labels of open loops and ifs: (body start, end).
    loops: Vec<(DynamicLabel, DynamicLabel)>,
}

impl Gen<'_> {
    fn here(&self) -> u32 {
        self.ops.offset().0 as u32
    }

    fn open_unit(&mut self, unit: Unit) {
        let here = self.here();
        self.units.push((here, unit));
        self.unit_open = true;
    }

    /// Ends the current unit: code from here on cannot fault on its behalf.
    fn close_unit(&mut self) {
        if self.unit_open {
            let here = self.here();
            self.units.push((here, Unit::None));
            self.unit_open = false;
        }
    }

    /// Displacement of cell `off`.
    fn disp(&self, off: i32) -> i32 {
        off * self.cs
    }

    fn prologue(&mut self) {
        let out_buf_len = crate::io::OUT_BUF as i32;
        asm!(self.ops
            ; push rbp
            ; push rbx
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; sub rsp, 8
            ; mov ctx, rdi
            ; mov p, rsi
            ; mov [ctx + ctx!(saved_rsp)], rsp
            ; mov out, [ctx + ctx!(out_buf)]
            ; lea out_end, [out + out_buf_len]
        );
    }

    /// Emits instruction `i` (and any it fuses with); returns the next instruction index.
    fn instr(&mut self, i: usize) -> usize {
        match self.ir.code[i].op {
            Op::Add { off, val } => self.add_imm(off, val),
            Op::Set { off, val } => self.store_imm(off, val),
            Op::MulAdd { src, dst, k } => self.mul_add(src, dst, k),
            Op::Move { delta } => {
                if let Some(Op::EndLoop { off }) = self.ir.code.get(i + 1).map(|n| n.op) {
                    // Test the condition cell before moving: `cmp [p+delta+off], 0` is still
                    // inside the window of the check that covers the move.
                    self.cmp_zero(delta + off);
                    self.close_unit();
                    let d = self.disp(delta);
                    let (body, end) = self.loops.pop().expect("balanced");
                    asm!(self.ops
                        ; lea p, [p + d]
                        ; jnz =>body
                        ; =>end
                    );
                    return i + 2;
                }
                self.close_unit();
                let d = self.disp(delta);
                asm!(self.ops; lea p, [p + d]);
            }
            Op::Check(id) => self.check(i, id),
            Op::Out { off } => self.out(off),
            Op::In { off } => self.input(off),
            Op::Loop { off } | Op::If { off } => {
                let body = self.ops.new_dynamic_label();
                let end = self.ops.new_dynamic_label();
                self.loops.push((body, end));
                self.cmp_zero(off);
                self.close_unit();
                asm!(self.ops
                    ; jz =>end
                    ; =>body
                );
            }
            Op::EndLoop { off } => {
                self.cmp_zero(off);
                self.close_unit();
                let (body, end) = self.loops.pop().expect("balanced");
                asm!(self.ops
                    ; jnz =>body
                    ; =>end
                );
            }
            Op::EndIf => {
                self.close_unit();
                let (_, end) = self.loops.pop().expect("balanced");
                asm!(self.ops; =>end);
            }
            Op::Scan { off, step, check } => self.scan(i, off, step, check),
        }
        i + 1
    }

    /// `add cell[off], val`.
    fn add_imm(&mut self, off: i32, val: u32) {
        let d = self.disp(off);
        match self.cs {
            1 => asm!(self.ops; add BYTE [p + d], val as i8),
            2 => asm!(self.ops; add WORD [p + d], val as i16),
            _ => asm!(self.ops; add DWORD [p + d], val as i32),
        }
    }

    /// `mov cell[off], val`.
    fn store_imm(&mut self, off: i32, val: u32) {
        let d = self.disp(off);
        match self.cs {
            1 => asm!(self.ops; mov BYTE [p + d], val as i8),
            2 => asm!(self.ops; mov WORD [p + d], val as i16),
            _ => asm!(self.ops; mov DWORD [p + d], val as i32),
        }
    }

    /// `eax = cell[off]`, zero-extended.
    fn load_eax(&mut self, off: i32) {
        let d = self.disp(off);
        match self.cs {
            1 => asm!(self.ops; movzx eax, BYTE [p + d]),
            2 => asm!(self.ops; movzx eax, WORD [p + d]),
            _ => asm!(self.ops; mov eax, DWORD [p + d]),
        }
    }

    /// `cell[off] = eax` (truncated to the cell width).
    fn store_eax(&mut self, off: i32) {
        let d = self.disp(off);
        match self.cs {
            1 => asm!(self.ops; mov BYTE [p + d], al),
            2 => asm!(self.ops; mov WORD [p + d], ax),
            _ => asm!(self.ops; mov DWORD [p + d], eax),
        }
    }

    /// Sets the flags from `cell[off]` (ZF: the cell is zero).
    fn cmp_zero(&mut self, off: i32) {
        let d = self.disp(off);
        match self.cs {
            1 => asm!(self.ops; cmp BYTE [p + d], 0),
            2 => asm!(self.ops; cmp WORD [p + d], 0),
            _ => asm!(self.ops; cmp DWORD [p + d], 0),
        }
    }

    /// `cell[dst] += cell[src] * k`.
    fn mul_add(&mut self, src: i32, dst: i32, k: u32) {
        self.load_eax(src);
        if k != 1 {
            asm!(self.ops; imul eax, eax, k as i32);
        }
        let d = self.disp(dst);
        match self.cs {
            1 => asm!(self.ops; add BYTE [p + d], al),
            2 => asm!(self.ops; add WORD [p + d], ax),
            _ => asm!(self.ops; add DWORD [p + d], eax),
        }
    }

    fn out(&mut self, off: i32) {
        self.load_eax(off);
        self.close_unit();
        asm!(self.ops
            ; mov BYTE [out], al
            ; add out, 1
            ; cmp al, 10
            ; jne >full
            ; cmp DWORD [ctx + ctx!(line_flush)], 0
            ; je >full
            ; call ->flush
            ; full:
            ; cmp out, out_end
            ; jb >done
            ; call ->flush
            ; done:
        );
    }

    fn input(&mut self, off: i32) {
        self.close_unit();
        asm!(self.ops; call ->getc);
        match self.eof {
            Eof::Unchanged => {
                asm!(self.ops
                    ; test eax, eax
                    ; js >eof
                );
                self.store_eax(off);
                asm!(self.ops; eof:);
            }
            Eof::Zero => {
                asm!(self.ops
                    ; test eax, eax
                    ; jns >store
                    ; xor eax, eax
                    ; store:
                );
                self.store_eax(off);
            }
            // `getc` returns -1 at end of input: all ones, the largest cell value.
            Eof::Max => self.store_eax(off),
        }
    }

    /// Opens the window of check `id` (instruction `i`) and makes sure that if the pointer
    /// left the tape, something in the window faults before the window ends.
    fn check(&mut self, i: usize, id: CheckId) {
        self.close_unit();
        self.open_unit(Unit::Check(id));
        let e = *self.ir.excursion(id);
        let touched = self.window_accesses(i + 1);
        let lo_far = i64::from(e.lo) * i64::from(self.cs) < -(GUARD as i64 / 2);
        let hi_far = i64::from(e.hi) * i64::from(self.cs) >= GUARD as i64 / 2;
        // The origin is on the tape: only moves beyond it need checking.
        if e.lo < e.origin {
            if lo_far {
                self.explicit_check(e.lo, false);
            } else if !touched.contains(&e.lo) {
                self.cmp_zero(e.lo);
            }
        }
        if e.hi > e.origin {
            if hi_far || self.exact_right {
                self.explicit_check(e.hi, true);
            } else if !touched.contains(&e.hi) {
                self.cmp_zero(e.hi);
            }
        }
    }

    /// Offsets that the code of the window starting at instruction `i` will load or store
    /// before the window closes.
    fn window_accesses(&self, mut i: usize) -> Vec<i32> {
        let code = &self.ir.code;
        let mut touched = Vec::new();
        while let Some(ins) = code.get(i) {
            match ins.op {
                Op::Add { off, .. } | Op::Set { off, .. } => touched.push(off),
                Op::MulAdd { src, dst, .. } => touched.extend([src, dst]),
                // The first access of these happens before the window closes.
                Op::Out { off }
                | Op::Loop { off }
                | Op::If { off }
                | Op::EndLoop { off }
                | Op::Scan { off, .. } => {
                    touched.push(off);
                    break;
                }
                Op::Move { delta } => {
                    if let Some(Op::EndLoop { off }) = code.get(i + 1).map(|n| n.op) {
                        touched.push(delta + off);
                    }
                    break;
                }
                Op::Check(_) | Op::In { .. } | Op::EndIf => break,
            }
            i += 1;
        }
        touched
    }

    /// Compares the address of cell `off` with the tape's start (`right == false`) or end,
    /// calling the failure path if it is off the tape. The call's return address identifies
    /// the unit.
    fn explicit_check(&mut self, off: i32, right: bool) {
        let d = i64::from(off) * i64::from(self.cs);
        asm!(self.ops
            ; mov rax, QWORD d
            ; add rax, p
        );
        if right {
            asm!(self.ops
                ; cmp rax, [ctx + ctx!(tape_end)]
                ; jb >ok
                ; call ->oob
                ; ok:
            );
        } else {
            asm!(self.ops
                ; cmp rax, [ctx + ctx!(tape_start)]
                ; jae >ok
                ; call ->oob
                ; ok:
            );
        }
    }

    /// `while p[off] != 0 { p += step }`, one cell at a time.
    fn scan(&mut self, i: usize, off: i32, step: i32, check: CheckId) {
        self.cmp_zero(off);
        self.close_unit();
        let e = *self.ir.excursion(check);
        let d = self.disp(off);
        let s = self.disp(step);
        asm!(self.ops
            ; jz >done
        );
        self.open_unit(Unit::Scan(i as u32));
        asm!(self.ops
            ; mov rax, p
            ; next:
            ; add rax, s
        );
        // Probe the extremes of an iteration that the next test does not touch (relative
        // to the new position, which is `step` beyond the iteration's start).
        for x in [e.lo, e.hi] {
            if x != off && x != off + step {
                let xd = self.disp(x - step);
                asm!(self.ops; cmp BYTE [rax + xd], 0);
            }
        }
        if self.exact_right && e.hi > off {
            let hd = self.disp(e.hi - step);
            asm!(self.ops
                ; lea rcx, [rax + hd]
                ; cmp rcx, [ctx + ctx!(tape_end)]
                ; jb >ok
                ; call ->oob
                ; ok:
            );
        }
        match self.cs {
            1 => asm!(self.ops; cmp BYTE [rax + d], 0),
            2 => asm!(self.ops; cmp WORD [rax + d], 0),
            _ => asm!(self.ops; cmp DWORD [rax + d], 0),
        }
        asm!(self.ops
            ; jnz <next
            ; mov p, rax
        );
        self.close_unit();
        asm!(self.ops; done:);
    }

    /// The normal exit, then the shared subroutines. Returns the fault stub's offset.
    fn epilogue_and_subroutines(&mut self) -> usize {
        asm!(self.ops
            ; mov eax, status::OK as i32
            ; ->exit:
            ; mov rsp, [ctx + ctx!(saved_rsp)]
            ; mov [ctx + ctx!(final_p)], p
            ; mov [ctx + ctx!(final_out)], out
            ; add rsp, 8
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
        );
        let fault_stub = self.ops.offset().0;
        asm!(self.ops
            ; mov eax, status::FAULT as i32
            ; jmp ->exit

            // An explicit check failed: its return address (minus one, to stay inside the
            // check's code) says which unit.
            ; ->oob:
            ; pop rax
            ; sub rax, 1
            ; mov [ctx + ctx!(fault_rip)], rax
            ; mov eax, status::FAULT as i32
            ; jmp ->exit

            // flush: write out[buf..out] to out_fd; afterwards out = buf.
            ; ->flush:
            ; mov rsi, [ctx + ctx!(out_buf)]
            ; write:
            ; mov rdx, out
            ; sub rdx, rsi
            ; jz >flushed
            ; mov edi, [ctx + ctx!(out_fd)]
            ; mov eax, libc::SYS_write as i32
            ; syscall
            ; test rax, rax
            ; jle >failed
            ; add rsi, rax          // a short write: continue after what was written
            ; jmp <write
            ; failed:
            ; cmp rax, -libc::EINTR
            ; je <write
            ; neg eax               // errno (0 when write returned 0)
            ; mov [ctx + ctx!(errno)], eax
            ; mov eax, status::OUTPUT as i32
            ; jmp ->exit
            ; flushed:
            ; mov out, [ctx + ctx!(out_buf)]
            ; ret

            // getc: eax = next input byte, or -1 at end of input.
            ; ->getc:
            ; mov rax, [ctx + ctx!(in_pos)]
            ; cmp rax, [ctx + ctx!(in_len)]
            ; jae >refill
            ; have:
            ; mov rcx, [ctx + ctx!(in_buf)]
            ; movzx ecx, BYTE [rcx + rax]
            ; add rax, 1
            ; mov [ctx + ctx!(in_pos)], rax
            ; mov eax, ecx
            ; ret
            ; refill:
            ; cmp out, [ctx + ctx!(out_buf)]
            ; je >read
            ; call ->flush          // let the user see any prompt before we wait
            ; read:
            ; mov edi, [ctx + ctx!(in_fd)]
            ; mov rsi, [ctx + ctx!(in_buf)]
            ; mov rdx, [ctx + ctx!(in_cap)]
            ; mov eax, libc::SYS_read as i32
            ; syscall
            ; test rax, rax
            ; js >failed
            ; jz >eof
            ; mov [ctx + ctx!(in_len)], rax
            ; xor eax, eax
            ; jmp <have
            ; failed:
            ; cmp rax, -libc::EINTR
            ; je <read
            ; neg eax
            ; mov [ctx + ctx!(errno)], eax
            ; mov eax, status::INPUT as i32
            ; jmp ->exit
            ; eof:
            ; xor eax, eax
            ; mov [ctx + ctx!(in_pos)], rax
            ; mov [ctx + ctx!(in_len)], rax
            ; mov eax, -1
            ; ret
        );
        fault_stub
    }
}
