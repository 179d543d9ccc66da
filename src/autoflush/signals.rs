//! The signal handlers, the per-run timer and the process-wide installation (Linux).
//!
//! See the parent module for what happens and why it is safe. Everything a handler reaches
//! is either immutable while it can run, an atomic, or memory of the run that only the
//! interrupted thread itself touches (the output buffer and the interrupted context).

use std::cell::Cell;
use std::io;
use std::ptr;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use super::{AutoFlush, Shared};

/// The termination signals whose pending output is written.
const TERMINATION: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// A reader that takes nothing for this long is given up on when the process must die.
const GRACE_MS: i64 = 1000;

/// Period of the ticks while a termination signal waits for a safe point, and how many of
/// them it waits at most (one second).
const DEFER_TICK_NS: u64 = 1_000_000;
const DEFER_TICKS: u32 = 1000;

/// Largest write that a pipe with room (as `poll` says) takes without blocking.
const CHUNK: usize = libc::PIPE_BUF;

/// The signal the timers send, once installed (0 before).
static TICK_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Nanoseconds between ticks (0: no ticks).
static INTERVAL_NS: AtomicU64 = AtomicU64::new(0);
/// Whether termination signals flush (our handlers stay installed either way).
static ON_SIGNALS: AtomicBool = AtomicBool::new(false);
/// The actions in place before ours, for the tick signal and each termination signal (set
/// once, before our handler is installed, and never changed: a handler may read them).
static TICK_PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();
static PREVIOUS: [OnceLock<libc::sigaction>; 3] = [const { OnceLock::new() }; 3];
/// Serializes [`enable`].
static INSTALL: Mutex<()> = Mutex::new(());

/// Its address marks the signals of our timers (`sigev_value`), to tell them from any other
/// sender of the tick signal.
static MARKER: u8 = 0;

/// Kernel thread ids of the threads running a watched program (0: free slot), so that a
/// termination signal can be passed to one of them.
static RUNNING: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

thread_local! {
    /// The run this thread is executing, if it is watched.
    static CURRENT: Cell<*const Shared> = const { Cell::new(ptr::null()) };
}

/// See [`super::enable`].
pub(super) fn enable(settings: AutoFlush) -> io::Result<()> {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let sig = settings.tick_signal;
    let forbidden = [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV];
    if !(1..=libc::SIGRTMAX()).contains(&sig)
        || forbidden.contains(&sig)
        || TERMINATION.contains(&sig)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {sig} cannot be the tick signal"),
        ));
    }
    // The previous action is recorded before ours is installed: our handler reads it.
    match TICK_SIGNAL.load(Ordering::SeqCst) {
        0 => {
            let _ = TICK_PREVIOUS.set(current_action(sig)?);
            install(sig, on_tick as *const () as usize)?;
            TICK_SIGNAL.store(sig, Ordering::SeqCst);
        }
        s if s != sig => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the tick signal cannot change once installed",
            ));
        }
        _ => {}
    }
    if settings.on_signals {
        for (i, &sig) in TERMINATION.iter().enumerate() {
            if PREVIOUS[i].get().is_some() {
                continue;
            }
            // A signal ignored on purpose (nohup) stays ignored.
            let old = current_action(sig)?;
            if old.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            let _ = PREVIOUS[i].set(old);
            install(sig, on_termination as *const () as usize)?;
        }
    }
    let ns = settings.interval.map_or(0, |d| {
        d.as_nanos().clamp(1_000_000, u128::from(u64::MAX)) as u64
    });
    INTERVAL_NS.store(ns, Ordering::SeqCst);
    ON_SIGNALS.store(settings.on_signals, Ordering::SeqCst);
    Ok(())
}

fn current_action(sig: libc::c_int) -> io::Result<libc::sigaction> {
    // SAFETY: a null new action only queries; `old` is plain data.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, ptr::null(), &mut old) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(old)
    }
}

