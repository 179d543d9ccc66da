//! `jitbf build FILE [-o OUT]`: write a standalone executable ([`crate::exe`]).

use std::path::PathBuf;

use clap::Args;

use super::{Failure, Semantics};

/// The options of `jitbf build`.
#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// The Brainfuck program.
    pub file: PathBuf,

    /// The executable to write [default: the program's file name without its extension].
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Add DWARF debugging information: gdb, addr2line and objdump -S then show the
    /// Brainfuck source, by line and column.
    #[arg(short = 'g')]
    pub debug: bool,

    /// Leave out the symbol table as well (the smallest file).
    #[arg(long, conflicts_with = "debug")]
    pub strip: bool,

    /// Optimization level [default: 2]
    #[arg(short = 'O', value_name = "LEVEL", value_parser = ["0", "1", "2"])]
    pub opt: Option<String>,

    /// What the program means.
    #[command(flatten)]
    pub semantics: Semantics,
}

/// Runs `jitbf build`.
#[cfg(jitbf_jit)]
pub fn build(args: &BuildArgs) -> Result<(), Failure> {
    let source = std::fs::read(&args.file)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", args.file.display())))?;
    let name = args.file.display().to_string();
    let out = match &args.output {
        Some(out) => out.clone(),
        None => {
            let stem = args.file.file_stem().unwrap_or_default();
            let out = PathBuf::from(stem);
            let same = |a: &PathBuf, b: &PathBuf| matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y);
            if stem.is_empty() || same(&out, &args.file) {
                return Err(Failure::usage(format!(
                    "cannot name the executable after {}: give one with -o OUT",
                    args.file.display()
                )));
            }
            out
        }
    };
    let config = args
        .semantics
        .config(super::opt_level(args.opt.as_deref(), crate::OptLevel::O2));
    let program = crate::Program::try_new(source, &config)
        .map_err(|(e, source)| Failure::from(e, &source, &name, 2))?;
    let comp_dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let options = crate::exe::Options {
        name: name.clone(),
        source_path: name.clone(),
        comp_dir,
        debug_info: args.debug,
        strip: args.strip,
    };
    let bytes = crate::exe::build(&program, &options)
        .map_err(|e| Failure::from(e, program.source(), &name, 2))?;
    crate::exe::write_executable(&out, &bytes)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))
}

/// `jitbf build` where there is no JIT.
#[cfg(not(jitbf_jit))]
pub fn build(args: &BuildArgs) -> Result<(), Failure> {
    let _ = args;
    Err(Failure::usage(
        "jitbf build makes x86-64 Linux executables and runs only there",
    ))
}
