//! The start-up code of an executable, its `SIGSEGV` handler, and its exits.
//!
//! Written with dynasm like the program code, and placed before it in `.text`. It plays the
//! part that Rust plays around the JIT (`jit::Jit::run`, `jit::runtime`, `jit::fault`), with
//! system calls only:
//!
//! 1. what the Rust runtime does before `main`: open `/dev/null` on any of the file
//!    descriptors 0, 1 and 2 that is closed (found with one `poll`), and ignore `SIGPIPE`
//!    (so that a closed pipe is an `EPIPE` error);
//! 2. `sigaltstack` and `rt_sigaction(SIGSEGV)`: the handler, on its own stack, recognises
//!    a fault in a guard page exactly as [`crate::jit::fault`] does and resumes the program
//!    at its fault stub. `rt_sigaction` needs `SA_RESTORER` and a restorer that calls
//!    `rt_sigreturn` (libc's `sigaction` hides this);
//! 3. `mmap` the tape with its guards as one `PROT_NONE` region, then `mprotect` the cells
//!    read+write;
//! 4. fill in the context block ([`crate::jit::runtime::Ctx`], in `.bss`, as are the
//!    buffers), with `ioctl(1, TCGETS)` telling whether stdout is a terminal;
//! 5. call the program's entry point, then, by its status: flush the output (as Rust's
//!    `write_all` on stdout would: `EINTR` retried, short writes continued, `EBADF` ignored),
//!    report an error ([`super::report`]), and `exit_group` with 0 or 1.
//!
//! Other signal handlers (say, flushing the output on `SIGTERM`) fit the same pattern:
//! [`Asm::sigaction`] installs any handler with the shared restorer, and a handler finds
//! the context block at a fixed address.

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, dynasm};

use super::{Asm, bss};
use crate::jit::runtime::{GUARD, status};

/// `rt_sigaction` flags (the kernel's values; `SA_RESTORER` is not in every libc binding).
const SA_SIGINFO: i32 = 4;
const SA_ONSTACK: i32 = 0x0800_0000;
const SA_RESTORER: i32 = 0x0400_0000;

/// Offset of the saved `rip` in the `ucontext_t` a `SA_SIGINFO` handler receives:
/// `uc_mcontext.gregs[REG_RIP]`.
const UC_RIP: i32 = (std::mem::offset_of!(libc::ucontext_t, uc_mcontext)
    + std::mem::offset_of!(libc::mcontext_t, gregs)
    + 8 * libc::REG_RIP as usize) as i32;

/// Offset of `si_addr` in `siginfo_t` (after three `int`s and padding).
const SI_ADDR: i32 = 16;

/// `ctx` field offset, as a displacement.
macro_rules! ctx {
    ($field:ident) => {
        std::mem::offset_of!($crate::jit::runtime::Ctx, $field) as i32
    };
}
pub(super) use ctx;

