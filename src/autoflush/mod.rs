//! Output that shows up while a program runs, and is not lost when the process is killed.
//!
//! Both executors collect output in a buffer of [`crate::io::OUT_BUF`] bytes and write it
//! when it fills, before `,` waits for input, after a newline on a terminal, and at the end
//! (see [`crate::io`]). That leaves two holes: a program that prints slowly and without
//! newlines (progress dots, a digit every few milliseconds) shows nothing on a pipe for
//! minutes, and whatever is pending when the process gets Ctrl-C, `timeout`'s `SIGTERM` or a
//! closing terminal's `SIGHUP` is lost. Once [`enable`]d, this module closes both:
//!
//! * **Ticks.** While a program runs, a POSIX timer (`timer_create` on `CLOCK_MONOTONIC`,
//!   delivered with `SIGEV_THREAD_ID` to the one thread that runs the program) sends that
//!   thread a signal every [`AutoFlush::interval`] (50 ms by default), and the handler writes
//!   whatever output is pending. The program's code pays nothing for this: no counter, no
//!   check, not one instruction in any loop. A tick costs a few microseconds.
//! * **Termination signals.** On `SIGINT`, `SIGTERM` or `SIGHUP`, the handler writes what is
//!   pending, restores the default action and raises the signal again, so the process dies
//!   of it with the usual status (a shell shows 130 for Ctrl-C). A second signal of the same
//!   kind during that write kills at once; a reader that takes no data for a second is given
//!   up on. Where there is no program running, the signal does what it did before.
//!
//! # When a handler may touch the buffer
//!
//! A signal interrupts the thread at an arbitrary instruction, so a handler writes pending
//! output only at a *safe point*, where the buffer and its count agree:
//!
//! * **JIT.** Generated code keeps its output cursor in `r12` and calls `write(2)` itself
//!   (`jit::codegen`). The handler reads `r12` from the interrupted context, writes
//!   the bytes from the buffer's start to `r12`, and sets the context's `r12` back to the
//!   start (moving any unwritten rest there first), so the code resumes with an emptier
//!   buffer. This is safe anywhere in the generated code except the stretches listed in
//!   `Code::no_flush`: the prologue, `putc` (a byte stored but not yet counted), `flush`
//!   (partly written) and the exit path (which hands `r12` to Rust). Outside the generated
//!   code (the thread is in Rust, before or after the run, or in another handler) is not a
//!   safe point either.
//! * **Interpreter.** The buffer lives here (`Watch`), with its count in an atomic that the
//!   interpreter updates after storing each byte, and a second count of the bytes a handler
//!   has already written. Any point is safe except while the interpreter writes the buffer
//!   itself (between `Watch::pending` and `Watch::written`).
//!
//! A tick at an unsafe point does nothing (the next one will do it). A termination signal at
//! an unsafe point is *deferred*: the timer is set to tick every millisecond, and the first
//! tick at a safe point (or the interpreter's own write, or the end of the run) writes the
//! output and raises the signal; after a second of unsafe points the process dies anyway.
//!
//! Handlers use only `write`, `poll`, `clock_gettime`, `timer_settime`, `sigaction`,
//! `pthread_sigmask` and `raise`, all async-signal-safe, and keep `errno` as they found it. A
//! tick never blocks: it writes at most `PIPE_BUF` bytes at a time, and only while `poll`
//! says the output can take them. If a tick's write fails (`EPIPE` when the reader has gone,
//! as in `jitbf prog | head -c 20`), the run ends with [`crate::RuntimeError::Output`], as if
//! the program's own write had failed: the JIT handler sends the code to its exit path; the
//! interpreter stops at its next `.`.
//!
//! # For embedders
//!
//! Nothing of this happens unless [`enable`] is called: the library installs no signal
//! handler and starts no timer on its own. The `jitbf` command enables it with the defaults
//! at startup. `enable` is process-wide and installs handlers for `SIGINT`, `SIGTERM` and
//! `SIGHUP` (a signal that is ignored, as under `nohup`, stays ignored) and for the tick
//! signal ([`AutoFlush::tick_signal`], a real-time signal). A handler installed before
//! `enable` is kept: pending output is written, then that handler is called instead of the
//! process dying. One installed after `enable` replaces ours for that signal. Only runs
//! that write to a file descriptor ([`crate::Output::Stdout`] or [`crate::Output::File`])
//! are watched. Programs running at the same time in several threads each have their own
//! timer; a termination signal that arrives on a thread running no program is passed to one
//! that does, and only that one's output is written before the process dies. Only Linux has
//! this; elsewhere [`enable`] returns an error and output is buffered as described in
//! [`crate::io`].

