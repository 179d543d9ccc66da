//! Running one case in a child process, with a time limit.
//!
//! The JIT cannot be interrupted: a miscompiled program may loop forever, and a bad one
//! may crash the process. So whatever can hang runs in a child (this same executable, with
//! `--check-stdin`), which the parent kills when its time is up. The parent uses this to
//! tell which targets hang on a case, and to shrink hangs and crashes one candidate per
//! child.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::case::Case;
use crate::check::{self, Target, Verdict};

/// Exit status of `--check-stdin` when the case passed.
pub const EXIT_PASS: i32 = 0;
/// Exit status of `--check-stdin` when a target disagreed with the model.
pub const EXIT_FAIL: i32 = 1;
/// Exit status of `--check-stdin` when the model did not finish (or the case did not decode).
pub const EXIT_SKIP: i32 = 3;

/// How a child's check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildResult {
    /// Every target agreed.
    Pass,
    /// A target disagreed.
    Fail,
    /// The model did not finish: not a candidate.
    Skip,
    /// Still running when its time was up (killed).
    Hang,
    /// Died by a signal, or exited with an unexpected status.
    Crash,
}

/// The body of `--check-stdin`: checks the case on `targets` and returns the exit status.
pub fn check_stdin_main(targets: &[Target]) -> i32 {
    let mut data = Vec::new();
    if std::io::Read::read_to_end(&mut std::io::stdin(), &mut data).is_err() {
        return EXIT_SKIP;
    }
    let Ok(case) = Case::decode(&data) else {
        return EXIT_SKIP;
    };
    match check::check(&case, targets) {
        Verdict::Pass { .. } => EXIT_PASS,
        Verdict::Fail { .. } => EXIT_FAIL,
        Verdict::Skipped => EXIT_SKIP,
    }
}

/// Checks `case` on `target` in a child of `exe`, killing it after `limit`.
pub fn run(exe: &Path, case: &Case, target: Option<Target>, limit: Duration) -> ChildResult {
    let mut cmd = Command::new(exe);
    cmd.arg("--check-stdin");
    if let Some(t) = target {
        cmd.args(["--target", &t.name()]);
    }
    let spawned = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = spawned else {
        return ChildResult::Crash;
    };
    let data = case.encode();
    if let Some(mut stdin) = child.stdin.take() {
        // A child that dies before reading everything is seen by its status below.
        let _ = stdin.write_all(&data);
    }
    match wait_for(&mut child, limit) {
        None => ChildResult::Hang,
        Some(status) => classify(status),
    }
}

fn classify(status: ExitStatus) -> ChildResult {
    match status.code() {
        Some(EXIT_PASS) => ChildResult::Pass,
        Some(EXIT_FAIL) => ChildResult::Fail,
        Some(EXIT_SKIP) => ChildResult::Skip,
        _ => ChildResult::Crash,
    }
}

/// Waits for `child` for at most `limit`; on timeout kills it and returns `None`.
pub fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    let mut nap = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if start.elapsed() < limit => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Which targets hang (or crash) on `case`, each checked in its own child, all at once.
pub fn hanging_targets(exe: &Path, case: &Case, limit: Duration) -> Vec<(Target, ChildResult)> {
    let results: Vec<(Target, ChildResult)> = std::thread::scope(|s| {
        let handles: Vec<_> = Target::all()
            .into_iter()
            .map(|t| s.spawn(move || (t, run(exe, case, Some(t), limit))))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    results
        .into_iter()
        .filter(|(_, r)| matches!(r, ChildResult::Hang | ChildResult::Crash))
        .collect()
}
