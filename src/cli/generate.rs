//! `jitbf completions SHELL` and `jitbf man`: files generated from the command tree, so they
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

/// The manual page, in roff: the options of `jitbf FILE`, then each subcommand.
pub fn man_page() -> Vec<u8> {
    let command = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    let _ = man.render_subcommands_section(&mut out);
    for sub in command.get_subcommands() {
        let mut sub = sub.clone();
        let name = format!("jitbf {}", sub.get_name());
        sub = sub.name(name.clone()).bin_name(name);
        let sub_man = clap_mangen::Man::new(sub);
        let _ = sub_man.render_synopsis_section(&mut out);
        let _ = sub_man.render_options_section(&mut out);
    }
    let _ = man.render_extra_section(&mut out);
    let _ = man.render_version_section(&mut out);
    out
}

/// Runs `jitbf completions SHELL`.
pub fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    super::write_output(None, &completion_script(args.shell))
}

/// Runs `jitbf man`.
pub fn man() -> Result<(), Failure> {
    super::write_output(None, &man_page())
}
