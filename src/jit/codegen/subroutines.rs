//! The code around the program: the prologue, the exits, and the subroutines every
//! program shares.
//!
//! * `exit`: restores `rsp` and the callee-saved registers and returns a status to Rust
//!   (`eax`), saving the tape pointer and output cursor in the context block;
//! * the fault stub, where the `SIGSEGV` handler resumes a thread that hit a guard page;
//! * `check failed`: the target of a failed explicit bounds compare;
//! * `putc` (append `al` to the output buffer, flushing when it is full or, on a terminal,
//!   after a newline), `puts` (`r9` bytes from `r8`), `flush` (`write(2)` until done,
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
/// saves one register, `flush` six, `getc` five.
macro_rules! save {
    (puts) => {
        ctx!(save) as i32
    };
    (flush) => {
        ctx!(save) as i32 + 8
    };
    (getc) => {
        ctx!(save) as i32 + 56
    };
}
use super::inst::Ops;
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
}

impl Subroutines {
    /// Fresh labels, placed by [`Gen::epilogue_and_subroutines`].
    pub(crate) fn new(ops: &mut Ops) -> Subroutines {
        Subroutines {
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
        let mut named = vec![
            (self.exit, "exit"),
            (self.oob, "check failed"),
            (self.putc, "putc"),
            (self.puts, "puts"),
            (self.flush, "flush"),
            (self.getc, "getc"),
        ];
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
            ; mov out, [ctx + ctx!(out_buf)]
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
        if self.options.verify {
            // Run-time verification found the generator wrong: the return address says where.
            asm!(self.ops
                ; =>verify_failed
                ; pop rax
                ; sub rax, 1
                ; mov [ctx + ctx!(fault_rip)], rax
                ; mov eax, status::VERIFY as i32
                ; jmp =>exit
            );
        }
        asm!(self.ops
            ; mov eax, status::FAULT as i32
            ; jmp =>exit

            // An explicit check failed: its return address (minus one, to stay inside the
            // check's code) says which unit.
            ; =>oob
            ; pop rax
            ; sub rax, 1
            ; mov [ctx + ctx!(fault_rip)], rax
            ; mov eax, status::FAULT as i32
            ; jmp =>exit
        );
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
            ; cmp DWORD [ctx + ctx!(line_flush)], 0
            ; jne =>flush
            ; ret
        );
        self.no_flush.push(putc_at..self.here());
        asm!(self.ops
            // puts: append edx (> 0) bytes from rax. Overwrites rax and rdx.
            ; =>puts
            ; mov [ctx + save!(puts)], rsi
            ; mov rsi, rax
            ; next:
            ; movzx eax, BYTE [rsi]
            ; call =>putc
            ; add rsi, 1
            ; sub edx, 1
            ; jnz <next
            ; mov rsi, [ctx + save!(puts)]
            ; ret
        );
        let flush_at = self.here();
        asm!(self.ops
            // flush: write out[buf..out] to out_fd; afterwards out = buf. Preserves every
            // register but the flags and r12 (the output cursor): `syscall` overwrites rcx
            // and r11, and takes its arguments in rax, rdi, rsi and rdx, so those are saved
            // in the context block (not pushed: no subroutine moves rsp).
            ; =>flush
            ; mov [ctx + save!(flush)], rax
            ; mov [ctx + save!(flush) + 8], rcx
            ; mov [ctx + save!(flush) + 16], rdx
            ; mov [ctx + save!(flush) + 24], rsi
            ; mov [ctx + save!(flush) + 32], rdi
            ; mov [ctx + save!(flush) + 40], r11
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
            ; jmp =>exit
            ; flushed:
            ; mov out, [ctx + ctx!(out_buf)]
            ; mov rax, [ctx + save!(flush)]
            ; mov rcx, [ctx + save!(flush) + 8]
            ; mov rdx, [ctx + save!(flush) + 16]
            ; mov rsi, [ctx + save!(flush) + 24]
            ; mov rdi, [ctx + save!(flush) + 32]
            ; mov r11, [ctx + save!(flush) + 40]
            ; ret
        );
        self.no_flush.push(flush_at..self.here());
        asm!(self.ops
            // getc: eax = next input byte, or -1 at end of input. Preserves every register
            // but rax and the flags.
            ; =>getc
            ; mov rax, [ctx + ctx!(in_pos)]
            ; cmp rax, [ctx + ctx!(in_len)]
            ; jae >refill
            ; have:
            ; add QWORD [ctx + ctx!(in_pos)], 1
            ; add rax, [ctx + ctx!(in_buf)]
            ; movzx eax, BYTE [rax]
            ; ret
            ; refill:
            ; cmp DWORD [ctx + ctx!(in_eof)], 0
            ; jne >at_eof           // end of input sticks: never read again (as C stdio)
            ; cmp out, [ctx + ctx!(out_buf)]
            ; je >read
            ; call =>flush          // let the user see any prompt before we wait
            ; read:
            ; mov [ctx + save!(getc)], rcx
            ; mov [ctx + save!(getc) + 8], rdx
            ; mov [ctx + save!(getc) + 16], rsi
            ; mov [ctx + save!(getc) + 24], rdi
            ; mov [ctx + save!(getc) + 32], r11
            ; again:
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
            ; mov [ctx + ctx!(in_pos)], rax
            ; mov rcx, [ctx + save!(getc)]
            ; mov rdx, [ctx + save!(getc) + 8]
            ; mov rsi, [ctx + save!(getc) + 16]
            ; mov rdi, [ctx + save!(getc) + 24]
            ; mov r11, [ctx + save!(getc) + 32]
            ; jmp <have
            ; failed:
            ; cmp rax, -libc::EINTR
            ; je <again
            ; neg eax
            ; mov [ctx + ctx!(errno)], eax
            ; mov eax, status::INPUT as i32
            ; jmp =>exit
            ; eof:                  // (rax = 0, what read returned)
            ; mov DWORD [ctx + ctx!(in_eof)], 1
            ; mov [ctx + ctx!(in_pos)], rax
            ; mov [ctx + ctx!(in_len)], rax
            ; mov rcx, [ctx + save!(getc)]
            ; mov rdx, [ctx + save!(getc) + 8]
            ; mov rsi, [ctx + save!(getc) + 16]
            ; mov rdi, [ctx + save!(getc) + 24]
            ; mov r11, [ctx + save!(getc) + 32]
            ; at_eof:
            ; mov eax, -1
            ; ret
        );
        (fault_stub, exit_at)
    }
}