impl Asm {
    /// `_start`: everything up to the call of the program, then the dispatch on its status.
    pub(super) fn start(&mut self) {
        let l = self.labels;
        let tape = self.tape;
        // The cells, rounded up to whole pages, between two guards.
        let total = (tape.data + 2 * GUARD as u64) as i64;
        let dev_null = self.table_label(self.strings.dev_null.off);
        self.symbol("_start");
        dynasm!(self.ops
            ; .arch x64
            ; lea r14, [=>l.bss]                        // r14: the context block
        );
        self.bss_ref();
        dynasm!(self.ops
            ; .arch x64
            ; sub rsp, 64                               // scratch; rsp stays 16-byte aligned
            // poll({0}, {1}, {2}) with no events: POLLNVAL marks a closed descriptor.
            ; mov QWORD [rsp], 0                        // struct pollfd { fd, events, revents }
            ; mov QWORD [rsp + 8], 1
            ; mov QWORD [rsp + 16], 2
            ; poll:
            ; mov rdi, rsp
            ; mov esi, 3
            ; xor edx, edx
            ; mov eax, libc::SYS_poll as i32
            ; syscall
            ; cmp rax, -libc::EINTR
            ; je <poll
            ; test rax, rax
            ; js >opened                                // as Rust: then nothing to fix
            ; xor ebx, ebx
            ; fd:
            ; test WORD [rsp + rbx * 8 + 6], libc::POLLNVAL
            ; jz >next
            ; lea rdi, [=>dev_null]                     // open takes the lowest free fd: this one
            ; mov esi, libc::O_RDWR
            ; xor edx, edx
            ; mov eax, libc::SYS_open as i32
            ; syscall
            ; next:
            ; add ebx, 1
            ; cmp ebx, 3
            ; jb <fd
            ; opened:
        );
        // SIGPIPE ignored; SIGSEGV to our handler, on the alternate stack.
        self.sigaction(libc::SIGPIPE, None, 0);
        dynasm!(self.ops
            ; .arch x64
            ; lea rax, [r14 + bss::ALTSTACK as i32]
            ; mov [rsp], rax                            // stack_t { ss_sp, ss_flags, ss_size }
            ; mov QWORD [rsp + 8], 0
            ; mov QWORD [rsp + 16], bss::ALTSTACK_SIZE as i32
            ; mov rdi, rsp
            ; xor esi, esi
            ; mov eax, libc::SYS_sigaltstack as i32
            ; syscall
            ; test rax, rax
            ; jnz =>l.setup_failed
        );
        self.sigaction(libc::SIGSEGV, Some(l.segv), SA_SIGINFO | SA_ONSTACK);
        dynasm!(self.ops
            ; .arch x64
            ; test rax, rax
            ; jnz =>l.setup_failed
            // The tape: one PROT_NONE region, then the cells made read+write.
            ; xor edi, edi
            ; mov rsi, QWORD total
            ; xor edx, edx
            ; mov r10d, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE
            ; mov r8, -1
            ; xor r9d, r9d
            ; mov eax, libc::SYS_mmap as i32
            ; syscall
            ; cmp rax, -4095
            ; jae =>l.setup_failed
            ; mov r15, rax                              // r15: start of the left guard
            ; lea rdi, [rax + GUARD as i32]
            ; mov rsi, QWORD tape.data as i64
            ; mov edx, libc::PROT_READ | libc::PROT_WRITE
            ; mov eax, libc::SYS_mprotect as i32
            ; syscall
            ; test rax, rax
            ; jnz =>l.setup_failed
            // The context block (zero-filled, like all of .bss).
            ; lea rax, [r14 + bss::OUT_BUF as i32]
            ; mov [r14 + ctx!(out_buf)], rax
            ; mov DWORD [r14 + ctx!(out_fd)], 1
            ; lea rax, [r14 + bss::IN_BUF as i32]
            ; mov [r14 + ctx!(in_buf)], rax
            ; mov QWORD [r14 + ctx!(in_cap)], crate::io::IN_BUF as i32
            ; lea rax, [r15 + GUARD as i32]
            ; mov [r14 + ctx!(tape_start)], rax
            ; mov rcx, QWORD tape.used as i64
            ; add rcx, rax
            ; mov [r14 + ctx!(tape_end)], rcx
            ; mov [r14 + ctx!(guards) + 8], rax         // left guard: [r15, cell 0)
            ; mov [r14 + ctx!(guards)], r15
            ; mov rcx, QWORD tape.data as i64
            ; add rax, rcx
            ; mov [r14 + ctx!(guards) + 16], rax        // right guard: after the pages
            ; add rax, GUARD as i32
            ; mov [r14 + ctx!(guards) + 24], rax
            ; lea rax, [=>l.code]
            ; mov [r14 + ctx!(code_start)], rax
            ; lea rax, [=>l.code_end]
            ; mov [r14 + ctx!(code_end)], rax
            ; lea rax, [=>l.fault_stub]
            ; mov [r14 + ctx!(fault_stub)], rax
            // Flush at every newline when stdout is a terminal (isatty: TCGETS succeeds).
            ; mov edi, 1
            ; mov esi, libc::TCGETS as i32
            ; lea rdx, [r14 + bss::SCRATCH as i32]
            ; mov eax, libc::SYS_ioctl as i32
            ; syscall
            ; test rax, rax
            ; jnz >run
            ; mov DWORD [r14 + ctx!(line_flush)], 1
            ; run:
            ; mov rdi, r14
            ; mov rsi, [r14 + ctx!(tape_start)]
            ; call =>l.code
            // The program returned a status.
            ; mov ebx, eax
            ; cmp ebx, status::OUTPUT as i32
            ; je =>l.output_failed                      // a failed write is not retried
            ; call =>l.final_flush
            ; cmp ebx, status::OK as i32
            ; jne >failed
            ; test eax, eax
            ; jnz =>l.final_flush_failed
            ; xor edi, edi
            ; jmp =>l.exit
            ; failed:                                   // the first error wins
            ; cmp ebx, status::FAULT as i32
            ; je =>l.fault
            ; cmp ebx, status::INPUT as i32
            ; je =>l.input_failed
            ; jmp =>l.internal
        );
        self.exit_and_flush();
        self.signal_handlers();
    }

