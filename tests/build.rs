//! `jitbf build`: executables behave exactly like `jitbf` itself, are static and W^X, and
//! carry debugging information that binutils and gdb understand.
//!
//! * Differential: every program in `programs/` and the shared corpus, built with several
//!   configurations (optimization levels, cell widths, EOF modes, small tapes that make
//!   programs run off the end), gives the same stdout, stderr (error messages with the
//!   source line and caret) and exit status as `jitbf PROG` with the same options.
//! * I/O: a reader that goes away (EPIPE), a full disk, an unreadable stdin, prompts
//!   flushed before reading.
//! * The file: `file` says statically linked, no program header is both writable and
//!   executable, hello world stays under 8 KB.
//! * Debugging (`-g`): `addr2line` and `objdump -dl` name source lines, gdb stops at a
//!   breakpoint set on a source line.
//! * `--emit obj`: linked with `ld`, the object behaves the same.
//! * Bad input: unbalanced brackets, an output that is a directory or in a missing
//!   directory: exit 2 with a message, and no file left behind.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a process did.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `cmd` with `stdin`, killing it after [`TIMEOUT`].
fn run(mut cmd: Command, stdin: Stdio) -> Outcome {
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

fn wait(child: &mut Child, what: &str) -> Option<i32> {
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

fn read_all(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// `jitbf ARGS`, run in `dir`.
fn jitbf(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    cmd
}

/// `jitbf build ARGS` in `dir`; panics unless it succeeds silently.
fn build(dir: &Path, args: &[&str]) {
    let out = run(jitbf(dir, &[&["build"], args].concat()), Stdio::null());
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (Some(0), ""),
        "jitbf build {args:?}"
    );
}

/// Stdin from `input`, or empty.
fn stdin_of(input: Option<&Path>) -> Stdio {
    input.map_or(Stdio::null(), |p| Stdio::from(fs::File::open(p).unwrap()))
}

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

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// The shared corpus, or `None` (with a note) when it is not there.
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("JITBF_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: corpus skipped: {} does not exist", dir.display());
        None
    }
}

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
    if let Some(dir) = corpus_dir() {
        differential(&dir, "b", &[], &[&["-O2"]], true);
    }
}

#[test]
fn corpus_behaves_as_under_jitbf_on_small_tapes() {
    if let Some(dir) = corpus_dir() {
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
    if let Some(dir) = corpus_dir() {
        differential(
            &dir,
            "b",
            quick,
            &[&["-O0"], &["-O1", "--cell-bits", "16"]],
            false,
        );
    }
}

/// A temporary directory with `prog.bf` holding `source`.
fn with_source(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("prog.bf"), source).unwrap();
    dir
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
    // The Rust runtime opens /dev/null on closed standard descriptors; so do executables.
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

/// The program headers of an ELF file: `(type, flags)`.
fn program_headers(elf: &[u8]) -> Vec<(u32, u32)> {
    let u = |at: usize, n: usize| {
        let mut v = 0u64;
        for i in (0..n).rev() {
            v = v << 8 | u64::from(elf[at + i]);
        }
        v as usize
    };
    let (phoff, phentsize, phnum) = (u(0x20, 8), u(0x36, 2), u(0x38, 2));
    (0..phnum)
        .map(|i| {
            let at = phoff + i * phentsize;
            (u(at, 4) as u32, u(at + 4, 4) as u32)
        })
        .collect()
}

#[test]
fn executables_are_static_small_and_never_writable_and_executable() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(programs_dir().join("hello.bf"), dir.path().join("hello.bf")).unwrap();
    build(dir.path(), &["hello.bf"]);
    build(dir.path(), &["hello.bf", "-g", "-o", "hello-g"]);
    build(dir.path(), &["hello.bf", "--strip", "-o", "hello-s"]);
    let size = |name: &str| fs::metadata(dir.path().join(name)).unwrap().len();
    assert!(
        size("hello") < 8192,
        "hello world is {} bytes",
        size("hello")
    );
    assert!(size("hello-s") < size("hello"));
    assert!(size("hello-g") > size("hello"));
    for name in ["hello", "hello-g", "hello-s"] {
        let path = dir.path().join(name);
        let out = Command::new(&path).output().unwrap();
        assert_eq!(
            out.stdout,
            fs::read(programs_dir().join("hello.out")).unwrap()
        );
        let elf = fs::read(&path).unwrap();
        let headers = program_headers(&elf);
        const PT_LOAD: u32 = 1;
        const PT_INTERP: u32 = 3;
        const PT_DYNAMIC: u32 = 2;
        const PT_GNU_STACK: u32 = 0x6474_e551;
        const W_AND_X: u32 = 2 | 1;
        assert!(
            headers.iter().all(|&(_, f)| f & W_AND_X != W_AND_X),
            "{headers:?}"
        );
        assert!(
            headers
                .iter()
                .any(|&(t, f)| t == PT_GNU_STACK && f & 1 == 0)
        );
        assert!(
            headers
                .iter()
                .all(|&(t, _)| t != PT_INTERP && t != PT_DYNAMIC)
        );
        assert_eq!(headers.iter().filter(|&&(t, _)| t == PT_LOAD).count(), 3);
        let file = tool("file", &[path.to_str().unwrap()]);
        assert!(
            file.contains("ELF 64-bit") && file.contains("x86-64"),
            "{file}"
        );
        assert!(file.contains("statically linked"), "{file}");
        let readelf = tool("readelf", &["-lW", path.to_str().unwrap()]);
        let loads: Vec<&str> = readelf
            .lines()
            .filter(|l| l.trim_start().starts_with("LOAD"))
            .collect();
        assert_eq!(loads.len(), 3, "{readelf}");
        assert!(
            loads
                .iter()
                .all(|l| !(l.contains(" RWE ") || l.contains(" RW E"))),
            "{readelf}"
        );
    }
}

