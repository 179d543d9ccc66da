//! `jitbf bench FILE`: the JIT against the interpreters on one program.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::{Failure, ProgramSource, Semantics, opt_level};
use crate::OptLevel;

/// The options of `jitbf bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// The program.
    #[command(flatten)]
    pub source: ProgramSource,

    /// The program's input (read once, fed to every run; default: none).
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// What the program means.
    #[command(flatten)]
    pub semantics: Semantics,

    /// Optimization level of the JIT and of the interpreter on the same IR (the reference
    /// interpreter always runs the literal IR) [default: 2]
    #[arg(short = 'O', value_name = "LEVEL", value_parser = ["0", "1", "2"])]
    pub opt: Option<String>,
}

/// Runs `jitbf bench`.
pub fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let (source, name) = args.source.read()?;
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
    let config = args
        .semantics
        .config(opt_level(args.opt.as_deref(), OptLevel::O2));
    let comparison = crate::stats::compare(&source, &input, &config)
        .map_err(|e| Failure::from(e, &source, &name, 2))?;
    super::write_output(None, format!("jitbf bench {name}\n{comparison}").as_bytes())
}
