//! The `jitbf` command line, as a library module: the binary's `main` only calls [`main`].
//!
//! Each subcommand has its own file: [`run`] (the default: `jitbf FILE` is `jitbf run FILE`),
//! [`bench`](mod@bench), [`build`](mod@build), [`explore`] and [`generate`] (`completions` and `man`). The command tree is
//! declared with clap's derive API in [`Cli`]; a new subcommand is one more variant of
//! [`Command`], its `Args` struct and function in a file of its own, and one arm in
//! [`dispatch`].
//!
//! # `jitbf FILE` and the subcommands
//!
//! Running a program needs no subcommand, but the other commands are words too, so a
//! program file named `bench` or a second file name could be taken for a subcommand. The
//! rule is simple and does not depend on which files exist: if the first argument is the
//! name of a subcommand (or `--help`/`--version`), it is that subcommand; anything else
//! means `run` ([`normalize`] inserts it). So `jitbf a.b b.b` reports an unexpected second
//! file, and a program named `bench` runs with `jitbf ./bench` or `jitbf run bench` (the
//! error for `jitbf bench` says so when such a file exists).
//!
//! # Exit status and messages
//!
//! `0` when the program ends, `1` on a runtime error, `2` on a usage or compile error. Errors
//! go to stderr, with the source line they are about and, on a terminal, in colour (see
//! [`crate::diagnostic`]; `NO_COLOR` turns colour off, `CLICOLOR_FORCE` on).

pub mod bench;
pub mod build;
pub mod explore;
pub mod generate;
pub mod instrument;
pub mod process;
pub mod run;
mod source;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::{CellBits, Config, Eof, Error, OptLevel};

pub use self::source::ProgramSource;

/// Compile a Brainfuck program to x86-64 machine code and run it.
///
/// `jitbf FILE` runs FILE (`-` reads the program from standard input); `jitbf -e CODE`
/// runs CODE. The other commands are below.
#[derive(Parser, Debug)]
#[command(
    name = "jitbf",
    version,
    after_help = EXIT_STATUS,
    override_usage = "jitbf [OPTIONS] <FILE>\n       jitbf [OPTIONS] -e <CODE>\n       jitbf <COMMAND> ...",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    args_override_self = true
)]
pub struct Cli {
    /// The options of `jitbf FILE` (which is `jitbf run FILE`), listed here for `--help`,
    /// the man page and shell completions; [`normalize`] routes them to `run`.
    #[command(flatten)]
    pub run: run::RunArgs,

    /// The subcommand (always present after [`normalize`]).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a program (what `jitbf FILE` does).
    #[command(
        override_usage = "jitbf [OPTIONS] <FILE>\n       jitbf [OPTIONS] -e <CODE>",
        after_help = EXIT_STATUS,
        args_override_self = true
    )]
    Run(run::RunArgs),
    /// Time programs with the JIT and with the interpreters.
    ///
    /// Runs each with the JIT, with the interpreter on the same optimized IR and with the
    /// reference interpreter on the literal IR (--runs times each), and shows the fastest,
    /// median and slowest run and the speedups, in one table. A program that fails or whose
    /// executors disagree is reported as such, and the exit status is then 1.
    #[command(args_override_self = true)]
    Bench(bench::BenchArgs),
    /// Compile a program to a standalone executable.
    ///
    /// A static x86-64 Linux ELF file, with no libc, made from the same machine code the JIT
    /// runs, that behaves exactly like `jitbf FILE` with the same options. With -g, gdb,
    /// addr2line and objdump -S show the Brainfuck source by line and column.
    #[command(args_override_self = true)]
    Build(build::BuildArgs),
    /// Write a web page with the source, the IR and the machine code side by side.
    ///
    /// One self-contained HTML file, with tabs for -O0, -O1 and -O2; hover over or click a
    /// command, an IR instruction or a machine instruction to see what became of what.
    #[command(args_override_self = true)]
    Explore(explore::ExploreArgs),
    /// Print a shell completion script.
    ///
    /// For example `jitbf completions bash > ~/.local/share/bash-completion/completions/jitbf`.
    Completions(generate::CompletionsArgs),
    /// Print the manual page (roff).
    ///
    /// For example `jitbf man > jitbf.1 && man ./jitbf.1`; `jitbf man bench` prints the page
    /// of `jitbf bench`, jitbf-bench(1).
    Man(generate::ManArgs),
}

