//! `jitbf bench`: timing programs with the JIT and with both interpreters, honestly.
//!
//! Each program runs with three executors: the JIT on the optimized IR, the interpreter on
//! the same IR (the difference is what machine code buys) and the reference interpreter on
//! the literal IR (what `jitbf --interp` runs). Each is prepared once (parse, optimize,
//! compile) and run `runs` times on the same input, output captured in memory; the table
//! shows the fastest, median and slowest run.
//!
//! A benchmark is only worth something if the programs did what they should, so every run
//! is checked: a run that fails (a move off the tape, an I/O error) makes the program
//! **failed**, with the error's message; executors that print different output, or fail
//! differently, make it **disagree** (a bug in jitbf). Only when every run of every executor
//! succeeded with the same output does the table say the executors agree; the command exits
//! with status 1 otherwise.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::{Config, Executor, Io, OptLevel, Program};

/// A program to time: its name (for the table), source and input.
#[derive(Clone, Debug)]
pub struct Case {
    /// How the table calls it.
    pub name: String,
    /// The Brainfuck source.
    pub source: Vec<u8>,
    /// Its input, fed to every run.
    pub input: Vec<u8>,
}

/// One of the executors compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The JIT, on the optimized IR (the interpreter where there is no JIT).
    Jit,
    /// The interpreter on the same optimized IR.
    Interp,
    /// The reference interpreter on the literal (`-O0`) IR.
    Reference,
}

impl Kind {
    /// All three, in table order.
    pub const ALL: [Kind; 3] = [Kind::Jit, Kind::Interp, Kind::Reference];

    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Jit => "jit",
            Kind::Interp => "interp",
            Kind::Reference => "reference",
        }
    }
}

/// How one executor did on one program.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Which executor.
    pub kind: Kind,
    /// Parsing and optimizing.
    pub prepare: Duration,
    /// Code generation (the JIT only).
    pub compile: Option<Duration>,
    /// Each run's time, in the order they ran.
    pub runs: Vec<Duration>,
    /// The output of the first run.
    pub output: Vec<u8>,
    /// The first failure: the error's message (a compile error, or a run's error).
    pub error: Option<String>,
}

impl Measurement {
    /// Fastest, median and slowest run (`None` if nothing ran).
    pub fn spread(&self) -> Option<(Duration, Duration, Duration)> {
        let mut runs = self.runs.clone();
        runs.sort_unstable();
        Some((*runs.first()?, runs[runs.len() / 2], *runs.last()?))
    }
}

/// What a program's measurements say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every run of every executor succeeded, with this many bytes of identical output.
    Agree(usize),
    /// Some run failed: the executor and the error's message.
    Failed(String),
    /// The executors printed different output (a bug in jitbf).
    Disagree(String),
}

/// One program's measurements and verdict.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The program's name.
    pub name: String,
    /// One per executor, in [`Kind::ALL`] order.
    pub measurements: Vec<Measurement>,
    /// Whether the numbers mean anything.
    pub verdict: Verdict,
}

impl Outcome {
    /// True when the program ran correctly everywhere.
    pub fn ok(&self) -> bool {
        matches!(self.verdict, Verdict::Agree(_))
    }
}

/// Times `case` with each executor, `runs` times each, under `config` (its `opt_level` is the
/// JIT's and the same-IR interpreter's). `tick` is called after every run (for progress).
pub fn measure(case: &Case, config: &Config, runs: usize, tick: &mut dyn FnMut()) -> Outcome {
    let measurements: Vec<Measurement> = Kind::ALL
        .iter()
        .map(|&kind| measure_one(case, config, kind, runs, tick))
        .collect();
    let verdict = verdict(&measurements);
    Outcome {
        name: case.name.clone(),
        measurements,
        verdict,
    }
}

