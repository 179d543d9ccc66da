//! The fixed-seed slice that CI runs on every push: 55,000 generated programs (at least
//! 50,000 of them compared; the rest are programs the model does not finish), through the
//! same command a person runs, `jitbf-structfuzz --seed S --count N`, with both cores.
//!
//! On a failure the test prints the fuzzer's report: the shrunk program, what differed,
//! and a regression test to paste.

use std::process::Command;

const SEED: u64 = 20_250_601;
const COUNT: u64 = 55_000;

#[test]
fn fixed_seed_slice_agrees_with_the_model() {
    let out = Command::new(env!("CARGO_BIN_EXE_jitbf-structfuzz"))
        .args(["--seed", &SEED.to_string(), "--count", &COUNT.to_string()])
        .args(["--jobs", "2", "--reports", "2", "--timeout", "20"])
        .output()
        .expect("runs the fuzzer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the fuzzer found failures (status {}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // "N programs in T s (...): C compared, S skipped ..."
    let compared: u64 = stdout
        .split(" compared")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    assert!(
        stdout.contains(&format!("{COUNT} programs in")),
        "not every program ran:\n{stdout}"
    );
    assert!(compared >= 50_000, "only {compared} compared:\n{stdout}");
}