/// Installs `handler` for `sig`.
fn install(sig: libc::c_int, handler: usize) -> io::Result<()> {
    // SAFETY: plain data structs, valid pointers; the handlers are async-signal-safe.
    unsafe {
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = handler;
        // SA_RESTART: a tick must not make the embedding program's system calls fail with
        // EINTR. Our signals wait while one of our handlers runs.
        new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut new.sa_mask);
        libc::sigaddset(&mut new.sa_mask, sig);
        for t in TERMINATION {
            libc::sigaddset(&mut new.sa_mask, t);
        }
        let tick = TICK_SIGNAL.load(Ordering::SeqCst);
        if tick != 0 {
            libc::sigaddset(&mut new.sa_mask, tick);
        }
        if libc::sigaction(sig, &new, ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A watched run on this thread: its timer and its registrations, undone on drop.
pub(super) struct Active {
    timer: libc::timer_t,
    /// The run this one interrupted on this thread, if any (restored on drop).
    outer: *const Shared,
    slot: Option<usize>,
}

impl Active {
    /// Starts watching `shared` if flushing from signals is enabled (`None` if it is not,
    /// or if the timer cannot be had: the run then goes unwatched).
    pub(super) fn start(shared: &Shared) -> Option<Active> {
        let sig = TICK_SIGNAL.load(Ordering::SeqCst);
        let interval = INTERVAL_NS.load(Ordering::SeqCst);
        if sig == 0 || (interval == 0 && !ON_SIGNALS.load(Ordering::SeqCst)) {
            return None;
        }
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let timer = create_timer(sig, tid)?;
        shared.timer.store(timer as usize, Ordering::SeqCst);
        let outer = CURRENT.with(|c| c.replace(shared));
        let slot = RUNNING.iter().position(|s| {
            s.compare_exchange(0, tid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        });
        if interval != 0 {
            arm(timer, interval);
        }
        Some(Active { timer, outer, slot })
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        // SAFETY: the timer was created by `start` and is deleted once. A tick already
        // queued is delivered later and finds no run.
        unsafe { libc::timer_delete(self.timer) };
        CURRENT.with(|c| c.set(self.outer));
        if let Some(i) = self.slot {
            RUNNING[i].store(0, Ordering::SeqCst);
        }
    }
}

fn create_timer(sig: libc::c_int, tid: libc::pid_t) -> Option<libc::timer_t> {
    // SAFETY: plain data; the kernel fills in `timer` on success.
    unsafe {
        let mut ev: libc::sigevent = std::mem::zeroed();
        ev.sigev_notify = libc::SIGEV_THREAD_ID;
        ev.sigev_signo = sig;
        ev.sigev_notify_thread_id = tid;
        ev.sigev_value = libc::sigval {
            sival_ptr: &MARKER as *const u8 as *mut libc::c_void,
        };
        let mut timer: libc::timer_t = ptr::null_mut();
        (libc::timer_create(libc::CLOCK_MONOTONIC, &mut ev, &mut timer) == 0).then_some(timer)
    }
}

/// Makes `timer` tick every `ns` nanoseconds from now (async-signal-safe).
fn arm(timer: libc::timer_t, ns: u64) {
    let period = libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    };
    let spec = libc::itimerspec {
        it_interval: period,
        it_value: period,
    };
    // SAFETY: a live timer of ours and a valid spec.
    unsafe { libc::timer_settime(timer, 0, &spec, ptr::null_mut()) };
}

/// From ordinary code: if a termination signal was deferred until this run's output was
/// written, that is now the case: die of it.
pub(super) fn settle(shared: &Shared) {
    let sig = shared.deferred.load(Ordering::SeqCst);
    if sig != 0 {
        die(sig);
    }
}

/// Puts back `sig`'s default action and unblocks it in this thread, so that the next `sig`
/// takes that action at once. Async-signal-safe.
fn restore_default(sig: libc::c_int) {
    // SAFETY: async-signal-safe calls with valid arguments.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, ptr::null_mut());
    }
}

/// Dies of `sig` with its default action, as if no handler had been there.
fn die(sig: libc::c_int) -> ! {
    restore_default(sig);
    // SAFETY: async-signal-safe calls with valid arguments.
    unsafe {
        libc::raise(sig);
        // Not reached: the default action of SIGINT, SIGTERM and SIGHUP ends the process.
        libc::_exit(128 + sig)
    }
}

fn current() -> Option<&'static Shared> {
    let p = CURRENT.try_with(|c| c.get()).unwrap_or(ptr::null());
    // SAFETY: a non-null pointer is the run of this thread, alive until its `Active` is
    // dropped, which first resets the pointer (on this same thread, so never while a
    // handler of this thread holds it).
    unsafe { p.as_ref() }
}

