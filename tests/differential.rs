//! Differential testing: the JIT and the interpreter, at every optimization level, must give
//! the same output and the same result (success, or the same error at the same source
//! position) as the interpreter at `-O0`, the reference semantics.
//!
//! Programs are generated at random: arbitrary mixes of the eight commands plus the shapes the
//! optimizer looks for (clear loops, multiply loops, scans, ladders), on small tapes so that running off
//! either end is common, with random input, EOF mode and cell size. A generated program may
//! loop forever, so each one is first run by a tiny step-limited interpreter written here, and
//! only programs that stop within the limit are compared.
//!
//! Programs contain `#`, and half of the runs are with `--debug` ([`Config::debug`]): the `#`
//! tape dumps must be the same text at every level and in both executors, and the tape
//! shown with an error the same in both executors at each level (levels may differ in where
//! the pointer last was). Half are with `--profile`: the JIT and the interpreter
//! must count the same at every level, and a loop that is still a loop at `-O1`/`-O2` must
//! have its `-O0` counts.
//!
//! The same programs are also built as standalone executables (`jitbf build`, at every
//! level) and run as processes: their stdout, their exit status and their stderr (the
//! error message `jitbf` would render for the reference's error) must agree too.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use jitbf::profile::{Counts, Kind, Report};
use jitbf::{CellBits, Config, Eof, Executor, Io, OptLevel, Program, RuntimeError, Side};
use proptest::prelude::*;

mod model_support;
use model_support::terminates;

/// What a run produced, in a form that can be compared.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    output: Vec<u8>,
    result: Result<(), (Side, u32)>,
    /// The `#` dumps (`--debug`).
    dumps: String,
    /// The tape shown with an error (`--debug`).
    window: String,
    /// Loop counts (`--profile`).
    counts: Option<Counts>,
}

impl Outcome {
    /// What must be the same at every level: output, result and dumps.
    fn observable(&self) -> (&[u8], &Result<(), (Side, u32)>, &str) {
        (&self.output, &self.result, &self.dumps)
    }
}

fn outcome(io: &mut Io, r: Result<(), RuntimeError>, counts: Option<&Counts>) -> Outcome {
    let diagnostics = String::from_utf8(io.diagnostics.captured().to_vec()).unwrap();
    let (dumps, window) = match diagnostics.find("#debug at the error") {
        Some(at) => (diagnostics[..at].to_string(), diagnostics[at..].to_string()),
        None => (diagnostics, String::new()),
    };
    Outcome {
        output: io.take_output(),
        result: r.map_err(|e| match e {
            RuntimeError::PointerOutOfRange { side, pos, .. } => (side, pos),
            other => panic!("unexpected error: {other}"),
        }),
        dumps,
        window,
        counts: counts.cloned(),
    }
}

fn run_interp(program: &Program, input: &[u8]) -> Outcome {
    let mut io = Io::memory(input);
    let mut interp = program.interpreter();
    let r = interp.run(&mut io);
    outcome(&mut io, r, interp.profile())
}

