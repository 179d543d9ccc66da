//! jitbf: a Brainfuck JIT compiler for x86-64, and a reference interpreter.
//!
//! jitbf turns a Brainfuck program into x86-64 machine code in memory and runs it. It is
//! also meant to be read: each stage is one module, and this page walks through all of them
//! with one small program.
//!
//! # Quick start
//!
//! ```
//! use jitbf::{Config, Executor, Io, Program};
//!
//! let program = Program::new(",[>+++<-]>.", &Config::default())?; // parse and optimize
//! let mut io = Io::memory(*b"\x07");                               // input and output in memory
//! program.executor()?.run(&mut io)?;                              // JIT where available
//! assert_eq!(io.output(), [21]);                                   // 7 * 3
//! # Ok::<(), jitbf::Error>(())
//! ```
//!
//! # The pipeline, on one program
//!
//! Take `,[>+++<-]>.`: read a byte into cell 0, add three times it to cell 1, print cell 1.
//!
//! **1. Parse** ([`parse`]). Every byte that is not one of the eight commands is a comment.
//! Runs of identical commands become one instruction of the [`ir`], each keeping the source
//! span it came from (`jitbf -O0 --emit ir` shows it). Pointer moves carry their bounds
//! check separately (`check`), so that later passes can move the pointer arithmetic around
//! and an error still names the right `>`:
//!
//! ```text
//! 0  1:1    in p[0]               ,
//! 1  1:2    while p[0] {          [
//! 2  1:3      check p[0..=1]      >
//! 3  1:3      p += 1              >
//! ...
//! ```
//!
//! **2. Optimize** ([`opt`]). Passes rewrite the IR; [`OptLevel`] picks them. Pointer moves
//! fold into offsets (`p[1] += 3` instead of `>+++<`), the loop is recognised as a multiply
//! loop, and since cell 1 is known to be 0 it becomes a plain store. The bounds check is
//! decided at compile time (the pointer's position is known) and disappears. `jitbf --emit
//! ir` at `-O2`:
//!
//! ```text
//! 0  1:1    in p[0]               ,
//! 1  1:4    p[1] = p[0]*3         +++
//! 2  1:11   out p[1]              .
//! ```
//!
//! **3. Compile** (`jit`, Linux x86-64). Each IR instruction becomes a few instructions,
//! emitted with [dynasm](https://docs.rs/dynasmrt). `jitbf --emit asm` prints them under the
//! source they came from:
//!
//! ```text
//! ; 1:1     ,                      in p[0]
//! 0031  e8 07 01 00 00                 call 013d <getc>
//! 0036  85 c0                          test eax,eax
//! 0038  0f 88 03 00 00 00              js 0041
//! 003e  88 43 00                       mov [rbx],al
//! ; 1:4     +++                    p[1] = p[0]*3
//! 0041  0f b6 43 00                    movzx eax,byte ptr [rbx]
//! 0045  69 d0 03 00 00 00              imul edx,eax,3
//! 004b  88 53 01                       mov [rbx+1],dl
//! ; 1:11    .                      out p[1]
//! 004e  0f b6 43 01                    movzx eax,byte ptr [rbx+1]
//! 0052  e8 49 00 00 00                 call 00a0 <putc>
//! ```
//!
//! **4. Run.** The [`Executor`] trait runs a program on an [`Io`]; both the JIT and the
//! [`interp::Interpreter`] implement it, and they agree byte for byte (the tests check it on
//! every bundled and generated program, at every level).
//!
//! # How the generated code works
//!
//! * **Registers.** The tape pointer lives in `rbx` for the whole run, the output buffer's
//!   cursor and end in `r12`/`r13`, and `r14` points at a context block (file descriptors,
//!   buffers, a saved stack pointer). The full table is in the `jit::codegen` module docs.
//! * **W^X.** The code is assembled into a plain `Vec<u8>`, copied into a fresh mapping that
//!   is writable but not executable, and the mapping is then made read+execute. No memory is
//!   ever writable and executable at once.
//! * **The entry call.** The code is one function,
//!   `extern "sysv64" fn(ctx, cell0) -> status`: a prologue saves the callee-saved registers
//!   and the stack pointer, and every exit (the end, an I/O failure, a bounds fault) returns
//!   through one epilogue with a status for the Rust side to turn into a [`RuntimeError`].
//! * **Why system calls.** `.` and `,` do not call back into Rust: the generated code keeps
//!   its own output buffer and calls `write(2)` and `read(2)` with the `syscall` instruction,
//!   retrying `EINTR` and continuing short writes. That keeps the hot path free of calls and
//!   the boundary between Rust and generated code down to one call and its return. The
//!   buffering policy (flush before `,` waits for input, at every newline on a terminal, at
//!   the end and before an error) is the same in the interpreter; see [`io`].
//! * **In-memory I/O.** [`Io::memory`] gives the generated code file descriptors too: the
//!   input bytes are put in an anonymous in-memory file (`memfd_create`) and the output is
//!   collected in another, read back after the run. The generated code cannot tell the
//!   difference, so embedders test exactly the code the command line runs.
//! * **Bounds checks for free.** The tape is mapped between two `PROT_NONE` guard regions.
//!   Code that moves the pointer off the tape touches a guard, the `SIGSEGV` handler
//!   recognises the fault as ours, and the IR's check records say which `<` or `>` moved
//!   out. Inside loops this costs nothing.
//!
//! # Embedding
//!
//! Configure with [`Config`] (cell width, end-of-input behaviour, tape size, optimization
//! level), build a [`Program`], then run it with [`Program::executor`] (or choose
//! [`Program::compile`] or [`Program::interpreter`]). Errors are typed: [`Error::Parse`] and
//! [`RuntimeError::PointerOutOfRange`] carry the source position, and [`render`] formats any
//! error with the source line, as the command line does.
//!
//! ```
//! use jitbf::{CellBits, Config, Eof, Error, Executor, Io, Program, RuntimeError};
//!
//! let config = Config::default().cell_bits(CellBits::U16).eof(Eof::Zero);
//! let program = Program::new("+[<]", &config)?;
//! let mut io = Io::memory(Vec::new());
//! match program.executor()?.run(&mut io) {
//!     Err(RuntimeError::PointerOutOfRange { at, .. }) => assert_eq!((at.line, at.col), (1, 3)),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Error>(())
//! ```
//!
//! The runnable examples `cargo run --example embed` and `cargo run --example emit_asm` show
//! more.