/// `errno` at a handler's entry, put back at its exit: the interrupted code may be about
/// to read it.
struct SavedErrno(libc::c_int);

impl SavedErrno {
    fn new() -> SavedErrno {
        // SAFETY: the thread's errno location is always valid.
        SavedErrno(unsafe { *libc::__errno_location() })
    }
}

impl Drop for SavedErrno {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { *libc::__errno_location() = self.0 };
    }
}

extern "C" fn on_tick(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let ours = unsafe {
        (*info).si_code == libc::SI_TIMER
            && (*info).si_value().sival_ptr == &MARKER as *const u8 as *mut libc::c_void
    };
    if !ours {
        if let Some(prev) = TICK_PREVIOUS.get() {
            // SAFETY: forwarding the same arguments to the previous handler.
            unsafe { chain(prev, sig, info, uc) };
        }
        return;
    }
    let _errno = SavedErrno::new();
    let Some(run) = current() else {
        return;
    };
    let deferred = run.deferred.load(Ordering::SeqCst);
    // SAFETY: `uc` is the interrupted context of this thread, which runs `run`.
    unsafe {
        if safe_point(run, uc) {
            flush(run, uc, deferred != 0);
            if deferred != 0 {
                die(deferred);
            }
        } else if deferred != 0 && run.waited.fetch_add(1, Ordering::SeqCst) >= DEFER_TICKS {
            die(deferred);
        }
    }
}

extern "C" fn on_termination(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let _errno = SavedErrno::new();
    let Some(prev) = TERMINATION
        .iter()
        .position(|&t| t == sig)
        .and_then(|i| PREVIOUS[i].get())
    else {
        die(sig);
    };
    let run = current().filter(|_| ON_SIGNALS.load(Ordering::SeqCst));
    if prev.sa_sigaction != libc::SIG_DFL {
        // Someone else handles this signal: write what is pending without waiting, then
        // let them decide.
        // SAFETY: `uc` is this thread's interrupted context; forwarding the arguments.
        unsafe {
            if let Some(run) = run
                && safe_point(run, uc)
            {
                flush(run, uc, false);
            }
            chain(prev, sig, info, uc);
        }
        return;
    }
    let Some(run) = run else {
        if ON_SIGNALS.load(Ordering::SeqCst)
            && let Some(tid) = other_running_thread()
        {
            // The program runs on another thread: let it write its output and die there.
            // SAFETY: tgkill has no memory preconditions.
            unsafe { libc::tgkill(libc::getpid(), tid, sig) };
            return;
        }
        die(sig);
    };
    // From here a second signal of this kind kills at once.
    restore_default(sig);
    // SAFETY: `uc` is the interrupted context of this thread, which runs `run`.
    unsafe {
        if safe_point(run, uc) {
            flush(run, uc, true);
            die(sig);
        }
    }
    // Not at a safe point: tick soon and finish there (see the module docs).
    run.deferred.store(sig, Ordering::SeqCst);
    arm(
        run.timer.load(Ordering::SeqCst) as libc::timer_t,
        DEFER_TICK_NS,
    );
}

fn other_running_thread() -> Option<libc::pid_t> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    RUNNING
        .iter()
        .map(|s| s.load(Ordering::SeqCst))
        .find(|&t| t != 0 && t != me)
}

/// Calls the handler that was installed before ours (never `SIG_DFL` or `SIG_IGN`).
unsafe fn chain(
    prev: &libc::sigaction,
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    uc: *mut libc::c_void,
) {
    match prev.sa_sigaction {
        libc::SIG_DFL | libc::SIG_IGN => {}
        f if prev.sa_flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: an SA_SIGINFO handler has this signature.
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(f) };
            f(sig, info, uc)
        }
        f => {
            // SAFETY: a plain handler has this signature.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(f) };
            f(sig)
        }
    }
}

