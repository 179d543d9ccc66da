//! Timing the pipeline: what `jitbf --stats` prints.
//!
//! [`Report`] is one run's timings and sizes. `jitbf bench`, which compares the executors
//! over several runs, is [`crate::bench`]; the criterion benchmarks in `benches/` are the
//! careful measurement.

use std::fmt;
use std::time::Duration;

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
        if p.pieces > 1 {
            writeln!(
                f,
                "           parsed and optimized in {} pieces on {} threads (the known-value pass \
                 analyses at most {} IR ops of each)",
                p.pieces,
                p.threads,
                crate::opt::KNOWN_BUDGET
            )?;
        }
        if p.unanalysed_ops > 0 {
            let each = if p.pieces > 1 { " per piece" } else { "" };
            writeln!(
                f,
                "           known-value pass skipped {} IR ops at the end (it analyses at most {}{each})",
                p.unanalysed_ops,
                crate::opt::KNOWN_BUDGET
            )?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partly_analysed_program_says_so() {
        let mut report = Report::default();
        assert!(!report.to_string().contains("skipped"));
        report.program.unanalysed_ops = 1234;
        assert!(
            report
                .to_string()
                .contains("known-value pass skipped 1234 IR ops at the end")
        );
    }

    #[test]
    fn a_program_optimized_in_pieces_says_so() {
        let mut report = Report::default();
        report.program.pieces = 1;
        assert!(!report.to_string().contains("pieces"));
        report.program.pieces = 2;
        report.program.threads = 2;
        report.program.unanalysed_ops = 5;
        let text = report.to_string();
        assert!(text.contains("in 2 pieces on 2 threads"), "{text}");
        assert!(text.contains("per piece"), "{text}");
    }
}
