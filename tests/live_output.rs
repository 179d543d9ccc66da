//! Output that shows up while a program runs, and is never lost (`jitbf::autoflush`).
//!
//! On pipes and on a pseudo-terminal, with the JIT and the interpreter:
//! * a program that prints a byte every few milliseconds, never a newline and never reads,
//!   shows its output at once (without the ticks, 20 bytes would wait for a 64 KiB buffer:
//!   minutes), and ends soon after its reader goes away (`| head -c 20`);
//! * output pending when SIGINT, SIGTERM or SIGHUP arrives is written, and the process dies of
//!   the signal; a process blocked on a full pipe still dies of it (within about a second);
//! * Ctrl-C typed on a terminal writes what is pending and kills with SIGINT;
//! * after end of input on a terminal (one Ctrl-D), later `,` do not wait for another;
//! * as a library: nothing happens unless enabled; enabled, termination signals write pending
//!   output even with the ticks off, and the ticks write it with no signal at all.
//!
//! Every child runs under a deadline and is killed if a test fails early. No test measures
//! speed: the deadlines are ten times longer than needed, and the behaviours they tell apart
//! differ by minutes or forever.
#![cfg(target_os = "linux")]

mod pty;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use pty::pty;
use rustix::process::{Pid, Signal};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Longest any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(10);

/// Prints `0` every few milliseconds (at JIT speed) forever: a loop that the optimizer cannot
/// fold, around a `.`.
const SLOW_JIT: &str = "++++++++[>++++++<-]>[>++++++++++[>-[>-[>-[>+<-]>[<+>-]<<-]<-]<-]<.]";

/// The same, for the interpreter (one loop less).
const SLOW_INTERP: &str = "++++++++[>++++++<-]>[>-[>-[>+<-]>[<+>-]<<-]<.]";

/// Prints `012`, then loops forever without printing or reading.
const QUIET: &str = "++++++++[>++++++<-]>.+.+.[]";

