//! `jitbf build`: executables behave exactly like `jitbf` itself.
//!
//! * Differential: every program in `programs/` and the shared corpus, built with several
//!   configurations (optimization levels, cell widths, EOF modes, small tapes that make
//!   programs run off the end), gives the same stdout, stderr (error messages with the
//!   source line and caret) and exit status as `jitbf PROG` with the same options.
//! * I/O: a reader that goes away (EPIPE), a full disk, an unreadable stdin, closed
//!   descriptors, prompts flushed before reading.
//!
//! The file itself (ELF properties, debugging information, `--emit obj`, bad input) is
//! tested in `tests/build_file.rs`.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod build_support;
mod corpus;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;

use build_support::*;
use corpus::corpus_dir;

/// Builds `source` (a path relative to `dir`) with `options`, runs the executable and
/// `jitbf` on the same input, and describes any difference. With `expected`, the
/// executable's output is compared with that file instead, and it must succeed silently
/// (what `jitbf` does there is checked by the golden tests).
fn differs(
    dir: &Path,
    source: &str,
    input: Option<&Path>,
    options: &[&str],
    expected: Option<&Path>,
    moved_off: &mut usize,
) -> Option<String> {
    let exe = dir.join("prog.exe");
    let _ = fs::remove_file(&exe);
    build(dir, &[&[source, "-o", "prog.exe"], options].concat());
    let want = match expected {
        Some(path) => Outcome {
            code: Some(0),
            stdout: fs::read(path).unwrap(),
            stderr: String::new(),
        },
        None => run(jitbf(dir, &[options, &[source]].concat()), stdin_of(input)),
    };
    let mut cmd = Command::new(&exe);
    cmd.current_dir(dir);
    let got = run(cmd, stdin_of(input));
    *moved_off += usize::from(want.stderr.contains("this move left the tape"));
    (got != want).then(|| {
        format!(
            "{source} {options:?}: executable exit {:?}, stderr {:?}, {} bytes out; \
             expected exit {:?}, stderr {:?}, {} bytes out{}",
            got.code,
            got.stderr,
            got.stdout.len(),
            want.code,
            want.stderr,
            want.stdout.len(),
            if got.stdout == want.stdout {
                ""
            } else {
                " (stdout differs)"
            }
        )
    })
}

/// The programs (`.ext` files) of `dir` with their inputs.
fn programs(dir: &Path, ext: &str) -> Vec<(String, Option<PathBuf>)> {
    let mut found: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == ext).then(|| {
                let input = path.with_extension("in");
                (path, input.exists().then_some(input))
            })
        })
        .map(|(p, i)| (p.file_name().unwrap().to_string_lossy().into_owned(), i))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no programs in {}", dir.display());
    found
}

