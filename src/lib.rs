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
//! Every listing below is what `jitbf` prints for it today: a test (`tests/docs.rs`) runs
//! the commands and fails when a listing here is out of date.
//!
//! **1. Parse** ([`parse`]). Every byte that is not one of the eight commands is a comment.
//! Runs of identical commands become one instruction of the [`ir`], each keeping the source
//! span it came from (`line:column`, then the commands). Pointer moves carry their bounds
//! check separately (`check`), so that later passes can move the pointer arithmetic around
//! and an error still names the right `>`:
//!
//! <!-- generated: jitbf -O0 --emit ir -e ',[>+++<-]>.' -->
//! ```text
//! $ jitbf -O0 --emit ir -e ',[>+++<-]>.'
//!  0  1:1       in p[0]                              ,
//!  1  1:2       while p[0] {                         [
//!  2  1:3         check p[0..=1]                     >
//!  3  1:3         p += 1                             >
//!  4  1:4         p[0] += 3                          +++
//!  5  1:7         check p[-1..=0]                    <
//!  6  1:7         p += -1                            <
//!  7  1:8         p[0] -= 1                          -
//!  8  1:9       } while p[0]                         ]
//!  9  1:10      check p[0..=1]                       >
//! 10  1:10      p += 1                               >
//! 11  1:11      out p[0]                             .
//! ```
//!
//! **2. Optimize** ([`opt`]). Passes rewrite the IR; [`OptLevel`] picks them. Pointer moves
//! fold into offsets (`p[1] += 3` instead of `>+++<`), the loop is recognised as a multiply
//! loop, and since cell 1 is known to be 0 it becomes a plain store. The bounds checks are
//! decided at compile time (the pointer's position is known) and disappear. At `-O2`, the
//! default:
//!
//! <!-- generated: jitbf --emit ir -e ',[>+++<-]>.' -->
//! ```text
//! $ jitbf --emit ir -e ',[>+++<-]>.'
//! 0  1:1       in p[0]                              ,
//! 1  1:4       p[1] = p[0]*3                        +++
//! 2  1:11      out p[1]                             .
//! ```
//!
//! **3. Compile** (`jit`, Linux x86-64). Each IR instruction becomes a few x86-64
//! instructions, emitted with [dynasm](https://docs.rs/dynasmrt). `--emit asm` prints them
//! under the source and the IR they came from, after the *prologue* that sets up the
//! registers (the shared code that follows, `getc`, `putc` and the exits, is left out here):
//!
//! <!-- generated: jitbf --emit asm -e ',[>+++<-]>.' | to "; end of program" -->
//! ```text
//! $ jitbf --emit asm -e ',[>+++<-]>.'
//! ; prologue
//! 0000  55                             push rbp
//! 0001  53                             push rbx
//! 0002  41 54                          push r12
//! 0004  41 55                          push r13
//! 0006  41 56                          push r14
//! 0008  41 57                          push r15
//! 000a  48 83 ec 08                    sub rsp,8
//! 000e  49 89 fe                       mov r14,rdi
//! 0011  48 89 f3                       mov rbx,rsi
//! 0014  48 83 c3 01                    add rbx,1
//! 0018  49 89 a6 88 00 00 00           mov [r14+0x88],rsp
//! 001f  4d 8b 66 48                    mov r12,[r14+0x48]
//! 0023  4d 8d ac 24 00 00 01 00        lea r13,[r12+0x10000]
//! ; 1:1     ,                      in p[0]
//! 002b  0f b6 4b ff                    movzx ecx,byte ptr [rbx-1]
//! 002f  e8 02 01 00 00                 call 0136 <getc>
//! 0034  85 c0                          test eax,eax
//! 0036  78 02                          js 003a
//! 0038  89 c1                          mov ecx,eax
//! ; 1:4     +++                    p[1] = p[0]*3
//! 003a  8d 34 49                       lea esi,[rcx+rcx*2]
//! ; 1:11    .                      out p[1]
//! 003d  89 f0                          mov eax,esi
//! 003f  e8 49 00 00 00                 call 008d <putc>
//! ...
//! ```
//!
//! Each line is an offset in the code, the instruction's bytes, and the instruction. The
//! tape pointer `p` lives in `rbx`, and a cell `p[k]` is the memory operand
//! `[rbx + k - bias]`: the prologue adds the *bias* to `rbx` (the `add rbx,...` after
//! `mov rbx,rsi`, which receives the address of cell 0). The bias is the program's typical
//! cell offset, chosen so that displacements stay small: x86 encodes a displacement from
//! -128 to 127 in one byte, anything else in four. Programs whose loops work far from the
//! pointer (mandelbrot's around `p[190]`) save three bytes per access. Here the bias is 1,
//! so `p[0]` is `[rbx-1]`.
//!
//! The cells themselves mostly live in registers: `p[0]` in `ecx` (loaded first, because at
//! end of input `,` leaves the cell as it was), `p[1]` in `esi`. Nothing reads them after the
//! program ends, so they are never written back to the tape. A register holding an 8-bit
//! cell uses only its low byte; `out` passes it to `putc` in `eax`.
//!
//! **One instruction, byte by byte.** At `-O1` the loop stays a loop, and its two cells live
//! in registers while it runs: loaded once before the first iteration (`ecx` holds `p[0]`,
//! `esi` holds `p[1]`), updated in registers, and written back once after the last:
//!
//! <!-- generated: jitbf -O1 --emit asm -e ',[>+++<-]>.' | from "; 1:2" to "; 1:10" -->
//! ```text
//! $ jitbf -O1 --emit asm -e ',[>+++<-]>.'
//! ...
//! ; 1:2     [                      while p[0] {
//! 0033  80 7b 00 00                    cmp byte ptr [rbx],0
//! 0037  0f 84 22 00 00 00              je 005f
//! 003d  0f b6 4b 00                    movzx ecx,byte ptr [rbx]
//! 0041  0f b6 73 01                    movzx esi,byte ptr [rbx+1]
//! 0045  66 0f 1f 84 00 00 00 00 00     nop [rax+rax]
//! 004e  66 90                          xchg ax,ax
//! ; 1:3     >+++<                    check p[0..=1]
//! ; 1:4     +++                      p[1] += 3
//! 0050  8d 76 03                       lea esi,[rsi+3]
//! ; 1:8     -                        p[0] -= 1
//! 0053  80 c1 ff                       add cl,0xff
//! ; 1:9     ]                      } while p[0]
//! 0056  75 f8                          jne 0050
//! 0058  88 4b 00                       mov [rbx],cl
//! 005b  40 88 73 01                    mov [rbx+1],sil
//! ...
//! ```
//!
//! `p[1] += 3` is `lea esi,[rsi+3]`, an addition that leaves the flags alone, while `p[0] -=
//! 1` is `add cl,0xff`, which sets them: the jump back (`jne`) tests `p[0]` with no compare
//! of its own. The load of `p[1]` before the loop, `movzx esi,byte ptr [rbx+1]`, is four
//! bytes that the [`jit::encoding`] module takes apart (click an instruction in `jitbf
//! explore` to see the same):
//!
//! <!-- generated: encoding of "movzx esi,byte ptr [rbx+1]" in jitbf -O1 --emit asm -e ',[>+++<-]>.' -->
//! ```text
//! 0f b6        opcode       movzx
//! 73           ModRM        ModRM 01 110 011: mod=01 (memory, 8-bit displacement), reg=110 (esi), rm=011 (rbx)
//! 01           displacement 8-bit displacement, signed: +1
//! ```
//!
//! The opcode `0f b6` means "load a byte and zero-extend it to a register"; the ModRM byte
//! after it names both operands. Its middle three bits (`reg`) are the destination register,
//! `esi`; its top two bits (`mod`) say the source is in memory at a register plus a one-byte
//! displacement, and its low three bits (`rm`) name that register, `rbx`. Then comes the
//! displacement: cell 1 is one byte past `rbx` here, where the bias is 0. A cell operand is
//! always this `[rbx + displacement]` pattern; `jitbf explore` shows every instruction's
//! fields.
//!
//! **4. Run.** The [`Executor`] trait runs a program on an [`Io`]; both the JIT and the
//! [`interp::Interpreter`] implement it, and they agree byte for byte (the tests check it on
//! every bundled and generated program, at every level).
//!
//! # How the generated code works
//!
//! * **Registers.** The tape pointer lives in `rbx` for the whole run, the output buffer's
//!   cursor and end in `r12`/`r13`, and `r14` points at a context block (file descriptors,
//!   buffers, a saved stack pointer). The full table is in the code generator's module docs (`src/jit/codegen/mod.rs`).
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
//!   out. Inside loops this costs nothing. The handler is process-wide: see
//!   [`compiled`](crate::compiled#the-sigsegv-handler) if your program has its own.
//!
//! # Embedding
//!
//! Configure with [`Config`] (cell width, end-of-input behaviour, tape size, optimization
//! level), build a [`Program`], then run it with [`Program::compile`] (a [`Compiled`]: the
//! JIT where available, else the interpreter, the same type on every platform),
//! [`Program::executor`] (the same, boxed) or [`Program::interpreter`]. The first run of
//! machine code installs a process-wide `SIGSEGV` handler, which passes on every fault that
//! is not in generated code ([details](crate::compiled#the-sigsegv-handler)). Errors are typed: [`Error::Parse`] and
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

