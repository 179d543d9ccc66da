//! Runs a case through jitbf's executors and compares each with the model.
//!
//! The executors ("targets") are the interpreter and the JIT at `-O0`, `-O1` and `-O2`, and
//! the JIT once more at each level with its `eax`/flags cache off
//! (`jit::Options::default().cache(false)`), and once more with its run-time self-checks on
//! (`jit::Options::default().verify(true)`: before every IR instruction the code checks that
//! each register and the flags hold what the code generator believes, so a wrong belief is
//! found even when it happens not to change the output). Each must give exactly the model's
//! output bytes and ending. Comparing the cached JIT with the uncached one aims at the whole
//! class of stale-register bugs: when only cache-on targets fail, the cache is to blame.

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::Seek;
use std::os::unix::fs::FileExt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use jitbf::debug::Diagnostics;
use jitbf::{Executor, Input, Io, OptLevel, Output, Program, RuntimeError};

use crate::case::Case;
use crate::model::{self, Ending, Outcome};

/// Steps the model may take before a program counts as not stopping. A step is a run of
/// identical commands, one other command, or a clear loop; a hundred thousand keep every
/// executor's run (the interpreter at `-O0` is the slowest) under a millisecond.
pub const FUEL: u64 = 100_000;

/// One executor of jitbf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The IR interpreter at a level.
    Interp(OptLevel),
    /// The JIT at a level, with the `eax`/flags cache on (the default) or off.
    Jit {
        /// Optimization level.
        level: OptLevel,
        /// Whether the codegen's register/flags cache is on.
        cache: bool,
    },
    /// The JIT at a level with the cache on and its run-time self-checks
    /// (`jit::Options::verify`).
    Verified(OptLevel),
    /// The JIT at a level (cache on), of the program optimized in two pieces
    /// (`jitbf::opt::split`) cut at a loop chosen by the source's hash ([`cut_of`]).
    Split(OptLevel),
}

/// Where [`Target::Split`] cuts `source`: the loop of the `k`-th `[` (`k` from a hash of the
/// source), alone or with the loops after it at its depth (one in two). `None` without loops.
pub fn cut_of(source: &[u8]) -> Option<(u32, u32)> {
    // FNV-1a: the same cut for the same source in every run, repro and regression test.
    let hash = source.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let opens: Vec<usize> = (0..source.len()).filter(|&i| source[i] == b'[').collect();
    let start = *opens.get((hash % opens.len().max(1) as u64) as usize)?;
    let with_siblings = (hash >> 32) & 1 == 1;
    let mut depth = 0i64;
    let mut end = None;
    for (i, &b) in source.iter().enumerate().skip(start) {
        match b {
            b'[' => depth += 1,
            b']' => depth -= 1,
            _ => {}
        }
        if depth == 0 && b == b']' {
            end = Some(i + 1);
            if !with_siblings {
                break;
            }
        }
        if depth < 0 {
            break;
        }
    }
    Some((start as u32, end? as u32))
}

const LEVELS: [OptLevel; 3] = [OptLevel::O0, OptLevel::O1, OptLevel::O2];

impl Target {
    /// Every target, in the order they run.
    pub fn all() -> Vec<Target> {
        let mut all = Vec::new();
        for level in LEVELS {
            all.push(Target::Interp(level));
            if jitbf::JIT_AVAILABLE {
                all.push(Target::Jit { level, cache: true });
                all.push(Target::Jit {
                    level,
                    cache: false,
                });
                all.push(Target::Verified(level));
                if level != OptLevel::O0 {
                    all.push(Target::Split(level));
                }
            }
        }
        all
    }

    /// The name used on the command line (`--target`) and in reports: `interp-O1`,
    /// `jit-O2`, `jit-O2-nocache`, `jit-O2-verify`.
    pub fn name(self) -> String {
        match self {
            Target::Interp(l) => format!("interp-{l:?}"),
            Target::Jit { level, cache: true } => format!("jit-{level:?}"),
            Target::Jit {
                level,
                cache: false,
            } => format!("jit-{level:?}-nocache"),
            Target::Verified(l) => format!("jit-{l:?}-verify"),
            Target::Split(l) => format!("jit-{l:?}-split"),
        }
    }