    /// `rt_sigaction(sig, { handler (SIG_IGN if none), flags | SA_RESTORER, restorer, no
    /// mask }, NULL, 8)`, with the struct in the scratch space at `rsp`. Leaves the result
    /// in `rax`.
    pub(super) fn sigaction(&mut self, sig: i32, handler: Option<DynamicLabel>, flags: i32) {
        let restorer = self.labels.restorer;
        match handler {
            Some(h) => dynasm!(self.ops; .arch x64; lea rax, [=>h]; mov [rsp], rax),
            None => dynasm!(self.ops; .arch x64; mov QWORD [rsp], libc::SIG_IGN as i32),
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov QWORD [rsp + 8], flags | SA_RESTORER
            ; lea rax, [=>restorer]
            ; mov [rsp + 16], rax
            ; mov QWORD [rsp + 24], 0
            ; mov edi, sig
            ; mov rsi, rsp
            ; xor edx, edx
            ; mov r10d, 8                               // sizeof(sigset_t) for the kernel
            ; mov eax, libc::SYS_rt_sigaction as i32
            ; syscall
        );
    }

    /// `exit` (status in `edi`) and the final flush of the output buffer.
    fn exit_and_flush(&mut self) {
        let l = self.labels;
        dynasm!(self.ops
            ; .arch x64
            ; =>l.exit
            ; mov eax, libc::SYS_exit_group as i32
            ; syscall
        );
        // final_flush: writes out[buf..final_out] to fd 1; eax = 0, or errno, or -1 when
        // write returned 0. Keeps ebx and r12-r15.
        self.symbol("jitbf.final_flush");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.final_flush
            ; mov rsi, [r14 + ctx!(out_buf)]
            ; mov r8, [r14 + ctx!(final_out)]
            ; sub r8, rsi
            ; again:
            ; test r8, r8
            ; jz >done
            ; mov rdx, r8
            ; mov edi, 1
            ; mov eax, libc::SYS_write as i32
            ; syscall
            ; test rax, rax
            ; jle >failed
            ; add rsi, rax
            ; sub r8, rax
            ; jmp <again
            ; failed:
            ; jz >zero
            ; cmp rax, -libc::EINTR
            ; je <again
            ; cmp rax, -libc::EBADF                     // Rust ignores a closed stdout
            ; je >done
            ; neg eax
            ; ret
            ; zero:
            ; mov eax, -1
            ; ret
            ; done:
            ; xor eax, eax
            ; ret
        );
    }

    /// The `SIGSEGV` handler and the restorer of every handler.
    fn signal_handlers(&mut self) {
        let l = self.labels;
        // segv(sig, info, uctx): a fault in program code is recorded in the context block
        // and resumed at the fault stub; any other goes back to the default action, and
        // returning re-executes the faulting instruction, which then kills the process.
        self.symbol("jitbf.sigsegv");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.segv
            ; lea rcx, [=>l.bss]
        );
        self.bss_ref();
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [rdx + UC_RIP]
            ; cmp rax, [rcx + ctx!(code_start)]
            ; jb >foreign
            ; cmp rax, [rcx + ctx!(code_end)]
            ; jae >foreign
            ; mov [rcx + ctx!(fault_rip)], rax
            ; mov rax, [rsi + SI_ADDR]
            ; mov [rcx + ctx!(fault_addr)], rax
            ; mov QWORD [rcx + ctx!(fault_unexpected)], 0
            ; cmp rax, [rcx + ctx!(guards)]
            ; jb >right
            ; cmp rax, [rcx + ctx!(guards) + 8]
            ; jb >resume
            ; right:
            ; cmp rax, [rcx + ctx!(guards) + 16]
            ; jb >unexpected
            ; cmp rax, [rcx + ctx!(guards) + 24]
            ; jb >resume
            ; unexpected:
            ; mov QWORD [rcx + ctx!(fault_unexpected)], 1
            ; resume:
            ; mov rax, [rcx + ctx!(fault_stub)]
            ; mov [rdx + UC_RIP], rax
            ; ret
            ; foreign:
            ; sub rsp, 40
            ; xor eax, eax
            ; mov [rsp], rax                            // SIG_DFL
            ; mov [rsp + 8], rax
            ; mov [rsp + 16], rax
            ; mov [rsp + 24], rax
            ; mov edi, libc::SIGSEGV
            ; mov rsi, rsp
            ; xor edx, edx
            ; mov r10d, 8
            ; mov eax, libc::SYS_rt_sigaction as i32
            ; syscall
            ; add rsp, 40
            ; ret
        );
        self.symbol("jitbf.restorer");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.restorer
            ; mov eax, libc::SYS_rt_sigreturn as i32
            ; syscall
        );
    }
}
