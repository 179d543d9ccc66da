//! `jitbf [run] FILE`: run a program, or with `--emit`, show what it compiles to.

use std::fs::File;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::{Failure, ProgramSource, Semantics, opt_level, to_stderr};
use crate::{Error, Executor, Input, Io, OptLevel, Output, Program};

/// The options of `jitbf FILE` / `jitbf run FILE`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The program.
    #[command(flatten)]
    pub source: ProgramSource,

    /// Read the program's input from FILE instead of standard input.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Run with the reference interpreter instead of the JIT (at -O0 unless -O says otherwise).
    #[arg(long)]
    pub interp: bool,

    /// Do not run: write the IR, the annotated x86-64 code, or the raw code bytes.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub emit: Option<Emit>,

    /// Where `--emit` writes (default: standard output).
    #[arg(short, long, value_name = "FILE", requires = "emit")]
    pub output: Option<PathBuf>,

    /// Print parse, optimize, compile and run times and sizes to standard error.
    #[arg(long)]
    pub stats: bool,

    /// What the program means.
    #[command(flatten)]
    pub semantics: Semantics,

    /// Optimization level [default: 2; with --interp, 0: the reference interpreter runs the
    /// literal IR unless asked to interpret the optimized one]
    #[arg(short = 'O', value_name = "LEVEL", value_parser = ["0", "1", "2"])]
    pub opt: Option<String>,

    /// Seeing the program run: `#` dumps, traces and profiles.
    #[command(flatten)]
    pub instrument: super::instrument::InstrumentArgs,
}

impl RunArgs {
    /// The options of `jitbf FILE` or `jitbf -e CODE` and nothing else: `source`, and every
    /// other option at the default clap gives it.
    pub fn plain(source: ProgramSource) -> RunArgs {
        RunArgs {
            source,
            input: None,
            interp: false,
            emit: None,
            output: None,
            stats: false,
            semantics: Semantics::default(),
            opt: None,
            instrument: super::instrument::InstrumentArgs::default(),
        }
    }
}

/// What `--emit` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
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

/// Runs the program (or emits a listing) as `args` say.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    if args.interp && matches!(args.emit, Some(Emit::Asm | Emit::Bin | Emit::Obj)) {
        return Err(Failure::usage(
            "--interp runs the interpreter, which makes no machine code: drop --interp to see \
             the JIT's code, or use --emit ir for the IR the interpreter runs",
        ));
    }
    if matches!(args.emit, Some(Emit::Bin | Emit::Obj))
        && args.output.as_deref().is_none_or(|p| p == "-")
        && std::io::stdout().is_terminal()
    {
        return Err(Failure::usage(
            "refusing to write machine code to a terminal: use -o FILE, or redirect standard \
             output",
        ));
    }
    let (source, name) = args.source.read()?;
    // The reference interpreter is the definition of the semantics: by default it runs the
    // parser's literal IR. (`--interp -O2` interprets the optimized IR, which tells an
    // optimizer bug from a code generator bug.)
    let interp = args.interp || args.instrument.tracing();
    let default_level = if interp { OptLevel::O0 } else { OptLevel::O2 };
    let config = args.instrument.config(
        args.semantics
            .config(opt_level(args.opt.as_deref(), default_level)),
    );
    // The program keeps the only copy of the source (which may be large).
    let program = Program::try_new(source, &config)
        .map_err(|(e, source)| Failure::from(e, &source, &name, 2))?;
    let source = program.source();
    let mut report = crate::stats::Report {
        program: *program.stats(),
        ..Default::default()
    };

    if let Some(what) = args.emit {
        // A listing is built in memory: make sure it fits (see `crate::mem`).
        let need = match what {
            Emit::Ir => crate::mem::ir_listing_bytes(program.ir()),
            Emit::Asm => crate::mem::asm_listing_bytes(program.ir()),
            Emit::Bin | Emit::Obj => 0,
        };
        crate::mem::room_for(need)
            .map_err(|_| Failure::usage(crate::mem::too_large("the listing", need)))?;
        let emitted = emit(&program, &name, what, &mut report)
            .map_err(|e| Failure::from(e, source, &name, 2))?;
        super::write_output(args.output.as_deref(), emitted.bytes())?;
        if args.stats {
            to_stderr(&format!("jitbf --stats\n{report}"));
        }
        return Ok(());
    }

    // Pending output is written every 50 ms while the program runs, and before the process
    // dies of Ctrl-C, SIGTERM or SIGHUP (see `crate::autoflush`). Best effort: if the
    // handlers cannot be installed, output is still written when the buffer fills, at a
    // newline on a terminal, before `,` waits and at the end.
    let _ = crate::autoflush::enable(crate::autoflush::AutoFlush::default());
    let input = match &args.input {
        None => Input::Stdin,
        Some(path) => Input::File(open_input(path)?),
    };
    let mut io = Io {
        input,
        output: Output::Stdout,
        diagnostics: args.instrument.diagnostics()?,
    };
    let mut executor: Box<dyn Executor + '_> = if interp {
        Box::new(args.instrument.interpreter(&program))
    } else {
        let compiled = program
            .compile()
            .map_err(|e| Failure::from(e, source, &name, 2))?;
        if compiled.is_jit() {
            report.compile = Some(compiled.compile_time());
            report.code_bytes = compiled.code().map(<[u8]>::len);
        } else {
            to_stderr("jitbf: note: no JIT for this platform; using the interpreter\n");
        }
        Box::new(compiled)
    };
    let start = Instant::now();
    let result = executor.run(&mut io);
    report.run = Some(start.elapsed());
    if args.stats {
        to_stderr(&format!("jitbf --stats\n{report}"));
    }
    let profiled = args
        .instrument
        .report_profile(&program, executor.as_ref(), &name);
    let outcome = result
        .map_err(|e| Failure::from(Error::Runtime(e), source, &name, 1))
        .and(profiled);
    // The output is written and the process is about to end: the kernel takes the code, the
    // tape and the IR apart faster than dropping them would (see `process::exits_after`).
    if super::process::exits_after() {
        std::mem::forget(executor);
        std::mem::forget(program);
    }
    outcome
}