    /// The target named `name` (see [`Target::name`]).
    pub fn parse(name: &str) -> Option<Target> {
        Target::all().into_iter().find(|t| t.name() == name)
    }

    fn level(self) -> OptLevel {
        match self {
            Target::Interp(l)
            | Target::Jit { level: l, .. }
            | Target::Verified(l)
            | Target::Split(l) => l,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A target that gave something other than the model's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which executor.
    pub target: Target,
    /// What it gave.
    pub got: Outcome,
}

/// The verdict on one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The model did not finish within [`FUEL`] steps (or the source is unbalanced): not run.
    Skipped,
    /// Every target agreed with the model. `without_o0`: the `-O0` targets were not run,
    /// because the program's clear loops iterate more than [`FUEL`] times in all (the
    /// literal program would run for seconds; from `-O1` on they are stores).
    Pass {
        /// The `-O0` targets were left out.
        without_o0: bool,
    },
    /// Some targets did not.
    Fail {
        /// The model's outcome.
        expected: Outcome,
        /// Each target that differed, in [`Target::all`] order.
        failures: Vec<Failure>,
    },
}

/// What kind of bug a failure points at, judged from which targets failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Only JIT targets with the cache on (plain or self-checking) failed; the same code
    /// without the cache is right.
    Cache,
    /// A JIT target with the cache off failed too (interpreters right): the codegen or the
    /// runtime.
    Jit,
    /// An interpreter failed: the parser, a pass, or the interpreter.
    Interp,
    /// The JIT did not finish a program the model finished (watchdog).
    Hang,
    /// The process running the case died (a signal, an abort).
    Crash,
}

impl Class {
    /// Classifies by the set of failing targets.
    pub fn of(failures: &[Failure]) -> Class {
        let ts = failures.iter().map(|f| f.target);
        Class::of_targets(ts)
    }

    /// Classifies by the failing targets.
    pub fn of_targets(targets: impl IntoIterator<Item = Target>) -> Class {
        let mut class = Class::Cache;
        for t in targets {
            class = class.max(match t {
                Target::Interp(_) => Class::Interp,
                Target::Jit { cache: false, .. } => Class::Jit,
                Target::Jit { cache: true, .. } | Target::Verified(_) => Class::Cache,
                // The cut program is wrong where the whole one is right: the seam (a pass
                // that assumed too much at a piece's start or end, or the splice).
                Target::Split(_) => Class::Interp,
            });
        }
        class
    }

    /// A short name for summaries.
    pub fn name(self) -> &'static str {
        match self {
            Class::Cache => "cache-only (uncached JIT right)",
            Class::Jit => "jit (uncached JIT wrong too)",
            Class::Interp => "interpreter/passes",
            Class::Hang => "hang",
            Class::Crash => "crash",
        }
    }
}

/// Checks `case` on `targets`: runs the model, and if it finishes, every target.
///
/// The JIT with the cache off often generates the very same bytes as with it on (the cache
/// had nothing to save); running those bytes again would tell nothing new, so the outcome of
/// the previous JIT run at the same level is reused then.
pub fn check(case: &Case, targets: &[Target]) -> Verdict {
    let last: Last = RefCell::new(None);
    check_with(case, targets, |program, target, input| {
        run_reusing(program, target, input, &last)
    })
}

/// The level, code and outcome of the last JIT run.
type Last = RefCell<Option<(OptLevel, Vec<u8>, Outcome)>>;

/// [`check`], with the function that runs a target given (tests pass a broken one to see
/// that it is caught).
pub fn check_with(
    case: &Case,
    targets: &[Target],
    run_target: impl Fn(&Program, Target, &[u8]) -> Outcome,
) -> Verdict {
    let (expected, without_o0) = match model::run_counted(case, FUEL) {
        (model::Run::Done(o), cost) => (o, cost.literal > FUEL),
        (model::Run::OutOfFuel | model::Run::Unbalanced, _) => return Verdict::Skipped,
    };
    let levels = if without_o0 {
        &LEVELS[1..]
    } else {
        &LEVELS[..]
    };
    let mut failures = Vec::new();
    for &level in levels {
        let mine: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|t| t.level() == level)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let program = guarded(|| Program::new(case.source.as_slice(), &case.config(level)));
        for target in mine {
            let split;
            let program = if let Target::Split(_) = target {
                split = guarded(|| split_program(case, level));
                &split
            } else {
                &program
            };
            let got = match program {
                Ok(Ok(program)) => run_target(program, target, &case.input),
                Ok(Err(e)) => other(format!("Program::new failed: {e}")),
                Err(panic) => other(format!("Program::new panicked: {panic}")),
            };
            if got != expected {
                failures.push(Failure { target, got });
            }
        }
    }
    if failures.is_empty() {
        Verdict::Pass { without_o0 }
    } else {
        Verdict::Fail { expected, failures }
    }
}

