//! `--profile-html FILE`: the source as a heat map, one self-contained page.
//!
//! Every byte of the source is coloured by the work (see [`super::Report`]) of the innermost
//! counted loop around it, on a logarithmic scale from pale yellow (ran a little) to red (the
//! hottest loop); code outside loops stays white. Hovering over code shows its loop's position,
//! iterations and share. Above the source, a table lists the hottest loops, each a link to
//! its `[`. The page is plain HTML with an inline style sheet: no script, nothing loaded
//! from the network, so it can be mailed or archived as one file.

use crate::html::escape;
use std::fmt::Write as _;

use super::Report;

/// Colour steps of the heat scale (plus white for "not in a counted loop").
pub const STEPS: u32 = 9;

/// Loops listed in the table at the top.
const TABLE: usize = 20;

/// The page for `report`, from a run of `source` (called `name` in the title).
pub fn page(report: &Report, source: &[u8], name: &str) -> String {
    let mut out = String::with_capacity(source.len() * 2 + 4096);
    let title = escape(&format!("jitbf --profile: {name}"));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}</title>\n<style>\n{}</style></head>\n<body>\n<h1>{title}</h1>\n",
        style()
    );
    let _ = writeln!(
        out,
        "<p>{} iterations of {} loops. Colour: the work (IR instructions executed) of the \
         innermost loop around the code, on a log scale; hover for numbers.</p>",
        report.total,
        report.loops.len()
    );
    out.push_str("<p class=\"legend\">cold ");
    for k in 1..=STEPS {
        let _ = write!(out, "<span class=\"h{k}\">&nbsp;{k}&nbsp;</span>");
    }
    out.push_str(
        " hot</p>\n<table>\n<tr><th>share</th><th>iterations</th><th>entered</th>\
                  <th>where</th><th>what</th><th>loop</th></tr>\n",
    );
    let max = report.loops.first().map_or(0, |h| h.work);
    for hot in report.loops.iter().take(TABLE) {
        let span = crate::ir::Span::new(hot.start, hot.end);
        let _ = writeln!(
            out,
            "<tr class=\"h{}\"><td>{:.1}%</td><td>{}</td><td>{}</td><td><a href=\"#L{}\">{}</a>\
             </td><td>{}</td><td><code>{}</code></td></tr>",
            step(hot.work, max),
            hot.share * 100.0,
            hot.iterations,
            hot.entries,
            hot.start,
            hot.at,
            hot.kind.name(),
            escape(&crate::source::fragment(source, span, 60)),
        );
    }
    out.push_str("</table>\n<pre id=\"source\">");
    source_view(&mut out, report, source, max);
    out.push_str("</pre>\n</body></html>\n");
    out
}

/// The colour step of a loop with `work`, when the hottest has `max`: 0 for none, else
/// 1..=[`STEPS`] by `log(1 + work) / log(1 + max)`.
pub fn step(work: u64, max: u64) -> u32 {
    if work == 0 || max == 0 {
        return 0;
    }
    let x = ((1 + work) as f64).ln() / ((1 + max) as f64).ln();
    ((x * f64::from(STEPS)).ceil() as u32).clamp(1, STEPS)
}

/// The source, in runs of bytes that share their innermost loop.
fn source_view(out: &mut String, report: &Report, source: &[u8], max: u64) {
    // Loops by position; a sweep keeps the stack of loops open at each byte.
    let mut loops: Vec<usize> = (0..report.loops.len()).collect();
    loops.sort_by_key(|&i| report.loops[i].start);
    let mut next = loops.into_iter().peekable();
    let mut open: Vec<usize> = Vec::new();
    let mut run_start = 0usize;
    let mut current: Option<usize> = None;
    for pos in 0..=source.len() {
        while open
            .last()
            .is_some_and(|&i| report.loops[i].end as usize <= pos)
        {
            open.pop();
        }
        while let Some(&i) = next.peek() {
            if report.loops[i].start as usize != pos {
                break;
            }
            open.push(i);
            next.next();
        }
        let innermost = open.last().copied();
        let starts_loop = innermost.is_some_and(|i| report.loops[i].start as usize == pos);
        if pos == source.len() || innermost != current || starts_loop {
            if run_start < pos {
                write_run(
                    out,
                    report,
                    &source[run_start..pos],
                    current,
                    max,
                    run_start,
                );
            }
            run_start = pos;
            current = innermost;
        }
    }
}

fn write_run(
    out: &mut String,
    report: &Report,
    bytes: &[u8],
    innermost: Option<usize>,
    max: u64,
    at: usize,
) {
    let text = escape(&String::from_utf8_lossy(bytes));
    match innermost {
        None => out.push_str(&text),
        Some(i) => {
            let hot = &report.loops[i];
            let id = if hot.start as usize == at {
                format!(" id=\"L{at}\"")
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "<span class=\"h{}\"{id} title=\"{} {}: {:.1}% of the work, {} iterations, \
                 entered {}\">{text}</span>",
                step(hot.work, max),
                hot.at,
                hot.kind.name(),
                hot.share * 100.0,
                hot.iterations,
                hot.entries,
            );
        }
    }
}

/// The style sheet: the heat steps from pale yellow to red.
fn style() -> String {
    let mut css = String::from(
        "body { font-family: sans-serif; margin: 1em 2em; background: #fff; color: #000; }\n\
         pre { font-family: monospace; white-space: pre-wrap; word-break: break-all; \
         border: 1px solid #ccc; padding: 0.5em; }\n\
         table { border-collapse: collapse; margin-bottom: 1em; }\n\
         td, th { padding: 0.1em 0.6em; text-align: right; }\n\
         td:last-child { text-align: left; }\n",
    );
    for k in 1..=STEPS {
        // Hue from 55 (yellow) down to 0 (red), lightness from 88% down to 50%.
        let t = f64::from(k - 1) / f64::from(STEPS - 1);
        let _ = writeln!(
            css,
            ".h{k} {{ background: hsl({:.0}, 100%, {:.0}%); }}",
            55.0 * (1.0 - t),
            88.0 - 38.0 * t
        );
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Counts;
    use crate::{Config, OptLevel, Program};

    #[test]
    fn steps_grow_with_iterations_on_a_log_scale() {
        assert_eq!(step(0, 100), 0);
        assert_eq!(step(100, 100), STEPS);
        assert_eq!(step(1, 1_000_000), 1);
        assert!(step(1000, 1_000_000) > step(10, 1_000_000));
    }

    #[test]
    fn each_byte_is_coloured_by_its_innermost_loop() {
        let src = "a<+[>+[-]<-]&";
        let config = Config::default().opt_level(OptLevel::O0).profile(true);
        let program = Program::new(src, &config).unwrap();
        let counts = Counts {
            entries: vec![1, 3],
            bodies: vec![3, 300],
        };
        let report = Report::new(program.ir(), src.as_bytes(), &counts);
        let html = page(&report, src.as_bytes(), "t<1>");
        assert!(html.contains("<title>jitbf --profile: t&lt;1&gt;</title>"));
        let pre = html.split_once("<pre id=\"source\">").unwrap().1;
        // Outside any loop: plain; the outer loop's `[>+`, then the inner `[-]` hottest.
        assert!(
            pre.starts_with("a&lt;+<span class=\"h5\" id=\"L3\" title=\"1:4 loop: 2.9% "),
            "{pre}"
        );
        assert!(pre.contains(
            "id=\"L6\" title=\"1:7 loop: 97.1% of the work, 300 iterations, entered 3\">[-]</span>"
        ));
        assert!(pre.contains("</span>&amp;</pre>"));
        assert!(!html.contains("http"), "nothing from the network");
    }
}
