//! Timing the pipeline: what `jitbf --stats` and `jitbf bench` print.
//!
//! [`Report`] is one run's timings and sizes (`--stats`); [`compare`] runs a program with
//! the JIT and with the interpreter on the same input and reports both, side by side, with
//! the speedup (`jitbf bench`). Wall-clock times of single runs: good for a first look; the
//! criterion benchmarks in `benches/` are the careful measurement.

use std::fmt;
use std::time::{Duration, Instant};

use crate::{Error, Executor, Io, Program, RuntimeError};

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
    /// Code generation time (the JIT only).
    pub compile: Option<Duration>,
    /// Time of the run.
    pub time: Duration,
    /// What the program wrote.
    pub output: Vec<u8>,
    /// How it ended.
    pub result: Result<(), RuntimeError>,
}

/// The JIT and the interpreter on the same program and input.
#[derive(Debug)]
pub struct Comparison {
    /// Parse and optimize, shared by both (they run the same IR).
    pub program: crate::Stats,
    /// The JIT's run; `None` where there is no JIT.
    pub jit: Option<Run>,
    /// The interpreter's run.
    pub interp: Run,
}

/// Runs `program` on `input` with the JIT (where available) and with the interpreter,
/// output captured in memory.
pub fn compare(program: &Program, input: &[u8]) -> Result<Comparison, Error> {
    let timed = |executor: &mut dyn Executor, compile: Option<Duration>| {
        let mut io = Io::memory(input);
        let start = Instant::now();
        let result = executor.run(&mut io);
        Run {
            compile,
            time: start.elapsed(),
            output: io.take_output(),
            result,
        }
    };
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    let jit = {
        let mut jit = program.compile()?;
        let compile = jit.compile_time();
        Some(timed(&mut jit, Some(compile)))
    };
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    let jit = None;
    let interp = timed(&mut program.interpreter(), None);
    Ok(Comparison {
        program: *program.stats(),
        jit,
        interp,
    })
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.program;
        let dash = || "-".to_string();
        let jit = self.jit.as_ref();
        let col = |d: Option<Duration>| d.map_or_else(dash, |d| Ms(d).to_string());
        let total = |r: &Run| p.parse + p.optimize + r.compile.unwrap_or_default() + r.time;
        writeln!(f, "{:<10} {:>14} {:>14}", "", "JIT", "interpreter")?;
        let rows = [
            ("parse", jit.map(|_| p.parse), Some(p.parse)),
            ("optimize", jit.map(|_| p.optimize), Some(p.optimize)),
            ("compile", jit.and_then(|r| r.compile), None),
            ("run", jit.map(|r| r.time), Some(self.interp.time)),
            ("total", jit.map(total), Some(total(&self.interp))),
        ];
        for (name, a, b) in rows {
            writeln!(f, "{name:<10} {:>14} {:>14}", col(a), col(b))?;
        }
        match jit {
            Some(jit) => {
                let speedup =
                    |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64().max(1e-9);
                writeln!(
                    f,
                    "JIT speedup: {:.1}x on the run, {:.1}x in total",
                    speedup(jit.time, self.interp.time),
                    speedup(total(jit), total(&self.interp))
                )?;
                let same = jit.output == self.interp.output
                    && format!("{:?}", jit.result) == format!("{:?}", self.interp.result);
                if same {
                    writeln!(f, "same output ({} bytes) and result", jit.output.len())
                } else {
                    writeln!(f, "WARNING: the JIT and the interpreter disagree (a bug)")
                }
            }
            None => writeln!(f, "no JIT on this platform"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_runs_both_and_reports_the_same_output() {
        // Clear the cell before each read, so end of input (cell left unchanged) stops it.
        let program = Program::new(",[.[-],]", &crate::Config::default()).unwrap();
        let c = compare(&program, b"abc").unwrap();
        assert_eq!(c.interp.output, b"abc");
        if let Some(jit) = &c.jit {
            assert_eq!(jit.output, b"abc");
            assert!(jit.compile.is_some());
        }
        let table = c.to_string();
        assert!(table.contains("interpreter"), "{table}");
        assert!(table.lines().any(|l| l.starts_with("run")), "{table}");
    }
}
