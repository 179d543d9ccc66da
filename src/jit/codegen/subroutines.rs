//! The code around the program: the prologue, the exits, and the subroutines every
//! program shares. Only the I/O subroutines a program calls are emitted ([`Used`]).
//!
//! * `exit`: restores `rsp` and the callee-saved registers and returns a status to Rust
//!   (`eax`), saving the tape pointer and output cursor in the context block;
//! * the fault stub, where the `SIGSEGV` handler resumes a thread that hit a guard page;
//! * `check failed`: the target of a failed explicit bounds compare;
//! * `putc` (append `al` to the output buffer, flushing when it is full or, on a terminal,
//!   after a newline), `puts` (`edx` bytes from `rax`), `flush` (`write(2)` until done,
//!   retrying `EINTR`), `getc` (next input byte in `eax`, or -1; refills with `read(2)`
//!   after flushing, so prompts appear before the program waits; once `read` has reported
//!   end of input, it never reads again, so a terminal needs only one Ctrl-D).
//!
//! Only the prologue, `putc`, `flush` and the exit path write the output cursor `r12` or
//! the output buffer; they are recorded in [`super::Code::no_flush`], where the autoflush
//! signal handler keeps off (`crate::autoflush`).
//!
//! Program code calls them with `call`, and keeps cells in registers across the call: each
//! subroutine preserves every register except the ones its [`super::inst::Inst::Call`]
//! declares (`rax`, and `rdx` for `puts`) and the flags, saving what `syscall` overwrites.

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi};

use super::Gen;

/// Offset of a subroutine's register save area in the context block (`Ctx::save`): `puts`
/// saves one register, `flush` six, `getc` five (after calling `flush`, so it can share
/// `flush`'s slots). All within a one-byte displacement of `r14`.
macro_rules! save {
    (puts) => {
        ctx8!(save)
    };
    (flush) => {
        ctx8!(save) + 8
    };
    (getc) => {
        ctx8!(save) + 8
    };
}
use super::encode::Ops;
use crate::jit::runtime::status;

/// Labels of the code shared by all instructions.
#[derive(Clone, Copy)]
pub(crate) struct Subroutines {
    pub exit: DynamicLabel,
    pub oob: DynamicLabel,
    pub flush: DynamicLabel,
    pub putc: DynamicLabel,
    pub puts: DynamicLabel,
    pub getc: DynamicLabel,
    pub verify_failed: DynamicLabel,
    /// Which of the I/O subroutines the program calls: only those are emitted.
    pub used: Used,
}

/// The I/O subroutines a program needs. A program without `,` gets no `getc`, one without
/// output no `putc`/`flush`: small programs are mostly these subroutines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Used {
    pub putc: bool,
    pub puts: bool,
    pub flush: bool,
    pub getc: bool,
}

impl Used {
    /// What a program calls, from whether it has output (`Out`), constant output (`Print`),
    /// input and `#` dumps.
    pub(crate) fn from_kinds(out: bool, print: bool, input: bool, debug: bool) -> Used {
        Used {
            putc: out || print,
            puts: print,
            // `getc` flushes before it waits, `#` before it dumps.
            flush: out || print || input || debug,
            getc: input,
        }
    }
}

impl Subroutines {
    /// Fresh labels, placed by [`Gen::epilogue_and_subroutines`].
    pub(crate) fn new(ops: &mut Ops, used: Used) -> Subroutines {
        Subroutines {
            used,
            exit: ops.new_dynamic_label(),
            oob: ops.new_dynamic_label(),
            flush: ops.new_dynamic_label(),
            putc: ops.new_dynamic_label(),
            puts: ops.new_dynamic_label(),
            getc: ops.new_dynamic_label(),
            verify_failed: ops.new_dynamic_label(),
        }
    }

    /// The labels that listings name (`verify failed` exists only with
    /// [`crate::jit::Options::verify`]).
    pub(crate) fn named(&self, verify: bool) -> Vec<(DynamicLabel, &'static str)> {
        let mut named = vec![(self.exit, "exit"), (self.oob, "check failed")];
        let used = self.used;
        for (on, label, name) in [
            (used.putc, self.putc, "putc"),
            (used.puts, self.puts, "puts"),
            (used.flush, self.flush, "flush"),
            (used.getc, self.getc, "getc"),
        ] {
            if on {
                named.push((label, name));
            }
        }
        if verify {
            named.push((self.verify_failed, "verify failed"));
        }
        named
    }
}

