//! Turning a `SIGSEGV` in generated code into an error report.
//!
//! Generated code does not compare the pointer with the tape bounds; it relies on the guard
//! pages around the tape (see [`super::runtime`]). When an access lands in a guard, this
//! handler checks that the fault is ours: the thread is running generated code (a
//! thread-local points at its `Ctx`), the faulting instruction is inside that code, and the
//! address is in one of its guards. Then it records the instruction address and resumes the
//! thread at the code's *fault stub*, which returns to Rust like a normal exit with status
//! `FAULT`. The driver maps the address back to the IR instruction (the codegen keeps a table)
//! and asks the IR which move left the tape ([`crate::ir::Ir::check_failure`]).
//!
//! A fault inside generated code but outside the guards is a bug in jitbf; it takes the
//! same path and is reported as an internal error rather than a crash. Any other `SIGSEGV`
//! (not ours) goes to the handler that was installed before ours, which is how the Rust
//! runtime's stack-overflow message keeps working in programs that embed the library (the
//! `jitbf` binary skips that part of Rust's start-up: see [`crate::cli::process`]).

use std::cell::Cell;
use std::io;
use std::ptr;
use std::sync::OnceLock;

use super::runtime::Ctx;

thread_local! {
    /// The context of the generated code this thread is running, or null.
    static ACTIVE: Cell<*mut Ctx> = const { Cell::new(ptr::null_mut()) };
}

/// The `SIGSEGV` action in place before ours.
static PREVIOUS: OnceLock<Result<libc::sigaction, i32>> = OnceLock::new();

/// Installs the handler (once per process).
pub(crate) fn install() -> io::Result<()> {
    let r = PREVIOUS.get_or_init(|| {
        // SAFETY: both structs are plain data, zero is a valid bit pattern, and sigaction
        // is given valid pointers. The handler only touches async-signal-safe state.
        unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_sigsegv as *const () as usize;
            new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut new.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGSEGV, &new, &mut old) != 0 {
                return Err(io::Error::last_os_error().raw_os_error().unwrap_or(0));
            }
            Ok(old)
        }
    });
    match r {
        Ok(_) => Ok(()),
        Err(errno) => Err(io::Error::from_raw_os_error(*errno)),
    }
}

/// Marks `ctx` as the generated code this thread runs until the guard is dropped.
pub(crate) struct Active(());

impl Active {
    pub(crate) fn new(ctx: *mut Ctx) -> Active {
        ACTIVE.with(|a| a.set(ctx));
        Active(())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(ptr::null_mut()));
    }
}

extern "C" fn on_sigsegv(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let ctx = ACTIVE.try_with(|a| a.get()).unwrap_or(ptr::null_mut());
    if !ctx.is_null() {
        // SAFETY: the kernel passes valid `info` and `uctx` to an SA_SIGINFO handler; `ctx`
        // points at the live context of the code this thread is running (set by `Active`
        // around the call and cleared after it).
        unsafe {
            let uc = &mut *(uctx as *mut libc::ucontext_t);
            let rip = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as u64;
            let addr = (*info).si_addr() as u64;
            let c = &mut *ctx;
            if (c.code_start..c.code_end).contains(&rip) {
                let in_guard = c.guards.iter().any(|&[s, e]| (s..e).contains(&addr));
                c.fault_rip = rip;
                c.fault_addr = addr;
                c.fault_unexpected = u64::from(!in_guard);
                uc.uc_mcontext.gregs[libc::REG_RIP as usize] = c.fault_stub as i64;
                return;
            }
        }
    }
    // SAFETY: forwarding the same arguments to the previously installed handler.
    unsafe { chain(sig, info, uctx) }
}

/// Passes a fault that is not ours to the previous handler.
unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let old = match PREVIOUS.get() {
        Some(Ok(old)) => old,
        _ => return reset_default(sig),
    };
    match old.sa_sigaction {
        libc::SIG_DFL | libc::SIG_IGN => reset_default(sig),
        f if old.sa_flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: an SA_SIGINFO handler has this signature.
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(f) };
            f(sig, info, uctx)
        }
        f => {
            // SAFETY: a plain handler has this signature.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(f) };
            f(sig)
        }
    }
}

/// Restores the default action; returning then re-executes the faulting instruction, which
/// kills the process with `SIGSEGV` as if we had never been there.
fn reset_default(sig: libc::c_int) {
    // SAFETY: `signal` with SIG_DFL is async-signal-safe and has no preconditions.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
    }
}
