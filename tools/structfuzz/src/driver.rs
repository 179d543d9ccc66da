//! The parallel run: worker processes, a watchdog, and the summary.
//!
//! The parent starts one worker process per job (this same executable with `--worker`).
//! Worker `k` of `n` checks cases `start + k`, `start + k + n`, ... Before case `i` it writes
//! `i` (8 bytes, little-endian) at the start of its *pulse file*, a file the parent made for
//! it: the heartbeat, one `pwrite` per case, which the parent reads ten times a second. (A
//! line down a pipe per case cost more: each one woke the parent.) On its stdout it writes a
//! line only for cases that tell something: `S i` if the model did not finish case `i`,
//! `P i` if it was compared without `-O0`, `F i targets` if it failed, and `D` when done.
//! Processes rather than threads, because the JIT cannot be interrupted: when a worker's
//! pulse stays on one case for `--timeout` seconds, the parent kills it, records a hang for
//! that case, and starts a new worker at the next case; a worker that dies (a crash in
//! generated code) is handled the same way. Single-threaded workers also keep `munmap` of the
//! JIT's tapes cheap.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::check::{Class, Target, Verdict, check};
use crate::generate;

/// What the parent needs to run workers.
#[derive(Clone, Debug)]
pub struct Plan {
    /// This executable.
    pub exe: PathBuf,
    /// The seed.
    pub seed: u64,
    /// First case index.
    pub start: u64,
    /// Number of cases.
    pub count: u64,
    /// Worker processes.
    pub jobs: usize,
    /// A worker silent this long is hung.
    pub timeout: Duration,
    /// Stop after this many failures (0: never).
    pub stop_after: usize,
}

/// A failing case found by a run.
#[derive(Clone, Debug)]
pub struct Found {
    /// Its index.
    pub index: u64,
    /// What kind of failure.
    pub class: Class,
    /// The targets that failed (for a hang or crash, filled in later by
    /// [`crate::child::hanging_targets`]).
    pub targets: Vec<Target>,
    /// Time since the start of the run when it was found.
    pub at: Duration,
    /// Cases started (over all workers) by then.
    pub seen: u64,
}

/// The result of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Cases started.
    pub started: u64,
    /// Cases the model did not finish (not compared).
    pub skipped: u64,
    /// Cases compared without the `-O0` targets (clear loops of billions of iterations).
    pub without_o0: u64,
    /// Failures, in the order found.
    pub found: Vec<Found>,
    /// Wall time.
    pub elapsed: Duration,
    /// True if stopped early by `stop_after`.
    pub stopped: bool,
}

/// The body of `--worker`: checks cases `first, first + step, ...` below `end`.
pub fn worker_main(
    seed: u64,
    first: u64,
    end: u64,
    step: u64,
    pulse: &Path,
) -> std::io::Result<()> {
    let pulse = std::fs::OpenOptions::new().write(true).open(pulse)?;
    // Panics inside jitbf are caught and reported as failures; keep them off stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let targets = Target::all();
    let mut out = std::io::stdout().lock();
    let mut i = first;
    while i < end {
        pulse.write_at(&i.to_le_bytes(), 0)?;
        let case = generate::case(seed, i);
        match check(&case, &targets) {
            Verdict::Pass { without_o0: false } => {}
            Verdict::Pass { without_o0: true } => writeln!(out, "P {i}")?,
            Verdict::Skipped => writeln!(out, "S {i}")?,
            Verdict::Fail { failures, .. } => {
                let names: Vec<String> = failures.iter().map(|f| f.target.name()).collect();
                writeln!(out, "F {i} {}", names.join(","))?;
            }
        }
        i += step;
    }
    writeln!(out, "D")?;
    out.flush()
}

struct Slot {
    child: Option<Child>,
    /// Bumped at each restart: lines from a killed worker are ignored.
    generation: u64,
    /// The case it is on (as its pulse file last said), and since when.
    current: Option<u64>,
    since: Instant,
    done: bool,
    /// The pulse file of the current process.
    pulse: PathBuf,
    /// The first case of the current process, and how many of its cases were counted as
    /// started.
    first: u64,
    counted: u64,
}

impl Slot {
    /// Reads the pulse file: the case the worker is on now, if it has started one.
    fn pulse(&self) -> Option<u64> {
        let mut bytes = [0u8; 8];
        let file = File::open(&self.pulse).ok()?;
        file.read_exact_at(&mut bytes, 0).ok()?;
        Some(u64::from_le_bytes(bytes))
    }

    /// Takes in the pulse: a worker on a new case is alive, and the cases it went through
    /// are counted as started.
    fn poll(&mut self, now: Instant, step: u64, sum: &mut Summary) {
        if self.done || self.child.is_none() {
            return;
        }
        let Some(i) = self.pulse().filter(|&i| i >= self.first) else {
            return;
        };
        if self.current != Some(i) {
            self.current = Some(i);
            self.since = now;
            let n = (i - self.first) / step + 1;
            sum.started += n.saturating_sub(self.counted);
            self.counted = n;
        }
    }
}

enum Event {
    Line(usize, u64, String),
    Closed(usize, u64),
}

