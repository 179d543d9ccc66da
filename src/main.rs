//! The `jitbf` command line: argument parsing and error reporting around the library.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jitbf::{CellBits, Config, Eof, Error, Executor, Input, Io, OptLevel, Output, Program};

/// Compile a Brainfuck program to x86-64 machine code and run it.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = EXIT_STATUS,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

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
    expr: Option<OsString>,

    /// Read the program's input from FILE instead of standard input.
    #[arg(short, long, value_name = "FILE")]
    input: Option<PathBuf>,

    /// Run with the reference interpreter instead of the JIT (at -O0 unless -O says otherwise).
    #[arg(long)]
    interp: bool,

    /// Do not run: write the optimized IR, the annotated x86-64 code, or the raw code bytes.
    #[arg(long, value_enum, value_name = "WHAT")]
    emit: Option<Emit>,

    /// Where `--emit` writes (default: standard output).
    #[arg(short, long, value_name = "FILE", requires = "emit")]
    output: Option<PathBuf>,

    /// Print parse, optimize, compile and run times and sizes to standard error.
    #[arg(long)]
    stats: bool,

    #[command(flatten)]
    semantics: Semantics,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Time a program with the JIT, the interpreter on the same IR and the reference
    /// interpreter, and show the speedups.
    Bench {
        /// The Brainfuck program.
        file: PathBuf,

        /// The program's input (read once, fed to both).
        #[arg(short, long, value_name = "FILE")]
        input: Option<PathBuf>,

        #[command(flatten)]
        semantics: Semantics,
    },
    /// Compile a program to a standalone executable (static x86-64 Linux ELF, no libc) that
    /// behaves exactly like `jitbf FILE` with the same options.
    Build(BuildArgs),
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// The Brainfuck program.
    file: PathBuf,

    /// The executable to write [default: the program's file name without its extension].
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// Add DWARF debugging information: gdb, addr2line and objdump -S then show the
    /// Brainfuck source, by line and column.
    #[arg(short = 'g')]
    debug: bool,

    /// Leave out the symbol table as well (the smallest file).
    #[arg(long, conflicts_with = "debug")]
    strip: bool,

    #[command(flatten)]
    semantics: Semantics,
}

/// Options that change what a program means or how it is compiled.
#[derive(Args, Debug)]
struct Semantics {
    /// What `,` stores at end of input.
    #[arg(long, value_enum, default_value_t = EofArg::Unchanged)]
    eof: EofArg,

    /// Number of tape cells.
    #[arg(long, value_name = "CELLS", default_value_t = jitbf::DEFAULT_TAPE_CELLS as u64,
          value_parser = clap::value_parser!(u64).range(1..=jitbf::MAX_TAPE_CELLS as u64))]
    tape_size: u64,

    /// Cell width in bits; arithmetic wraps at this width.
    #[arg(long, value_name = "BITS", default_value = "8", value_parser = ["8", "16", "32"])]
    cell_bits: String,

    /// Optimization level [default: 2; with --interp, 0: the reference interpreter runs the
    /// literal IR unless asked to interpret the optimized one]
    #[arg(short = 'O', value_name = "LEVEL", value_parser = ["0", "1", "2"])]
    opt: Option<String>,
}

const EXIT_STATUS: &str = "\
Exit status: 0 when the program ends, 1 on a runtime error (pointer off the tape,
failed I/O), 2 on a usage or compile error (bad options, unreadable file, unbalanced brackets).

Subcommands: jitbf bench FILE [--input FILE] times the JIT against the interpreter;
jitbf build FILE [-o OUT] [-g] writes a standalone executable.";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EofArg {
    /// Leave the cell unchanged.
    Unchanged,
    /// Store 0.
    Zero,
    /// Store the largest cell value (255 for 8-bit cells).
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Emit {
    /// The optimized IR, one op per line, with source positions.
    Ir,
    /// The generated x86-64 code, disassembled and annotated with the source.
    Asm,
    /// The raw machine code bytes.
    Bin,
    /// A relocatable ELF object with the code and the start-up of `jitbf build`
    /// (`ld FILE.o` links an executable).
    Obj,
}

