//! `jitbf bench FILE...`: the JIT against the interpreters, on one program or several (see
//! [`crate::bench`]). Exits with status 1 when a program did not run correctly.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;

use super::{Failure, Semantics, opt_level, to_stderr};
use crate::OptLevel;
use crate::bench::{self, Case};

/// The options of `jitbf bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// The Brainfuck programs (`-`: one read from standard input).
    #[arg(required_unless_present = "expr")]
    pub files: Vec<PathBuf>,

    /// A program given on the command line (may be repeated; timed after the files).
    #[arg(
        short = 'e',
        long = "expr",
        value_name = "CODE",
        allow_hyphen_values = true
    )]
    pub expr: Vec<OsString>,

    /// The programs' input (read once, fed to every run; default: none).
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Runs per program and executor; the table shows the fastest, median and slowest.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub runs: u32,

    /// Write the results as JSON to standard output instead of a table.
    #[arg(long)]
    pub json: bool,

    /// What the programs mean.
    #[command(flatten)]
    pub semantics: Semantics,

    /// Optimization level of the JIT and of the interpreter on the same IR (the reference
    /// interpreter always runs the literal IR) [default: 2]
    #[arg(short = 'O', value_name = "LEVEL", value_parser = ["0", "1", "2"])]
    pub opt: Option<String>,
}

/// Runs `jitbf bench`.
pub fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let input = match &args.input {
        Some(path) => {
            let mut bytes = Vec::new();
            super::run::open_input(path)?
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    Failure::usage(format!("cannot read input {}: {e}", path.display()))
                })?;
            bytes
        }
        None => Vec::new(),
    };
    let mut cases = Vec::new();
    for file in &args.files {
        let source = super::ProgramSource {
            file: Some(file.clone()),
            expr: None,
        };
        let (source, name) = source.read()?;
        cases.push(Case {
            name,
            source,
            input: input.clone(),
        });
    }
    for (k, code) in args.expr.iter().enumerate() {
        cases.push(Case {
            name: if args.expr.len() == 1 {
                "<expr>".to_string()
            } else {
                format!("<expr {}>", k + 1)
            },
            source: super::source::os_bytes(code),
            input: input.clone(),
        });
    }
    let level = opt_level(args.opt.as_deref(), OptLevel::O2);
    let config = args.semantics.config(level);
    let runs = args.runs as usize;

    // Progress on a terminal only: a bar over every run of every executor.
    let total = (cases.len() * bench::Kind::ALL.len() * runs) as u64;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs, {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let mut outcomes = Vec::new();
    for case in &cases {
        bar.set_prefix(case.name.clone());
        outcomes.push(bench::measure(case, &config, runs, &mut || bar.inc(1)));
    }
    bar.finish_and_clear();

    let text = if args.json {
        bench::json(&outcomes, runs, level)
    } else {
        bench::table(&outcomes, runs, level)
    };
    super::write_output(None, text.as_bytes())?;
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok())
        .map(|o| o.name.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    if args.json {
        // The JSON says what failed; stderr says it too, for a person watching.
        to_stderr(&format!("jitbf bench: failed: {}\n", failed.join(", ")));
    }
    Err(Failure {
        message: String::new(),
        status: 1,
    })
}