/// Runs the plan with a watchdog; `progress` is called every few seconds.
pub fn run(plan: &Plan, mut progress: impl FnMut(&Summary)) -> std::io::Result<Summary> {
    let start = Instant::now();
    let end = plan.start.saturating_add(plan.count);
    let jobs = plan.jobs.max(1);
    let (tx, rx) = mpsc::channel();
    let pulses = tempfile::tempdir()?;
    let mut slots: Vec<Slot> = Vec::new();
    let mut sum = Summary::default();
    for k in 0..jobs {
        let mut slot = Slot {
            child: None,
            generation: 0,
            current: None,
            since: Instant::now(),
            done: false,
            pulse: pulses.path().join(format!("pulse-{k}")),
            first: 0,
            counted: 0,
        };
        spawn(plan, k, &mut slot, plan.start + k as u64, end, &tx)?;
        slots.push(slot);
    }
    let mut last_progress = Instant::now();
    while slots.iter().any(|s| !s.done) {
        let ev = rx.recv_timeout(Duration::from_millis(100));
        let now = Instant::now();
        for slot in &mut slots {
            slot.poll(now, jobs as u64, &mut sum);
        }
        match ev {
            Ok(Event::Line(k, g, line)) if slots[k].generation == g => {
                let slot = &mut slots[k];
                let mut parts = line.split(' ');
                let tag = parts.next().unwrap_or("");
                let index = parts.next().and_then(|s| s.parse::<u64>().ok());
                match (tag, index) {
                    ("S", Some(_)) => sum.skipped += 1,
                    ("P", Some(_)) => sum.without_o0 += 1,
                    ("F", Some(i)) => {
                        let targets: Vec<Target> = parts
                            .next()
                            .unwrap_or("")
                            .split(',')
                            .filter_map(Target::parse)
                            .collect();
                        sum.found.push(Found {
                            index: i,
                            class: Class::of_targets(targets.iter().copied()),
                            targets,
                            at: start.elapsed(),
                            seen: sum.started,
                        });
                    }
                    ("D", _) => {
                        slot.poll(now, jobs as u64, &mut sum);
                        slot.done = true;
                        slot.current = None;
                    }
                    _ => {}
                }
            }
            Ok(Event::Closed(k, g)) if slots[k].generation == g => {
                let slot = &mut slots[k];
                // The last word of its pulse file: the case it ended on.
                slot.poll(now, jobs as u64, &mut sum);
                let status = slot.child.take().map(|mut c| c.wait());
                if !slot.done {
                    let Some(i) = slot.current else {
                        return Err(std::io::Error::other(format!(
                            "worker {k} exited before its first case: {status:?}"
                        )));
                    };
                    sum.found.push(Found {
                        index: i,
                        class: Class::Crash,
                        targets: Vec::new(),
                        at: start.elapsed(),
                        seen: sum.started,
                    });
                    spawn(plan, k, slot, i + jobs as u64, end, &tx)?;
                }
            }
            _ => {}
        }
        // The watchdog.
        for (k, slot) in slots.iter_mut().enumerate() {
            if let (false, Some(i)) = (slot.done, slot.current)
                && now.duration_since(slot.since) > plan.timeout
            {
                if let Some(mut c) = slot.child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                sum.found.push(Found {
                    index: i,
                    class: Class::Hang,
                    targets: Vec::new(),
                    at: start.elapsed(),
                    seen: sum.started,
                });
                spawn(plan, k, slot, i + jobs as u64, end, &tx)?;
            }
        }
        if plan.stop_after > 0 && sum.found.len() >= plan.stop_after {
            sum.stopped = true;
            break;
        }
        if last_progress.elapsed() > Duration::from_secs(10) {
            last_progress = Instant::now();
            sum.elapsed = start.elapsed();
            progress(&sum);
        }
    }
    for slot in &mut slots {
        if let Some(mut c) = slot.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    sum.elapsed = start.elapsed();
    Ok(sum)
}

/// Starts (or restarts) worker `k` on cases `first, first + jobs, ...` below `end`.
fn spawn(
    plan: &Plan,
    k: usize,
    slot: &mut Slot,
    first: u64,
    end: u64,
    tx: &mpsc::Sender<Event>,
) -> std::io::Result<()> {
    slot.generation += 1;
    slot.current = None;
    slot.since = Instant::now();
    slot.first = first;
    slot.counted = 0;
    if first >= end {
        slot.done = true;
        return Ok(());
    }
    // A new, empty pulse file (the previous worker, if any, is dead).
    File::create(&slot.pulse)?;
    let mut cmd = Command::new(&plan.exe);
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        // Each run allocates and frees tapes and 64 KiB buffers. With glibc's defaults the
        // heap grows and shrinks around them (page faults each time) and mid-sized tapes are
        // cleared with memset; a fixed mmap threshold and a high trim threshold make the
        // workers about a fifth faster. Nothing else changes.
        cmd.env(
            "GLIBC_TUNABLES",
            "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=268435456",
        );
    }
    let mut child = cmd
        .args(["--worker", "--seed", &plan.seed.to_string()])
        .args(["--first", &first.to_string(), "--end", &end.to_string()])
        .args(["--step", &plan.jobs.max(1).to_string()])
        .arg("--pulse")
        .arg(&slot.pulse)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, g) = (tx.clone(), slot.generation);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(Event::Line(k, g, line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Event::Closed(k, g));
    });
    slot.child = Some(child);
    Ok(())
}
