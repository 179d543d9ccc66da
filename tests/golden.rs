//! Golden-output tests: whole Brainfuck programs run through the `jitbf` binary, with stdout
//! compared byte for byte against recorded output and exit status 0 required.
//!
//! * `programs/NAME.bf` with `NAME.out` (and `NAME.in` as stdin when present, else empty
//!   stdin), at `-O0`, `-O1`, `-O2` with the JIT and at `-O0`, `-O2` with `--interp`.
//!   `NAME.VARIANT.out` is the output with an option: `zero`/`max`/`unchanged` for `--eof`,
//!   `8`/`16`/`32` for `--cell-bits`. Programs are found by listing the directory; a `.bf`
//!   without `.out`, or an `.in`/`.out` that belongs to no program, fails the tests.
//! * The shared benchmark corpus (`$JITBF_CORPUS`, else `../shared/corpus`; `NAME.b`,
//!   `NAME.out`, optional `NAME.in`) with the JIT at `-O0`, `-O1`, `-O2` and with `--interp`
//!   at `-O2`. The programs that are slow in the interpreter are run with `--interp` only when
//!   `JITBF_SLOW_TESTS` is set. Without the corpus directory these tests pass, saying so on
//!   stderr; under CI (`CI` or `JITBF_REQUIRE_CORPUS` set) they fail.
//!
//! Each test covers one executor and level and runs every program, then reports all failures
//! together.

mod corpus;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use corpus::corpus_dir;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Per-run time limits: generous, so only a hang (or something pathologically slow) trips them.
const JIT_TIMEOUT: Duration = Duration::from_secs(120);
const INTERP_TIMEOUT: Duration = Duration::from_secs(300);

/// Corpus programs that take many seconds in the interpreter.
const SLOW_IN_INTERPRETER: &[&str] = &[
    "mandelbrot",
    "dbfi",
    "awib",
    "factor",
    "long",
    "hanoi",
    "bench",
];

/// One program run: source, stdin, extra options and the expected stdout.
struct Case {
    /// How failures name it, e.g. `eofmode.zero`.
    name: String,
    source: PathBuf,
    input: Option<PathBuf>,
    options: Vec<String>,
    expected: PathBuf,
}

/// The options a `NAME.VARIANT.out` file stands for.
fn variant_options(variant: &str) -> Option<Vec<String>> {
    let (option, value) = match variant {
        "unchanged" | "zero" | "max" => ("--eof", variant),
        "8" | "16" | "32" => ("--cell-bits", variant),
        _ => return None,
    };
    Some(vec![option.to_string(), value.to_string()])
}