#![deny(missing_docs)]

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub mod exe;
pub mod interp;
pub mod io;
pub mod ir;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub mod jit;
pub mod opt;
pub mod parse;
pub mod source;
pub mod stats;

mod diagnostic;

use std::fmt;
use std::time::{Duration, Instant};

pub use crate::diagnostic::render;
pub use crate::io::{Input, Io, Output};
pub use crate::ir::Side;
pub use crate::opt::OptLevel;
pub use crate::parse::ParseError;
pub use crate::source::LineCol;

/// True when this build has the JIT (Linux on x86-64).
pub const JIT_AVAILABLE: bool = cfg!(all(target_arch = "x86_64", target_os = "linux"));

/// Width of a tape cell. Arithmetic wraps at this width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CellBits {
    /// 8-bit cells, 0..=255 (the usual choice).
    #[default]
    U8,
    /// 16-bit cells, 0..=65535.
    U16,
    /// 32-bit cells.
    U32,
}

impl CellBits {
    /// Size of a cell in bytes.
    pub fn bytes(self) -> usize {
        match self {
            CellBits::U8 => 1,
            CellBits::U16 => 2,
            CellBits::U32 => 4,
        }
    }

    /// The largest cell value (all bits set).
    pub fn max(self) -> u32 {
        match self {
            CellBits::U8 => 0xff,
            CellBits::U16 => 0xffff,
            CellBits::U32 => u32::MAX,
        }
    }
}

/// What `,` does to the cell at end of input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Eof {
    /// Leave the cell as it was.
    #[default]
    Unchanged,
    /// Store 0.
    Zero,
    /// Store the largest cell value (255 for 8-bit cells; "-1").
    Max,
}