/// Runs the JIT on another thread so that a JIT bug that loops forever fails the test
/// instead of hanging it.
#[cfg(jitbf_jit)]
fn run_jit(program: &Program, input: &[u8]) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let (program, input) = (program.clone(), input.to_vec());
    thread::spawn(move || {
        let mut jit = program.compile().expect("compiles");
        let mut io = Io::memory(input);
        let r = jit.run(&mut io);
        let _ = tx.send(outcome(&mut io, r, jit.profile()));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the JIT finishes a program that the reference finishes")
}

/// Source fragments the generator strings together.
fn fragment() -> impl Strategy<Value = String> {
    let n = 1usize..5;
    prop_oneof![
        4 => (prop_oneof![Just('+'), Just('-'), Just('>'), Just('<')], n.clone())
            .prop_map(|(c, n)| c.to_string().repeat(n)),
        1 => Just(".".to_string()),
        1 => Just(",".to_string()),
        1 => Just("[".to_string()),
        1 => Just("]".to_string()),
        1 => Just("[-]".to_string()),
        1 => (n.clone(), n.clone(), 1usize..4).prop_map(|(a, b, k)| {
            // A multiply loop, with the counter on either side.
            format!("[-{}{}{}]", ">".repeat(a), "+".repeat(k), "<".repeat(a))
                + &format!("{}[-{}+{}]", ">".repeat(b), "<".repeat(b), ">".repeat(b))
        }),
        1 => (prop_oneof![Just('>'), Just('<')], n.clone()).prop_map(|(c, n)| format!("[{}]", c.to_string().repeat(n))),
        1 => (2usize..8, n.clone(), 1usize..4, 0usize..3).prop_map(|(levels, a, k, inner)| {
            // A ladder (the `ladder` pass): nested loops each taking 1 from the cell and
            // adding to another, closed at once; inside, nothing, a move or output.
            let level = format!("[-{}{}{}", ">".repeat(a), "+".repeat(k), "<".repeat(a));
            let inner = ["", "[-]", ">.<"][inner];
            level.repeat(levels) + inner + &"]".repeat(levels)
        }),
        1 => Just(" x\n".to_string()),
        1 => Just("#".to_string()),
    ]
}

/// A random program: fragments, with brackets balanced by dropping unmatched `]` and
/// closing unclosed `[` at the end. Half of them start by reading input into a few cells, so
/// that the optimizer cannot work out everything at compile time and the generated code
/// really runs.
fn program() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![Just(String::new()), Just(",>,>,<<".to_string())];
    (prefix, prop::collection::vec(fragment(), 0..40)).prop_map(|(prefix, parts)| {
        let mut out = prefix;
        let mut depth = 0usize;
        for c in parts.concat().chars() {
            match c {
                '[' => depth += 1,
                ']' if depth == 0 => continue,
                ']' => depth -= 1,
                _ => {}
            }
            out.push(c);
        }
        out.extend(std::iter::repeat_n(']', depth));
        out
    })
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![Just(CellBits::U8), Just(CellBits::U16), Just(CellBits::U32)],
        prop_oneof![Just(Eof::Unchanged), Just(Eof::Zero), Just(Eof::Max)],
        // Small tapes make running off the right end common. A whole number of pages
        // (1024 cells of 4 bytes, 4096 of 1) is checked by guard pages alone; other sizes
        // also need explicit checks at the right end.
        prop_oneof![
            1usize..64,
            Just(1024),
            Just(4096),
            Just(jitbf::DEFAULT_TAPE_CELLS)
        ],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(cell_bits, eof, tape_cells, debug, profile)| Config {
            cell_bits,
            eof,
            tape_cells,
            opt_level: OptLevel::O0,
            debug,
            profile,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_executor_and_level_agrees(
        src in program(),
        config in config(),
        input in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        prop_assume!(terminates(src.as_bytes(), &config, &input, 200_000).is_some());
        let reference = run_interp(&Program::new(src.as_bytes(), &config).unwrap(), &input);
        if !config.debug {
            prop_assert!(reference.dumps.is_empty());
        }
        let o0 = Program::new(src.as_bytes(), &config).unwrap();
        for opt_level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
            let program = Program::new(src.as_bytes(), &Config { opt_level, ..config }).unwrap();
            let interp = run_interp(&program, &input);
            prop_assert_eq!(interp.observable(), reference.observable(), "interpreter {:?}", opt_level);
            if opt_level == OptLevel::O0 {
                prop_assert_eq!(&interp, &reference);
            } else if config.profile && reference.result.is_ok() {
                // Loops that are still loops have their -O0 counts.
                let here = Report::new(program.ir(), src.as_bytes(), interp.counts.as_ref().unwrap());
                let there = Report::new(o0.ir(), src.as_bytes(), reference.counts.as_ref().unwrap());
                for hot in here.loops.iter().filter(|h| h.kind != Kind::If) {
                    let before = there.loops.iter().find(|h| h.start == hot.start).unwrap();
                    prop_assert_eq!(
                        (hot.entries, hot.iterations),
                        (before.entries, before.iterations),
                        "loop at {} at {:?}", hot.at, opt_level
                    );
                }
            }
            #[cfg(jitbf_jit)]
            {
                let jit = run_jit(&program, &input);
                prop_assert_eq!(jit.observable(), reference.observable(), "JIT {:?}", opt_level);
                prop_assert_eq!(&jit.counts, &interp.counts, "JIT counts {:?}", opt_level);
                prop_assert_eq!(&jit.window, &interp.window, "JIT error window {:?}", opt_level);
            }
        }
    }
}

/// Builds `program` as an executable (in `dir`, as `name`) and runs it on `input`: the
/// same [`Outcome`], read back from its stdout, its stderr (the rendered message, which
/// must be exactly what `jitbf` would print for the reference's error) and exit status.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn run_executable(
    program: &Program,
    input: &[u8],
    dir: &std::path::Path,
    name: &str,
    reference: &Outcome,
) -> Result<Outcome, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let options = jitbf::exe::Options {
        name: "prog.bf".to_string(),
        source_path: "prog.bf".to_string(),
        comp_dir: String::new(),
        debug_info: false,
        strip: false,
    };
    let bytes = jitbf::exe::build(program, &options).map_err(|e| e.to_string())?;
    let path = dir.join(name);
    jitbf::exe::write_executable(&path, &bytes).map_err(|e| e.to_string())?;
    let mut child = Command::new(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // The input is tiny: it fits in the pipe, so writing cannot block.
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(20))
        .map_err(|_| "the executable did not finish".to_string())?
        .map_err(|e| e.to_string())?;
    let source = program.source();
    let expected_stderr = match reference.result {
        Ok(()) => String::new(),
        Err((side, pos)) => jitbf::render(
            &jitbf::Error::Runtime(RuntimeError::PointerOutOfRange {
                side,
                pos,
                at: jitbf::source::line_col(source, pos),
            }),
            source,
            "prog.bf",
        ),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    if stderr != expected_stderr || code != Some(i32::from(reference.result.is_err())) {
        return Err(format!(
            "exit {code:?}, stderr {stderr:?}; expected {expected_stderr:?}"
        ));
    }
    Ok(Outcome {
        output: out.stdout,
        result: reference.result,
        dumps: String::new(),
        window: String::new(),
        counts: None,
    })
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
proptest! {
    // Each case builds and starts three executables (one per level), so fewer cases than
    // above keep the test as fast; they share one directory.
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn built_executables_agree(
        src in program(),
        config in config(),
        input in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        prop_assume!(terminates(src.as_bytes(), &config, &input, 200_000).is_some());
        // Executables have no `#` dumps and no counters.
        let config = config.debug(false).profile(false);
        let reference = run_interp(&Program::new(src.as_bytes(), &config).unwrap(), &input);
        let dir = tempfile::tempdir().unwrap();
        for (i, opt_level) in [OptLevel::O0, OptLevel::O1, OptLevel::O2].into_iter().enumerate() {
            let program = Program::new(src.as_bytes(), &Config { opt_level, ..config }).unwrap();
            let got = run_executable(&program, &input, dir.path(), &format!("prog{i}"), &reference);
            let got = got.map(|o| (o.output, o.result));
            prop_assert_eq!(
                got,
                Ok((reference.output.clone(), reference.result)),
                "executable at {:?}",
                opt_level
            );
        }
    }
}