fn measure_one(
    case: &Case,
    config: &Config,
    kind: Kind,
    runs: usize,
    tick: &mut dyn FnMut(),
) -> Measurement {
    let config = match kind {
        Kind::Reference => config.opt_level(OptLevel::O0),
        _ => *config,
    };
    let mut m = Measurement {
        kind,
        prepare: Duration::ZERO,
        compile: None,
        runs: Vec::new(),
        output: Vec::new(),
        error: None,
    };
    let program = match Program::new(case.source.as_slice(), &config) {
        Ok(program) => program,
        Err(e) => {
            m.error = Some(e.to_string());
            return m;
        }
    };
    m.prepare = program.stats().parse + program.stats().optimize;
    let mut executor: Box<dyn Executor + '_> = match kind {
        Kind::Jit => match program.compile() {
            Ok(compiled) => {
                m.compile = Some(compiled.compile_time());
                Box::new(compiled)
            }
            Err(e) => {
                m.error = Some(e.to_string());
                return m;
            }
        },
        _ => Box::new(program.interpreter()),
    };
    for k in 0..runs {
        let mut io = Io::memory(case.input.as_slice());
        let start = Instant::now();
        let result = executor.run(&mut io);
        m.runs.push(start.elapsed());
        tick();
        if k == 0 {
            m.output = io.take_output();
        }
        if let Err(e) = result {
            m.error = Some(e.to_string());
            break;
        }
    }
    m
}

fn verdict(ms: &[Measurement]) -> Verdict {
    if let Some(m) = ms.iter().find(|m| m.error.is_some()) {
        let error = m.error.as_deref().unwrap_or_default();
        return Verdict::Failed(format!("{}: {error}", m.kind.name()));
    }
    let first = &ms[0];
    match ms.iter().find(|m| m.output != first.output) {
        Some(m) => Verdict::Disagree(format!(
            "{} wrote {} bytes, {} wrote {}",
            first.kind.name(),
            first.output.len(),
            m.kind.name(),
            m.output.len()
        )),
        None => Verdict::Agree(first.output.len()),
    }
}

/// Milliseconds with enough digits for sub-millisecond times.
fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.3}")
    } else {
        format!("{ms:.1}")
    }
}