/// Default number of tape cells: 2^20, a whole number of pages at every cell size.
pub const DEFAULT_TAPE_CELLS: usize = 1 << 20;

/// Largest tape accepted, in cells.
pub const MAX_TAPE_CELLS: usize = 1 << 32;

/// How a program is compiled and run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Width of a cell.
    pub cell_bits: CellBits,
    /// What `,` does at end of input.
    pub eof: Eof,
    /// Number of cells. The pointer starts at cell 0; leaving `0..tape_cells` is an error.
    pub tape_cells: usize,
    /// Which optimizations run.
    pub opt_level: OptLevel,
}

impl Config {
    /// This configuration with `cell_bits` set.
    pub fn cell_bits(self, cell_bits: CellBits) -> Config {
        Config { cell_bits, ..self }
    }

    /// This configuration with `eof` set.
    pub fn eof(self, eof: Eof) -> Config {
        Config { eof, ..self }
    }

    /// This configuration with `tape_cells` set.
    pub fn tape_cells(self, tape_cells: usize) -> Config {
        Config { tape_cells, ..self }
    }

    /// This configuration with `opt_level` set.
    pub fn opt_level(self, opt_level: OptLevel) -> Config {
        Config { opt_level, ..self }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            cell_bits: CellBits::U8,
            eof: Eof::Unchanged,
            tape_cells: DEFAULT_TAPE_CELLS,
            opt_level: OptLevel::O2,
        }
    }
}

/// An error at run time. All output written before it has been flushed.
#[derive(Debug)]
pub enum RuntimeError {
    /// A `<` or `>` moved the pointer off the tape.
    PointerOutOfRange {
        /// Which end of the tape.
        side: Side,
        /// Source byte of the `<` or `>`.
        pos: u32,
        /// Its line and column.
        at: LineCol,
    },
    /// Writing output failed (for example the reader of a pipe went away).
    Output(std::io::Error),
    /// Reading input failed.
    Input(std::io::Error),
    /// The tape or the runtime could not be set up.
    Setup(std::io::Error),
    /// A bug in jitbf (for example an unexpected memory fault in generated code).
    Internal(String),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::PointerOutOfRange { side, at, .. } => match side {
                Side::Left => write!(f, "pointer moved left of cell 0 at {at}"),
                Side::Right => write!(f, "pointer moved past the end of the tape at {at}"),
            },
            RuntimeError::Output(e) => write!(f, "cannot write output: {e}"),
            RuntimeError::Input(e) => write!(f, "cannot read input: {e}"),
            RuntimeError::Setup(e) => write!(f, "cannot set up the run: {e}"),
            RuntimeError::Internal(msg) => write!(f, "internal error (a bug in jitbf): {msg}"),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// Any error from the library.
#[derive(Debug)]
pub enum Error {
    /// The source does not parse (unbalanced brackets).
    Parse {
        /// What and where, as a byte offset.
        error: ParseError,
        /// The line and column of the offending byte.
        at: LineCol,
    },
    /// The program failed while running.
    Runtime(RuntimeError),
    /// The JIT could not produce code.
    Compile(String),
    /// The JIT is not available on this platform.
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse { error, at } => write!(f, "{error} (at {at})"),
            Error::Runtime(e) => e.fmt(f),
            Error::Compile(msg) => write!(f, "code generation failed: {msg}"),
            Error::Unsupported => f.write_str("the JIT needs Linux on x86-64"),
        }
    }
}

impl std::error::Error for Error {}

impl From<RuntimeError> for Error {
    fn from(e: RuntimeError) -> Error {
        Error::Runtime(e)
    }
}

/// Something that runs a [`Program`]: the [`interp::Interpreter`] or the JIT.
pub trait Executor {
    /// Runs the program once from a fresh, zeroed tape.
    fn run(&mut self, io: &mut Io) -> Result<(), RuntimeError>;
}

/// How long the stages before running took, and what they produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Time spent parsing. When [`Program::new`] parses and optimizes in one go, this includes
    /// the first folding pass, which runs as the parser produces instructions.
    pub parse: Duration,
    /// Time spent in the (other) optimization passes.
    pub optimize: Duration,
    /// Instructions in the literal IR, straight from the parser.
    pub literal_ops: usize,
    /// Instructions in the program's IR now.
    pub ops: usize,
}

