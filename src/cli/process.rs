//! What the `jitbf` binary does before and after the command line: the part of Rust's
//! start-up it keeps.
//!
//! A Rust `fn main` runs after the standard library's start-up code, which on Linux makes
//! sure descriptors 0, 1 and 2 are open, ignores `SIGPIPE`, and installs a stack-overflow
//! handler. The last one finds the main thread's stack by reading and parsing
//! `/proc/self/maps` (`pthread_getattr_np`): about 0.1 ms, a tenth of `jitbf -e '+.'`. jitbf
//! does not recurse on what the program contains (nesting depth is a counter, not a call
//! depth), so the binary is built with `#![no_main]` and its C `main` calls [`main`] here,
//! which does the other two itself:
//!
//! * a closed descriptor 0, 1 or 2 is opened on `/dev/null`, so that the next file jitbf
//!   opens does not become the program's output by accident;
//! * `SIGPIPE` is ignored, so that a reader that goes away is an `EPIPE` error, reported
//!   ("cannot write output: Broken pipe"), and not a silent death.
//!
//! When the command returns, standard output is flushed (the start-up code's exit path
//! would have done it) and its status is returned; a panic (a bug) is reported with exit
//! status 101, as Rust's own `main` would.

use std::ffi::OsString;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by [`main`]: the process ends as soon as the command returns.
static EXITS_AFTER: AtomicBool = AtomicBool::new(false);

/// True in the `jitbf` binary, whose process ends as soon as the command returns. A command
/// may then leave what it built to the kernel instead of taking it apart: unmapping the
/// tape, the buffers and the code one by one (each `munmap` flushes the TLB) and freeing the
/// IR (after which the allocator gives memory back with `brk`) take longer than the kernel's
/// teardown of the whole process at exit, which happens anyway. Never true when the library
/// calls [`super::main`] or [`super::status`] for an embedder, whose process goes on.
pub(crate) fn exits_after() -> bool {
    EXITS_AFTER.load(Ordering::Relaxed)
}

/// Runs the command line `args` as the `jitbf` binary and returns the process's exit status.
/// Call it only as the last thing a process does: the command may leave what it built to
/// the kernel instead of freeing it.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    EXITS_AFTER.store(true, Ordering::Relaxed);
    open_standard_descriptors();
    ignore_sigpipe();
    let status = std::panic::catch_unwind(|| super::status(args)).unwrap_or(101);
    let _ = std::io::stdout().flush();
    i32::from(status)
}

/// Opens `/dev/null` on whichever of descriptors 0, 1 and 2 is closed.
fn open_standard_descriptors() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three `pollfd`s for the duration of the call.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    if ready <= 0 {
        return;
    }
    for pollfd in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // SAFETY: a NUL-terminated path; `open` returns the lowest free descriptor, which
        // is this one since the lower ones are open by now.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if fd != pollfd.fd {
            // No /dev/null, or the descriptor did not land where it should: there is no
            // safe way on (the output could go to a file jitbf opens next).
            std::process::abort();
        }
    }
}

/// Ignores `SIGPIPE`, as Rust's start-up code does.
fn ignore_sigpipe() {
    // SAFETY: `signal` with `SIG_IGN` installs no code; it only changes the disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}
