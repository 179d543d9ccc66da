//! `jitbf explore FILE`: write the explorer page ([`crate::explore`]).

use std::path::PathBuf;

use clap::Args;

use super::{Failure, ProgramSource, Semantics, to_stderr};
use crate::OptLevel;

/// The options of `jitbf explore`.
#[derive(Args, Debug, Clone)]
pub struct ExploreArgs {
    /// The program.
    #[command(flatten)]
    pub source: ProgramSource,

    /// Where to write the page (`-`: standard output) [default: NAME.html in the current
    /// directory, after the program's file name]
    #[arg(short, long, value_name = "PAGE")]
    pub output: Option<PathBuf>,

    /// What the program means.
    #[command(flatten)]
    pub semantics: Semantics,
}

/// Runs `jitbf explore`.
pub fn explore(args: &ExploreArgs) -> Result<(), Failure> {
    let (source, name) = args.source.read()?;
    let config = args.semantics.config(OptLevel::O2);
    let page = crate::explore::page(&source, &name, &config)
        .map_err(|e| Failure::from(e, &source, &name, 2))?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.html", args.source.stem("explore"))));
    super::write_output(Some(&path), page.as_bytes())?;
    if path.as_os_str() != "-" {
        to_stderr(&format!(
            "wrote {}: open it in a web browser\n",
            path.display()
        ));
    }
    Ok(())
}