/// The case's program optimized in two pieces, cut at [`cut_of`] (in one piece without a
/// loop to cut out).
pub fn split_program(case: &Case, level: OptLevel) -> Result<Program, jitbf::Error> {
    let split = cut_of(&case.source).map_or(jitbf::opt::split::Split::Never, |(start, end)| {
        jitbf::opt::split::Split::At { start, end }
    });
    Program::with_split(case.source.as_slice(), &case.config(level), split)
}

fn other(msg: String) -> Outcome {
    Outcome {
        output: Vec::new(),
        ending: Ending::Other(msg),
    }
}

/// Runs `f`, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

/// [`run_target`], reusing the outcome of the last JIT run if it ran the same code.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn run_reusing(program: &Program, target: Target, input: &[u8], last: &Last) -> Outcome {
    let (level, options) = match target {
        Target::Interp(_) => return run_target(program, target, input),
        Target::Jit { level, cache } => (level, jitbf::jit::Options::default().cache(cache)),
        Target::Verified(level) => (level, jitbf::jit::Options::default().verify(true)),
        Target::Split(level) => (level, jitbf::jit::Options::default()),
    };
    let jit = match guarded(|| jitbf::jit::Jit::with_options(program, options)) {
        Ok(Ok(jit)) => jit,
        Ok(Err(e)) => return other(format!("compile: {e}")),
        Err(panic) => return other(format!("panic: {panic}")),
    };
    if let Some((l, code, outcome)) = &*last.borrow()
        && *l == level
        && code.as_slice() == jit.code()
    {
        return outcome.clone();
    }
    let code = jit.code().to_vec();
    let outcome = run_jit(Box::new(jit), input);
    *last.borrow_mut() = Some((level, code, outcome.clone()));
    outcome
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn run_reusing(program: &Program, target: Target, input: &[u8], _: &Last) -> Outcome {
    run_target(program, target, input)
}

/// Runs `program` on `target` with `input`.
pub fn run_target(program: &Program, target: Target, input: &[u8]) -> Outcome {
    let executor = guarded(|| match target {
        Target::Interp(_) => Ok(Box::new(program.interpreter()) as Box<dyn Executor>),
        Target::Jit { cache, .. } => jit(program, |o| o.cache(cache)),
        Target::Verified(_) => jit(program, |o| o.verify(true)),
        Target::Split(_) => jit(program, |o| o),
    });
    match (executor, target) {
        (Ok(Ok(executor)), Target::Jit { .. } | Target::Verified(_) | Target::Split(_)) => {
            run_jit(executor, input)
        }
        (Ok(executor), _) => run_executor(executor, input),
        (Err(panic), _) => other(format!("panic: {panic}")),
    }
}

thread_local! {
    /// The files of [`run_jit`], kept from one run to the next.
    static FILES: RefCell<Option<Files>> = const { RefCell::new(None) };
}

/// The JIT's input and output files, and the input the input file holds.
struct Files {
    input: File,
    output: File,
    holds: Vec<u8>,
}

impl Files {
    fn new() -> std::io::Result<Files> {
        Ok(Files {
            input: tempfile::tempfile()?,
            output: tempfile::tempfile()?,
            holds: Vec::new(),
        })
    }

    /// Makes the input file hold `input`, read from its start, and the output file write
    /// from its start.
    fn prepare(&mut self, input: &[u8]) -> std::io::Result<()> {
        // Every target of a case has the same input: written once per case.
        if self.holds != input {
            self.holds.clear();
            self.input.set_len(0)?;
            self.input.write_all_at(input, 0)?;
            self.holds.extend_from_slice(input);
        }
        self.input.rewind()?;
        self.output.rewind()
    }

