//! The `jitbf-structfuzz` command: runs the fuzzer, reproduces one case, or (hidden modes)
//! serves as its own worker and child process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;

use jitbf_structfuzz::case::{self, Case};
use jitbf_structfuzz::check::{Class, Target};
use jitbf_structfuzz::child::{self, ChildResult};
use jitbf_structfuzz::driver::{self, Found, Plan, Summary};
use jitbf_structfuzz::{generate, repro};

/// `println!`, except that a closed stdout (`jitbf-structfuzz ... | head`) is not a panic.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Structured differential fuzzer for jitbf: generated programs, run by the interpreter and
/// the JIT at -O0/-O1/-O2 (and the JIT with its eax/flags cache off, with its run-time
/// self-checks on, and on the program optimized in two pieces cut at a loop), compared with the fuzzer's own reference semantics. Exit status 1 if
/// anything differed.
#[derive(Parser, Debug)]
#[command(name = "jitbf-structfuzz")]
struct Args {
    /// Seed; the same seed and index always give the same case (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Number of programs.
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    /// Index of the first program.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Worker processes (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Seconds without progress after which a worker counts as hung on its program.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Failures to shrink and print as regression tests (the others are counted).
    #[arg(long, default_value_t = 3)]
    reports: usize,
    /// Stop after this many failures (0: run all programs).
    #[arg(long, default_value_t = 0)]
    stop_after: usize,
    /// Report failures as found, without shrinking.
    #[arg(long)]
    no_shrink: bool,
    /// Check only program INDEX of the seed (shrink and report it if it fails).
    #[arg(long, value_name = "INDEX")]
    index: Option<u64>,
    /// With --index or --source: print the case before checking it.
    #[arg(long)]
    show: bool,
    /// Check this Brainfuck source (with --cell-bits, --eof, --tape-size, --input).
    #[arg(long)]
    source: Option<String>,
    /// Cell width for --source: 8, 16 or 32.
    #[arg(long, default_value_t = 8)]
    cell_bits: u32,
    /// End-of-input mode for --source: unchanged, zero or max.
    #[arg(long, default_value = "unchanged")]
    eof: String,
    /// Tape cells for --source.
    #[arg(long, default_value_t = 65536)]
    tape_size: usize,
    /// Input for --source, in hex (e.g. 00ff).
    #[arg(long, default_value = "")]
    input: String,
    /// With --index or --source: check only these targets (interp-O0 ... jit-O2-verify).
    #[arg(long)]
    target: Vec<String>,

