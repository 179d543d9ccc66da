//! End-to-end tests of the `jitbf` command line.
//!
//! Every test runs the real binary (JIT and `--interp`, at the optimization levels that
//! matter) and checks exact stdout bytes, the exit status and stderr: options and usage
//! errors, bracket errors with their source excerpt (columns in characters, CRLF, long lines),
//! pointer-off-the-tape errors at both ends and inside loops, output flushed before an error,
//! a stdout whose reader goes away, prompts flushed before `,` waits, EOF modes, cell widths,
//! binary input, sources with arbitrary bytes, a million nested loops and a very large
//! source. Every child process runs under a timeout so a hang fails instead of blocking CI.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Longest any single run may take before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The executors and optimization levels that must all behave the same.
const EXECUTORS: [&[&str]; 6] = [
    &["-O0"],
    &["-O1"],
    &["-O2"],
    &["--interp", "-O0"],
    &["--interp", "-O1"],
    &["--interp", "-O2"],
];

/// The JIT and the interpreter at the default optimization level.
const JIT_AND_INTERP: [&[&str]; 2] = [&[], &["--interp"]];

/// Prints "Hello World!\n".
const HELLO: &str = "++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]>>.>---.+++++++..+++.>>.<-.<.\
                     +++.------.--------.>>+.>++.";

/// Appended to code that leaves the pointer on a cell V (the next three cells zero): prints
/// `1` if V is zero and `0` if it is not. V is cleared with `[-]`, so it must be small.
const ZERO_TEST: &str = ">+<[>-<[-]]>>++++++[<++++++++>-]<.";

/// Puts 256 in cell 1 and leaves the pointer there.
const SET_256: &str = "++++++++++++++++[>++++++++++++++++<-]>";

/// Puts 65536 in cell 3 and leaves the pointer there.
const SET_65536: &str = "++++++++++++++++[>++++++++++++++++[>++++++++++++++++\
                         [>++++++++++++++++<-]<-]<-]>>>";

/// What a finished run produced.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    what: String,
}

impl Run {
    /// Asserts a clean exit with exactly `stdout` and nothing on stderr.
    #[track_caller]
    fn ok(&self, stdout: impl AsRef<[u8]>) {
        assert_eq!(
            self.code, 0,
            "{}: exit status\nstderr: {}",
            self.what, self.stderr
        );
        self.stdout_is(stdout);
        assert_eq!(self.stderr, "", "{}: stderr", self.what);
    }

    /// Asserts exit status `code`, exactly `stdout`, and exactly `stderr`.
    #[track_caller]
    fn fails(&self, code: i32, stdout: impl AsRef<[u8]>, stderr: &str) {
        assert_eq!(
            self.code, code,
            "{}: exit status\nstderr: {}",
            self.what, self.stderr
        );
        self.stdout_is(stdout);
        assert_eq!(self.stderr, stderr, "{}: stderr", self.what);
    }

    #[track_caller]
    fn stdout_is(&self, expected: impl AsRef<[u8]>) {
        let expected = expected.as_ref();
        if self.stdout != expected {
            let at = self
                .stdout
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .unwrap_or(self.stdout.len().min(expected.len()));
            panic!(
                "{}: stdout differs at byte {at} (got {} bytes, expected {})\n\
                 got:      {:?}\nexpected: {:?}\nstderr: {}",
                self.what,
                self.stdout.len(),
                expected.len(),
                String::from_utf8_lossy(&self.stdout[at..self.stdout.len().min(at + 80)]),
                String::from_utf8_lossy(&expected[at..expected.len().min(at + 80)]),
                self.stderr
            );
        }
    }
}