    /// What the run wrote: the output file from its start to where the run left it (bytes
    /// past that are from an earlier run).
    fn written(&mut self) -> std::io::Result<Vec<u8>> {
        let len = self.output.stream_position()?;
        let mut bytes = vec![0; usize::try_from(len).map_err(std::io::Error::other)?];
        self.output.read_exact_at(&mut bytes, 0)?;
        Ok(bytes)
    }
}

/// Runs a JIT executor on `input`, through two files kept for the whole worker.
///
/// Generated code reads and writes file descriptors. Given [`Io::memory`], the JIT makes two
/// in-memory files (`memfd_create`) for every run and closes them after: creating and
/// destroying a file costs the kernel more than the rest of a short run's system calls. The
/// same two files serve every run instead: the program sees an input file with its input
/// bytes and an output file (not a terminal, so output is buffered exactly as with a
/// capture), and what it wrote is read back after.
fn run_jit(executor: Box<dyn Executor + '_>, input: &[u8]) -> Outcome {
    let files = FILES
        .with(|f| f.borrow_mut().take())
        .map_or_else(Files::new, Ok);
    let Ok(mut files) = files.and_then(|mut f| f.prepare(input).map(|()| f)) else {
        return run_executor(Ok(executor), input);
    };
    let mut io = Io {
        input: Input::File(files.input),
        output: Output::File(files.output),
        diagnostics: Diagnostics::Capture(Vec::new()),
    };
    let ending = run_io(Ok(executor), &mut io);
    let (Input::File(input), Output::File(output)) = (io.input, io.output) else {
        unreachable!("the executor does not replace its files");
    };
    (files.input, files.output) = (input, output);
    let output = match files.written() {
        Ok(output) => output,
        Err(e) => return other(format!("reading the output back: {e}")),
    };
    FILES.with(|f| *f.borrow_mut() = Some(files));
    Outcome { output, ending }
}

/// Runs an executor (or reports why there is none) on `input`.
fn run_executor(executor: Result<Box<dyn Executor + '_>, jitbf::Error>, input: &[u8]) -> Outcome {
    let mut io = Io::memory(input);
    let ending = run_io(executor, &mut io);
    Outcome {
        output: io.take_output(),
        ending,
    }
}

