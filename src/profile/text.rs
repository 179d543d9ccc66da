//! The `--profile` report for the terminal: the hottest loops, one line each.
//!
//! ```text
//! jitbf --profile: 1043 iterations of 4 loops (-O2)
//!   share  iterations   entered  where    what   loop
//!   57.5%         600        20  3:9      loop   [>+>+<<-]
//!   38.4%         400         1  2:1      loop*  [>[-]<-[>>+<<-]...]
//! ```
//!
//! *share* is the loop's work (the IR instructions it executed itself, see [`Report`]) out
//! of all the work counted, and loops are listed by it; *entered* is how often the loop was
//! run through. *what* is what the loop became: `loop`, `loop*` (a loop
//! whose first iteration was peeled off, counted with it), `scan` (steps over cells) or
//! `if` (code that runs at most once per entry, such as a multiply loop: its count is how
//! often it ran). See [`super`] for which counts are exact at every level.

use std::fmt::Write as _;

use super::Report;
use crate::OptLevel;

/// Widest loop excerpt shown, in commands.
const EXCERPT: usize = 40;

/// The report's `top` hottest loops as text, for a program `source` run at `level`.
pub fn render(report: &Report, source: &[u8], level: OptLevel, top: usize) -> String {
    let mut out = String::new();
    let level = match level {
        OptLevel::O0 => "-O0",
        OptLevel::O1 => "-O1",
        OptLevel::O2 => "-O2",
    };
    let n = report.loops.len();
    let _ = writeln!(
        out,
        "jitbf --profile: {} iterations of {n} loop{} ({level})",
        report.total,
        if n == 1 { "" } else { "s" }
    );
    if n == 0 {
        out.push_str("  (no loop runs in the compiled program)\n");
        return out;
    }
    let _ = writeln!(
        out,
        "  {:>6}  {:>12}  {:>10}  {:<8} {:<6} loop",
        "share", "iterations", "entered", "where", "what"
    );
    for hot in report.loops.iter().take(top) {
        let span = crate::ir::Span::new(hot.start, hot.end);
        let _ = writeln!(
            out,
            "  {:>5.1}%  {:>12}  {:>10}  {:<8} {:<6} {}",
            hot.share * 100.0,
            hot.iterations,
            hot.entries,
            hot.at.to_string(),
            hot.kind.name(),
            crate::source::fragment(source, span, EXCERPT),
        );
    }
    if n > top {
        let rest: u64 = report.loops[top..].iter().map(|h| h.iterations).sum();
        let _ = writeln!(out, "  ({} more loops: {rest} iterations)", n - top);
    }
    out.push_str(
        "  share: of the IR instructions executed in loops, each counted in its innermost loop\n",
    );
    if report.loops.iter().any(|h| h.kind == super::Kind::Peeled) {
        out.push_str("  loop*: first iteration peeled off by the optimizer, counted here\n");
    }
    if report.loops.iter().any(|h| h.kind == super::Kind::If) {
        out.push_str(
            "  if: a loop the optimizer made straight code (e.g. a multiply loop); \
             counted: how often it ran\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Counts;
    use crate::{Config, Program};

    #[test]
    fn the_hottest_loop_comes_first_with_its_position_and_share() {
        let src = "+++[>++++[>+<-]<-]";
        let config = Config::default().opt_level(OptLevel::O0).profile(true);
        let program = Program::new(src, &config).unwrap();
        // Outer loop (construct 0) entered once, 3 times round; inner 3 times, 12 in all.
        let counts = Counts {
            entries: vec![1, 3],
            bodies: vec![3, 12],
        };
        let report = Report::new(program.ir(), src.as_bytes(), &counts);
        let text = render(&report, src.as_bytes(), OptLevel::O0, 10);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "jitbf --profile: 15 iterations of 2 loops (-O0)");
        assert!(
            lines[2].contains("76.9%") && lines[2].contains("1:10"),
            "{text}"
        );
        assert!(lines[2].ends_with("loop   [>+<-]"), "{text}");
        assert!(
            lines[3].contains("23.1%") && lines[3].contains("1:4"),
            "{text}"
        );
        let one = render(&report, src.as_bytes(), OptLevel::O0, 1);
        assert!(one.contains("(1 more loops: 3 iterations)"), "{one}");
    }
}