/// A parsed (and possibly optimized) program, with its source and configuration.
#[derive(Clone, Debug)]
pub struct Program {
    source: Vec<u8>,
    ir: ir::Ir,
    config: Config,
    stats: Stats,
}

impl Program {
    /// Parses source bytes. The IR is the literal translation (as at `-O0`); call
    /// [`Program::optimize`] next.
    ///
    /// ```
    /// let err = jitbf::Program::parse("+[>+<-").unwrap_err();
    /// assert_eq!(err.to_string(), "unmatched '[': this loop is never closed (at 1:2)");
    /// ```
    pub fn parse(source: impl Into<Vec<u8>>) -> Result<Program, Error> {
        let source = source.into();
        let start = Instant::now();
        match parse::parse(&source) {
            Ok(ir) => {
                let stats = Stats {
                    parse: start.elapsed(),
                    optimize: Duration::ZERO,
                    literal_ops: ir.len(),
                    ops: ir.len(),
                };
                Ok(Program {
                    source,
                    ir,
                    config: Config::default().opt_level(OptLevel::O0),
                    stats,
                })
            }
            Err(error) => Err(Program::parse_error(&source, error)),
        }
    }

    /// Parses and optimizes for `config` in one step, without ever holding the literal IR of
    /// the whole program (which matters for large sources). The same as
    /// `Program::parse(source)?.optimize(config)`.
    pub fn new(source: impl Into<Vec<u8>>, config: &Config) -> Result<Program, Error> {
        let source = source.into();
        match opt::parse_and_optimize(&source, config) {
            Ok(done) => {
                let stats = Stats {
                    parse: done.parse_time,
                    optimize: done.optimize_time,
                    literal_ops: done.literal_ops,
                    ops: done.ir.len(),
                };
                Ok(Program {
                    source,
                    ir: done.ir,
                    config: *config,
                    stats,
                })
            }
            Err(error) => Err(Program::parse_error(&source, error)),
        }
    }

    fn parse_error(source: &[u8], error: ParseError) -> Error {
        Error::Parse {
            at: source::line_col(source, error.pos),
            error,
        }
    }

    /// Optimizes for `config` (its `opt_level` picks the passes; the cell size and tape size
    /// are facts the passes may rely on) and adopts `config` for running.
    pub fn optimize(mut self, config: &Config) -> Program {
        let start = Instant::now();
        if self.config.opt_level != OptLevel::O0 {
            // Start again from the literal IR: earlier passes assumed the old configuration.
            self.ir = parse::parse(&self.source).expect("parsed before");
        }
        self.ir = opt::optimize(std::mem::take(&mut self.ir), config);
        self.config = *config;
        self.stats.optimize = start.elapsed();
        self.stats.ops = self.ir.len();
        self
    }

    /// Timings and sizes of parsing and optimizing.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The source text.
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// The IR.
    pub fn ir(&self) -> &ir::Ir {
        &self.ir
    }

    /// The configuration the program runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// An interpreter for this program.
    pub fn interpreter(&self) -> interp::Interpreter<'_> {
        interp::Interpreter::new(self)
    }

    /// Compiles to x86-64 machine code.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    pub fn compile(&self) -> Result<jit::Jit<'_>, Error> {
        jit::Jit::new(self)
    }

    /// Compiles to x86-64 machine code: not available on this platform.
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    pub fn compile(&self) -> Result<interp::Interpreter<'_>, Error> {
        Err(Error::Unsupported)
    }

    /// The fastest executor available: the JIT on Linux x86-64, else the interpreter.
    pub fn executor(&self) -> Result<Box<dyn Executor + '_>, Error> {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            Ok(Box::new(self.compile()?))
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            Ok(Box::new(self.interpreter()))
        }
    }

    /// The error for a move off the tape at source byte `pos`.
    pub(crate) fn out_of_range(&self, pos: u32, side: Side) -> RuntimeError {
        RuntimeError::PointerOutOfRange {
            side,
            pos,
            at: source::line_col(&self.source, pos),
        }
    }
}
