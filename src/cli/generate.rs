//! `jitbf completions SHELL` and `jitbf man [COMMAND]`: files generated from the command tree, so they
//! always match the options `jitbf` really has.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Failure};

/// The options of `jitbf completions`.
#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "jitbf", &mut out);
    out
}

/// The options of `jitbf man`.
#[derive(Args, Debug, Clone)]
pub struct ManArgs {
    /// The page of a subcommand (`jitbf-bench(1)`, ...) instead of `jitbf(1)`.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// The manual page, in roff: `jitbf(1)`, or `jitbf-COMMAND(1)` for a subcommand. `None` if
/// there is no such subcommand.
pub fn man_page(subcommand: Option<&str>) -> Option<Vec<u8>> {
    let top = Cli::command();
    let command = match subcommand {
        None => top,
        Some(name) => {
            let sub = top.find_subcommand(name)?.clone();
            let full = format!("jitbf-{name}");
            sub.name(full.clone())
                .bin_name(format!("jitbf {name}"))
                .display_name(full)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = clap_mangen::Man::new(command).render(&mut out);
    Some(out)
}

/// Runs `jitbf completions SHELL`.
pub fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    super::write_output(None, &completion_script(args.shell))
}

/// Runs `jitbf man [COMMAND]`.
pub fn man(args: &ManArgs) -> Result<(), Failure> {
    let name = args.command.as_deref();
    let page = man_page(name).ok_or_else(|| {
        Failure::usage(format!(
            "no command '{}': the pages are jitbf and jitbf-COMMAND for {}",
            name.unwrap_or_default(),
            Cli::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    super::write_output(None, &page)
}