impl Semantics {
    /// The configuration; `default_level` applies when `-O` is not given.
    fn config(&self, default_level: OptLevel) -> Config {
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
            opt_level: match self.opt.as_deref() {
                Some("0") => OptLevel::O0,
                Some("1") => OptLevel::O1,
                Some(_) => OptLevel::O2,
                None => default_level,
            },
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Bench {
            file,
            input,
            semantics,
        }) => bench(file, input.as_ref(), semantics),
        Some(Command::Build(args)) => build(args),
        None => run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(fail) => {
            to_stderr(&fail.message);
            ExitCode::from(fail.status)
        }
    }
}

/// Writes a message to stderr. If stderr itself cannot be written (`2>/dev/full`), there is
/// nobody left to tell: the exit status still says what happened.
fn to_stderr(message: &str) {
    let _ = std::io::stderr().write_all(message.as_bytes());
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

    /// An error from the library, shown with the source line it is about.
    fn from(e: Error, source: &[u8], name: &str, status: u8) -> Failure {
        Failure {
            message: jitbf::render(&e, source, name),
            status,
        }
    }
}

/// The program's source and how to call it in messages.
fn read_source(
    file: Option<&PathBuf>,
    expr: Option<&OsString>,
) -> Result<(Vec<u8>, String), Failure> {
    match (file, expr) {
        (_, Some(code)) => Ok((os_bytes(code), "<expr>".to_string())),
        (Some(path), None) => match std::fs::read(path) {
            Ok(bytes) => Ok((bytes, path.display().to_string())),
            Err(e) => Err(Failure::usage(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        },
        (None, None) => unreachable!("clap requires a file or --expr"),
    }
}

/// The bytes of a command-line argument: any bytes, like a source file (on Unix; elsewhere
/// arguments are text).
fn os_bytes(arg: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        arg.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        arg.to_string_lossy().into_owned().into_bytes()
    }
}

fn open_input(path: &PathBuf) -> Result<File, Failure> {
    File::open(path)
        .map_err(|e| Failure::usage(format!("cannot open input {}: {e}", path.display())))
}

fn run(cli: &Cli) -> Result<(), Failure> {
    let (source, name) = read_source(cli.file.as_ref(), cli.expr.as_ref())?;
    // The reference interpreter is the definition of the semantics: by default it runs the
    // parser's literal IR. (`--interp -O2` interprets the optimized IR, which tells an
    // optimizer bug from a code generator bug.)
    let default_level = if cli.interp && cli.emit.is_none() {
        OptLevel::O0
    } else {
        OptLevel::O2
    };
    let config = cli.semantics.config(default_level);
    let program =
        Program::new(source.clone(), &config).map_err(|e| Failure::from(e, &source, &name, 2))?;
    let mut report = jitbf::stats::Report {
        program: *program.stats(),
        ..Default::default()
    };

    if let Some(what) = cli.emit {
        emit(&program, &name, what, cli.output.as_ref(), &mut report).map_err(|e| {
            // Failing to write the listing is an I/O error (1), as for a program's output.
            let status = if matches!(e, Error::Runtime(_)) { 1 } else { 2 };
            Failure::from(e, &source, &name, status)
        })?;
        if cli.stats {
            to_stderr(&format!("jitbf --stats\n{report}"));
        }
        return Ok(());
    }

    let input = match &cli.input {
        None => Input::Stdin,
        Some(path) => Input::File(open_input(path)?),
    };
    let mut io = Io {
        input,
        output: Output::Stdout,
    };
    let mut executor: Box<dyn Executor + '_> = if cli.interp {
        Box::new(program.interpreter())
    } else {
        jit_executor(&program, &mut report).map_err(|e| Failure::from(e, &source, &name, 2))?
    };
    let start = Instant::now();
    let result = executor.run(&mut io);
    report.run = Some(start.elapsed());
    if cli.stats {
        to_stderr(&format!("jitbf --stats\n{report}"));
    }
    result.map_err(|e| Failure::from(Error::Runtime(e), &source, &name, 1))
}

