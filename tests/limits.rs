//! Large sources under a memory limit (`ulimit -v`, an address-space limit): a source that
//! fits runs, one that does not ends with `error: ... not enough memory ...` and exit status
//! 2, whichever stage runs out (parsing, the passes, code generation, a listing) and whatever
//! the executor. Never an abort (`memory allocation of N bytes failed`, SIGABRT).

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// The limit of the issue that asked for this: 200 MiB of address space.
const LIMIT_KIB: u32 = 204_800;

/// Every way the command line can consume a program.
const MODES: [&[&str]; 7] = [
    &[],
    &["-O0"],
    &["--interp"],
    &["--interp", "-O2"],
    &["--emit", "ir", "-o", "/dev/null"],
    &["--emit", "asm", "-o", "/dev/null"],
    &["--emit", "bin", "-o", "/dev/null"],
];

struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// `jitbf ARGS FILE` under the memory limit, with empty input.
fn limited(args: &[&str], file: &Path) -> Outcome {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$@\""))
        .arg("sh")
        .arg(BIN)
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    Outcome {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temporary file of about `len` bytes repeating `pattern` (a whole number of times).
fn source(pattern: &[u8], len: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.b");
    let len = len - len % pattern.len();
    let bytes: Vec<u8> = pattern.iter().copied().cycle().take(len).collect();
    std::fs::write(&path, bytes).expect("write source");
    (dir, path)
}

/// Either it ran (exit 0, or 1 for a runtime error such as the pointer leaving the tape), or
/// it ran out of memory cleanly: exit 2 and one clear line.
#[track_caller]
fn clean(o: &Outcome, what: &str) {
    match o.code {
        Some(0 | 1) => {}
        Some(2) => assert!(
            o.stderr.starts_with("error: ") && o.stderr.contains("not enough memory"),
            "{what}: {}",
            o.stderr
        ),
        _ => panic!("{what}: killed or aborted ({:?}): {}", o.code, o.stderr),
    }
}

#[test]
fn a_60_mb_comment_runs_in_200_mb() {
    // Nothing but comments: parsing needs no memory beyond the source itself.
    let (_dir, file) = source(b"\0", 60_000_000);
    for mode in MODES {
        let o = limited(mode, &file);
        assert_eq!(o.code, Some(0), "{mode:?}: {}", o.stderr);
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{mode:?}");
    }
}

#[test]
fn a_60_mb_dense_source_is_a_clean_error() {
    // 60 million instructions need over a gigabyte of IR.
    let (_dir, file) = source(b".", 60_000_000);
    for mode in MODES {
        let o = limited(mode, &file);
        assert_eq!(o.code, Some(2), "{mode:?}: {}", o.stderr);
        assert_eq!(
            o.stderr, "error: not enough memory to compile this program\n",
            "{mode:?}"
        );
        assert!(o.stdout.is_empty(), "{mode:?}");
    }
}

#[test]
fn dense_sources_of_every_size_end_cleanly() {
    // Sizes at which different stages run out: the passes, the code generator, a listing.
    let shapes: [&[u8]; 4] = [b".", b",[]", b"[>>]", b"><+[-]>.<"];
    for pattern in shapes {
        for len in [1_200_000, 3_000_000] {
            let (_dir, file) = source(pattern, len);
            for mode in [MODES[0], MODES[2], MODES[4], MODES[5], MODES[6]] {
                let o = limited(mode, &file);
                let what = format!("{} x {len} {mode:?}", String::from_utf8_lossy(pattern));
                clean(&o, &what);
            }
        }
    }
}
