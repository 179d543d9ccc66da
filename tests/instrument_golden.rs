//! Golden tests of what `--debug`, `--trace` and `--profile` write to standard error, through
//! the `jitbf` binary, with the JIT and the interpreter alike.
//!
//! The expected text is in `tests/golden/`:
//!
//! * `NAME.debug`: `jitbf --debug programs/NAME.bf` — the `#` dumps, which are the same at
//!   every level and in both executors (checked at -O0, -O1, -O2 and `--interp` -O0, -O2);
//! * `offtape.debug`: a program that leaves the tape, at -O0 in both executors (the tape
//!   shown with the error is exact there);
//! * `NAME.trace` / `NAME.O2.trace`: `jitbf --trace` (the interpreter) at -O0 and -O2, cut
//!   short by `--trace-limit`;
//! * `NAME.O0.profile` / `NAME.O2.profile`: `jitbf --profile` at that level, the JIT and
//!   `--interp` giving the same text.
//!
//! `JITBF_BLESS=1 cargo test --test instrument_golden` rewrites the files from the
//! interpreter's output (review the diff).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Runs jitbf with `args` on `program` (its `.in` as stdin if there is one); returns
/// (exit status, stdout, stderr).
fn jitbf(args: &[&str], program: &Path) -> (i32, Vec<u8>, String) {
    let input = program.with_extension("in");
    let stdin = match std::fs::File::open(&input) {
        Ok(f) => Stdio::from(f),
        Err(_) => Stdio::null(),
    };
    // From the crate's root, with a relative path, so that messages name the file portably.
    let out = Command::new(BIN)
        .current_dir(root())
        .args(args)
        .arg(program.strip_prefix(root()).unwrap_or(program))
        .stdin(stdin)
        .output()
        .expect("run jitbf");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Compares the stderr of each of `runs` with `tests/golden/{golden}`, blessing from the
/// first run when asked.
fn check(golden: &str, program: &Path, runs: &[&[&str]], status: i32) {
    let path = root().join("tests/golden").join(golden);
    let bless = std::env::var_os("JITBF_BLESS").is_some();
    for (k, args) in runs.iter().enumerate() {
        let (code, _, stderr) = jitbf(args, program);
        assert_eq!(
            code,
            status,
            "jitbf {} {}: {stderr}",
            args.join(" "),
            program.display()
        );
        if bless && k == 0 {
            std::fs::write(&path, &stderr).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (JITBF_BLESS=1 writes it)", path.display()));
        assert_eq!(
            stderr,
            expected,
            "jitbf {} {} differs from {}",
            args.join(" "),
            program.display(),
            path.display()
        );
    }
}

fn program(name: &str) -> PathBuf {
    root().join("programs").join(format!("{name}.bf"))
}

#[test]
fn tape_dumps_are_the_same_everywhere() {
    check(
        "tapedump.debug",
        &program("tapedump"),
        &[
            &["--interp", "-#"],
            &["--interp", "-O2", "--debug"],
            &["-O0", "-#"],
            &["-O1", "-#"],
            &["-#"],
        ],
        0,
    );
}

#[test]
fn the_tape_is_shown_with_an_error_under_debug() {
    check(
        "offtape.debug",
        &root().join("tests/golden/offtape.bf"),
        &[&["--interp", "-#"], &["-O0", "-#"]],
        1,
    );
}

#[test]
fn traces_list_every_step() {
    check(
        "tapedump.trace",
        &program("tapedump"),
        &[
            &["--trace", "--trace-limit", "60"],
            &["--interp", "--trace", "--trace-limit=60"],
        ],
        0,
    );
    check(
        "rot13.O2.trace",
        &program("rot13"),
        &[&["--trace", "-O2", "--trace-limit", "80"]],
        0,
    );
}

#[test]
fn profiles_count_the_same_in_both_executors() {
    for name in ["primes", "nested", "rot13"] {
        for level in ["0", "2"] {
            let opt = format!("-O{level}");
            check(
                &format!("{name}.O{level}.profile"),
                &program(name),
                &[&["--interp", &opt, "--profile"], &[&opt, "--profile"]],
                0,
            );
        }
    }
}

#[test]
fn a_trace_file_gets_the_trace_and_stderr_stays_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.txt");
    let arg = format!("--trace-file={}", file.display());
    let (code, stdout, stderr) = jitbf(&[&arg, "-#"], &program("tapedump"));
    assert_eq!(
        (code, stdout.as_slice(), stderr.as_str()),
        (0, &b"Hi\n"[..], "")
    );
    let trace = std::fs::read_to_string(&file).unwrap();
    // Dumps go with the trace, in order: the first dump after the step that moved there.
    let first_dump = trace.find("#debug 18:24").unwrap();
    assert!(trace[..first_dump].contains("p += 1"), "{trace}");
    assert!(trace.lines().count() > 100);
}