/// Runs the differential on `names` (all of `dir`'s programs if empty) under each of
/// `configs`; fails listing every difference. `golden`: compare with `NAME.out` instead
/// of running `jitbf`. Returns how many runs ended with a move off the tape.
fn differential(dir: &Path, ext: &str, names: &[&str], configs: &[&[&str]], golden: bool) -> usize {
    let work = tempfile::tempdir().unwrap();
    for (name, _) in programs(dir, ext) {
        fs::copy(dir.join(&name), work.path().join(&name)).unwrap();
    }
    let mut problems = Vec::new();
    let mut runs = 0;
    let mut moved_off = 0;
    for (name, input) in programs(dir, ext) {
        let stem = name.trim_end_matches(&format!(".{ext}"));
        if !names.is_empty() && !names.contains(&stem) {
            continue;
        }
        for &options in configs {
            runs += 1;
            let expected = dir.join(format!("{stem}.out"));
            let expected = golden.then_some(expected.as_path());
            problems.extend(differs(
                work.path(),
                &name,
                input.as_deref(),
                options,
                expected,
                &mut moved_off,
            ));
        }
    }
    assert!(runs > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    moved_off
}

/// Configurations that every program of `programs/` finishes under.
const CONFIGS: &[&[&str]] = &[
    &["-O0"],
    &["-O1"],
    &["-O2"],
    &["--cell-bits", "16", "--eof", "zero"],
    &["--cell-bits", "32", "-O1"],
    // Small tapes: many programs run off the right end, and each reports where.
    &["--tape-size", "100"],
    &["--tape-size", "37", "-O0"],
    &["--tape-size", "1000", "--cell-bits", "16", "-O1"],
];

#[test]
fn programs_behave_as_under_jitbf() {
    let moved_off = differential(&programs_dir(), "bf", &[], CONFIGS, false);
    assert!(moved_off >= 10, "only {moved_off} runs left the tape");
    differential(
        &programs_dir(),
        "bf",
        &["eofmode", "cellsize"],
        &[&["--eof", "max"], &["--eof", "max", "--cell-bits", "32"]],
        false,
    );
}

#[test]
fn corpus_gives_its_output_at_o2() {
    if let Some(dir) = corpus_dir("corpus tests of `jitbf build`") {
        differential(&dir, "b", &[], &[&["-O2"]], true);
    }
}

#[test]
fn corpus_behaves_as_under_jitbf_on_small_tapes() {
    if let Some(dir) = corpus_dir("corpus tests of `jitbf build`") {
        let moved_off = differential(
            &dir,
            "b",
            &[],
            &[
                // Sizes at which most programs stop soon, each naming a different move.
                &["--tape-size", "20", "-O0"],
                &["--tape-size", "50", "--cell-bits", "32"],
                &["--tape-size", "9", "-O2"],
            ],
            false,
        );
        assert!(moved_off >= 20, "only {moved_off} runs left the tape");
    }
}

#[test]
fn corpus_behaves_as_under_jitbf_at_o0_and_o1() {
    // The long-running programs only with JITBF_SLOW_TESTS.
    let quick: &[&str] = if std::env::var_os("JITBF_SLOW_TESTS").is_some() {
        &[]
    } else {
        &[
            "golden",
            "lostkng",
            "numwarp",
            "sierpinski",
            "squares",
            "bench",
        ]
    };
    if let Some(dir) = corpus_dir("corpus tests of `jitbf build`") {
        differential(
            &dir,
            "b",
            quick,
            &[&["-O0"], &["-O1", "--cell-bits", "16"]],
            false,
        );
    }
}

/// Runs `exe` and `jitbf prog.bf` in `dir` with the same stdin and stdout files.
fn both(dir: &Path, stdin: impl Fn() -> Stdio, stdout: impl Fn() -> Stdio) -> [Outcome; 2] {
    build(dir, &["prog.bf", "-o", "prog"]);
    let mut exe = Command::new(dir.join("prog"));
    exe.stdout(stdout());
    let mut jit = jitbf(dir, &["prog.bf"]);
    jit.stdout(stdout());
    [exe, jit].map(|mut cmd| {
        let mut child = cmd
            .current_dir(dir)
            .stdin(stdin())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = read_all(child.stderr.take().unwrap());
        let code = wait(&mut child, "run");
        Outcome {
            code,
            stdout: Vec::new(),
            stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        }
    })
}

#[test]
fn io_errors_read_as_under_jitbf() {
    // A full disk: the final flush fails, and so does a flush in the middle of the run.
    let full = || {
        Stdio::from(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
    };
    for source in ["+++.", "+[.]"] {
        let dir = with_source(source);
        let [exe, jit] = both(dir.path(), Stdio::null, full);
        assert_eq!(exe, jit, "{source}");
        assert_eq!(exe.code, Some(1));
        assert!(exe.stderr.contains("No space left on device (os error 28)"));
    }
    // A directory as stdin.
    let dir = with_source(",.");
    let [exe, jit] = both(
        dir.path(),
        || Stdio::from(fs::File::open("/").unwrap()),
        Stdio::piped,
    );
    assert_eq!(exe, jit);
    assert_eq!(
        exe.stderr,
        "error: cannot read input: Is a directory (os error 21)\n"
    );
}

#[test]
fn closed_stdin_and_stdout_are_dev_null_as_under_jitbf() {
    // jitbf opens /dev/null on closed standard descriptors (`cli::process`); so do executables.
    let dir = with_source(",+.");
    build(dir.path(), &["prog.bf", "-o", "prog"]);
    let jit = format!("{BIN} prog.bf");
    for redirect in ["<&-", ">&-", "<&- >&-"] {
        let [exe, jit] = ["./prog", jit.as_str()].map(|cmd| {
            let mut sh = Command::new("sh");
            sh.current_dir(dir.path())
                .args(["-c", &format!("{cmd} {redirect}")]);
            run(sh, Stdio::null())
        });
        assert_eq!(exe, jit, "{redirect}");
        assert_eq!((exe.code, exe.stderr.as_str()), (Some(0), ""), "{redirect}");
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_run_with_epipe() {
    let dir = with_source("+[.]");
    build(dir.path(), &["prog.bf", "-o", "prog"]);
    let mut child = Command::new(dir.path().join("prog"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = read_all(child.stderr.take().unwrap());
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    out.read_exact(&mut first).unwrap();
    assert_eq!(first, [1; 16]);
    drop(out);
    assert_eq!(wait(&mut child, "prog"), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&stderr.join().unwrap()),
        "error: cannot write output: Broken pipe (os error 32)\n"
    );
}

#[test]
fn prompts_appear_before_the_executable_reads() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(programs_dir().join("greet.bf"), dir.path().join("greet.bf")).unwrap();
    build(dir.path(), &["greet.bf"]);
    let mut child = Command::new(dir.path().join("greet"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut prompt = [0u8; 19];
        let _ = tx.send(stdout.read_exact(&mut prompt).map(|()| (prompt, stdout)));
    });
    let (prompt, mut stdout) = rx
        .recv_timeout(TIMEOUT)
        .expect("the prompt comes before any input")
        .unwrap();
    assert_eq!(&prompt, b"What is your name? ");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"Ada\n").unwrap();
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "Hello, Ada!\n");
    assert_eq!(wait(&mut child, "greet"), Some(0));
}
