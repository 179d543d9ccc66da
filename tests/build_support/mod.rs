//! Helpers shared by the tests of `jitbf build` (`tests/build.rs`, `tests/build_file.rs`).

#![allow(dead_code)] // each test file uses a different part

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_jitbf");
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What a process did.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `cmd` with `stdin`, killing it after [`TIMEOUT`].
pub fn run(mut cmd: Command, stdin: Stdio) -> Outcome {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = read_all(child.stdout.take().unwrap());
    let stderr = read_all(child.stderr.take().unwrap());
    let code = wait(&mut child, &what);
    Outcome {
        code,
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    }
}

pub fn wait(child: &mut Child, what: &str) -> Option<i32> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: no exit within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(2));
    }
}

pub fn read_all(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// `jitbf ARGS`, run in `dir`.
pub fn jitbf(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    cmd
}

/// `jitbf build ARGS` in `dir`; panics unless it succeeds silently.
pub fn build(dir: &Path, args: &[&str]) {
    let out = run(jitbf(dir, &[&["build"], args].concat()), Stdio::null());
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (Some(0), ""),
        "jitbf build {args:?}"
    );
}

/// Stdin from `input`, or empty.
pub fn stdin_of(input: Option<&Path>) -> Stdio {
    input.map_or(Stdio::null(), |p| Stdio::from(fs::File::open(p).unwrap()))
}
/// A temporary directory with `prog.bf` holding `source`.
pub fn with_source(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("prog.bf"), source).unwrap();
    dir
}

/// The bundled programs.
pub fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// Runs a tool and returns its stdout; panics if it fails.
pub fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed for this test (.ci/run installs it): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