// The README's Rust examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod autoflush;
pub mod bench;
pub mod cli;
pub mod compiled;
pub mod debug;
#[cfg(jitbf_jit)]
pub mod exe;
pub mod explore;
mod html;
pub mod interp;
pub mod io;
pub mod ir;
#[cfg(jitbf_jit)]
pub mod jit;
pub mod mem;
pub mod opt;
pub mod parse;
pub mod profile;
pub mod source;
pub mod stats;
pub mod trace;

pub mod diagnostic;

use std::fmt;
use std::time::{Duration, Instant};

pub use crate::compiled::Compiled;
pub use crate::diagnostic::render;
pub use crate::io::{Input, Io, Output};
pub use crate::ir::Side;
pub use crate::opt::OptLevel;
pub use crate::parse::ParseError;
pub use crate::source::LineCol;

/// True when this build has the JIT (Linux on x86-64).
pub const JIT_AVAILABLE: bool = cfg!(jitbf_jit);

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
    /// `#` is a command (`jitbf --debug`): it writes the pointer, its source position and the
    /// cells around the pointer to the run's diagnostics stream ([`Io::diagnostics`]; see
    /// [`debug`]). Without it `#` is a comment like any other byte, and the program compiles
    /// exactly as if the `#`s were not there.
    pub debug: bool,
    /// Count how often each loop and `if` runs (`jitbf --profile`): the JIT compiles counters
    /// into the code and the interpreter counts the same events; see [`profile`]. Off, the
    /// generated code has no trace of it.
    pub profile: bool,
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

    /// This configuration with `#` tape dumps on or off (see [`Config::debug`]).
    pub fn debug(self, debug: bool) -> Config {
        Config { debug, ..self }
    }

    /// This configuration with loop counting on or off (see [`Config::profile`]).
    pub fn profile(self, profile: bool) -> Config {
        Config { profile, ..self }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            cell_bits: CellBits::U8,
            eof: Eof::Unchanged,
            tape_cells: DEFAULT_TAPE_CELLS,
            opt_level: OptLevel::O2,
            debug: false,
            profile: false,
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

    /// With [`Config::profile`], what the last run counted (also after a failed run);
    /// otherwise `None`.
    fn profile(&self) -> Option<&profile::Counts> {
        None
    }
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
    /// Instructions (of the IR after the first fold) at the end of a very large program that
    /// the known-value pass did not analyse, to bound compile time (0: it saw everything; see
    /// [`opt::KNOWN_BUDGET`]; with several pieces, the sum over them).
    pub unanalysed_ops: usize,
    /// Pieces the program was optimized in: 1, or 2 for a source of at least
    /// [`opt::split::SPLIT_MIN`] bytes (see [`opt::split`]).
    pub pieces: usize,
    /// Threads that parsed and optimized the pieces.
    pub threads: usize,
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
                    unanalysed_ops: 0,
                    pieces: 1,
                    threads: 1,
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
        Program::try_new(source.into(), config).map_err(|(error, _)| error)
    }

    /// [`Program::new`] that hands the source back with the error when it fails, so that
    /// the caller can show the error with its source line ([`render`]) without keeping a
    /// second copy of a source that may be large. The command line uses this.
    ///
    /// ```
    /// let (err, source) = jitbf::Program::try_new(b"+]".to_vec(), &jitbf::Config::default())
    ///     .unwrap_err();
    /// assert!(jitbf::render(&err, &source, "x.b").contains("1 | +]"));
    /// ```
    pub fn try_new(source: Vec<u8>, config: &Config) -> Result<Program, (Error, Vec<u8>)> {
        Program::try_new_split(source, config, opt::split::Split::Auto)
    }

    /// [`Program::new`], with the program cut in pieces for optimization as `split` says
    /// (see [`opt::split`]): [`opt::split::Split::At`] cuts even a small program, which is how
    /// the tests check that a cut program behaves exactly as the whole one.
    pub fn with_split(
        source: impl Into<Vec<u8>>,
        config: &Config,
        split: opt::split::Split,
    ) -> Result<Program, Error> {
        Program::try_new_split(source.into(), config, split).map_err(|(error, _)| error)
    }

    fn try_new_split(
        source: Vec<u8>,
        config: &Config,
        split: opt::split::Split,
    ) -> Result<Program, (Error, Vec<u8>)> {
        match opt::parse_and_optimize_split(&source, config, split) {
            Ok(done) => {
                let stats = Stats {
                    parse: done.parse_time,
                    optimize: done.optimize_time,
                    literal_ops: done.literal_ops,
                    ops: done.ir.len(),
                    unanalysed_ops: done.unanalysed_ops,
                    pieces: done.pieces,
                    threads: done.threads,
                };
                Ok(Program {
                    source,
                    ir: done.ir,
                    config: *config,
                    stats,
                })
            }
            Err(error) => Err((Program::parse_error(&source, error), source)),
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
        if self.config.opt_level != OptLevel::O0 || self.config.debug != config.debug {
            // Start again from the literal IR: earlier passes assumed the old configuration
            // (and `--debug` changes what `#` means).
            self.ir = parse::parse_with(&self.source, config.debug).expect("parsed before");
        }
        self.ir = opt::optimize(std::mem::take(&mut self.ir), config);
        self.config = *config;
        self.stats.optimize = start.elapsed();
        self.stats.ops = self.ir.len();
        self.stats.unanalysed_ops = 0;
        (self.stats.pieces, self.stats.threads) = (1, 1);
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

    /// Compiles for this platform: to x86-64 machine code where the JIT is available (Linux
    /// on x86-64), else to the reference interpreter, behind the same type ([`Compiled`]).
    ///
    /// **Signals.** Running machine code relies on guard pages around the tape: the first
    /// run in the process installs a process-wide `SIGSEGV` handler, which handles faults
    /// of generated code only and passes every other fault on to the handler installed
    /// before it. See [`compiled`](crate::compiled#the-sigsegv-handler) before installing a
    /// `SIGSEGV` handler of your own.
    pub fn compile(&self) -> Result<Compiled<'_>, Error> {
        Compiled::new(self)
    }

    /// The fastest executor available, boxed: [`Program::compile`] (the JIT where available,
    /// else the interpreter), with the same note on the `SIGSEGV` handler.
    pub fn executor(&self) -> Result<Box<dyn Executor + '_>, Error> {
        Ok(Box::new(self.compile()?))
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
