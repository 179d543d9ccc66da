//! From a failing case to a report: shrink it, and print it with a regression test.
//!
//! A wrong result is shrunk in this process (fast: a candidate costs one compile and one
//! run). Shrinking runs the JIT on many variants of a miscompiled program, and one of them
//! may hang, so when the parent asks for a report it runs this in a child (`--index I
//! --heartbeat`) and watches its heartbeat; if that child hangs too, or the failure was a
//! hang or a crash to begin with, the parent shrinks with one child process per candidate
//! ([`shrink_hang`]), which is slower but cannot get stuck.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::case::Case;
use crate::check::{Target, Verdict, check};
use crate::child::{self, ChildResult};
use crate::model::{self, Outcome};
use crate::report;
use crate::shrink::shrink;

/// Candidates tried when shrinking in process.
pub const MAX_TRIES: usize = 4000;

/// Candidates tried when shrinking with a child per candidate.
pub const MAX_CHILD_TRIES: usize = 400;

/// Time spent shrinking one failure, at most (then the smallest case so far is reported).
pub const SHRINK_TIME: Duration = Duration::from_secs(60);

/// `fails`, but false for everything once `SHRINK_TIME` has passed: the shrinker then
/// runs out of candidates quickly.
pub fn with_deadline(mut fails: impl FnMut(&Case) -> bool) -> impl FnMut(&Case) -> bool {
    let start = Instant::now();
    move |c| start.elapsed() < SHRINK_TIME && fails(c)
}

/// Checks `case` on `targets`; if it fails, shrinks it (unless `no_shrink`) and returns the
/// report. With `heartbeat`, writes `H` to stdout before each candidate.
pub fn report_case(
    case: &Case,
    targets: &[Target],
    origin: &str,
    test_name: &str,
    no_shrink: bool,
    heartbeat: bool,
) -> Option<String> {
    let Verdict::Fail { failures, .. } = check(case, targets) else {
        return None;
    };
    let target = failures[0].target;
    let (shrunk, note) = if no_shrink {
        (case.clone(), String::new())
    } else {
        let mut out = std::io::stdout();
        let s = shrink(
            case,
            with_deadline(|c| {
                if heartbeat {
                    let _ = writeln!(out, "H");
                }
                matches!(check(c, &[target]), Verdict::Fail { .. })
            }),
            MAX_TRIES,
        );
        let note = format!(
            "; shrunk from {} to {} source bytes in {} tries",
            case.source.len(),
            s.case.source.len(),
            s.tries
        );
        (s.case, note)
    };
    let Verdict::Fail { expected, failures } = check(&shrunk, targets) else {
        unreachable!("the shrunk case fails");
    };
    Some(report::mismatch(
        &shrunk,
        &format!("{origin}{note}"),
        &expected,
        &failures,
        test_name,
    ))
}

/// Shrinks a case on which `target` hangs or crashes (`kind`), one child per candidate, and
/// returns the report.
pub fn shrink_hang(
    exe: &Path,
    case: &Case,
    target: Target,
    kind: ChildResult,
    limit: Duration,
    origin: &str,
    test_name: &str,
) -> String {
    let s = shrink(
        case,
        with_deadline(|c| child::run(exe, c, Some(target), limit) == kind),
        MAX_CHILD_TRIES,
    );
    let what = if kind == ChildResult::Hang {
        format!("did not finish within {limit:?}")
    } else {
        "crashed".to_string()
    };
    let expected = match model::run(&s.case, crate::check::FUEL) {
        model::Run::Done(o) => o,
        _ => Outcome {
            output: Vec::new(),
            ending: model::Ending::Other("the model did not finish".into()),
        },
    };
    format!(
        "{} ({target} {what} on a program the model finishes): {origin}; shrunk from {} to {} \
         source bytes in {} tries\n{}\n    expected (model): {expected:?}\n  regression test \
         (it {what} while the bug is there):\n\n{}",
        if kind == ChildResult::Hang {
            "HANG"
        } else {
            "CRASH"
        },
        case.source.len(),
        s.case.source.len(),
        s.tries,
        s.case,
        report::regression_test(&s.case, target, &expected, test_name)
    )
}