    // Hidden: the worker and child modes.
    #[arg(long, hide = true)]
    worker: bool,
    #[arg(long, hide = true)]
    first: Option<u64>,
    #[arg(long, hide = true)]
    end: Option<u64>,
    #[arg(long, hide = true)]
    step: Option<u64>,
    #[arg(long, hide = true)]
    pulse: Option<PathBuf>,
    #[arg(long, hide = true)]
    check_stdin: bool,
    #[arg(long, hide = true)]
    heartbeat: bool,
    /// Hidden: profile the generator on COUNT programs (where the time goes).
    #[arg(long, hide = true)]
    gen_stats: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("jitbf-structfuzz: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let targets = if args.target.is_empty() {
        Target::all()
    } else {
        args.target
            .iter()
            .map(|n| Target::parse(n).ok_or_else(|| format!("no target named {n:?}")))
            .collect::<Result<_, _>>()?
    };
    if args.check_stdin {
        std::panic::set_hook(Box::new(|_| {}));
        return Ok(ExitCode::from(child::check_stdin_main(&targets) as u8));
    }
    let seed = args.seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        t.map(|d| d.as_nanos() as u64 % 1_000_000_007).unwrap_or(1)
    });
    if args.worker {
        let (first, end, step) = (args.first.unwrap_or(0), args.end.unwrap_or(0), args.step);
        let pulse = args.pulse.ok_or("--worker needs --pulse")?;
        driver::worker_main(seed, first, end, step.unwrap_or(1).max(1), &pulse)
            .map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.gen_stats {
        gen_stats(seed, args.start, args.count);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(src) = &args.source {
        let c = Case {
            cells: match args.cell_bits {
                8 => jitbf::CellBits::U8,
                16 => jitbf::CellBits::U16,
                32 => jitbf::CellBits::U32,
                n => return Err(format!("--cell-bits must be 8, 16 or 32, not {n}")),
            },
            eof: Case::decode(format!("8 {} 1\n\n", args.eof).as_bytes())?.eof,
            tape: args.tape_size,
            input: case::unhex(&args.input)?,
            source: src.as_bytes().to_vec(),
        };
        return Ok(one(
            &c,
            &targets,
            &args,
            "the given case",
            "structfuzz_case",
        ));
    }
    if let Some(i) = args.index {
        let c = generate::case(seed, i);
        let origin = format!("program {i} of seed {seed} (--seed {seed} --index {i})");
        let name = format!("structfuzz_seed{seed}_case{i}");
        return Ok(one(&c, &targets, &args, &origin, &name));
    }
    fuzz(&args, seed)
}

/// Checks one case; prints its report if it fails.
fn one(c: &Case, targets: &[Target], args: &Args, origin: &str, name: &str) -> ExitCode {
    if args.show {
        out!("{c}");
    }
    if args.heartbeat {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let report = repro::report_case(c, targets, origin, name, args.no_shrink, args.heartbeat);
    match report {
        Some(r) => {
            if args.heartbeat {
                out!("REPORT");
            }
            out!("{r}");
            ExitCode::FAILURE
        }
        None => {
            if !args.heartbeat {
                match jitbf_structfuzz::model::run(c, jitbf_structfuzz::check::FUEL) {
                    jitbf_structfuzz::model::Run::Done(o) => {
                        out!("ok: every target gave {o:?}")
                    }
                    _ => out!("skipped: the model does not finish it"),
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn fuzz(args: &Args, seed: u64) -> Result<ExitCode, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let plan = Plan {
        exe,
        seed,
        start: args.start,
        count: args.count,
        jobs,
        timeout: Duration::from_secs_f64(args.timeout),
        stop_after: args.stop_after,
    };
    out!(
        "jitbf-structfuzz: seed {seed}, programs {}..{}, {jobs} worker processes",
        plan.start,
        plan.start + plan.count
    );
    let mut sum = driver::run(&plan, |s| {
        eprintln!(
            "  {:>6.1} s: {} programs ({:.0}/s), {} failures",
            s.elapsed.as_secs_f64(),
            s.started,
            s.started as f64 / s.elapsed.as_secs_f64(),
            s.found.len()
        );
    })
    .map_err(|e| e.to_string())?;
    let limit = Duration::from_secs_f64((args.timeout / 5.0).clamp(0.5, 2.0));
    classify_hangs(&plan, &mut sum, limit);
    print_summary(&plan, &sum);
    if sum.found.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut by_index = sum.found.clone();
    by_index.sort_by_key(|f| f.index);
    for f in by_index.iter().take(args.reports) {
        out!();
        out!("{}", report_found(&plan, f, args.no_shrink, limit));
    }
    Ok(ExitCode::FAILURE)
}

/// For hangs and crashes, which targets hang or crash (each in its own child).
fn classify_hangs(plan: &Plan, sum: &mut Summary, limit: Duration) {
    for f in sum
        .found
        .iter_mut()
        .filter(|f| f.targets.is_empty())
        .take(50)
    {
        let c = generate::case(plan.seed, f.index);
        f.targets = child::hanging_targets(&plan.exe, &c, limit)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
    }
}

fn print_summary(plan: &Plan, s: &Summary) {
    let secs = s.elapsed.as_secs_f64();
    out!(
        "{} programs in {secs:.1} s ({:.0}/s with {} workers){}: {} compared, {} skipped (the model did not finish them in {} steps)",
        s.started,
        s.started as f64 / secs,
        plan.jobs,
        if s.stopped { ", stopped early" } else { "" },
        s.started - s.skipped,
        s.skipped,
        jitbf_structfuzz::check::FUEL
    );
    if s.without_o0 > 0 {
        out!(
            "  ({} of them without -O0: clear loops of billions of iterations)",
            s.without_o0
        );
    }
    if s.found.is_empty() {
        out!("no failures");
        return;
    }
    out!("{} failures:", s.found.len());
    let mut classes: Vec<(Class, bool)> =
        s.found.iter().map(|f| (f.class, cache_only(f))).collect();
    classes.sort();
    let mut i = 0;
    while i < classes.len() {
        let n = classes[i..]
            .iter()
            .take_while(|c| **c == classes[i])
            .count();
        let (class, cache) = classes[i];
        let note = match class {
            Class::Hang | Class::Crash if cache => ", only with the cache on",
            Class::Hang | Class::Crash => "",
            _ => "",
        };
        out!("  {n:>7}  {}{note}", class.name());
        i += n;
    }
    let mut per_target: Vec<(String, usize)> = Target::all()
        .into_iter()
        .map(|t| {
            (
                t.name(),
                s.found.iter().filter(|f| f.targets.contains(&t)).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    per_target.sort_by_key(|t| std::cmp::Reverse(t.1));
    let list: Vec<String> = per_target.iter().map(|(t, n)| format!("{t} {n}")).collect();
    out!("  by target: {}", list.join(", "));
    if let Some(first) = s.found.first() {
        out!(
            "  first found: program {} ({} programs and {:.2} s into the run)",
            first.index,
            first.seen,
            first.at.as_secs_f64()
        );
    }
}

/// True if every failing target of `f` is a JIT with the cache on.
fn cache_only(f: &Found) -> bool {
    !f.targets.is_empty() && Class::of_targets(f.targets.iter().copied()) == Class::Cache
}

/// Shrinks and formats one failure.
fn report_found(plan: &Plan, f: &Found, no_shrink: bool, limit: Duration) -> String {
    let c = generate::case(plan.seed, f.index);
    let origin = format!(
        "program {} of seed {} (reproduce: --seed {} --index {})",
        f.index, plan.seed, plan.seed, f.index
    );
    let name = format!("structfuzz_seed{}_case{}", plan.seed, f.index);
    match f.class {
        Class::Hang | Class::Crash => {
            let Some(&t) = f.targets.first() else {
                return format!("{:?} on {origin}, not reproduced in a child:\n{c}", f.class);
            };
            let kind = if f.class == Class::Hang {
                ChildResult::Hang
            } else {
                ChildResult::Crash
            };
            repro::shrink_hang(&plan.exe, &c, t, kind, limit, &origin, &name)
        }
        _ => match report_in_child(plan, f.index, no_shrink) {
            Some(r) => r,
            None => {
                // Shrinking met a candidate that hangs: shrink one child per candidate.
                let t = f
                    .targets
                    .first()
                    .copied()
                    .unwrap_or(Target::Interp(jitbf::OptLevel::O0));
                let s = jitbf_structfuzz::shrink::shrink(
                    &c,
                    repro::with_deadline(|c| {
                        child::run(&plan.exe, c, Some(t), limit) == ChildResult::Fail
                    }),
                    repro::MAX_CHILD_TRIES,
                );
                let origin = format!(
                    "{origin}; shrunk from {} to {} source bytes in {} tries, one child \
                     process per candidate (a candidate hung)",
                    c.source.len(),
                    s.case.source.len(),
                    s.tries
                );
                repro::report_case(&s.case, &Target::all(), &origin, &name, true, false)
                    .unwrap_or_else(|| format!("failure of {origin} not reproduced"))
            }
        },
    }
}

/// Runs `--index i --heartbeat` in a child, watching its heartbeat; `None` if it hangs.
fn report_in_child(plan: &Plan, index: u64, no_shrink: bool) -> Option<String> {
    let mut cmd = Command::new(&plan.exe);
    cmd.args([
        "--seed",
        &plan.seed.to_string(),
        "--index",
        &index.to_string(),
        "--heartbeat",
    ]);
    if no_shrink {
        cmd.arg("--no-shrink");
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut report: Option<String> = None;
    let mut last = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                last = Instant::now();
                match &mut report {
                    Some(r) => {
                        r.push_str(&line);
                        r.push('\n');
                    }
                    None if line == "REPORT" => report = Some(String::new()),
                    None => {}
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if last.elapsed() > plan.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    let _ = child.wait();
    report
}

/// Where the checking time goes, by source size and model steps.
fn gen_stats(seed: u64, start: u64, count: u64) {
    use jitbf_structfuzz::check::{FUEL, check};
    use jitbf_structfuzz::model::{self, Run};
    let targets = Target::all();
    // (label, programs, skipped, seconds)
    let mut rows: Vec<(String, u64, u64, f64)> = Vec::new();
    let mut slowest: Vec<(f64, u64, usize, u64)> = Vec::new();
    for i in start..start + count {
        let c = generate::case(seed, i);
        let (run, cost) = model::run_counted(&c, FUEL);
        let steps = cost.steps;
        let size = match c.source.len() {
            0..1000 => "<1k",
            1000..65536 => "<64k",
            65536..1_000_000 => "<1M",
            _ => ">=1M",
        };
        let st = match (&run, steps) {
            (Run::OutOfFuel, _) => "out of fuel",
            (_, 0..1000) => "<1k steps",
            (_, 1000..10000) => "<10k steps",
            _ => ">=10k steps",
        };
        let t = Instant::now();
        check(&c, &targets);
        let secs = t.elapsed().as_secs_f64();
        slowest.push((secs, i, c.source.len(), steps));
        for label in [
            format!("size {size}"),
            format!("steps {st}"),
            "all".to_string(),
        ] {
            let skipped = u64::from(matches!(run, Run::OutOfFuel));
            match rows.iter_mut().find(|r| r.0 == label) {
                Some(r) => {
                    r.1 += 1;
                    r.2 += skipped;
                    r.3 += secs;
                }
                None => rows.push((label, 1, skipped, secs)),
            }
        }
    }
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (secs, i, len, steps) in slowest.iter().take(8) {
        out!(
            "slow: program {i}: {:.1} ms, {len} bytes, {steps} steps",
            secs * 1e3
        );
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for (label, n, skipped, secs) in rows {
        out!(
            "{label:<22} {n:>7} programs {skipped:>6} skipped {secs:>8.2} s {:>8.0} us/program",
            secs * 1e6 / n as f64
        );
    }
}