const EXIT_STATUS: &str = "\
Exit status: 0 when the program ends, 1 on a runtime error (pointer off the tape,
failed I/O), 2 on a usage or compile error (bad options, unreadable file, unbalanced brackets,
not enough memory). Killed by SIGINT, SIGTERM or SIGHUP, jitbf first writes pending output.";

/// Options that change what a program means or how it is compiled.
#[derive(Args, Debug, Clone)]
pub struct Semantics {
    /// What `,` stores at end of input.
    #[arg(long, value_enum, default_value_t = EofArg::Unchanged)]
    pub eof: EofArg,

    /// Number of tape cells.
    #[arg(long, value_name = "CELLS", default_value_t = crate::DEFAULT_TAPE_CELLS as u64,
          value_parser = clap::value_parser!(u64).range(1..=crate::MAX_TAPE_CELLS as u64))]
    pub tape_size: u64,

    /// Cell width in bits; arithmetic wraps at this width.
    #[arg(long, value_name = "BITS", default_value = "8", value_parser = ["8", "16", "32"])]
    pub cell_bits: String,
}

/// None of the options given: what clap makes of a command line without them.
impl Default for Semantics {
    fn default() -> Semantics {
        Semantics {
            eof: EofArg::Unchanged,
            tape_size: crate::DEFAULT_TAPE_CELLS as u64,
            cell_bits: "8".to_string(),
        }
    }
}

/// `--eof`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EofArg {
    /// Leave the cell unchanged.
    Unchanged,
    /// Store 0.
    Zero,
    /// Store the largest cell value (255 for 8-bit cells).
    Max,
}

/// `-O0`, `-O1`, `-O2` as clap parses them.
pub fn opt_level(value: Option<&str>, default: OptLevel) -> OptLevel {
    match value {
        Some("0") => OptLevel::O0,
        Some("1") => OptLevel::O1,
        Some(_) => OptLevel::O2,
        None => default,
    }
}

impl Semantics {
    /// The configuration at optimization level `opt_level`.
    pub fn config(&self, opt_level: OptLevel) -> Config {
        Config {
            cell_bits: match self.cell_bits.as_str() {
                "16" => CellBits::U16,
                "32" => CellBits::U32,
                _ => CellBits::U8,
            },
            eof: match self.eof {
                EofArg::Unchanged => Eof::Unchanged,
                EofArg::Zero => Eof::Zero,
                EofArg::Max => Eof::Max,
            },
            tape_cells: self.tape_size as usize,
            opt_level,
            debug: false,
            profile: false,
        }
    }
}

/// Inserts `run` after the program name unless the first argument names a subcommand or
/// asks for help or the version (see the [module docs](self)).
pub fn normalize(mut args: Vec<OsString>) -> Vec<OsString> {
    let first = args.get(1).and_then(|a| a.to_str());
    // `has_subcommand` asks the derived enum, without building the whole command tree
    // (which costs more than the rest of a small program's start-up).
    let explicit = first.is_some_and(|first| {
        matches!(first, "-h" | "--help" | "-V" | "--version" | "help")
            || <Command as Subcommand>::has_subcommand(first)
    });
    if !explicit {
        args.insert(1.min(args.len()), OsString::from("run"));
    }
    args
}

/// Runs the command line `args` (program name first) and returns the exit status.
///
/// The `jitbf` binary calls this through [`process::main`], which also does the start-up
/// work Rust's runtime would have done.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    ExitCode::from(status(args))
}

/// [`main`]'s exit status as a number.
pub fn status(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args = normalize(args.into_iter().collect());
    if let Some(run_args) = plain_run_args(&args).or_else(|| quick_run_args(&args)) {
        return exit_status(run::run(&run_args));
    }
    let mut matches = match Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(e) => return clap_error(e, &args),
    };
    let cli = match Cli::from_arg_matches_mut(&mut matches) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, &args),
    };
    exit_status(dispatch(cli))
}

/// The exit status of a command's outcome, with its message written to stderr.
fn exit_status(outcome: Result<(), Failure>) -> u8 {
    match outcome {
        Ok(()) => 0,
        Err(fail) => {
            to_stderr(&fail.message);
            fail.status
        }
    }
}

