//! The child-process check the parent uses for hangs and crashes: a case goes in on stdin,
//! the verdict comes back as the exit status, and a time limit is enforced.

use std::path::Path;
use std::time::{Duration, Instant};

use jitbf::{CellBits, Eof, OptLevel};
use jitbf_structfuzz::case::Case;
use jitbf_structfuzz::check::Target;
use jitbf_structfuzz::child::{self, ChildResult};

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_jitbf-structfuzz"))
}

fn case(src: &str) -> Case {
    Case {
        cells: CellBits::U16,
        eof: Eof::Max,
        tape: 9,
        input: vec![3],
        source: src.as_bytes().to_vec(),
    }
}

#[test]
fn a_child_reports_pass_and_skip_through_its_status() {
    let limit = Duration::from_secs(20);
    let jit = Target::Jit {
        level: OptLevel::O2,
        cache: true,
    };
    let passes = case(",[->++<]>.>>>>>>>>>");
    assert_eq!(child::run(exe(), &passes, None, limit), ChildResult::Pass);
    assert_eq!(
        child::run(exe(), &passes, Some(jit), limit),
        ChildResult::Pass
    );
    // The model does not finish it: not a candidate.
    assert_eq!(
        child::run(exe(), &case("+[]"), None, limit),
        ChildResult::Skip
    );
    // Unbalanced: not a candidate either.
    assert_eq!(
        child::run(exe(), &case("[[]"), None, limit),
        ChildResult::Skip
    );
}

#[test]
fn a_child_over_its_time_is_killed_and_reported_as_a_hang() {
    // Nothing hangs in jitbf to test with, so give a normal case no time at all.
    let start = Instant::now();
    let r = child::run(exe(), &case(",[->++<]>."), None, Duration::ZERO);
    assert_eq!(r, ChildResult::Hang);
    assert!(start.elapsed() < Duration::from_secs(5));
}
