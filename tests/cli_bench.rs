//! `jitbf bench` through the binary: failures are failures, several programs make one table,
//! `--runs` gives min/median/max, `--json` is JSON, and progress shows on a terminal only.

mod pty;

use std::io::Read;
use std::process::{Command, Output, Stdio};

use pty::pty;

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

fn jitbf(args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run jitbf")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_program_that_leaves_the_tape_fails_the_bench() {
    let out = jitbf(&["bench", "-e", "+++.<<"]);
    let table = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{table}");
    assert!(
        table.contains("FAILED <expr>: jit: pointer moved left of cell 0 at 1:5"),
        "{table}"
    );
    assert!(!table.contains("agree"), "{table}");
    // With other programs that are fine, still a failure.
    let out = jitbf(&["bench", "programs/hello.bf", "-e", "+[<]"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("1 of 2 programs did not run correctly"));
}

#[test]
fn several_programs_make_one_table_with_min_median_max() {
    let out = jitbf(&[
        "bench",
        "--runs",
        "3",
        "programs/hello.bf",
        "programs/fib.bf",
        "-e",
        "++.",
    ]);
    let table = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}{}", text(&out.stderr));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("jitbf bench: 3 runs each"), "{table}");
    assert!(
        lines[1].contains("run min") && lines[1].contains("median"),
        "{table}"
    );
    // Three rows (one per executor) for each of the three programs.
    for name in ["programs/hello.bf", "programs/fib.bf", "<expr>"] {
        let at = lines.iter().position(|l| l.starts_with(name)).expect(name);
        assert!(lines[at].contains(" jit "), "{table}");
        assert!(lines[at + 1].trim_start().starts_with("interp"), "{table}");
        assert!(
            lines[at + 2].trim_start().starts_with("reference"),
            "{table}"
        );
    }
    assert!(
        table.contains("ok: all three executors agree on every program"),
        "{table}"
    );
    // Nothing on stderr when it is not a terminal: no progress bar.
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn json_is_json_and_says_what_failed() {
    let out = jitbf(&[
        "bench",
        "--json",
        "--runs",
        "2",
        "programs/hello.bf",
        "-e",
        "+[>]<<",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["runs"], 2);
    assert_eq!(v["ok"], false);
    let programs = v["programs"].as_array().unwrap();
    assert_eq!(programs[0]["status"], "ok");
    assert_eq!(programs[0]["output_bytes"], 14, "Hello, World!\\n");
    let jit = &programs[0]["executors"][0];
    assert_eq!(jit["executor"], "jit");
    let run = &jit["run_ms"];
    assert!(run["min"].as_f64().unwrap() <= run["median"].as_f64().unwrap());
    assert!(run["median"].as_f64().unwrap() <= run["max"].as_f64().unwrap());
    assert_eq!(programs[1]["status"], "failed");
    assert!(
        programs[1]["message"]
            .as_str()
            .unwrap()
            .contains("pointer moved left of cell 0 at 1:6")
    );
    assert!(text(&out.stderr).contains("failed: <expr>"));
}

#[test]
fn progress_shows_on_a_terminal() {
    let (mut controller, terminal) = pty();
    // Long enough (the reference interpreter on nested.bf) for the bar to be drawn.
    let status = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["bench", "--runs", "2", "programs/nested.bf"])
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(terminal)
        .status()
        .unwrap();
    assert!(status.success());
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match controller.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => shown.extend_from_slice(&buf[..n]),
        }
    }
    let shown = text(&shown);
    assert!(
        shown.contains("programs/nested.bf [") && shown.contains("/6 runs"),
        "{shown:?}"
    );
}