/// Reads all of `r` on a thread.
fn read_all(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// A child process that is killed (and reaped) if the test ends early, so that a failing
/// test never leaves a runaway `jitbf` behind.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Guard {
    /// Starts `jitbf ARGS` with its stdout piped, and `stdin` and `stderr` as given.
    fn spawn(args: &[&str], stdin: Stdio, stderr: impl Into<Stdio>) -> Guard {
        Guard(
            Command::new(BIN)
                .args(args)
                .stdin(stdin)
                .stdout(Stdio::piped())
                .stderr(stderr)
                .spawn()
                .expect("spawn jitbf"),
        )
    }

    /// Waits for the child to exit; kills it and panics after `timeout`.
    /// Also asserts that it exited normally rather than being killed by a signal.
    #[track_caller]
    fn wait(&mut self, timeout: Duration, what: &str) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                assert!(
                    status.code().is_some(),
                    "{what}: jitbf was killed by a signal: {status}"
                );
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.0.kill();
                let _ = self.0.wait();
                panic!("{what}: jitbf did not exit within {timeout:?} (killed)");
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// `jitbf ARGS`, with `stdin` written to its standard input (on a thread, so a child that
/// never reads cannot block the test), killed after [`TIMEOUT`].
#[track_caller]
fn run(args: &[&str], stdin: impl Into<Vec<u8>>) -> Run {
    run_in(None, args, stdin)
}

/// Like [`run`], in the working directory `dir` (so file names in messages are short).
#[track_caller]
fn run_in(dir: Option<&Path>, args: &[&str], stdin: impl Into<Vec<u8>>) -> Run {
    let what = format!("jitbf {}", shown(args));
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = Guard(cmd.spawn().expect("spawn jitbf"));
    let stdin = stdin.into();
    let mut pipe = child.0.stdin.take().expect("stdin");
    // A write error (EPIPE when the program exits without reading everything) is fine.
    let writer = thread::spawn(move || {
        let _ = pipe.write_all(&stdin);
    });
    let stdout = read_all(child.0.stdout.take().expect("stdout"));
    let stderr = read_all(child.0.stderr.take().expect("stderr"));
    let status = child.wait(TIMEOUT, &what);
    let _ = writer.join();
    Run {
        code: status.code().expect("checked by wait"),
        stdout: stdout.join().expect("stdout reader"),
        stderr: String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned(),
        what,
    }
}

/// Arguments for a message, long ones shortened.
fn shown(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.chars().count() > 60 {
                format!(
                    "'{}...' ({} bytes)",
                    a.chars().take(40).collect::<String>(),
                    a.len()
                )
            } else {
                format!("'{a}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `base` followed by `extra`.
fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

/// A temporary directory holding one file `name` with `contents`.
fn temp_file(name: &str, contents: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    fs::write(&path, contents).expect("write temp file");
    (dir, path)
}

/// Deterministic pseudo-random bytes (all 256 values occur).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Reads a child's stdout on a thread and hands over what arrives, with timeouts.
struct Stream {
    rx: Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Stream {
    fn new(mut out: ChildStdout) -> Stream {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Stream {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits (at most [`TIMEOUT`]) until `expected.len()` more bytes have arrived and checks
    /// them. Panics if they do not arrive: the output was not flushed.
    #[track_caller]
    fn expect(&mut self, expected: &[u8], what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.seen.len() < expected.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!(
                    "{what}: expected {:?} on stdout, got only {:?} (output not flushed?)",
                    String::from_utf8_lossy(expected),
                    String::from_utf8_lossy(&self.seen)
                ),
            }
        }
        let rest = self.seen.split_off(expected.len());
        assert_eq!(
            String::from_utf8_lossy(&self.seen),
            String::from_utf8_lossy(expected),
            "{what}"
        );
        self.seen = rest;
    }

    /// Waits (at most [`TIMEOUT`]) for the end of the output; nothing more may arrive.
    #[track_caller]
    fn expect_end(&mut self, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: stdout never closed"),
            }
        }
        assert_eq!(
            String::from_utf8_lossy(&self.seen),
            "",
            "{what}: unexpected output at the end"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Options and usage
// ---------------------------------------------------------------------------------------------

#[test]
fn help_and_version() {
    let help = run(&["--help"], "");
    assert_eq!(help.code, 0, "{}", help.stderr);
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "Usage: jitbf",
        "--expr",
        "--input",
        "--interp",
        "--eof",
        "--tape-size",
        "--cell-bits",
        "-O <LEVEL>",
        "Exit status",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }

    run(&["--version"], "").ok(concat!("jitbf ", env!("CARGO_PKG_VERSION"), "\n"));
}

#[test]
fn usage_errors_exit_with_status_2() {
    let (_dir, file) = temp_file("p.bf", b"+");
    let file = file.to_str().unwrap();
    for args in [
        &[][..],
        &[file, "-e", "+"],
        &["-e", "+", "--cell-bits", "12"],
        &["-e", "+", "-O3"],
        &["-e", "+", "--tape-size", "0"],
        &["-e", "+", "--tape-size", "lots"],
        &["-e", "+", "--eof", "sometimes"],
        &["-e", "+", "--no-such-option"],
        &["-e"],
    ] {
        let r = run(args, "");
        assert_eq!(r.code, 2, "{}: exit status\nstderr: {}", r.what, r.stderr);
        assert!(r.stdout.is_empty(), "{}: stdout {:?}", r.what, r.stdout);
        assert!(
            r.stderr.starts_with("error: "),
            "{}: stderr {}",
            r.what,
            r.stderr
        );
    }
}

#[test]
fn runs_a_file_or_code_from_the_command_line() {
    let (dir, file) = temp_file("hello.bf", HELLO.as_bytes());
    for exec in EXECUTORS {
        run(&with(exec, &["-e", HELLO]), "").ok("Hello World!\n");
        run(&with(exec, &[file.to_str().unwrap()]), "").ok("Hello World!\n");
        run_in(Some(dir.path()), &with(exec, &["hello.bf"]), "").ok("Hello World!\n");
    }
}

#[test]
fn reads_input_from_stdin_or_from_a_file() {
    let (_dir, input) = temp_file("in.txt", b"from the file");
    let input = input.to_str().unwrap();
    for exec in EXECUTORS {
        let cat = with(exec, &["--eof", "zero", "-e", ",[.,]"]);
        run(&cat, "from stdin").ok("from stdin");
        // With --input, stdin is not read.
        run(&with(&cat, &["--input", input]), "from stdin").ok("from the file");
        run(&with(&cat, &["-i", input]), "").ok("from the file");
    }
}

#[test]
fn unreadable_source_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.bf");
    let missing = missing.to_str().unwrap();
    let r = run(&[missing], "");
    assert_eq!(r.code, 2, "{}: {}", r.what, r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .starts_with(&format!("error: cannot read {missing}: ")),
        "{}",
        r.stderr
    );

    let as_dir = dir.path().to_str().unwrap();
    let r = run(&[as_dir], "");
    assert_eq!(r.code, 2, "{}: {}", r.what, r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .starts_with(&format!("error: cannot read {as_dir}: ")),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_input_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let missing = missing.to_str().unwrap();
    for exec in JIT_AND_INTERP {
        let r = run(&with(exec, &["-e", "+++.,.", "--input", missing]), "");
        assert_eq!(r.code, 2, "{}: {}", r.what, r.stderr);
        assert!(r.stdout.is_empty(), "{}: the program ran", r.what);
        assert!(
            r.stderr
                .starts_with(&format!("error: cannot open input {missing}: ")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn an_input_directory_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    for exec in JIT_AND_INTERP {
        let r = run(&with(exec, &["-e", "+++.,.", "--input", dir]), "");
        r.fails(
            2,
            "",
            &format!("error: cannot open input {dir}: Is a directory (os error 21)\n"),
        );
    }
}

#[test]
fn failing_input_is_a_runtime_error() {
    // A directory opens but cannot be read: as standard input, it fails at the first `,`.
    let dir = tempfile::tempdir().unwrap();
    for exec in EXECUTORS {
        let stdin = fs::File::open(dir.path()).expect("open a directory");
        let mut child = Guard::spawn(&with(exec, &["-e", "+++.,."]), stdin.into(), Stdio::piped());
        let stdout = read_all(child.0.stdout.take().expect("stdout"));
        let stderr = read_all(child.0.stderr.take().expect("stderr"));
        let status = child.wait(TIMEOUT, "a directory as stdin");
        let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
        let stderr = String::from_utf8_lossy(&stderr);
        assert_eq!(status.code(), Some(1), "{exec:?}: {stderr}");
        assert_eq!(stdout, [3], "{exec:?}");
        assert!(
            stderr.starts_with("error: cannot read input: "),
            "{exec:?}: {stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Bracket errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unmatched_open_bracket() {
    let (dir, _) = temp_file("prog.bf", b"+\n\n++[>+<-\n");
    for exec in JIT_AND_INTERP {
        run_in(Some(dir.path()), &with(exec, &["prog.bf"]), "").fails(
            2,
            "",
            "error: unmatched '[': this loop is never closed\n \
             --> prog.bf:3:3\n  \
             |\n\
             3 | ++[>+<-\n  \
             |   ^ here\n",
        );
    }
}

#[test]
fn unmatched_close_bracket() {
    for exec in JIT_AND_INTERP {
        // The program must not run at all: no output before the error.
        run(&with(exec, &["-e", "+.[-]]>"]), "").fails(
            2,
            "",
            "error: unmatched ']': no loop is open here\n \
             --> <expr>:1:6\n  \
             |\n\
             1 | +.[-]]>\n  \
             |      ^ here\n",
        );
    }
}

#[test]
fn innermost_unclosed_bracket_is_reported() {
    for (code, at) in [
        ("+[>[<-]>[", "1:9"),
        ("[[[]", "1:2"),
        ("[\n [+\n  [-]\n", "2:2"),
    ] {
        let r = run(&["-e", code], "");
        assert_eq!(r.code, 2, "{}", r.what);
        assert!(r.stdout.is_empty());
        let expected =
            format!("error: unmatched '[': this loop is never closed\n --> <expr>:{at}\n");
        assert!(
            r.stderr.starts_with(&expected),
            "{}: expected {expected:?}, got\n{}",
            r.what,
            r.stderr
        );
    }
}

#[test]
fn columns_count_utf8_characters() {
    // é is 2 bytes, € 3 bytes, 🦀 4 bytes: each one column of the location. On a terminal
    // 🦀 is two columns wide, so the caret stands one column further.
    let (dir, _) = temp_file("utf8.bf", "é€🦀 + [\n".as_bytes());
    run_in(Some(dir.path()), &["utf8.bf"], "").fails(
        2,
        "",
        "error: unmatched '[': this loop is never closed\n \
         --> utf8.bf:1:7\n  \
         |\n\
         1 | é€🦀 + [\n  \
         |        ^ here\n",
    );
}

#[test]
fn invalid_utf8_bytes_count_one_column_each() {
    // A stray continuation byte is not part of any character: it is shown as U+FFFD and must
    // count as a column of its own, so that the caret lands under the bracket.
    let (dir, _) = temp_file("bytes.bf", b"\x80\x80[");
    run_in(Some(dir.path()), &["bytes.bf"], "").fails(
        2,
        "",
        "error: unmatched '[': this loop is never closed\n \
         --> bytes.bf:1:3\n  \
         |\n\
         1 | \u{FFFD}\u{FFFD}[\n  \
         |   ^ here\n",
    );
    // A lone lead byte is one column too.
    let (dir, _) = temp_file("bytes.bf", b"\xff]");
    run_in(Some(dir.path()), &["bytes.bf"], "").fails(
        2,
        "",
        "error: unmatched ']': no loop is open here\n \
         --> bytes.bf:1:2\n  \
         |\n\
         1 | \u{FFFD}]\n  \
         |  ^ here\n",
    );
}

#[test]
fn crlf_sources() {
    let (dir, _) = temp_file("crlf.bf", b"+\r\n\r\n++[>\r\n");
    run_in(Some(dir.path()), &["crlf.bf"], "").fails(
        2,
        "",
        "error: unmatched '[': this loop is never closed\n \
         --> crlf.bf:3:3\n  \
         |\n\
         3 | ++[>\n  \
         |   ^ here\n",
    );
    // And a CRLF program runs normally.
    let (_dir, file) = temp_file("hello.bf", HELLO.replace('.', ".\r\n").as_bytes());
    for exec in EXECUTORS {
        run(&with(exec, &[file.to_str().unwrap()]), "").ok("Hello World!\n");
    }
}

#[test]
fn bare_cr_sources() {
    // Classic Mac OS line ends: each CR ends a line, for bracket errors and runtime errors.
    let (dir, _) = temp_file("cr.bf", b"+\r\r++[>\r");
    run_in(Some(dir.path()), &["cr.bf"], "").fails(
        2,
        "",
        "error: unmatched '[': this loop is never closed\n \
         --> cr.bf:3:3\n  \
         |\n\
         3 | ++[>\n  \
         |   ^ here\n",
    );
    let (dir, _) = temp_file("cr.bf", b">\r>\r\n<<\r<");
    for exec in EXECUTORS {
        run_in(Some(dir.path()), &with(exec, &["cr.bf"]), "").fails(
            1,
            "",
            &off_tape(true, "cr.bf", 4, 1, "<"),
        );
    }
}

/// Checks a 5-line diagnostic whose source line is long: the excerpt is cut around the
/// column and the caret points at `marker`.
#[track_caller]
fn assert_cut_excerpt(stderr: &str, location: &str, marker: char) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 5, "{stderr}");
    assert!(lines[1].ends_with(location), "{stderr}");
    let excerpt = lines[3];
    assert!(excerpt.starts_with("1 | ..."), "{stderr}");
    assert!(excerpt.ends_with("..."), "{stderr}");
    assert!(
        excerpt.len() < 100,
        "excerpt not cut: {} bytes",
        excerpt.len()
    );
    let caret = lines[4].find('^').expect("caret");
    assert_eq!(excerpt.as_bytes()[caret] as char, marker, "{stderr}");
}

#[test]
fn long_lines_are_cut_around_the_column() {
    let plus = "+".repeat(10_000);
    let (_dir, file) = temp_file("long.bf", format!("{plus}]{plus}").as_bytes());
    let r = run(&[file.to_str().unwrap()], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: unmatched ']'"), "{}", r.stderr);
    assert_cut_excerpt(&r.stderr, ":1:10001", ']');

    let (_dir, file) = temp_file("long.bf", format!("{plus}<{plus}").as_bytes());
    for exec in EXECUTORS {
        let r = run(&with(exec, &[file.to_str().unwrap()]), "");
        assert_eq!(r.code, 1, "{}", r.what);
        assert!(
            r.stderr
                .starts_with("error: pointer moved left of cell 0\n"),
            "{}: {}",
            r.what,
            r.stderr
        );
        assert_cut_excerpt(&r.stderr, ":1:10001", '<');
    }
}

// ---------------------------------------------------------------------------------------------
// Pointer off the tape
// ---------------------------------------------------------------------------------------------

/// The message for a move off the tape by the command at `line:col` of `name`, whose source
/// line is `text`.
fn off_tape(left: bool, name: &str, line: u32, col: usize, text: &str) -> String {
    let what = if left {
        "pointer moved left of cell 0"
    } else {
        "pointer moved past the end of the tape"
    };
    let gutter = " ".repeat(line.to_string().len());
    format!(
        "error: {what}\n{gutter}--> {name}:{line}:{col}\n{gutter} |\n{line} | {text}\n\
         {gutter} | {}^ this move left the tape\n",
        " ".repeat(col - 1)
    )
}

#[test]
fn pointer_left_of_cell_0() {
    for exec in EXECUTORS {
        run(&with(exec, &["-e", "+.<"]), "").fails(1, [1], &off_tape(true, "<expr>", 1, 3, "+.<"));
        let code = ">>+<.<<";
        run(&with(exec, &["-e", code]), "").fails(1, [0], &off_tape(true, "<expr>", 1, 7, code));
    }
}

#[test]
fn pointer_past_the_end_of_a_small_tape() {
    for exec in EXECUTORS {
        let ten = ">".repeat(10);
        let nine = ">".repeat(9);
        run(&with(exec, &["--tape-size", "10", "-e", &ten]), "").fails(
            1,
            "",
            &off_tape(false, "<expr>", 1, 10, &ten),
        );
        run(
            &with(exec, &["--tape-size", "10", "-e", &format!("{nine}+.")]),
            "",
        )
        .ok([1]);
        run(&with(exec, &["--tape-size", "1", "-e", "+.>"]), "").fails(
            1,
            [1],
            &off_tape(false, "<expr>", 1, 3, "+.>"),
        );
        // The default tape has 1048576 cells; a smaller one must not be bigger.
        run(&with(exec, &["--tape-size", "1000", "-e", "+[>+]"]), "").fails(
            1,
            "",
            &off_tape(false, "<expr>", 1, 3, "+[>+]"),
        );
    }
}

#[test]
fn pointer_past_the_end_of_the_default_tape() {
    let cells = 1 << 20;
    let (_dir, all) = temp_file("all.bf", ">".repeat(cells - 1).as_bytes());
    let (_dir2, over) = temp_file("over.bf", ">".repeat(cells).as_bytes());
    for exec in EXECUTORS {
        run(&with(exec, &[all.to_str().unwrap()]), "").ok("");
        let r = run(&with(exec, &[over.to_str().unwrap()]), "");
        assert_eq!(r.code, 1, "{}: {}", r.what, r.stderr);
        let expected = format!(
            "error: pointer moved past the end of the tape\n --> {}:1:{cells}\n",
            over.display()
        );
        assert!(r.stderr.starts_with(&expected), "{}: {}", r.what, r.stderr);
        run(&with(exec, &["-e", "+[>+]"]), "").fails(
            1,
            "",
            &off_tape(false, "<expr>", 1, 3, "+[>+]"),
        );
    }
}

#[test]
fn pointer_error_inside_a_loop_names_the_move() {
    for exec in EXECUTORS {
        let small = with(exec, &["--tape-size", "5", "-e"]);
        run(&with(&small, &["+[>+]"]), "").fails(1, "", &off_tape(false, "<expr>", 1, 3, "+[>+]"));
        // Which `>` of a run leaves the tape depends on where the run starts.
        let code = ">>>+[>>+]";
        run(&with(&small, &[code]), "").fails(1, "", &off_tape(false, "<expr>", 1, 7, code));
        let r = run(&with(exec, &["--tape-size", "10", "-e", code]), "");
        r.fails(1, "", &off_tape(false, "<expr>", 1, 6, code));
        let code = ">+[->+]";
        run(&with(&small, &[code]), "").fails(1, "", &off_tape(false, "<expr>", 1, 5, code));
    }
}

#[test]
fn pointer_left_of_cell_0_inside_a_loop() {
    for exec in EXECUTORS {
        for (code, col) in [
            ("+[<+]", 3),
            ("+[<]", 3),
            (">+[<<]", 5),
            (">>>>+[<+]", 7),
            (">>>+[<<+]", 7),
            (">>+[-<+]", 6),
            (">+[<-]<<", 4),
        ] {
            run(&with(exec, &["-e", code]), "").fails(
                1,
                "",
                &off_tape(true, "<expr>", 1, col, code),
            );
        }
    }
}

#[test]
fn runtime_error_names_file_line_and_column() {
    let (dir, _) = temp_file(
        "prog.bf",
        b"+++ set up\n>> go right\n  .<<<< and too far left\n",
    );
    for exec in EXECUTORS {
        run_in(Some(dir.path()), &with(exec, &["prog.bf"]), "").fails(
            1,
            [0],
            &off_tape(true, "prog.bf", 3, 6, "  .<<<< and too far left"),
        );
    }
}

#[test]
fn output_before_a_runtime_error_is_flushed() {
    // More than the 64 KiB output buffer, then a move off either end.
    let dots = ".".repeat(70_000);
    let expected = vec![b'A'; 70_000];
    let right = format!("{}{dots}{}", "+".repeat(65), ">".repeat(20));
    let left = format!("{}{dots}>><<<", "+".repeat(65));
    for exec in EXECUTORS {
        let r = run(&with(exec, &["--tape-size", "16", "-e", &right]), "");
        assert_eq!(r.code, 1, "{}: {}", r.what, r.stderr);
        r.stdout_is(&expected);
        assert!(
            r.stderr.starts_with(&format!(
                "error: pointer moved past the end of the tape\n --> <expr>:1:{}\n",
                65 + 70_000 + 16
            )),
            "{}: {}",
            r.what,
            r.stderr
        );

        let r = run(&with(exec, &["-e", &left]), "");
        assert_eq!(r.code, 1, "{}: {}", r.what, r.stderr);
        r.stdout_is(&expected);
        assert!(
            r.stderr.starts_with(&format!(
                "error: pointer moved left of cell 0\n --> <expr>:1:{}\n",
                65 + 70_000 + 5
            )),
            "{}: {}",
            r.what,
            r.stderr
        );

        // A short output too (nothing fills the buffer).
        let code = format!("{HELLO}<<<<<<<<");
        let r = run(&with(exec, &["-e", &code]), "");
        assert_eq!(r.code, 1, "{}: {}", r.what, r.stderr);
        r.stdout_is("Hello World!\n");
        assert!(
            r.stderr
                .starts_with("error: pointer moved left of cell 0\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Output to a closed pipe, and interactive flushing
// ---------------------------------------------------------------------------------------------

#[test]
fn stdout_closed_by_the_reader_ends_the_run() {
    for exec in [
        &["-O0"][..],
        &["-O2"],
        &["--interp", "-O0"],
        &["--interp", "-O2"],
    ] {
        let args = with(exec, &["-e", "+[.]"]);
        let what = format!("jitbf {}", shown(&args));
        let mut child = Guard::spawn(&args, Stdio::null(), Stdio::piped());
        let stderr = read_all(child.0.stderr.take().unwrap());
        let mut out = child.0.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut first = [0u8; 16];
            let r = out.read_exact(&mut first).map(|()| first);
            let _ = tx.send(r);
            // `out` is dropped here: the read end of the pipe closes.
        });
        let first = rx
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|_| panic!("{what}: no output"))
            .unwrap_or_else(|e| panic!("{what}: reading stdout: {e}"));
        assert_eq!(first, [1u8; 16], "{what}");
        let status = child.wait(Duration::from_secs(10), &what);
        let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
        assert_eq!(status.code(), Some(1), "{what}: stderr {stderr}");
        assert!(
            stderr.starts_with("error: cannot write output")
                && stderr.contains("Broken pipe")
                && stderr.lines().count() == 1,
            "{what}: stderr {stderr:?}"
        );
    }
}

#[test]
#[cfg(target_os = "linux")]
fn an_unwritable_stderr_keeps_the_exit_status() {
    // With stderr on /dev/full the message is lost, but the status must still tell what
    // happened (not a panic's 101).
    for (code, status) in [("<", 1), ("[", 2), ("+.", 0)] {
        for exec in JIT_AND_INTERP {
            let args = with(exec, &["-e", code]);
            let what = format!("jitbf {}", shown(&args));
            let full = fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let mut child = Guard::spawn(&args, Stdio::null(), full);
            let stdout = read_all(child.0.stdout.take().unwrap());
            let exit = child.wait(TIMEOUT, &what);
            assert_eq!(exit.code(), Some(status), "{what}");
            let expected: &[u8] = if status == 0 { b"\x01" } else { b"" };
            assert_eq!(stdout.join().unwrap(), expected, "{what}");
        }
    }
}

#[test]
#[cfg(target_os = "linux")]
fn an_unwritable_stdout_is_an_error_for_every_command() {
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/programs/hello.bf");
    for args in [
        &[hello][..],
        &["--interp", hello],
        &["--emit", "ir", hello],
        &["bench", hello],
    ] {
        let what = format!("jitbf {}", shown(args));
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(full)
            .output()
            .expect("spawn");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains("No space left on device") && !stderr.contains("panicked"),
            "{what}: {stderr}"
        );
    }
}

#[test]
fn prompts_are_flushed_before_reading() {
    // Prints "?", echoes one byte, prints "?", echoes one byte.
    let code = ">++++++++[<++++++++>-]<-.>,.<.>,.";
    for exec in EXECUTORS {
        let args = with(exec, &["-e", code]);
        let what = format!("jitbf {}", shown(&args));
        let mut child = Guard::spawn(&args, Stdio::piped(), Stdio::piped());
        let stderr = read_all(child.0.stderr.take().unwrap());
        let mut stdin = child.0.stdin.take().unwrap();
        let mut out = Stream::new(child.0.stdout.take().unwrap());
        out.expect(b"?", &format!("{what}: first prompt before any input"));
        stdin.write_all(b"a").unwrap();
        stdin.flush().unwrap();
        out.expect(b"a?", &format!("{what}: echo and second prompt"));
        stdin.write_all(b"b").unwrap();
        drop(stdin);
        out.expect(b"b", &format!("{what}: second echo"));
        out.expect_end(&what);
        let status = child.wait(TIMEOUT, &what);
        assert_eq!(status.code(), Some(0), "{what}");
        assert!(stderr.join().unwrap().is_empty(), "{what}: stderr");
    }
}

#[test]
fn greet_prompt_appears_before_the_name_is_typed() {
    let greet = concat!(env!("CARGO_MANIFEST_DIR"), "/programs/greet.bf");
    for exec in JIT_AND_INTERP {
        let args = with(exec, &[greet]);
        let what = format!("jitbf {}", shown(&args));
        let mut child = Guard::spawn(&args, Stdio::piped(), Stdio::null());
        let mut stdin = child.0.stdin.take().unwrap();
        let mut out = Stream::new(child.0.stdout.take().unwrap());
        out.expect(b"What is your name? ", &format!("{what}: prompt"));
        stdin.write_all(b"Ada\n").unwrap();
        drop(stdin);
        out.expect(b"Hello, Ada!\n", &format!("{what}: greeting"));
        out.expect_end(&what);
        assert_eq!(child.wait(TIMEOUT, &what).code(), Some(0), "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// EOF, cell widths, binary data
// ---------------------------------------------------------------------------------------------

#[test]
fn eof_modes() {
    for exec in EXECUTORS {
        for bits in ["8", "16", "32"] {
            let base = with(exec, &["--cell-bits", bits]);
            for (eof, empty, after_ab) in [
                ("unchanged", 5u8, &b"abb"[..]),
                ("zero", 0, b"ab\0"),
                ("max", 255, b"ab\xff"),
            ] {
                let args = with(&base, &["--eof", eof]);
                run(&with(&args, &["-e", "+++++,."]), "").ok([empty]);
                run(&with(&args, &["-e", ",.,.,."]), "ab").ok(after_ab);
            }
            // The default is unchanged.
            run(&with(&base, &["-e", "+++++,."]), "").ok([5]);
            // max is all ones at the cell's width: one more wraps to zero.
            let plus_one = format!(",+{ZERO_TEST}");
            run(&with(&base, &["--eof", "max", "-e", &plus_one]), "").ok("1");
            run(&with(&base, &["--eof", "zero", "-e", &plus_one]), "").ok("0");
        }
    }
}

#[test]
fn cells_wrap_at_their_width() {
    for exec in EXECUTORS {
        for (bits, zero_256, zero_65536) in [("8", "1", "1"), ("16", "0", "1"), ("32", "0", "0")] {
            let args = with(exec, &["--cell-bits", bits, "-e"]);
            run(&with(&args, &[&format!("{SET_256}{ZERO_TEST}")]), "").ok(zero_256);
            run(&with(&args, &[&format!("{SET_65536}{ZERO_TEST}")]), "").ok(zero_65536);
            // `.` writes the low byte; below zero wraps to all ones.
            run(
                &with(&args, &[&format!("{SET_256}{}.", "+".repeat(65))]),
                "",
            )
            .ok("A");
            // (Code starting with `-` needs the `--expr=CODE` form.)
            let below_zero = with(exec, &["--cell-bits", bits, "--expr=-.+.+."]);
            run(&below_zero, "").ok([255, 0, 1]);
        }
    }
}

#[test]
fn cellsize_program_reports_the_width() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    let prog = dir.join("cellsize.bf");
    for exec in EXECUTORS {
        for (bits, out) in [
            ("8", "cellsize.out"),
            ("16", "cellsize.16.out"),
            ("32", "cellsize.32.out"),
        ] {
            let expected = fs::read(dir.join(out)).unwrap();
            assert_eq!(expected, format!("{bits}\n").as_bytes(), "{out}");
            run(
                &with(exec, &["--cell-bits", bits, prog.to_str().unwrap()]),
                "",
            )
            .ok(expected);
        }
    }
}

#[test]
fn every_byte_value_passes_through() {
    let all: Vec<u8> = (0..=255).collect();
    let copy_256 = ",.".repeat(256);
    for exec in EXECUTORS {
        run(&with(exec, &["-e", &copy_256]), all.clone()).ok(&all);
    }
}

#[test]
fn binary_cat_until_eof() {
    // With 16-bit cells and --eof max, EOF (65535) is distinguishable from every byte:
    // `,+` is 0 only at EOF.
    let cat16 = ["--cell-bits", "16", "--eof", "max", "-e", ",+[-.,+]"];
    let data = noise(200_000);
    assert!(data.contains(&0) && data.contains(&255));
    let (_dir, file) = temp_file("data.bin", &data);
    for exec in EXECUTORS {
        let args = with(exec, &cat16);
        run(&args, data.clone()).ok(&data);
        run(&with(&args, &["--input", file.to_str().unwrap()]), "").ok(&data);
    }

    // With 8-bit cells and --eof zero, `,[.,]` copies input that has no zero byte.
    let nonzero: Vec<u8> = (0..100_000).map(|i| (i % 255 + 1) as u8).collect();
    for exec in EXECUTORS {
        run(
            &with(exec, &["--eof", "zero", "-e", ",[.,]"]),
            nonzero.clone(),
        )
        .ok(&nonzero);
    }
}

// ---------------------------------------------------------------------------------------------
// Unusual sources
// ---------------------------------------------------------------------------------------------

#[test]
fn any_bytes_are_comments() {
    // Every byte that is not a command, including NUL, CR, invalid UTF-8, between commands.
    let junk: Vec<u8> = (0..=255u8).filter(|b| !b"+-<>[].,".contains(b)).collect();
    let mut source = Vec::new();
    for (i, &c) in HELLO.as_bytes().iter().enumerate() {
        source.push(c);
        let k = (i * 7) % junk.len();
        source.extend_from_slice(&junk[k..junk.len().min(k + 1 + i % 5)]);
    }
    source.extend_from_slice(&junk);
    assert!(std::str::from_utf8(&source).is_err());
    let (_dir, file) = temp_file("junk.bf", &source);
    for exec in EXECUTORS {
        run(&with(exec, &[file.to_str().unwrap()]), "").ok("Hello World!\n");
    }
}

#[test]
#[cfg(unix)]
fn code_on_the_command_line_may_hold_any_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    // A byte that is not UTF-8 is a comment, as it is in a file.
    let code = OsStr::from_bytes(b"\xff++++++++[>++++++++<-]>+.\xc3");
    for exec in JIT_AND_INTERP {
        let out = Command::new(BIN)
            .args(exec)
            .arg("-e")
            .arg(code)
            .stdin(Stdio::null())
            .output()
            .expect("spawn");
        assert_eq!(
            (out.status.code(), &out.stdout[..], &out.stderr[..]),
            (Some(0), &b"A"[..], &b""[..]),
            "{exec:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_repeated_option_takes_its_last_value() {
    for exec in JIT_AND_INTERP {
        run(
            &with(exec, &["--eof", "zero", "--eof", "max", "-e", ",."]),
            "",
        )
        .ok([255]);
        run(
            &with(
                exec,
                &[
                    "-O0",
                    "-O2",
                    "--cell-bits",
                    "16",
                    "--cell-bits",
                    "8",
                    "-e",
                    "-.",
                ],
            ),
            "",
        )
        .ok([255]);
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_large_tape_costs_only_the_cells_used() {
    // 2^31 cells (2 GiB): neither the JIT nor the interpreter may touch them all before the
    // program starts. The program prints a byte and waits for input; while it waits, its peak
    // memory (VmHWM) is read from /proc.
    let cells = (1u64 << 31).to_string();
    for exec in JIT_AND_INTERP {
        let args = with(exec, &["--tape-size", &cells, "-e", "+.,."]);
        let what = format!("jitbf {}", shown(&args));
        let mut child = Guard::spawn(&args, Stdio::piped(), Stdio::piped());
        let stderr = read_all(child.0.stderr.take().unwrap());
        let mut out = Stream::new(child.0.stdout.take().unwrap());
        out.expect(b"\x01", &what);
        let status = fs::read_to_string(format!("/proc/{}/status", child.0.id())).unwrap();
        let peak_kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        assert!(peak_kb < 256 * 1024, "{what}: peak {peak_kb} kB");
        child.0.stdin.take().unwrap().write_all(b"z").unwrap();
        out.expect(b"z", &what);
        out.expect_end(&what);
        let exit = child.wait(TIMEOUT, &what);
        assert_eq!(exit.code(), Some(0), "{what}: {:?}", stderr.join());
    }
}

#[test]
fn a_million_nested_loops() {
    const DEPTH: usize = 1_000_000;
    // Enters every loop once, clears the cell at the bottom, leaves them all, prints "A".
    let nested = format!(
        "+{}-{}>++++++++[<++++++++>-]<+.",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let (_dir, file) = temp_file("nested.bf", nested.as_bytes());
    for exec in EXECUTORS {
        run(&with(exec, &[file.to_str().unwrap()]), "").ok("A");
    }

    // Never closed: the innermost (last) `[` is reported.
    let (dir, _) = temp_file("open.bf", format!("+{}-", "[".repeat(DEPTH)).as_bytes());
    for exec in JIT_AND_INTERP {
        let r = run_in(Some(dir.path()), &with(exec, &["open.bf"]), "");
        assert_eq!(r.code, 2, "{}: {}", r.what, r.stderr);
        assert!(r.stdout.is_empty());
        let expected = format!(
            "error: unmatched '[': this loop is never closed\n --> open.bf:1:{}\n",
            DEPTH + 1
        );
        assert!(r.stderr.starts_with(&expected), "{}: {}", r.what, r.stderr);
        assert_eq!(r.stderr.lines().count(), 5, "{}", r.stderr);
    }
}

#[test]
fn listings_of_deeply_nested_loops_stay_linear() {
    // On one line, so that columns reach 200,000: both the indentation of the listings and
    // the column lookups must stay bounded per instruction.
    const DEPTH: usize = 100_000;
    let nested = format!("+{}-{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let (_dir, file) = temp_file("nested.bf", nested.as_bytes());
    let file = file.to_str().unwrap();
    for args in [
        ["-O0", "--emit", "ir"],
        ["-O2", "--emit", "ir"],
        ["-O0", "--emit", "asm"],
        ["-O2", "--emit", "asm"],
    ] {
        let r = run(&with(&args, &[file]), "");
        assert_eq!(r.code, 0, "{}: {}", r.what, r.stderr);
        let text = String::from_utf8(r.stdout).expect("listings are UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        // (-O2 turns the outermost loops, which surely run once, into straight code.)
        assert!(lines.len() >= DEPTH, "{}: {} lines", r.what, lines.len());
        let longest = lines.iter().map(|l| l.chars().count()).max().unwrap();
        assert!(longest < 200, "{}: a line of {longest} characters", r.what);
        // Deep loops are marked with their depth.
        assert!(text.contains("[90000] "), "{}", r.what);
        if args[0] == "-O0" {
            // The last `]` is column 200,002.
            assert!(
                text.contains(&format!("1:{} ", 2 * DEPTH + 2)),
                "{}",
                r.what
            );
        }
    }
}

#[test]
fn a_large_source() {
    // 26 small programs (each prints one letter), each with a comment line, repeated to
    // about 24 MB.
    let mut unit = String::new();
    for k in 0..26 {
        unit.push_str(&format!(
            "letter {k}: eight times eight plus {}; then clear it\n\
             ++++++++[>++++++++<-]>{}.[-]<\n",
            k + 1,
            "+".repeat(k + 1)
        ));
    }
    let reps = 24_000_000 / unit.len();
    let (_dir, file) = temp_file("large.bf", unit.repeat(reps).as_bytes());
    let expected = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".repeat(reps);
    for exec in [&[][..], &["--interp"], &["-O0"]] {
        run(&with(exec, &[file.to_str().unwrap()]), "").ok(&expected);
    }
}

// ---------------------------------------------------------------------------------------------
// How the binary is linked
// ---------------------------------------------------------------------------------------------

/// The ELF program header types of the file at `path` (64-bit little-endian ELF only).
fn program_header_types(path: &str) -> Vec<u32> {
    let elf = fs::read(path).unwrap();
    assert_eq!(
        &elf[..6],
        b"\x7fELF\x02\x01",
        "a 64-bit little-endian ELF file"
    );
    let u16_at = |o: usize| usize::from(u16::from_le_bytes([elf[o], elf[o + 1]]));
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count)
        .map(|k| {
            let at = phoff + k * size;
            u32::from_le_bytes(elf[at..at + 4].try_into().unwrap())
        })
        .collect()
}

/// `build.rs` links the binary statically by handing `ld` linker scripts in place of the
/// shared C libraries. If a toolchain change ever made `ld` find a real one again, the
/// binary would be half static and half dynamic: a loader it does not ask for, or a crash at
/// start. So: no interpreter (`PT_INTERP`, 3), no dynamic section (`PT_DYNAMIC`, 2), and it
/// runs.
#[cfg(jitbf_static_bin)]
#[test]
fn the_binary_is_linked_statically_so_nothing_is_loaded_before_it_starts() {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    let types = program_header_types(BIN);
    assert!(types.contains(&1), "has loadable segments: {types:?}");
    assert!(
        !types.contains(&PT_INTERP),
        "asks for a dynamic loader: {types:?}"
    );
    assert!(
        !types.contains(&PT_DYNAMIC),
        "has a dynamic section: {types:?}"
    );
    let r = run(&["-e", "++++++++[>++++++++<-]>+."], "");
    assert_eq!(r.stdout, b"A");
}