/// Lists `dir` as programs with extension `ext` and their expected outputs (and inputs).
/// Panics, naming every problem, if a program has no `.out` or a file belongs to no program.
fn discover(dir: &Path, ext: &str, variants: bool) -> Vec<Case> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .collect();
    files.sort();
    let programs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.strip_suffix(&format!(".{ext}")))
        .collect();
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for &name in &programs {
        let input = dir.join(format!("{name}.in"));
        let input = input.exists().then_some(input);
        if !files.contains(&format!("{name}.out")) {
            problems.push(format!("{name}.{ext} has no {name}.out"));
        }
        for file in &files {
            let Some(stem) = file.strip_suffix(".out") else {
                continue;
            };
            let options = if stem == name {
                vec![]
            } else if let Some(variant) = stem.strip_prefix(&format!("{name}.")) {
                match variant_options(variant).filter(|_| variants) {
                    Some(options) => options,
                    None => continue, // reported below as belonging to no program
                }
            } else {
                continue;
            };
            cases.push(Case {
                name: stem.to_string(),
                source: dir.join(format!("{name}.{ext}")),
                input: input.clone(),
                options,
                expected: dir.join(file),
            });
        }
    }
    for file in &files {
        let owned = match file.rsplit_once('.') {
            Some((stem, "out")) => cases.iter().any(|c| c.name == stem),
            Some((stem, "in")) => programs.contains(&stem),
            _ => true,
        };
        if !owned {
            problems.push(format!(
                "{file} belongs to no program (or is an unknown variant)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}:\n  {}",
        dir.display(),
        problems.join("\n  ")
    );
    assert!(!cases.is_empty(), "no programs in {}", dir.display());
    cases
}

/// Reads all of `r` on a thread.
fn read_all(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Runs `case` with `args`; `Err` describes what went wrong.
fn check(case: &Case, args: &[&str], timeout: Duration) -> Result<(), String> {
    let expected = fs::read(&case.expected)
        .map_err(|e| format!("cannot read {}: {e}", case.expected.display()))?;
    let stdin = match &case.input {
        Some(path) => Stdio::from(
            fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    let mut child = Command::new(BIN)
        .args(args)
        .args(&case.options)
        .arg(&case.source)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start jitbf: {e}"))?;
    let stdout = read_all(child.stdout.take().expect("stdout"));
    let stderr = read_all(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {timeout:?} (killed)"));
            }
            Err(e) => return Err(format!("wait failed: {e}")),
        }
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned();
    let mut complaints = Vec::new();
    if status.code() != Some(0) {
        complaints.push(format!("exit status {status}"));
    }
    if stdout != expected {
        let at = stdout
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(stdout.len().min(expected.len()));
        complaints.push(format!(
            "stdout differs at byte {at} (got {} bytes, expected {}): got {:?}, expected {:?}",
            stdout.len(),
            expected.len(),
            String::from_utf8_lossy(&stdout[at..stdout.len().min(at + 40)]),
            String::from_utf8_lossy(&expected[at..expected.len().min(at + 40)]),
        ));
    }
    if !stderr.is_empty() {
        complaints.push(format!("stderr: {}", stderr.trim_end()));
    }
    if complaints.is_empty() {
        Ok(())
    } else {
        Err(complaints.join("; "))
    }
}

/// Runs every case with `args` and panics listing all failures.
fn check_all(cases: &[Case], args: &[&str], timeout: Duration) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case, args, timeout).err().map(|why| {
                format!(
                    "{} (jitbf {} {}{}): {why}",
                    case.name,
                    args.join(" "),
                    case.options
                        .iter()
                        .map(|o| format!("{o} "))
                        .collect::<String>(),
                    case.source.display()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} runs failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// The bundled programs.
fn programs() -> Vec<Case> {
    discover(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("programs"),
        "bf",
        true,
    )
}

/// The shared corpus's programs, or `None` when it is not there ([`corpus_dir`]).
fn corpus() -> Option<Vec<Case>> {
    let dir = corpus_dir("corpus tests")?;
    Some(discover(&dir, "b", false))
}

// ---------------------------------------------------------------------------------------------
// Bundled programs
// ---------------------------------------------------------------------------------------------

#[test]
fn programs_jit_o0() {
    check_all(&programs(), &["-O0"], JIT_TIMEOUT);
}

#[test]
fn programs_jit_o1() {
    check_all(&programs(), &["-O1"], JIT_TIMEOUT);
}

#[test]
fn programs_jit_o2() {
    check_all(&programs(), &["-O2"], JIT_TIMEOUT);
}

#[test]
fn programs_interp_o0() {
    check_all(&programs(), &["--interp", "-O0"], INTERP_TIMEOUT);
}

#[test]
fn programs_interp_o2() {
    check_all(&programs(), &["--interp", "-O2"], INTERP_TIMEOUT);
}

#[test]
fn programs_cover_the_variants() {
    // The variant outputs are part of the suite (a renamed file would silently drop them).
    let names: Vec<String> = programs().into_iter().map(|c| c.name).collect();
    for name in [
        "eofmode",
        "eofmode.zero",
        "eofmode.max",
        "cellsize",
        "cellsize.16",
        "cellsize.32",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} not found in {names:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Shared corpus
// ---------------------------------------------------------------------------------------------

#[test]
fn corpus_jit_o0() {
    if let Some(cases) = corpus() {
        check_all(&cases, &["-O0"], JIT_TIMEOUT);
    }
}

#[test]
fn corpus_jit_o1() {
    if let Some(cases) = corpus() {
        check_all(&cases, &["-O1"], JIT_TIMEOUT);
    }
}

#[test]
fn corpus_jit_o2() {
    if let Some(cases) = corpus() {
        check_all(&cases, &["-O2"], JIT_TIMEOUT);
    }
}

#[test]
fn corpus_interp_o2() {
    let Some(mut cases) = corpus() else {
        return;
    };
    if std::env::var_os("JITBF_SLOW_TESTS").is_none() {
        let (slow, fast): (Vec<Case>, Vec<Case>) = cases
            .into_iter()
            .partition(|c| SLOW_IN_INTERPRETER.contains(&c.name.as_str()));
        if !slow.is_empty() {
            let names: Vec<&str> = slow.iter().map(|c| c.name.as_str()).collect();
            eprintln!(
                "note: --interp skipped for {} (slow in the interpreter; set JITBF_SLOW_TESTS=1 \
                 to run them)",
                names.join(", ")
            );
        }
        cases = fast;
    }
    check_all(&cases, &["--interp", "-O2"], INTERP_TIMEOUT);
}
