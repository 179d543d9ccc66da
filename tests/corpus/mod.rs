//! Where the shared benchmark corpus is, for the tests that run it (`tests/golden.rs`,
//! `tests/build.rs`).
//!
//! The corpus lives beside the repository (`../shared/corpus`) or where `JITBF_CORPUS` says;
//! it is never copied into the repository.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The corpus directory, or `None` (said on stderr, naming `what` was skipped) when it is not
/// there. Under CI (`CI` set) or with `JITBF_REQUIRE_CORPUS` set, a missing corpus fails the
/// test instead: a check that quietly stops checking is worse than none.
pub fn corpus_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("JITBF_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    let required = ["CI", "JITBF_REQUIRE_CORPUS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty() && x != "false"));
    assert!(
        !required,
        "the benchmark corpus is missing: {} does not exist (set JITBF_CORPUS; CI and \
         JITBF_REQUIRE_CORPUS make this an error)",
        dir.display()
    );
    // Written straight to stderr so that it shows without --nocapture.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {what}: {} does not exist (see the README's \"The benchmark corpus\"; set \
         JITBF_CORPUS to use one elsewhere)",
        dir.display()
    );
    None
}