/// The JIT (noting its compile time and size), or the interpreter where there is none.
fn jit_executor<'p>(
    program: &'p Program,
    report: &mut jitbf::stats::Report,
) -> Result<Box<dyn Executor + 'p>, Error> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let jit = program.compile()?;
        report.compile = Some(jit.compile_time());
        report.code_bytes = Some(jit.code().len());
        Ok(Box::new(jit))
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = report;
        to_stderr("jitbf: note: no JIT for this platform; using the interpreter\n");
        Ok(Box::new(program.interpreter()))
    }
}

/// `--emit`: writes the IR, the annotated code or the code bytes.
fn emit(
    program: &Program,
    name: &str,
    what: Emit,
    path: Option<&PathBuf>,
    report: &mut jitbf::stats::Report,
) -> Result<(), Error> {
    let bytes = match what {
        Emit::Ir => program.ir().listing(program.source()).into_bytes(),
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        Emit::Obj => {
            let options = jitbf::exe::Options {
                name: name.to_string(),
                source_path: name.to_string(),
                comp_dir: String::new(),
                debug_info: false,
                strip: false,
            };
            jitbf::exe::build_object(program, &options)?
        }
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        Emit::Asm | Emit::Bin => {
            let jit = program.compile()?;
            report.compile = Some(jit.compile_time());
            report.code_bytes = Some(jit.code().len());
            match what {
                Emit::Asm => jit.disassemble().into_bytes(),
                _ => jit.code().to_vec(),
            }
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        Emit::Asm | Emit::Bin | Emit::Obj => {
            let _ = report;
            return Err(Error::Unsupported);
        }
    };
    let written = match path {
        Some(path) => std::fs::write(path, &bytes),
        None if matches!(what, Emit::Bin | Emit::Obj) && std::io::stdout().is_terminal() => {
            return Err(Error::Compile(
                "refusing to write machine code to a terminal: use -o FILE".to_string(),
            ));
        }
        None => std::io::stdout().lock().write_all(&bytes),
    };
    written.map_err(|e| Error::Runtime(jitbf::RuntimeError::Output(e)))
}

/// `jitbf bench`: the JIT against the interpreter on one program.
fn bench(file: &PathBuf, input: Option<&PathBuf>, semantics: &Semantics) -> Result<(), Failure> {
    let (source, name) = read_source(Some(file), None)?;
    let input = match input {
        Some(path) => {
            let mut bytes = Vec::new();
            open_input(path)?.read_to_end(&mut bytes).map_err(|e| {
                Failure::usage(format!("cannot read input {}: {e}", path.display()))
            })?;
            bytes
        }
        None => Vec::new(),
    };
    let comparison = jitbf::stats::compare(&source, &input, &semantics.config(OptLevel::O2))
        .map_err(|e| Failure::from(e, &source, &name, 2))?;
    // (Not `print!`, which panics when stdout cannot be written.)
    write!(std::io::stdout().lock(), "jitbf bench {name}\n{comparison}").map_err(|e| {
        Failure::from(
            Error::Runtime(jitbf::RuntimeError::Output(e)),
            &source,
            &name,
            1,
        )
    })
}

/// `jitbf build`: writes a standalone executable.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn build(args: &BuildArgs) -> Result<(), Failure> {
    let (source, name) = read_source(Some(&args.file), None)?;
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
    let config = args.semantics.config(OptLevel::O2);
    let program =
        Program::new(source.clone(), &config).map_err(|e| Failure::from(e, &source, &name, 2))?;
    let comp_dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let options = jitbf::exe::Options {
        name: name.clone(),
        source_path: name.clone(),
        comp_dir,
        debug_info: args.debug,
        strip: args.strip,
    };
    let bytes =
        jitbf::exe::build(&program, &options).map_err(|e| Failure::from(e, &source, &name, 2))?;
    jitbf::exe::write_executable(&out, &bytes)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))
}

/// `jitbf build` where there is no JIT.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn build(args: &BuildArgs) -> Result<(), Failure> {
    let _ = args;
    Err(Failure::usage(
        "jitbf build makes x86-64 Linux executables and runs only there".to_string(),
    ))
}