/// Runs an executor (or reports why there is none) with `io`; returns how it ended.
fn run_io(executor: Result<Box<dyn Executor + '_>, jitbf::Error>, io: &mut Io) -> Ending {
    let result = executor.map(|mut e| guarded(|| e.run(io)));
    match result {
        Ok(Ok(Ok(()))) => Ending::Ok,
        Ok(Ok(Err(RuntimeError::PointerOutOfRange { side, pos, .. }))) => {
            Ending::OutOfRange(side, pos)
        }
        Ok(Ok(Err(e))) => Ending::Other(format!("{e}")),
        Ok(Err(panic)) => Ending::Other(format!("panic: {panic}")),
        Err(e) => Ending::Other(format!("compile: {e}")),
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn jit(
    program: &Program,
    options: impl FnOnce(jitbf::jit::Options) -> jitbf::jit::Options,
) -> Result<Box<dyn Executor + '_>, jitbf::Error> {
    let options = options(jitbf::jit::Options::default());
    Ok(Box::new(jitbf::jit::Jit::with_options(program, options)?))
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn jit(
    _: &Program,
    _: impl FnOnce(jitbf::jit::Options) -> jitbf::jit::Options,
) -> Result<Box<dyn Executor + '_>, jitbf::Error> {
    Err(jitbf::Error::Unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jitbf::{CellBits, Eof, Side};

    fn case(src: &str, tape: usize, input: &[u8]) -> Case {
        Case {
            cells: CellBits::U8,
            eof: Eof::Zero,
            tape,
            input: input.to_vec(),
            source: src.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_split_target_cuts_nearly_every_generated_program_with_a_loop() {
        // A cut that the passes do not bring back as expected is given up (the program is
        // optimized in one piece): then the target would test nothing. Count how often.
        let (mut with_loops, mut cut) = (0, 0);
        for index in 0..300 {
            let case = crate::generate::case(7, index);
            if cut_of(&case.source).is_none() {
                continue;
            }
            for level in [OptLevel::O1, OptLevel::O2] {
                let Ok(program) = split_program(&case, level) else {
                    continue;
                };
                with_loops += 1;
                cut += usize::from(program.stats().pieces == 2);
            }
        }
        assert!(with_loops > 300, "{with_loops} programs with loops");
        assert!(cut * 100 >= with_loops * 99, "{cut} of {with_loops} cut");
    }

    #[test]
    fn every_target_has_a_name_that_parses_back() {
        let all = Target::all();
        assert_eq!(all.len(), if jitbf::JIT_AVAILABLE { 14 } else { 3 });
        for t in all {
            assert_eq!(Target::parse(&t.name()), Some(t));
        }
        assert_eq!(Target::parse("jit-O3"), None);
    }

    #[test]
    fn agreeing_programs_pass_and_endless_ones_are_skipped() {
        let all = Target::all();
        let pass = Verdict::Pass { without_o0: false };
        assert_eq!(check(&case(",[->++<]>.<<", 4, b"\x05"), &all), pass);
        assert_eq!(check(&case("+[]", 4, b""), &all), Verdict::Skipped);
    }

    #[test]
    fn clear_loops_of_billions_of_iterations_are_left_to_o1_and_o2() {
        let mut c = case("-[-]+.", 4, b"");
        c.cells = jitbf::CellBits::U32;
        let ran = std::cell::RefCell::new(Vec::new());
        let v = check_with(&c, &Target::all(), |p, t, i| {
            ran.borrow_mut().push(t);
            run_target(p, t, i)
        });
        assert_eq!(v, Verdict::Pass { without_o0: true });
        assert!(!ran.borrow().is_empty());
        assert!(ran.borrow().iter().all(|t| t.level() != OptLevel::O0));
    }

    #[test]
    fn a_target_that_differs_is_caught_and_named() {
        let c = case(",[->+<]>.<<", 4, b"\x03");
        // Every target right, except the cached JIT at -O2, which prints one byte more.
        let broken = |p: &Program, t: Target, input: &[u8]| {
            let mut o = run_target(p, t, input);
            if t.name() == "jit-O2" || (!jitbf::JIT_AVAILABLE && t.name() == "interp-O2") {
                o.output.push(0);
            }
            o
        };
        let Verdict::Fail { expected, failures } = check_with(&c, &Target::all(), broken) else {
            panic!("not caught");
        };
        assert_eq!(expected.output, b"\x03");
        assert_eq!(expected.ending, Ending::OutOfRange(Side::Left, 10));
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].got.output, b"\x03\x00");
    }

    #[test]
    fn jit_runs_one_after_another_each_see_their_own_input_and_output() {
        // The JIT's files are kept from one run to the next: a shorter input after a
        // longer one, and an output after a longer one, must not see what was left.
        if !jitbf::JIT_AVAILABLE {
            return;
        }
        let target = Target::Jit {
            level: OptLevel::O1,
            cache: true,
        };
        let echo = |input: &[u8]| {
            let c = case(",[.,]", 4, input);
            let program = Program::new(c.source.as_slice(), &c.config(OptLevel::O1)).unwrap();
            run_target(&program, target, input)
        };
        for input in [&b"abcdef"[..], b"xy", b"", b"\x80\xffz", b"q"] {
            let got = echo(input);
            assert_eq!(got.output, input, "input {input:?}");
            assert_eq!(got.ending, Ending::Ok);
        }
    }

    #[test]
    fn classes_follow_the_failing_targets() {
        let jit = |cache| Target::Jit {
            level: OptLevel::O2,
            cache,
        };
        assert_eq!(Class::of_targets([jit(true)]), Class::Cache);
        assert_eq!(
            Class::of_targets([Target::Verified(OptLevel::O2)]),
            Class::Cache
        );
        assert_eq!(
            Class::of_targets([Target::Verified(OptLevel::O2), jit(false)]),
            Class::Jit
        );
        assert_eq!(Class::of_targets([jit(true), jit(false)]), Class::Jit);
        assert_eq!(
            Class::of_targets([jit(true), Target::Interp(OptLevel::O1)]),
            Class::Interp
        );
    }
}