/// Opens the program's input file. A directory opens on Unix but cannot be read: it is
/// refused here, as a usage error like a missing file, rather than failing at the first `,`.
pub fn open_input(path: &PathBuf) -> Result<File, Failure> {
    let fail =
        |e: std::io::Error| Failure::usage(format!("cannot open input {}: {e}", path.display()));
    let file = File::open(path).map_err(fail)?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail(std::io::Error::from_raw_os_error(libc::EISDIR)));
    }
    Ok(file)
}

/// What `--emit` made: a listing or object file built in memory, or the compiled program,
/// whose code bytes are written straight from where they are (a large program's code is tens
/// of megabytes, and a copy of it would be the largest allocation of the process).
enum Emitted<'p> {
    /// A listing or an object file.
    Bytes(Vec<u8>),
    /// The compiled program (`--emit bin`); it has machine code.
    Code(Box<crate::Compiled<'p>>),
}

impl Emitted<'_> {
    /// The bytes to write.
    fn bytes(&self) -> &[u8] {
        match self {
            Emitted::Bytes(bytes) => bytes,
            Emitted::Code(compiled) => compiled.code().unwrap_or_default(),
        }
    }
}

/// `--emit`: the IR listing, the annotated code or the code bytes.
fn emit<'p>(
    program: &'p Program,
    name: &str,
    what: Emit,
    report: &mut crate::stats::Report,
) -> Result<Emitted<'p>, Error> {
    if what == Emit::Ir {
        return Ok(Emitted::Bytes(
            program.ir().listing(program.source()).into_bytes(),
        ));
    }
    if what == Emit::Obj {
        #[cfg(jitbf_jit)]
        {
            let options = crate::exe::Options {
                name: name.to_string(),
                source_path: name.to_string(),
                comp_dir: String::new(),
                debug_info: false,
                strip: false,
            };
            return crate::exe::build_object(program, &options).map(Emitted::Bytes);
        }
        #[cfg(not(jitbf_jit))]
        {
            let _ = name;
            return Err(Error::Unsupported);
        }
    }
    let compiled = program.compile()?;
    let Some(code) = compiled.code() else {
        return Err(Error::Unsupported);
    };
    report.compile = Some(compiled.compile_time());
    report.code_bytes = Some(code.len());
    // Only the listing needs the disassembler (which costs far more than compiling).
    match what {
        Emit::Asm => compiled
            .disassemble()
            .map(|listing| Emitted::Bytes(listing.into_bytes()))
            .ok_or(Error::Unsupported),
        _ => Ok(Emitted::Code(Box::new(compiled))),
    }
}
