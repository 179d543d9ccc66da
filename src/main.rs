//! The `jitbf` command line: argument parsing and error reporting around the library.

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use jitbf::{CellBits, Config, Eof, Error, Executor, Input, Io, OptLevel, Output, Program};

/// Compile a Brainfuck program to x86-64 machine code and run it.
#[derive(Parser, Debug)]
#[command(version, after_help = EXIT_STATUS)]
struct Cli {
    /// The Brainfuck program to run.
    #[arg(required_unless_present = "expr", conflicts_with = "expr")]
    file: Option<PathBuf>,

    /// Run CODE given on the command line instead of a file.
    #[arg(
        short = 'e',
        long = "expr",
        value_name = "CODE",
        allow_hyphen_values = true
    )]
    expr: Option<String>,

    /// Read the program's input from FILE instead of standard input.
    #[arg(short, long, value_name = "FILE")]
    input: Option<PathBuf>,

    /// Run with the reference interpreter instead of the JIT.
    #[arg(long)]
    interp: bool,

    /// What `,` stores at end of input.
    #[arg(long, value_enum, default_value_t = EofArg::Unchanged)]
    eof: EofArg,

    /// Number of tape cells.
    #[arg(long, value_name = "CELLS", default_value_t = jitbf::DEFAULT_TAPE_CELLS as u64,
          value_parser = clap::value_parser!(u64).range(1..=jitbf::MAX_TAPE_CELLS as u64))]
    tape_size: u64,

    /// Cell width in bits; arithmetic wraps at this width.
    #[arg(long, value_name = "BITS", default_value = "8",
          value_parser = ["8", "16", "32"])]
    cell_bits: String,

    /// Optimization level.
    #[arg(short = 'O', value_name = "LEVEL", default_value = "2",
          value_parser = ["0", "1", "2"])]
    opt: String,
}

const EXIT_STATUS: &str = "\
Exit status: 0 when the program ends, 1 on a runtime error (pointer off the tape,
failed I/O), 2 on a usage or compile error (bad options, unreadable file, unbalanced brackets).";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EofArg {
    /// Leave the cell unchanged.
    Unchanged,
    /// Store 0.
    Zero,
    /// Store the largest cell value (255 for 8-bit cells).
    Max,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(fail) => {
            eprint!("{}", fail.message);
            ExitCode::from(fail.status)
        }
    }
}

/// A message for stderr and an exit status.
struct Failure {
    message: String,
    status: u8,
}

impl Failure {
    fn usage(message: String) -> Failure {
        Failure {
            message: format!("error: {message}\n"),
            status: 2,
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    let (source, name) = match (&cli.file, &cli.expr) {
        (_, Some(code)) => (code.clone().into_bytes(), "<expr>".to_string()),
        (Some(path), None) => match std::fs::read(path) {
            Ok(bytes) => (bytes, path.display().to_string()),
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        },
        (None, None) => unreachable!("clap requires a file or --expr"),
    };
    let config = Config {
        cell_bits: match cli.cell_bits.as_str() {
            "16" => CellBits::U16,
            "32" => CellBits::U32,
            _ => CellBits::U8,
        },
        eof: match cli.eof {
            EofArg::Unchanged => Eof::Unchanged,
            EofArg::Zero => Eof::Zero,
            EofArg::Max => Eof::Max,
        },
        tape_cells: cli.tape_size as usize,
        opt_level: match cli.opt.as_str() {
            "0" => OptLevel::O0,
            "1" => OptLevel::O1,
            _ => OptLevel::O2,
        },
    };
    let fail = |e: Error, status: u8| Failure {
        message: jitbf::render(&e, &source, &name),
        status,
    };
    let program = Program::new(source.clone(), &config).map_err(|e| fail(e, 2))?;

    let input = match &cli.input {
        None => Input::Stdin,
        Some(path) => match File::open(path) {
            Ok(f) => Input::File(f),
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot open input {}: {e}",
                    path.display()
                )));
            }
        },
    };
    let mut io = Io {
        input,
        output: Output::Stdout,
    };
    let mut executor: Box<dyn Executor + '_> = if cli.interp {
        Box::new(program.interpreter())
    } else {
        if !jitbf::JIT_AVAILABLE {
            eprintln!("jitbf: note: no JIT for this platform; using the interpreter");
        }
        program.executor().map_err(|e| fail(e, 2))?
    };
    executor
        .run(&mut io)
        .map_err(|e| fail(Error::Runtime(e), 1))
}