/// The options of `jitbf FILE` or `jitbf -e CODE` with no other argument (after
/// [`normalize`]), recognised without clap; `None` for any other command line.
///
/// Even the `run` command alone takes clap a tenth of `jitbf -e '+.'` to build and parse
/// with (0.13 of 1.0 ms: its code is cold in a fresh process), and these two command lines
/// are most of what jitbf is started with. They have one value and nothing else, so every
/// other option is at its default ([`run::RunArgs::plain`]).
/// `tests::plain_command_lines_parse_as_clap_parses_them` checks that clap gives the same.
fn plain_run_args(args: &[OsString]) -> Option<run::RunArgs> {
    let source = match args {
        [_, run, file]
            if run == "run"
                && !file.is_empty()
                && (file == "-" || !file.as_encoded_bytes().starts_with(b"-")) =>
        {
            ProgramSource {
                file: Some(file.into()),
                expr: None,
            }
        }
        [_, run, e, code] if run == "run" && e == "-e" => ProgramSource {
            file: None,
            expr: Some(code.clone()),
        },
        _ => return None,
    };
    Some(run::RunArgs::plain(source))
}

/// The options of `jitbf run ...`, parsed with the `run` arguments alone, if that succeeds.
///
/// Building clap's whole command tree (every subcommand with all its options) costs more
/// than the rest of a small program's start-up, and running a program is what jitbf is
/// started for. So a `run` command line is first parsed against a command with only the
/// arguments of `run` (the same definitions, hence the same values). Anything that does not
/// parse there (a mistake, `--help`) goes through the full tree, which makes the messages.
fn quick_run_args(args: &[OsString]) -> Option<run::RunArgs> {
    if args.get(1).is_none_or(|a| a != "run") {
        return None;
    }
    let command = run::RunArgs::augment_args(clap::Command::new("jitbf").args_override_self(true));
    let words = args[..1].iter().chain(&args[2..]);
    let mut matches = command.try_get_matches_from(words).ok()?;
    run::RunArgs::from_arg_matches_mut(&mut matches).ok()
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Bench(args)) => bench::bench(&args),
        Some(Command::Build(args)) => build::build(&args),
        Some(Command::Explore(args)) => explore::explore(&args),
        Some(Command::Completions(args)) => generate::completions(&args),
        Some(Command::Man(args)) => generate::man(&args),
        // `normalize` always puts a subcommand in; parsed directly, the top level runs.
        None => run::run(&cli.run),
    }
}

/// Prints clap's error (or help) and exits as clap would, adding a hint when the command
/// was a subcommand's name that is also a file here.
fn clap_error(e: clap::Error, args: &[OsString]) -> u8 {
    let _ = e.print();
    let status = e.exit_code();
    if status != 0
        && let Some(first) = args.get(1).and_then(|a| a.to_str())
        && first != "run"
        && std::path::Path::new(first).is_file()
    {
        to_stderr(&format!(
            "note: '{first}' is a jitbf command; to run the program file '{first}', write \
             `jitbf ./{first}` or `jitbf run {first}`\n"
        ));
    }
    u8::try_from(status).unwrap_or(2)
}

/// Writes a message to stderr, keeping its colours only where they are wanted (a terminal,
/// `NO_COLOR` unset, or `CLICOLOR_FORCE` set). If stderr itself cannot be written
/// (`2>/dev/full`), there is nobody left to tell: the exit status still says what happened.
pub fn to_stderr(message: &str) {
    let mut err = anstream::stderr();
    let _ = err.write_all(message.as_bytes());
    let _ = err.flush();
}

/// A message for stderr (possibly with colour codes) and an exit status.
#[derive(Debug)]
pub struct Failure {
    /// The message, ending with a newline.
    pub message: String,
    /// The exit status.
    pub status: u8,
}

impl Failure {
    /// A usage error (exit status 2): bad options, unreadable files.
    pub fn usage(message: impl std::fmt::Display) -> Failure {
        Failure {
            message: crate::diagnostic::render_message(&message.to_string(), true),
            status: 2,
        }
    }

    /// An error from the library, shown with the source line it is about.
    pub fn from(e: Error, source: &[u8], name: &str, status: u8) -> Failure {
        Failure {
            message: crate::diagnostic::render_styled(&e, source, name, true),
            status,
        }
    }

    /// A failed write of jitbf's own output (exit status 1, as for a program's output).
    pub fn output(e: std::io::Error) -> Failure {
        Failure::usage(crate::RuntimeError::Output(e)).with_status(1)
    }

    /// This failure with another exit status.
    pub fn with_status(self, status: u8) -> Failure {
        Failure { status, ..self }
    }
}