/// Runs a tool and returns its stdout; panics if it fails.
fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed for this test (.ci/run installs it): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A program with a loop on line 3 at column 3 and a multiply on line 4.
const LINES: &str = ",\n>++++\n  [<+>-\n   <.>]\n";

#[test]
fn addr2line_and_objdump_name_source_lines() {
    let dir = with_source(LINES);
    build(dir.path(), &["-g", "-O0", "prog.bf", "-o", "prog"]);
    let exe = dir.path().join("prog");
    let exe = exe.to_str().unwrap();
    let nm = tool("nm", &[exe]);
    let loop_at = nm
        .lines()
        .find(|l| l.ends_with(" bf.loop_3_3"))
        .unwrap_or_else(|| panic!("no symbol for the loop:\n{nm}"));
    let addr = loop_at.split(' ').next().unwrap();
    let line = tool("addr2line", &["-e", exe, addr]);
    assert!(line.trim_end().ends_with("prog.bf:3"), "{line}");
    let listing = tool("objdump", &["-dl", exe]);
    for n in 1..=4 {
        assert!(
            listing.contains(&format!("prog.bf:{n}\n")),
            "line {n}:\n{listing}"
        );
    }
    assert!(listing.contains("<bf.loop_3_3>:"), "{listing}");
    // With the source beside it, objdump -S shows the source lines.
    let source = tool("objdump", &["-S", exe]);
    assert!(source.contains("   <.>]"), "{source}");
}

#[test]
fn gdb_stops_at_a_breakpoint_on_a_source_line() {
    let dir = with_source(LINES);
    build(dir.path(), &["-g", "prog.bf", "-o", "prog"]);
    let gdb = Command::new("gdb")
        .current_dir(dir.path())
        .args([
            "-batch",
            "-nx",
            "-ex",
            "break prog.bf:4",
            "-ex",
            "run < /dev/null",
            "-ex",
            "info line *$pc",
            "-ex",
            "list 4,4",
            "-ex",
            "bt",
            "./prog",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("gdb is needed for this test (.ci/run installs it)");
    let text = String::from_utf8_lossy(&gdb.stdout);
    assert!(
        text.contains("Breakpoint 1, bf.main () at prog.bf:4"),
        "{text}\n{}",
        String::from_utf8_lossy(&gdb.stderr)
    );
    assert!(text.contains("Line 4 of \"prog.bf\""), "{text}");
    assert!(text.contains("4\t   <.>]"), "{text}");
    // The call frame information leads from the program back to _start, where it ends.
    assert!(text.contains("#0  bf.main () at prog.bf:4"), "{text}");
    assert!(text.contains(" in _start ()"), "{text}");
}

#[test]
fn bad_input_exits_2_and_leaves_no_file() {
    let dir = with_source("+[>+<-");
    let out = run(jitbf(dir.path(), &["build", "prog.bf"]), Stdio::null());
    let jit = run(jitbf(dir.path(), &["prog.bf"]), Stdio::null());
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stderr, jit.stderr);
    assert!(
        out.stderr.starts_with("error: unmatched '['"),
        "{}",
        out.stderr
    );

    fs::write(dir.path().join("prog.bf"), "+.").unwrap();
    fs::create_dir(dir.path().join("prog")).unwrap();
    let out = run(jitbf(dir.path(), &["build", "prog.bf"]), Stdio::null());
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        "error: cannot write prog: Is a directory (os error 21)\n"
    );
    assert!(dir.path().join("prog").is_dir());

    let out = run(
        jitbf(dir.path(), &["build", "prog.bf", "-o", "missing/prog"]),
        Stdio::null(),
    );
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.starts_with("error: cannot write missing/prog: "),
        "{}",
        out.stderr
    );

    let out = run(jitbf(dir.path(), &["build", "nothing.bf"]), Stdio::null());
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.starts_with("error: cannot read nothing.bf"));

    // Only the source and the directory: no executable, no temporary file.
    let mut left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["prog", "prog.bf"]);
}

#[test]
fn an_object_file_links_into_the_same_executable() {
    // `--emit obj` and `ld`: the same behaviour, error message included.
    for source in [LINES, "+[<]"] {
        let dir = with_source(source);
        let emit = run(
            jitbf(dir.path(), &["--emit", "obj", "prog.bf", "-o", "prog.o"]),
            Stdio::null(),
        );
        assert_eq!((emit.code, emit.stderr.as_str()), (Some(0), ""));
        let header = tool(
            "readelf",
            &["-h", dir.path().join("prog.o").to_str().unwrap()],
        );
        assert!(header.contains("REL (Relocatable file)"), "{header}");
        let ld = Command::new("ld")
            .current_dir(dir.path())
            .args(["prog.o", "-o", "linked"])
            .output()
            .expect("ld is needed for this test (.ci/run installs binutils)");
        assert!(ld.status.success() && ld.stderr.is_empty(), "{ld:?}");
        let [linked, jit] = [
            Command::new(dir.path().join("linked")),
            jitbf(dir.path(), &["prog.bf"]),
        ]
        .map(|mut cmd| {
            cmd.current_dir(dir.path());
            run(
                cmd,
                Stdio::from(fs::File::open(programs_dir().join("greet.in")).unwrap()),
            )
        });
        assert_eq!(linked, jit, "{source}");
    }
}
