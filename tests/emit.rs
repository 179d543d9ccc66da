//! Golden tests of what `jitbf --emit` and `--stats` print, through the binary.
//!
//! The listings are snapshots (`tests/snapshots/`, managed with `insta`): a change to the
//! optimizer or the code generator shows up here as a diff to review. After an intended
//! change, accept the new listings with `cargo insta review` (or `INSTA_UPDATE=always cargo
//! test --test emit`) and commit them with the change.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Runs `jitbf` with `args`; returns stdout, asserting success.
fn jitbf(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "jitbf {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A small program with a multiply loop, input and output.
const TRIPLE: &str = ",[>+++<-]>.";

#[test]
fn ir_at_each_level() {
    insta::assert_snapshot!("ir_o0", jitbf(&["-O0", "--emit", "ir", "-e", TRIPLE]));
    insta::assert_snapshot!("ir_o1", jitbf(&["-O1", "--emit", "ir", "-e", TRIPLE]));
    insta::assert_snapshot!("ir_o2", jitbf(&["-O2", "--emit", "ir", "-e", TRIPLE]));
}

#[test]
fn ir_of_a_bundled_program() {
    // hello.bf computes everything at compile time: one print.
    insta::assert_snapshot!("ir_hello", jitbf(&["--emit", "ir", "programs/hello.bf"]));
}

#[cfg(jitbf_jit)]
#[test]
fn asm_listings() {
    insta::assert_snapshot!("asm_o1", jitbf(&["-O1", "--emit", "asm", "-e", TRIPLE]));
    insta::assert_snapshot!("asm_o2", jitbf(&["-O2", "--emit", "asm", "-e", TRIPLE]));
    insta::assert_snapshot!(
        "asm_scan_16bit",
        jitbf(&["--cell-bits", "16", "--emit", "asm", "-e", ",[>,]<[.<]"])
    );
}

#[cfg(jitbf_jit)]
#[test]
fn bin_is_the_code_the_jit_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.bin");
    jitbf(&["--emit", "bin", "-o", path.to_str().unwrap(), "-e", TRIPLE]);
    let bytes = std::fs::read(&path).unwrap();
    let program = jitbf::Program::new(TRIPLE, &jitbf::Config::default()).unwrap();
    let jit = program.compile().unwrap();
    assert_eq!(bytes, jit.code().unwrap());
    assert_eq!(bytes[0], 0x55, "the entry point starts with push rbp");
}

#[test]
fn stats_go_to_stderr() {
    let out = Command::new(BIN)
        .args(["--stats", "-e", "++++++++[>++++++++<-]>+."])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"A");
    let err = String::from_utf8(out.stderr).unwrap();
    for line in ["parse", "optimize", "run"] {
        assert!(
            err.lines().any(|l| l.trim_start().starts_with(line)),
            "{err}"
        );
    }
    assert!(err.contains("IR ops"), "{err}");
}

#[test]
fn bench_compares_the_jit_with_the_interpreter() {
    let out = jitbf(&["bench", "programs/fib.bf"]);
    assert!(out.lines().any(|l| l.starts_with("run")), "{out}");
    assert!(out.contains("reference"), "{out}");
    if jitbf::JIT_AVAILABLE {
        assert!(out.contains("JIT speedup"), "{out}");
        assert!(out.contains("all three agree"), "{out}");
    }
}