#[cfg(target_os = "linux")]
mod signals;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

/// Settings for [`enable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutoFlush {
    /// Write pending output this often while a program runs (`None`: only when the buffer
    /// fills, before `,` waits, after a newline on a terminal, and at the end).
    pub interval: Option<Duration>,
    /// On `SIGINT`, `SIGTERM` and `SIGHUP`, write pending output before dying of the signal.
    pub on_signals: bool,
    /// The signal the timer sends (a real-time signal by default: `SIGRTMIN() + 4`).
    pub tick_signal: i32,
}

impl Default for AutoFlush {
    /// What the `jitbf` command uses: ticks every 50 ms, and flushing on termination signals.
    fn default() -> AutoFlush {
        AutoFlush {
            interval: Some(Duration::from_millis(50)),
            on_signals: true,
            tick_signal: default_tick_signal(),
        }
    }
}

impl AutoFlush {
    /// These settings with ticks every `interval` (or none).
    pub fn interval(self, interval: Option<Duration>) -> AutoFlush {
        AutoFlush { interval, ..self }
    }

    /// These settings with flushing on termination signals on or off.
    pub fn on_signals(self, on_signals: bool) -> AutoFlush {
        AutoFlush { on_signals, ..self }
    }

    /// These settings with another signal for the ticks.
    pub fn tick_signal(self, tick_signal: i32) -> AutoFlush {
        AutoFlush {
            tick_signal,
            ..self
        }
    }
}

#[cfg(target_os = "linux")]
fn default_tick_signal() -> i32 {
    libc::SIGRTMIN() + 4
}

#[cfg(not(target_os = "linux"))]
fn default_tick_signal() -> i32 {
    0
}

/// Turns on (or changes) flushing from signal handlers for the whole process; see the
/// module docs. Settings apply to runs that start afterwards. Handlers, once installed, stay
/// installed; with `on_signals` off, ours passes termination signals on untouched. The tick
/// signal cannot be changed once ticks have been used.
///
/// ```
/// use std::time::Duration;
/// use jitbf::autoflush::{self, AutoFlush};
///
/// // Flush on Ctrl-C and friends, and every 100 ms while a program runs.
/// let settings = AutoFlush::default().interval(Some(Duration::from_millis(100)));
/// # #[cfg(target_os = "linux")]
/// autoflush::enable(settings)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn enable(settings: AutoFlush) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        signals::enable(settings)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = settings;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "flushing from signal handlers needs Linux",
        ))
    }
}

/// Where the JIT's code is and what its handler needs, for a watched JIT run.
#[cfg_attr(not(jitbf_jit), allow(dead_code))]
pub(crate) struct JitCode {
    /// Address range of the generated code.
    pub code: std::ops::Range<usize>,
    /// Address ranges in it that are not safe points (see the module docs).
    pub no_flush: Vec<std::ops::Range<usize>>,
    /// Address of the exit path, which returns the status in `rax`.
    pub exit: usize,
    /// Where the exit path's caller looks for the `errno` of a failed write.
    pub errno: *mut i32,
}

/// The state of one run that the signal handlers see. It lives in a `Box`, so its address
/// stays put while a handler may hold it.
pub(crate) struct Shared {
    /// File descriptor of the output.
    fd: i32,
    /// Start of the output buffer.
    buf: *mut u8,
    /// Interpreter: bytes in the buffer. (The JIT's count is `r12 - buf`.)
    len: AtomicUsize,
    /// Interpreter: bytes at the start of the buffer that a handler has written already.
    flushed: AtomicUsize,
    /// The interpreter is writing the buffer itself: handlers keep off.
    busy: AtomicBool,
    /// `errno` of a handler's failed write: the interpreter stops with an output error.
    failed: AtomicI32,
    /// A termination signal waiting for a safe point (0: none)...
    deferred: AtomicI32,
    /// ... and for how many ticks it has waited.
    waited: AtomicU32,
    /// The generated code, for a JIT run.
    jit: Option<JitCode>,
    /// The run's POSIX timer (a `timer_t`), once watched.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    timer: AtomicUsize,
}