/// Writes `bytes` to `path`, or to stdout when `path` is `None` or `-`. Failing is an I/O
/// error (exit status 1), as for a program's output.
pub fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(path) => std::fs::write(path, bytes).map_err(|e| {
            Failure::usage(format!("cannot write {}: {e}", path.display())).with_status(1)
        }),
        // (Not `print!`, which panics when stdout cannot be written.)
        None => std::io::stdout()
            .lock()
            .write_all(bytes)
            .and_then(|()| std::io::stdout().lock().flush())
            .map_err(Failure::output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plain_command_lines_parse_as_clap_parses_them() {
        use std::os::unix::ffi::OsStringExt;
        let plain: [&[&str]; 9] = [
            &["jitbf", "x.b"],
            &["jitbf", "run", "x.b"],
            &["jitbf", "-"],
            &["jitbf", "dir/with space.b"],
            &["jitbf", "-e", "+."],
            &["jitbf", "run", "-e", "+."],
            &["jitbf", "-e", "-"],
            &["jitbf", "-e", "--help"],
            &["jitbf", "-e", ""],
        ];
        let mut lines: Vec<Vec<OsString>> = plain.iter().map(|l| args(l)).collect();
        lines.push(vec!["jitbf".into(), OsString::from_vec(vec![b'x', 0xff])]);
        for line in lines {
            let args = normalize(line.clone());
            let plain = plain_run_args(&args).expect("plain");
            let quick = quick_run_args(&args).unwrap_or_else(|| panic!("{line:?} parses"));
            assert_eq!(format!("{plain:?}"), format!("{quick:?}"), "{line:?}");
        }
        // (An empty file name is clap's error to report.)
        let not_plain: [&[&str]; 10] = [
            &["jitbf"],
            &["jitbf", ""],
            &["jitbf", "--interp", "x.b"],
            &["jitbf", "x.b", "y.b"],
            &["jitbf", "-e"],
            &["jitbf", "-e+."],
            &["jitbf", "--expr", "+."],
            &["jitbf", "--", "x.b"],
            &["jitbf", "bench", "x.b"],
            &["jitbf", "--help"],
        ];
        for line in not_plain {
            assert!(plain_run_args(&normalize(args(line))).is_none(), "{line:?}");
        }
    }

    #[test]
    fn the_quick_run_parse_agrees_with_the_full_tree() {
        let lines: [&[&str]; 6] = [
            &["jitbf", "x.b"],
            &["jitbf", "-e", "+."],
            &["jitbf", "-O1", "--eof", "zero", "--stats", "x.b", "-O0"],
            &[
                "jitbf",
                "run",
                "--tape-size",
                "7",
                "--cell-bits",
                "16",
                "-i",
                "in",
                "x.b",
            ],
            &["jitbf", "--emit", "ir", "-o", "out", "-e", "-+"],
            &["jitbf", "--interp", "x.b"],
        ];
        for line in lines {
            let args = normalize(args(line));
            let quick = quick_run_args(&args).expect("parses");
            let full = Cli::command().try_get_matches_from(&args).unwrap();
            let Some(Command::Run(full)) = Cli::from_arg_matches(&full).unwrap().command else {
                panic!("{line:?} is a run");
            };
            assert_eq!(format!("{quick:?}"), format!("{full:?}"), "{line:?}");
        }
        // Help, mistakes and other commands are left to the full tree.
        let others: [&[&str]; 5] = [
            &["jitbf", "--help"],
            &["jitbf", "x.b", "--help"],
            &["jitbf", "x.b", "y.b"],
            &["jitbf", "-o", "out", "x.b"],
            &["jitbf", "bench", "x.b"],
        ];
        for line in others {
            assert!(quick_run_args(&normalize(args(line))).is_none(), "{line:?}");
        }
    }

    #[test]
    fn run_is_inserted_unless_a_subcommand_comes_first() {
        let cases: [(&[&str], &[&str]); 7] = [
            (&["jitbf", "a.b", "b.b"], &["jitbf", "run", "a.b", "b.b"]),
            (
                &["jitbf", "-O1", "bench"],
                &["jitbf", "run", "-O1", "bench"],
            ),
            (&["jitbf", "./bench"], &["jitbf", "run", "./bench"]),
            (&["jitbf", "bench", "x.b"], &["jitbf", "bench", "x.b"]),
            (&["jitbf", "--help"], &["jitbf", "--help"]),
            (&["jitbf", "explore", "x"], &["jitbf", "explore", "x"]),
            (&["jitbf"], &["jitbf", "run"]),
        ];
        for (given, expected) in cases {
            assert_eq!(normalize(args(given)), args(expected), "{given:?}");
        }
    }
}