/// True if the interrupted thread is at a point where its output buffer and count agree.
///
/// # Safety
/// `uc` is the `ucontext_t` of the interrupted thread, which runs `run`.
#[cfg_attr(not(jitbf_jit), allow(unused_variables))]
unsafe fn safe_point(run: &Shared, uc: *mut libc::c_void) -> bool {
    match &run.jit {
        #[cfg(jitbf_jit)]
        Some(jit) => {
            // SAFETY: per this function's contract.
            let rip = unsafe { (*(uc as *mut libc::ucontext_t)).uc_mcontext.gregs }
                [libc::REG_RIP as usize] as usize;
            jit.code.contains(&rip) && !jit.no_flush.iter().any(|r| r.contains(&rip))
        }
        #[cfg(not(jitbf_jit))]
        Some(_) => false,
        None => !run.busy.load(Ordering::SeqCst),
    }
}

/// Writes the pending output of `run` from a handler at a safe point; `patient` waits for a
/// slow reader (up to [`GRACE_MS`] without progress), otherwise nothing blocks.
///
/// # Safety
/// As [`safe_point`], which returned true.
#[cfg_attr(not(jitbf_jit), allow(unused_variables))]
unsafe fn flush(run: &Shared, uc: *mut libc::c_void, patient: bool) {
    match &run.jit {
        #[cfg(jitbf_jit)]
        Some(jit) => {
            // SAFETY: per this function's contract; at a safe point `buf..r12` are the
            // pending bytes of the buffer, which the interrupted code is not touching.
            unsafe {
                let gregs = &mut (*(uc as *mut libc::ucontext_t)).uc_mcontext.gregs;
                let buf = run.buf as usize;
                let cursor = gregs[libc::REG_R12 as usize] as usize;
                if cursor <= buf || cursor > buf + crate::io::OUT_BUF {
                    return;
                }
                let n = cursor - buf;
                let (done, errno) = write_out(run.fd, run.buf, n, patient);
                if done > 0 {
                    // The rest, if any, moves to the start; the code resumes with less.
                    ptr::copy(run.buf.add(done), run.buf, n - done);
                    gregs[libc::REG_R12 as usize] = (buf + n - done) as i64;
                }
                if errno != 0 && !patient {
                    // The program's own write would fail the same way: end the run.
                    *jit.errno = errno;
                    gregs[libc::REG_RAX as usize] = crate::jit::runtime::status::OUTPUT as i64;
                    gregs[libc::REG_RIP as usize] = jit.exit as i64;
                }
            }
        }
        #[cfg(not(jitbf_jit))]
        Some(_) => {}
        None => {
            let from = run.flushed.load(Ordering::Acquire);
            let to = run.len.load(Ordering::Acquire);
            if to > from {
                // SAFETY: `buf[from..to]` were written by `Watch::push` before `len` was
                // stored, and the interpreter is not inside its own write (`busy`).
                let (done, errno) =
                    unsafe { write_out(run.fd, run.buf.add(from), to - from, patient) };
                run.flushed.store(from + done, Ordering::Release);
                if errno != 0 {
                    run.failed.store(errno, Ordering::SeqCst);
                }
            }
        }
    }
}

fn now_ms() -> i64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec * 1000 + t.tv_nsec / 1_000_000
}

/// Writes up to `len` bytes from `p` to `fd` in chunks that `poll` says fit; returns how many
/// were written and the `errno` that stopped it (0: stopped because the output could take
/// no more now, or everything was written).
///
/// # Safety
/// `p..p + len` is readable.
unsafe fn write_out(fd: libc::c_int, p: *const u8, len: usize, patient: bool) -> (usize, i32) {
    let mut done = 0;
    let mut progress = now_ms();
    while done < len {
        let wait = if patient {
            let left = GRACE_MS - (now_ms() - progress);
            if left <= 0 {
                break;
            }
            left as libc::c_int
        } else {
            0
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, wait) };
        if ready < 0 {
            // SAFETY: errno location is valid.
            match unsafe { *libc::__errno_location() } {
                libc::EINTR => continue,
                e => return (done, e),
            }
        }
        if ready == 0 {
            if patient {
                continue;
            }
            break;
        }
        let chunk = (len - done).min(CHUNK);
        // SAFETY: within the caller's readable range.
        let w = unsafe { libc::write(fd, p.add(done).cast(), chunk) };
        if w > 0 {
            done += w as usize;
            progress = now_ms();
        } else if w == 0 {
            break;
        } else {
            // SAFETY: errno location is valid.
            match unsafe { *libc::__errno_location() } {
                libc::EINTR | libc::EAGAIN => {}
                e => return (done, e),
            }
        }
    }
    (done, 0)
}