/// An output buffer watched by the signal handlers while it exists (if [`enable`] was
/// called and the output is a file descriptor). The interpreter keeps its output in one;
/// the JIT keeps its own buffer and makes a `Watch` of it for the length of the run.
pub(crate) struct Watch {
    shared: Box<Shared>,
    /// The buffer belongs to this watch (the interpreter's): freed on drop.
    owns_buf: bool,
    #[cfg(target_os = "linux")]
    active: Option<signals::Active>,
}

impl Watch {
    /// A buffer of [`crate::io::OUT_BUF`] bytes for the interpreter, watched if `fd` is
    /// given and flushing from signals is enabled.
    pub(crate) fn interp(fd: Option<i32>) -> Watch {
        let buf = Box::into_raw(vec![0u8; crate::io::OUT_BUF].into_boxed_slice()) as *mut u8;
        Watch::new(fd, buf, true, None)
    }

    /// Watches the JIT's buffer at `buf` while generated code runs.
    #[cfg_attr(not(jitbf_jit), allow(dead_code))]
    pub(crate) fn jit(fd: Option<i32>, buf: *mut u8, code: JitCode) -> Watch {
        Watch::new(fd, buf, false, Some(code))
    }

    fn new(fd: Option<i32>, buf: *mut u8, owns_buf: bool, jit: Option<JitCode>) -> Watch {
        let shared = Box::new(Shared {
            fd: fd.unwrap_or(-1),
            buf,
            len: AtomicUsize::new(0),
            flushed: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
            failed: AtomicI32::new(0),
            deferred: AtomicI32::new(0),
            waited: AtomicU32::new(0),
            jit,
            timer: AtomicUsize::new(0),
        });
        #[cfg(target_os = "linux")]
        let active = fd.and_then(|_| signals::Active::start(&shared));
        Watch {
            shared,
            owns_buf,
            #[cfg(target_os = "linux")]
            active,
        }
    }

    /// Appends a byte to the (interpreter's) buffer; returns true when the buffer is full.
    #[inline]
    pub(crate) fn push(&mut self, byte: u8) -> bool {
        let s = &*self.shared;
        let n = s.len.load(Ordering::Relaxed);
        // SAFETY: `n < OUT_BUF` (the buffer is written out when it fills), so the byte is
        // inside the buffer this watch owns. A handler reads only bytes below `len`.
        unsafe { s.buf.add(n).write(byte) };
        // Release: a handler that sees the new count also sees the byte.
        s.len.store(n + 1, Ordering::Release);
        n + 1 == crate::io::OUT_BUF
    }

    /// True if a handler's write failed (see [`Watch::failed`]).
    #[inline]
    pub(crate) fn has_failed(&self) -> bool {
        self.shared.failed.load(Ordering::Relaxed) != 0
    }

    /// The `errno` of a failed write by a handler, if one failed.
    #[inline]
    pub(crate) fn failed(&self) -> Option<io::Error> {
        match self.shared.failed.load(Ordering::Relaxed) {
            0 => None,
            errno => Some(io::Error::from_raw_os_error(errno)),
        }
    }

    /// The bytes to write now (those a handler has not written). Handlers keep off the
    /// buffer until [`Watch::written`].
    pub(crate) fn pending(&mut self) -> &[u8] {
        let s = &*self.shared;
        s.busy.store(true, Ordering::SeqCst);
        let from = s.flushed.load(Ordering::Acquire);
        let to = s.len.load(Ordering::Acquire);
        // SAFETY: `from <= to <= OUT_BUF` bytes of the buffer were written by `push`, and
        // nothing writes the buffer until `written` (handlers see `busy`).
        unsafe { std::slice::from_raw_parts(s.buf.add(from), to - from) }
    }

    /// The pending bytes were written (or failed to be): empties the buffer, lets handlers
    /// back in, and ends the process if a termination signal was waiting for this.
    pub(crate) fn written(&mut self) {
        let s = &*self.shared;
        s.len.store(0, Ordering::Release);
        s.flushed.store(0, Ordering::Release);
        s.busy.store(false, Ordering::SeqCst);
        #[cfg(target_os = "linux")]
        signals::settle(s);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            // Stop the timer and leave the thread's list first: no handler looks at the
            // buffer after this. Then die of a termination signal that waited for the end.
            self.active.take();
            signals::settle(&self.shared);
        }
        if self.owns_buf {
            let slice = std::ptr::slice_from_raw_parts_mut(self.shared.buf, crate::io::OUT_BUF);
            // SAFETY: made by `Box::into_raw` in `interp` with this length, freed once;
            // no handler can reach it any more.
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}