/// A child process, killed and reaped if the test ends before it does.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Guard {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.0.id() as i32).expect("a child has a pid")
    }

    fn signal(&self, sig: Signal) {
        rustix::process::kill_process(self.pid(), sig).expect("kill");
    }

    /// Waits for the child to end; panics after [`DEADLINE`].
    #[track_caller]
    fn wait(&mut self, what: &str) -> ExitStatus {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < end,
                "{what}: still running after {DEADLINE:?}"
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until the child has used `ms` milliseconds of CPU time: it is past its start
    /// and spinning in the program's endless loop.
    #[track_caller]
    fn wait_spinning(&self, ms: u64, what: &str) {
        let end = Instant::now() + DEADLINE;
        // Linux reports CPU time in clock ticks of 1/100 s.
        let ticks = ms / 10;
        loop {
            let stat = fs::read_to_string(format!("/proc/{}/stat", self.0.id())).expect("stat");
            // Fields after the command name (which is in parentheses): utime is the 12th.
            let after = &stat[stat.rfind(')').expect("comm") + 2..];
            let utime: u64 = after
                .split(' ')
                .nth(11)
                .expect("utime")
                .parse()
                .expect("number");
            if utime >= ticks {
                return;
            }
            assert!(Instant::now() < end, "{what}: never started spinning");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// `jitbf ARGS` with no input and its stdout and stderr piped.
fn spawn(args: &[&str]) -> Guard {
    Guard(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn jitbf"),
    )
}

/// Reads `r` on a thread, handing over chunks as they arrive.
fn chunks(mut r: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects from `rx` until `done` says so; panics after [`DEADLINE`].
#[track_caller]
fn collect_until(rx: &Receiver<Vec<u8>>, what: &str, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let end = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    while !done(&seen) {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend(chunk),
            Err(_) => panic!(
                "{what}: got only {:?} (output not flushed?)",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    seen
}

/// The executors, each with the slow program that suits its speed.
const SLOW: [(&[&str], &str); 2] = [(&[], SLOW_JIT), (&["--interp"], SLOW_INTERP)];

const EXECUTORS: [&[&str]; 3] = [&[], &["-O0"], &["--interp"]];

fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

#[test]
fn slow_output_reaches_a_pipe_and_a_closed_pipe_ends_the_run() {
    for (exec, program) in SLOW {
        let what = format!("{exec:?} slow program | head -c 20");
        let mut child = spawn(&with(exec, &["-e", program]));
        let out = chunks(child.0.stdout.take().expect("stdout"));
        let got = collect_until(&out, &what, |b| b.len() >= 20);
        assert!(got.iter().all(|&b| b == b'0'), "{what}: {got:?}");
        // The reader goes away: the next write fails, and the run ends with the error.
        drop(out);
        let status = child.wait(&what);
        let mut stderr = String::new();
        child
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(1), "{what}: {status}\n{stderr}");
        assert_eq!(
            stderr, "error: cannot write output: Broken pipe (os error 32)\n",
            "{what}"
        );
    }
}

/// Whether this process ignores SIGHUP (run under `nohup`): children inherit that, and
/// jitbf rightly leaves an ignored signal ignored (see `an_ignored_signal_stays_ignored`).
fn hup_ignored() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & 1 != 0)
}

#[test]
fn termination_signals_write_pending_output_and_kill() {
    let mut signals = vec![Signal::TERM, Signal::INT, Signal::HUP];
    if hup_ignored() {
        eprintln!(
            "SKIPPED SIGHUP: the tests run with SIGHUP ignored (nohup), which jitbf inherits"
        );
        signals.pop();
    }
    for exec in EXECUTORS {
        for &sig in &signals {
            let what = format!("{exec:?} {sig:?}");
            let mut child = spawn(&with(exec, &["-e", QUIET]));
            let out = chunks(child.0.stdout.take().expect("stdout"));
            child.wait_spinning(100, &what);
            child.signal(sig);
            let status = child.wait(&what);
            assert_eq!(status.signal(), Some(sig.as_raw()), "{what}: {status}");
            let got = collect_until(&out, &what, |b| b.len() >= 3);
            assert_eq!(got, b"012", "{what}");
        }
    }
}

#[test]
fn an_ignored_signal_stays_ignored() {
    // Under `nohup`, SIGHUP is ignored; jitbf's handler must not take its place.
    let what = "nohup jitbf, then SIGHUP";
    let mut child = Guard(
        Command::new("nohup")
            .arg(BIN)
            .args(["-e", QUIET])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nohup"),
    );
    let out = chunks(child.0.stdout.take().expect("stdout"));
    child.wait_spinning(100, what);
    child.signal(Signal::HUP);
    thread::sleep(Duration::from_millis(300));
    assert!(child.0.try_wait().unwrap().is_none(), "{what}: it died");
    child.signal(Signal::TERM);
    let status = child.wait(what);
    assert_eq!(
        status.signal(),
        Some(Signal::TERM.as_raw()),
        "{what}: {status}"
    );
    assert_eq!(
        collect_until(&out, what, |b| b.len() >= 3),
        b"012",
        "{what}"
    );
}

#[test]
fn a_signal_ends_a_process_blocked_on_a_full_pipe() {
    // Nobody reads: the program blocks in its own write. Its output cannot be written, so
    // the signal waits for a safe point for a second, then the process dies anyway.
    for exec in EXECUTORS {
        let what = format!("{exec:?} blocked on a full pipe");
        let mut child = spawn(&with(exec, &["-e", "+[.]"]));
        let _stdout = child.0.stdout.take();
        thread::sleep(Duration::from_millis(200));
        child.signal(Signal::TERM);
        let status = child.wait(&what);
        assert_eq!(
            status.signal(),
            Some(Signal::TERM.as_raw()),
            "{what}: {status}"
        );
    }
}

/// `jitbf ARGS` with all three standard streams on the terminal `slave`.
fn spawn_on(slave: &fs::File, args: &[&str]) -> Guard {
    let stream = || Stdio::from(slave.try_clone().expect("dup"));
    Guard(
        Command::new(BIN)
            .args(args)
            .stdin(stream())
            .stdout(stream())
            .stderr(stream())
            .spawn()
            .expect("spawn jitbf"),
    )
}

#[test]
fn slow_output_reaches_a_terminal() {
    for (exec, program) in SLOW {
        let what = format!("{exec:?} slow program on a terminal");
        let (master, slave) = pty();
        let child = spawn_on(&slave, &with(exec, &["-e", program]));
        drop(slave);
        let out = chunks(master);
        let got = collect_until(&out, &what, |b| b.len() >= 20);
        assert!(got.iter().all(|&b| b == b'0'), "{what}: {got:?}");
        drop(child);
    }
}

#[test]
fn ctrl_c_on_a_terminal_writes_pending_output_and_kills() {
    // `setsid --ctty` (util-linux) makes the pseudo-terminal jitbf's controlling terminal,
    // so that Ctrl-C typed on it sends SIGINT, as in an interactive shell.
    for exec in EXECUTORS {
        let what = format!("{exec:?} Ctrl-C on a terminal");
        let (mut master, slave) = pty();
        let stream = || Stdio::from(slave.try_clone().expect("dup"));
        let mut child = Guard(
            Command::new("setsid")
                .arg("--ctty")
                .arg(BIN)
                .args(with(exec, &["-e", QUIET]))
                .stdin(stream())
                .stdout(stream())
                .stderr(stream())
                .spawn()
                .expect("spawn setsid"),
        );
        drop(slave);
        let out = chunks(master.try_clone().expect("dup"));
        child.wait_spinning(100, &what);
        master.write_all(&[3]).expect("Ctrl-C");
        let status = child.wait(&what);
        assert_eq!(
            status.signal(),
            Some(Signal::INT.as_raw()),
            "{what}: {status}"
        );
        let got = collect_until(&out, &what, |b| b.windows(3).any(|w| w == b"012"));
        assert!(got.starts_with(b"012"), "{what}: {got:?}");
    }
}

#[test]
fn end_of_input_on_a_terminal_sticks() {
    // Echo lines until end of input, then read three more times: with one Ctrl-D, those
    // reads must see end of input at once, and the program prints `!` and ends.
    let program = ",[.,],,,++++++++[>++++<-]>+.";
    for exec in EXECUTORS {
        let what = format!("{exec:?} Ctrl-D on a terminal");
        let (mut master, slave) = pty();
        let mut child = spawn_on(&slave, &with(exec, &["--eof", "zero", "-e", program]));
        drop(slave);
        let out = chunks(master.try_clone().expect("dup"));
        master.write_all(b"ab\n").expect("type");
        // The program echoes the line (after the terminal's own echo of it).
        collect_until(&out, &what, |b| {
            b.windows(4).filter(|w| w == b"ab\r\n").count() == 2
        });
        master.write_all(&[4]).expect("Ctrl-D");
        let status = child.wait(&what);
        assert_eq!(status.code(), Some(0), "{what}: {status}");
        collect_until(&out, &what, |b| b.ends_with(b"!"));
    }
}

// ---------------------------------------------------------------------------------------------
// The library: each test below runs itself again as a child that enables (or not) autoflush
// and runs QUIET with its output going to a file. The child never returns: it is killed.
// ---------------------------------------------------------------------------------------------

/// Set in a child: `EXECUTOR SETTINGS OUTPUT_FILE`.
const CHILD: &str = "JITBF_LIVE_OUTPUT_CHILD";

/// In a child process (see [`CHILD`]), runs QUIET as asked and never returns.
fn child_mode() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let mut parts = spec.splitn(3, ' ');
    let (exec, settings, path) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    use jitbf::autoflush::{self, AutoFlush};
    match settings {
        "off" => {}
        "signals" => autoflush::enable(AutoFlush::default().interval(None)).unwrap(),
        "ticks" => autoflush::enable(
            AutoFlush::default()
                .on_signals(false)
                .interval(Some(Duration::from_millis(20))),
        )
        .unwrap(),
        other => panic!("unknown settings {other}"),
    }
    let program = jitbf::Program::new(QUIET, &jitbf::Config::default()).unwrap();
    let mut io = jitbf::Io {
        input: jitbf::Input::Bytes(Vec::new()),
        output: jitbf::Output::File(fs::File::create(path).unwrap()),
        diagnostics: Default::default(),
    };
    let mut executor: Box<dyn jitbf::Executor> = match exec {
        "jit" => Box::new(program.compile().unwrap()),
        _ => Box::new(program.interpreter()),
    };
    let _ = executor.run(&mut io);
    unreachable!("QUIET never ends");
}

/// Runs the test `name` again as a child with `settings` and `exec`; returns it and the
/// file its program writes to.
fn spawn_self(name: &str, exec: &str, settings: &str) -> (Guard, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out");
    fs::write(&path, b"").unwrap();
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{exec} {settings} {}", path.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn the test binary");
    (Guard(child), dir)
}

fn out_of(dir: &tempfile::TempDir) -> Vec<u8> {
    fs::read(dir.path().join("out")).expect("read output")
}

#[test]
fn a_library_installs_nothing_by_itself() {
    child_mode();
    for exec in ["jit", "interp"] {
        let (mut child, dir) = spawn_self("a_library_installs_nothing_by_itself", exec, "off");
        child.wait_spinning(300, exec);
        child.signal(Signal::TERM);
        let status = child.wait(exec);
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()), "{exec}");
        // No handler: the pending output died with the process.
        assert_eq!(out_of(&dir), b"", "{exec}");
    }
}

#[test]
fn enabled_termination_signals_write_pending_output_without_ticks() {
    child_mode();
    for exec in ["jit", "interp"] {
        let name = "enabled_termination_signals_write_pending_output_without_ticks";
        let (mut child, dir) = spawn_self(name, exec, "signals");
        child.wait_spinning(300, exec);
        // No tick has written anything.
        assert_eq!(out_of(&dir), b"", "{exec}");
        child.signal(Signal::TERM);
        let status = child.wait(exec);
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()), "{exec}");
        assert_eq!(out_of(&dir), b"012", "{exec}");
    }
}

#[test]
fn enabled_ticks_write_pending_output_without_signals() {
    child_mode();
    for exec in ["jit", "interp"] {
        let name = "enabled_ticks_write_pending_output_without_signals";
        let (child, dir) = spawn_self(name, exec, "ticks");
        let end = Instant::now() + DEADLINE;
        while out_of(&dir) != b"012" {
            assert!(Instant::now() < end, "{exec}: got {:?}", out_of(&dir));
            thread::sleep(Duration::from_millis(10));
        }
        drop(child);
    }
}
