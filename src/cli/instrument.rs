//! The options of `jitbf FILE` that show a program running: `--debug` (`-#`), `--trace` and
//! `--profile`. The work is in the library ([`crate::debug`], [`crate::trace`],
//! [`crate::profile`]); this file turns the options into a [`Config`], an [`Io`]
//! diagnostics stream and reports.
//!
//! [`Io`]: crate::Io

use std::path::PathBuf;

use clap::Args;

use super::{Failure, to_stderr};
use crate::debug::Diagnostics;
use crate::interp::Interpreter;
use crate::{Config, Executor, Program};

/// `--trace-limit`'s default.
pub const TRACE_LIMIT: u64 = 1_000_000;
/// `--profile-top`'s default.
pub const PROFILE_TOP: usize = 15;

/// `--debug`, `--trace`, `--profile` and their companions.
#[derive(Args, Debug, Clone)]
pub struct InstrumentArgs {
    /// Make `#` a command that writes the pointer, the position of the `#` and the cells
    /// around the pointer to standard error (in the JIT and the interpreter alike). A runtime
    /// error then shows those cells too.
    #[arg(short = '#', long)]
    pub debug: bool,

    /// Write every step to standard error: each IR instruction executed, with its source
    /// position, the pointer and the cell it is about. Runs the interpreter (at -O0 unless
    /// -O says otherwise): the JIT does not trace.
    #[arg(long)]
    pub trace: bool,

    /// Write the trace (and `#` dumps) to FILE instead of standard error; implies --trace.
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<PathBuf>,

    /// Stop tracing after N steps (the program goes on untraced).
    #[arg(long, value_name = "N", default_value_t = TRACE_LIMIT)]
    pub trace_limit: u64,

    /// Count how often each loop runs (instrumented code) and print the hottest loops, with
    /// their position, iterations and share, to standard error.
    #[arg(long)]
    pub profile: bool,

    /// Also write the profile as a web page showing the source as a heat map (implies
    /// --profile).
    #[arg(long, value_name = "FILE")]
    pub profile_html: Option<PathBuf>,

    /// How many of the hottest loops --profile lists.
    #[arg(long, value_name = "N", default_value_t = PROFILE_TOP)]
    pub profile_top: usize,
}

/// None of the options given: what clap makes of a command line without them.
impl Default for InstrumentArgs {
    fn default() -> InstrumentArgs {
        InstrumentArgs {
            debug: false,
            trace: false,
            trace_file: None,
            trace_limit: TRACE_LIMIT,
            profile: false,
            profile_html: None,
            profile_top: PROFILE_TOP,
        }
    }
}

impl InstrumentArgs {
    /// Whether the interpreter must run (the JIT does not trace).
    pub fn tracing(&self) -> bool {
        self.trace || self.trace_file.is_some()
    }

    /// Whether loops are counted.
    pub fn profiling(&self) -> bool {
        self.profile || self.profile_html.is_some()
    }

    /// `config` with `#` dumps and counting as asked.
    pub fn config(&self, config: Config) -> Config {
        config.debug(self.debug).profile(self.profiling())
    }

    /// Where dumps and traces go: `--trace-file`, else standard error.
    pub fn diagnostics(&self) -> Result<Diagnostics, Failure> {
        match &self.trace_file {
            None => Ok(Diagnostics::Stderr),
            Some(path) => std::fs::File::create(path)
                .map(Diagnostics::File)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display()))),
        }
    }

    /// The interpreter, tracing if asked.
    pub fn interpreter<'p>(&self, program: &'p Program) -> Interpreter<'p> {
        let interp = program.interpreter();
        if self.tracing() {
            interp.trace(self.trace_limit)
        } else {
            interp
        }
    }

    /// `--profile`: prints the hottest loops of the run `executor` made, and writes the
    /// heat map page if asked.
    pub fn report_profile(
        &self,
        program: &Program,
        executor: &dyn Executor,
        name: &str,
    ) -> Result<(), Failure> {
        let Some(counts) = executor.profile().filter(|_| self.profiling()) else {
            return Ok(());
        };
        let report = crate::profile::Report::new(program.ir(), program.source(), counts);
        let level = program.config().opt_level;
        to_stderr(&crate::profile::text::render(
            &report,
            program.source(),
            level,
            self.profile_top,
        ));
        if let Some(path) = &self.profile_html {
            let page = crate::profile::html::page(&report, program.source(), name);
            std::fs::write(path, page).map_err(|e| {
                Failure::usage(format!("cannot write {}: {e}", path.display())).with_status(1)
            })?;
        }
        Ok(())
    }
}