/// The table of `outcomes` (times in milliseconds), with a verdict line per program and a
/// summary.
pub fn table(outcomes: &[Outcome], runs: usize, level: OptLevel) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "jitbf bench: {runs} run{} each; jit and interp at -O{}, reference at -O0; times in ms",
        if runs == 1 { "" } else { "s" },
        level as u8
    );
    let header = [
        "program", "executor", "prepare", "compile", "run min", "median", "max", "speedup",
    ];
    let mut rows: Vec<[String; 8]> = Vec::new();
    for o in outcomes {
        let jit_median = o.measurements[0].spread().map(|s| s.1);
        for (k, m) in o.measurements.iter().enumerate() {
            let spread = m.spread();
            let speedup = match (jit_median, spread, k) {
                (Some(j), Some((_, med, _)), 1..) if j > Duration::ZERO && m.error.is_none() => {
                    format!("{:.1}x", med.as_secs_f64() / j.as_secs_f64())
                }
                _ => String::new(),
            };
            let dash = || "-".to_string();
            rows.push([
                if k == 0 {
                    o.name.clone()
                } else {
                    String::new()
                },
                m.kind.name().to_string(),
                ms(m.prepare),
                m.compile.map_or_else(dash, ms),
                spread.map_or_else(dash, |s| ms(s.0)),
                spread.map_or_else(dash, |s| ms(s.1)),
                spread.map_or_else(dash, |s| ms(s.2)),
                speedup,
            ]);
        }
    }
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[&str]| {
        let mut text = String::new();
        for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if k < 2 {
                let _ = write!(text, "{cell:<w$}  ");
            } else {
                let _ = write!(text, "{cell:>w$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut out, &header);
    for row in &rows {
        line(&mut out, &row.each_ref().map(String::as_str));
    }
    let mut bad = 0;
    for o in outcomes {
        match &o.verdict {
            Verdict::Agree(_) => {}
            Verdict::Failed(why) => {
                bad += 1;
                let _ = writeln!(out, "FAILED {}: {why}", o.name);
            }
            Verdict::Disagree(why) => {
                bad += 1;
                let _ = writeln!(
                    out,
                    "DISAGREE {}: the executors differ (a bug in jitbf): {why}",
                    o.name
                );
            }
        }
    }
    if bad == 0 {
        let _ = writeln!(
            out,
            "ok: all three executors agree on every program ({})",
            outcomes
                .iter()
                .map(|o| match o.verdict {
                    Verdict::Agree(n) => format!("{}: {n} bytes of output", o.name),
                    _ => unreachable!(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        let _ = writeln!(
            out,
            "{bad} of {} program{} did not run correctly: their times mean nothing",
            outcomes.len(),
            if outcomes.len() == 1 { "" } else { "s" }
        );
    }
    out
}

/// The outcomes as JSON (one object; times in milliseconds), for scripts:
///
/// ```text
/// {"runs":3,"opt_level":2,"ok":true,"programs":[{"name":"hello.bf","status":"ok",
///  "message":null,"output_bytes":13,"executors":[{"executor":"jit","prepare_ms":0.02,
///  "compile_ms":0.01,"run_ms":{"min":0.1,"median":0.1,"max":0.2},"error":null},...]}]}
/// ```
///
/// Written by hand: the format is small and fixed, and strings are escaped per RFC 8259
/// (a test parses the result with a JSON parser).
pub fn json(outcomes: &[Outcome], runs: usize, level: OptLevel) -> String {
    let num = |d: Duration| format!("{:.6}", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "{{\"runs\":{runs},\"opt_level\":{},\"ok\":{},\"programs\":[",
        level as u8,
        outcomes.iter().all(Outcome::ok)
    );
    for (i, o) in outcomes.iter().enumerate() {
        let (status, message, bytes) = match &o.verdict {
            Verdict::Agree(n) => ("ok", None, Some(*n)),
            Verdict::Failed(m) => ("failed", Some(m), None),
            Verdict::Disagree(m) => ("disagree", Some(m), None),
        };
        let _ = write!(
            out,
            "{}{{\"name\":{},\"status\":\"{status}\",\"message\":{},\"output_bytes\":{},\
             \"executors\":[",
            if i > 0 { "," } else { "" },
            string(&o.name),
            message.map_or_else(|| "null".to_string(), |m| string(m)),
            bytes.map_or_else(|| "null".to_string(), |n| n.to_string()),
        );
        for (k, m) in o.measurements.iter().enumerate() {
            let run = m.spread().map_or_else(
                || "null".to_string(),
                |(lo, med, hi)| {
                    format!(
                        "{{\"min\":{},\"median\":{},\"max\":{}}}",
                        num(lo),
                        num(med),
                        num(hi)
                    )
                },
            );
            let _ = write!(
                out,
                "{}{{\"executor\":\"{}\",\"prepare_ms\":{},\"compile_ms\":{},\"run_ms\":{run},\
                 \"error\":{}}}",
                if k > 0 { "," } else { "" },
                m.kind.name(),
                num(m.prepare),
                m.compile.map_or_else(|| "null".to_string(), num),
                m.error
                    .as_deref()
                    .map_or_else(|| "null".to_string(), string),
            );
        }
        out.push_str("]}");
    }
    out.push_str("]}\n");
    out
}

/// A JSON string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, src: &str) -> Case {
        Case {
            name: name.to_string(),
            source: src.as_bytes().to_vec(),
            input: Vec::new(),
        }
    }

    #[test]
    fn a_program_that_leaves_the_tape_failed_and_never_agrees() {
        let mut ticks = 0;
        let o = measure(&case("bad", "+.<"), &Config::default(), 3, &mut || {
            ticks += 1
        });
        assert_eq!(
            o.verdict,
            Verdict::Failed("jit: pointer moved left of cell 0 at 1:3".to_string())
        );
        // Each executor stops at its first failed run.
        assert_eq!(ticks, 3);
        let text = table(&[o], 3, OptLevel::O2);
        assert!(
            text.contains("FAILED bad: jit: pointer moved left"),
            "{text}"
        );
        assert!(!text.contains("agree"), "{text}");
    }

    #[test]
    fn good_programs_agree_with_min_median_max() {
        let o = measure(
            &case("ok", "++++++[>++++++++<-]>."),
            &Config::default(),
            5,
            &mut || {},
        );
        assert_eq!(o.verdict, Verdict::Agree(1));
        for m in &o.measurements {
            assert_eq!(m.runs.len(), 5);
            let (lo, med, hi) = m.spread().unwrap();
            assert!(lo <= med && med <= hi);
            assert_eq!(m.output, b"0");
        }
        let text = table(&[o.clone(), o], 5, OptLevel::O2);
        assert!(text.contains("ok: all three executors agree"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("ok ")).count(), 2);
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