impl Gen<'_> {
    pub(super) fn prologue(&mut self) {
        // The register holds the address of cell `bias`, so that displacements are small.
        let bias_bytes = self.bytes(self.enc.bias);
        let out_buf_len = crate::io::OUT_BUF as i32;
        // The callee-saved registers the code uses, each recorded for a debugger's call
        // frame information (`Code::frame`): at entry the return address is at [rsp].
        let mut cfa = 8;
        for reg in [5u8, 3, 12, 13, 14, 15] {
            match reg {
                5 => asm!(self.ops; push rbp),
                3 => asm!(self.ops; push rbx),
                12 => asm!(self.ops; push r12),
                13 => asm!(self.ops; push r13),
                14 => asm!(self.ops; push r14),
                _ => asm!(self.ops; push r15),
            }
            cfa += 8;
            let at = self.here();
            self.frame.push(super::FrameStep {
                at,
                cfa,
                saved: Some(reg),
            });
        }
        asm!(self.ops; sub rsp, 8); // keeps rsp 16-byte aligned
        let at = self.here();
        self.frame.push(super::FrameStep {
            at,
            cfa: cfa + 8,
            saved: None,
        });
        asm!(self.ops
            ; mov ctx, rdi
            ; mov p, rsi
        );
        match i8::try_from(bias_bytes) {
            Ok(0) => {}
            Ok(b) => asm!(self.ops; add p, BYTE b as _),
            Err(_) => asm!(self.ops; add p, bias_bytes),
        }
        asm!(self.ops
            ; mov [ctx + ctx!(saved_rsp)], rsp
            ; mov out, [BYTE ctx + ctx8!(out_buf)]
            ; lea out_end, [out + out_buf_len]
        );
    }

    /// The normal exit, then the shared subroutines. Returns the offsets of the fault stub
    /// and of the exit path, and records the stretches of [`super::Code::no_flush`].
    pub(super) fn epilogue_and_subroutines(&mut self) -> (usize, u32) {
        let Subroutines {
            exit,
            oob,
            flush,
            putc,
            puts,
            getc,
            verify_failed,
            used,
        } = self.sub;
        asm!(self.ops; mov eax, status::OK as i32);
        let exit_at = self.here();
        asm!(self.ops
            ; =>exit
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
        self.no_flush.push(exit_at..fault_stub as u32);
        asm!(self.ops
            ; mov eax, status::FAULT as i32
            ; jmp =>exit
        );
        // An explicit check failed: its return address says which unit.
        self.exit_from_call(oob, status::FAULT, exit);
        // (After the fault stub, which the fault handler enters at `fault_stub`.)
        if self.options.verify {
            // Run-time verification found the generator wrong: the return address says where.
            self.exit_from_call(verify_failed, status::VERIFY, exit);
        }
        if used.putc {
            self.putc(putc, flush);
        }
        if used.puts {
            self.puts(puts, putc);
        }
        if used.flush {
            self.flush(flush, exit);
        }
        if used.getc {
            self.getc(getc, flush, exit);
        }
        (fault_stub, exit_at)
    }

    /// `putc`: append `al` to the output buffer; flush it when full, or after a newline when
    /// the output is a terminal.
    /// At `label`, the target of a `call` that does not return: records where it was called
    /// from (the return address minus one, to stay inside the caller's code) as the fault
    /// address, and exits with `status`.
    fn exit_from_call(&mut self, label: DynamicLabel, status: u64, exit: DynamicLabel) {
        asm!(self.ops
            ; =>label
            ; pop rax
            ; sub rax, 1
            ; mov [ctx + ctx!(fault_rip)], rax
            ; mov eax, status as i32
            ; jmp =>exit
        );
    }

    fn putc(&mut self, putc: DynamicLabel, flush: DynamicLabel) {
        let putc_at = self.here();
        asm!(self.ops
            // putc: append al to the output buffer; flush it when full, or after a newline
            // when the output is a terminal. Preserves every register but the flags.
            ; =>putc
            ; mov BYTE [out], al
            ; add out, 1
            ; cmp out, out_end
            ; jae =>flush
            ; cmp al, 10
            ; je >newline
            ; ret
            ; newline:
            ; cmp DWORD [BYTE ctx + ctx8!(line_flush)], 0
            ; jne =>flush
            ; ret
        );
        self.no_flush.push(putc_at..self.here());
    }

    /// `puts`: append `edx` (> 0) bytes from `rax`.
    fn puts(&mut self, puts: DynamicLabel, putc: DynamicLabel) {
        asm!(self.ops
            // puts: append edx (> 0) bytes from rax. Overwrites rax and rdx.
            ; =>puts
            ; mov [BYTE ctx + save!(puts)], rsi
            ; mov rsi, rax
            ; next:
            ; movzx eax, BYTE [rsi]
            ; call =>putc
            ; add rsi, 1
            ; sub edx, 1
            ; jnz <next
            ; mov rsi, [BYTE ctx + save!(puts)]
            ; ret
        );
    }

    /// `flush`: `write(2)` the output buffer until done.
    fn flush(&mut self, flush: DynamicLabel, exit: DynamicLabel) {
        let flush_at = self.here();
        asm!(self.ops
            // flush: write out[buf..out] to out_fd; afterwards out = buf. Preserves every
            // register but the flags and r12 (the output cursor): `syscall` overwrites rcx
            // and r11, and takes its arguments in rax, rdi, rsi and rdx, so those are saved
            // in the context block (not pushed: no subroutine moves rsp).
            ; =>flush
            ; mov [BYTE ctx + save!(flush)], rax
            ; mov [BYTE ctx + save!(flush) + 8], rcx
            ; mov [BYTE ctx + save!(flush) + 16], rdx
            ; mov [BYTE ctx + save!(flush) + 24], rsi
            ; mov [BYTE ctx + save!(flush) + 32], rdi
            ; mov [BYTE ctx + save!(flush) + 40], r11
            ; mov rsi, [BYTE ctx + ctx8!(out_buf)]
            ; write:
            ; mov rdx, out
            ; sub rdx, rsi
            ; jz >flushed
            ; mov edi, [BYTE ctx + ctx8!(out_fd)]
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
            ; jmp =>exit
            ; flushed:
            ; mov out, [BYTE ctx + ctx8!(out_buf)]
            ; mov rax, [BYTE ctx + save!(flush)]
            ; mov rcx, [BYTE ctx + save!(flush) + 8]
            ; mov rdx, [BYTE ctx + save!(flush) + 16]
            ; mov rsi, [BYTE ctx + save!(flush) + 24]
            ; mov rdi, [BYTE ctx + save!(flush) + 32]
            ; mov r11, [BYTE ctx + save!(flush) + 40]
            ; ret
        );
        self.no_flush.push(flush_at..self.here());
    }

    /// `getc`: the next input byte, refilling the input buffer with `read(2)`.
    fn getc(&mut self, getc: DynamicLabel, flush: DynamicLabel, exit: DynamicLabel) {
        asm!(self.ops
            // getc: eax = next input byte, or -1 at end of input. Preserves every register
            // but rax and the flags.
            ; =>getc
            ; mov rax, [BYTE ctx + ctx8!(in_pos)]
            ; cmp rax, [BYTE ctx + ctx8!(in_len)]
            ; jae >refill
            ; have:
            ; add QWORD [BYTE ctx + ctx8!(in_pos)], 1
            ; add rax, [BYTE ctx + ctx8!(in_buf)]
            ; movzx eax, BYTE [rax]
            ; ret
            ; refill:
            ; cmp DWORD [BYTE ctx + ctx8!(in_eof)], 0
            ; jne >at_eof           // end of input sticks: never read again (as C stdio)
            ; cmp out, [BYTE ctx + ctx8!(out_buf)]
            ; je >read
            ; call =>flush          // let the user see any prompt before we wait
            ; read:
            ; mov [BYTE ctx + save!(getc)], rcx
            ; mov [BYTE ctx + save!(getc) + 8], rdx
            ; mov [BYTE ctx + save!(getc) + 16], rsi
            ; mov [BYTE ctx + save!(getc) + 24], rdi
            ; mov [BYTE ctx + save!(getc) + 32], r11
            ; again:
            ; mov edi, [BYTE ctx + ctx8!(in_fd)]
            ; mov rsi, [BYTE ctx + ctx8!(in_buf)]
            ; mov rdx, [BYTE ctx + ctx8!(in_cap)]
            ; mov eax, libc::SYS_read as i32
            ; syscall
            ; test rax, rax
            ; js >failed
            ; jz >eof
            ; mov [BYTE ctx + ctx8!(in_len)], rax
            ; xor eax, eax
            ; mov [BYTE ctx + ctx8!(in_pos)], rax
            ; restore:              // both outcomes of the read: rax = 0 here
            ; mov rcx, [BYTE ctx + save!(getc)]
            ; mov rdx, [BYTE ctx + save!(getc) + 8]
            ; mov rsi, [BYTE ctx + save!(getc) + 16]
            ; mov rdi, [BYTE ctx + save!(getc) + 24]
            ; mov r11, [BYTE ctx + save!(getc) + 32]
            ; cmp DWORD [BYTE ctx + ctx8!(in_eof)], 0
            ; je <have              // data (the read only starts with in_eof = 0)
            ; at_eof:
            ; mov eax, -1
            ; ret
            ; failed:
            ; cmp rax, -libc::EINTR
            ; je <again
            ; neg eax
            ; mov [ctx + ctx!(errno)], eax
            ; mov eax, status::INPUT as i32
            ; jmp =>exit
            ; eof:                  // (rax = 0, what read returned)
            ; mov DWORD [BYTE ctx + ctx8!(in_eof)], 1
            ; mov [BYTE ctx + ctx8!(in_pos)], rax
            ; mov [BYTE ctx + ctx8!(in_len)], rax
            ; jmp <restore
        );
    }
}
