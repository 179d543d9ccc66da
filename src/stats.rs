//! Timing the pipeline: what `jitbf --stats` and `jitbf bench` print.
//!
//! [`Report`] is one run's timings and sizes (`--stats`); [`compare`] runs a program on one
//! input with the JIT, with the interpreter on the same optimized IR, and with the reference
//! interpreter on the literal IR, and reports them side by side with the speedups
//! (`jitbf bench`). Wall-clock times of single runs: good for a first look; the
//! criterion benchmarks in `benches/` are the careful measurement.

use std::fmt;
use std::time::{Duration, Instant};

use crate::{Config, Error, Executor, Io, OptLevel, Program, RuntimeError};

/// Timings and sizes of one program through the pipeline.
#[derive(Clone, Copy, Debug, Default)]
pub struct Report {
    /// Parse and optimize (see [`crate::Stats`]).
    pub program: crate::Stats,
    /// Code generation, if the JIT ran.
    pub compile: Option<Duration>,
    /// Bytes of machine code, if the JIT ran.
    pub code_bytes: Option<usize>,
    /// The run itself.
    pub run: Option<Duration>,
}

/// Milliseconds, with enough digits to see sub-millisecond stages.
struct Ms(Duration);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_secs_f64() * 1e3;
        let text = if ms < 10.0 {
            format!("{ms:.3} ms")
        } else {
            format!("{ms:.1} ms")
        };
        f.pad(&text)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.program;
        writeln!(
            f,
            "  parse    {:>12}   {} IR ops",
            Ms(p.parse),
            p.literal_ops
        )?;
        writeln!(
            f,
            "  optimize {:>12}   {} IR ops after",
            Ms(p.optimize),
            p.ops
        )?;
        if let Some(compile) = self.compile {
            let bytes = self.code_bytes.unwrap_or(0);
            writeln!(
                f,
                "  compile  {:>12}   {bytes} bytes of machine code",
                Ms(compile)
            )?;
        }
        if let Some(run) = self.run {
            writeln!(f, "  run      {:>12}", Ms(run))?;
        }
        Ok(())
    }
}

/// One executor's run in a [`Comparison`].
#[derive(Debug)]
pub struct Run {
    /// Parse and optimize times of the program it ran.
    pub program: crate::Stats,
    /// Code generation time (the JIT only).
    pub compile: Option<Duration>,
    /// Time of the run.
    pub time: Duration,
    /// What the program wrote.
    pub output: Vec<u8>,
    /// How it ended.
    pub result: Result<(), RuntimeError>,
}

impl Run {
    /// Parse, optimize, compile and run.
    pub fn total(&self) -> Duration {
        self.program.parse + self.program.optimize + self.compile.unwrap_or_default() + self.time
    }
}

/// One program and input, run three ways.
#[derive(Debug)]
pub struct Comparison {
    /// The JIT, on the optimized program; `None` where there is no JIT.
    pub jit: Option<Run>,
    /// The interpreter on the same optimized IR: the difference to the JIT is what machine
    /// code buys.
    pub interp: Run,
    /// The reference interpreter on the literal IR (`-O0`), what `jitbf --interp` runs.
    pub reference: Run,
}

/// Runs `source` on `input` with the JIT (where available) and the interpreter, both on the
/// IR optimized for `config`, and with the reference interpreter on the literal IR; output
/// is captured in memory.
pub fn compare(source: &[u8], input: &[u8], config: &Config) -> Result<Comparison, Error> {
    let optimized = Program::new(source, config)?;
    let literal = Program::new(source, &config.opt_level(OptLevel::O0))?;
    let timed = |program: &Program, executor: &mut dyn Executor, compile: Option<Duration>| {
        let mut io = Io::memory(input);
        let start = Instant::now();
        let result = executor.run(&mut io);
        Run {
            program: *program.stats(),
            compile,
            time: start.elapsed(),
            output: io.take_output(),
            result,
        }
    };
    let mut compiled = optimized.compile()?;
    let jit = compiled.is_jit().then(|| {
        let compile = compiled.compile_time();
        timed(&optimized, &mut compiled, Some(compile))
    });
    Ok(Comparison {
        jit,
        interp: timed(&optimized, &mut optimized.interpreter(), None),
        reference: timed(&literal, &mut literal.interpreter(), None),
    })
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cell = |d: Option<Duration>| d.map_or_else(|| "-".to_string(), |d| Ms(d).to_string());
        let runs = [self.jit.as_ref(), Some(&self.interp), Some(&self.reference)];
        let row =
            |f: &mut fmt::Formatter<'_>, name: &str, get: &dyn Fn(&Run) -> Option<Duration>| {
                let [a, b, c] = runs.map(|r| cell(r.and_then(get)));
                writeln!(f, "{name:<10} {a:>14} {b:>14} {c:>14}")
            };
        writeln!(
            f,
            "{:<10} {:>14} {:>14} {:>14}",
            "", "JIT", "interpreter", "reference"
        )?;
        writeln!(
            f,
            "{:<10} {:>14} {:>14} {:>14}",
            "", "", "(same IR)", "(-O0 IR)"
        )?;
        row(f, "parse", &|r| Some(r.program.parse))?;
        row(f, "optimize", &|r| Some(r.program.optimize))?;
        row(f, "compile", &|r| r.compile)?;
        row(f, "run", &|r| Some(r.time))?;
        row(f, "total", &|r| Some(r.total()))?;
        let Some(jit) = &self.jit else {
            return writeln!(f, "no JIT on this platform");
        };
        let speedup = |slow: &Run| slow.total().as_secs_f64() / jit.total().as_secs_f64().max(1e-9);
        writeln!(
            f,
            "JIT speedup in total: {:.1}x over the interpreter on the same IR, {:.1}x over the \
             reference interpreter",
            speedup(&self.interp),
            speedup(&self.reference)
        )?;
        let agree = |r: &Run| {
            r.output == jit.output && format!("{:?}", r.result) == format!("{:?}", jit.result)
        };
        if agree(&self.interp) && agree(&self.reference) {
            writeln!(f, "all three agree ({} bytes of output)", jit.output.len())
        } else {
            writeln!(f, "WARNING: the executors disagree (a bug in jitbf)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_runs_both_and_reports_the_same_output() {
        // Clear the cell before each read, so end of input (cell left unchanged) stops it.
        let c = compare(b",[.[-],]", b"abc", &Config::default()).unwrap();
        assert_eq!(c.interp.output, b"abc");
        assert_eq!(c.reference.output, b"abc");
        if let Some(jit) = &c.jit {
            assert_eq!(jit.output, b"abc");
            assert!(jit.compile.is_some());
        }
        let table = c.to_string();
        assert!(table.contains("reference"), "{table}");
        assert!(table.lines().any(|l| l.starts_with("run")), "{table}");
        if c.jit.is_some() {
            assert!(
                table.contains("all three agree (3 bytes of output)"),
                "{table}"
            );
        }
    }
}
