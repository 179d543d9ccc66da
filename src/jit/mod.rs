//! The JIT: compiles the IR to x86-64 machine code and runs it (Linux x86-64 only).
//!
//! * `codegen` (in `src/jit/codegen/`, documented with `cargo doc --document-private-items`)
//!   emits the code with dynasm and documents the register convention;
//! * `runtime` maps the tape between guard pages and defines the context block the code
//!   works with;
//! * `fault` turns a guard-page `SIGSEGV` into an error report.
//!
//! # W^X and the entry call
//!
//! The code is assembled into an ordinary `Vec<u8>`, copied into a fresh anonymous mapping
//! that is writable but not executable, and the mapping is then switched to read+execute
//! (dynasmrt's `MutableBuffer::make_exec`). At no point is memory writable and executable
//! at once. The entry point is called as
//! `extern "sysv64" fn(ctx: *mut Ctx, cell0: *mut u8) -> u64`, and returns a status; the
//! code does its own I/O with `read(2)` and `write(2)` system calls, so the only transitions
//! between Rust and generated code are this call and its return.

pub(crate) mod codegen;
pub mod disasm;
pub mod encoding;
pub mod fault;
pub(crate) mod hook;
pub mod runtime;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;

use dynasmrt::mmap::{ExecutableBuffer, MutableBuffer};

use self::codegen::{Code, Unit};
use self::runtime::{Ctx, Entry, Tape, memfd, status};
use crate::autoflush::{JitCode, Watch};
use crate::io::{IN_BUF, OUT_BUF};
use crate::ir::Op;
use crate::{Error, Executor, Input, Io, Output, Program, RuntimeError};

/// Switches for the code generator that do not change what a program does, only the code
/// that does it. Tests compare code generated with different switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Keep cells in registers and remember what registers and the flags hold, to skip
    /// loads, stores and compares (on by default). Off, every cell lives in memory and every
    /// test of a cell compares it there. Programs compiled with [`crate::Config::debug`]
    /// always have it off, so that the tape shown with a runtime error is exactly the tape
    /// as the program left it.
    pub cache: bool,
    /// Check the code generator while it works (off by default; tests and the fuzzer turn
    /// it on). Every piece of generated code is decoded and compared with the effect it was
    /// declared to have (always done in debug builds for programs of up to 65,536 IR instructions), and the generated code checks, at
    /// the start of every IR instruction, that each register and the flags hold what the
    /// code generator believes they hold; if not, the run fails with
    /// [`crate::RuntimeError::Internal`] naming the instruction. Slower code; same results.
    pub verify: bool,
    /// Unit tests of the verification: before IR instruction `n`, make the code generator
    /// believe that `eax` holds `p[1]`.
    #[cfg(test)]
    pub(crate) sabotage: Option<usize>,
    /// Unit tests of the fallback to long jumps: take the two-byte form for every jump over
    /// a loop or `if` body, however long.
    #[cfg(test)]
    pub(crate) all_short: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            cache: true,
            verify: false,
            #[cfg(test)]
            sabotage: None,
            #[cfg(test)]
            all_short: false,
        }
    }
}

impl Options {
    /// These options with the register and flags cache on or off.
    pub fn cache(self, cache: bool) -> Options {
        Options { cache, ..self }
    }

    /// These options with self-checks on or off (see [`Options::verify`]).
    pub fn verify(self, verify: bool) -> Options {
        Options { verify, ..self }
    }
}

/// A program compiled to machine code, ready to run any number of times.
pub struct Jit<'p> {
    program: &'p Program,
    /// What the code generator made. Its `bytes` are emptied once copied into `buffer`
    /// (unless a listing needs them, see [`Jit::with_options`]): a large program's code is
    /// tens of megabytes, and holding it twice would double that.
    code: Code,
    options: Options,
    /// The code, executable (and readable: [`Jit::code`] reads it here).
    buffer: ExecutableBuffer,
    compile_time: std::time::Duration,
    /// With `--profile`, what the last run counted.
    counts: Option<crate::profile::Counts>,
    /// The tape and I/O buffers of the last run, kept for the next (see [`RunMemory`]).
    memory: Option<RunMemory>,
}

/// The memory a run works in: the tape between its guards, and the output and input buffers
/// in one anonymous mapping (the kernel hands out zeroed pages as they are first touched, so
/// a program that prints a line costs one page, not the 128 KiB a zeroed `Vec` would write).
///
/// Mapping these is most of the fixed cost of a run, so a [`Jit`] keeps them after a run and
/// the next run reuses them, after zeroing the tape ([`Tape::clear`]); the buffers need no
/// zeroing (the code writes before it reads). They are unmapped with the `Jit`.
struct RunMemory {
    tape: Tape,
    buffers: memmap2::MmapMut,
}

impl<'p> Jit<'p> {
    /// Compiles `program` with its configuration.
    pub fn new(program: &'p Program) -> Result<Jit<'p>, Error> {
        Jit::with_options(program, Options::default())
    }

    /// Compiles `program` with its configuration and code generator `options`.
    pub fn with_options(program: &'p Program, options: Options) -> Result<Jit<'p>, Error> {
        let start = std::time::Instant::now();
        // The assembler's buffers grow as it goes, and cannot report failure: make sure
        // they fit before starting (see `crate::mem`).
        let need = crate::mem::codegen_bytes(program.ir());
        crate::mem::room_for(need)
            .map_err(|_| Error::Compile(crate::mem::too_large("the machine code", need)))?;
        let profiling = std::env::var_os("JITBF_PERF_MAP").is_some();
        let mut code = codegen::compile(program.ir(), program.config(), profiling, options)
            .map_err(Error::Compile)?;
        let compile_err = |e: std::io::Error| Error::Compile(e.to_string());
        let mut buf = MutableBuffer::new(code.bytes.len()).map_err(compile_err)?;
        buf.set_len(code.bytes.len());
        // From here on the executable copy is the code. The generator's copy is kept only
        // with the map from IR to code (profiling), which the annotated listing reads
        // together with it; without the map, a listing compiles again (see `listing`).
        if code.instr_offsets.is_empty() {
            code.move_bytes_into(&mut buf);
        } else {
            buf.copy_from_slice(&code.bytes);
        }
        let buffer = buf.make_exec().map_err(compile_err)?;
        let jit = Jit {
            program,
            code,
            options,
            buffer,
            compile_time: start.elapsed(),
            counts: None,
            memory: None,
        };
        if profiling {
            // Best effort: profiling is optional.
            let _ = jit.write_perf_map();
        }
        Ok(jit)
    }

    /// Writes `/tmp/perf-PID.map`, which names each IR instruction's machine code for
    /// `perf report` (enabled by the environment variable `JITBF_PERF_MAP`).
    fn write_perf_map(&self) -> std::io::Result<()> {
        let ir = self.program.ir();
        let base = self.code_start();
        let mut map = String::new();
        let lines = crate::source::LineMap::new(self.program.source());
        let offs = &self.code.instr_offsets;
        for (i, ins) in ir.code.iter().enumerate() {
            let (start, end) = (offs[i], offs[i + 1]);
            if end > start {
                let at = lines.line_col(ins.span.start);
                map.push_str(&format!(
                    "{:x} {:x} bf#{i} {at} {}\n",
                    base + u64::from(start),
                    end - start,
                    ir.display(&ins.op)
                ));
            }
        }
        std::fs::write(format!("/tmp/perf-{}.map", std::process::id()), map)
    }

    /// How long generating the code took.
    pub fn compile_time(&self) -> std::time::Duration {
        self.compile_time
    }

    /// The machine code (position independent; the entry point is at offset 0).
    pub fn code(&self) -> &[u8] {
        &self.buffer
    }

    /// The machine code as an annotated listing: each group of instructions under the
    /// Brainfuck source and the IR op it implements (`jitbf --emit asm`).
    pub fn disassemble(&self) -> String {
        self.listing().to_string()
    }

    /// The annotated listing in structured form: each instruction with its offset, bytes,
    /// text and the IR instructions it implements (what `jitbf explore` shows).
    pub fn listing(&self) -> disasm::Listing {
        let ir = self.program.ir();
        if self.code.instr_offsets.is_empty() {
            // Running needs no map from IR to code, so it was not kept: compile again (the
            // same input gives the same code) with it.
            if let Ok(code) = codegen::compile(ir, self.program.config(), true, self.options) {
                debug_assert_eq!(code.bytes, self.code());
                return disasm::structured(&code, ir, self.program.source());
            }
        }
        disasm::structured(&self.code, ir, self.program.source())
    }

    fn code_start(&self) -> u64 {
        self.buffer.as_ptr() as u64
    }

    /// Explains a `VERIFY` exit: where the code generator's beliefs were wrong.
    fn verify_error(&self, ctx: &Ctx) -> RuntimeError {
        let off = ctx.fault_rip.wrapping_sub(self.code_start());
        let ir = self.program.ir();
        let at = match self.code.instr_at(off as u32) {
            Some(i) => format!("before IR instruction {i} ({})", ir.display(&ir.code[i].op)),
            None => "outside the program".to_string(),
        };
        RuntimeError::Internal(format!(
            "run-time verification failed at code offset {off:#x}, {at}: a register or the \
             flags did not hold what the code generator believed"
        ))
    }

    /// Explains a `FAULT` exit: which move left the tape.
    fn fault_error(&self, ctx: &Ctx, tape: &Tape) -> RuntimeError {
        let off = ctx.fault_rip.wrapping_sub(self.code_start());
        let internal = || {
            RuntimeError::Internal(format!(
                "unexpected memory fault in generated code at offset {off:#x} \
                 (address {:#x}, tape at {:#x}, pointer {:#x})",
                ctx.fault_addr,
                tape.cell0_addr(),
                ctx.final_p
            ))
        };
        if ctx.fault_unexpected != 0 {
            return internal();
        }
        let ir = self.program.ir();
        let config = self.program.config();
        let cs = config.cell_bits.bytes() as u64;
        let cells = config.tape_cells;
        // The tape pointer register is a base for offsets and may itself be off the tape; it
        // holds the address of cell `p + bias`.
        let p = (ctx.final_p.wrapping_sub(tape.cell0_addr() as u64) as i64) / cs as i64
            - i64::from(self.code.bias);
        let failure = match self.code.unit_at(off as u32) {
            Unit::Check(id) => ir.check_failure(id, p, cells),
            Unit::Scan(i) => {
                let Op::Scan { off, step, check } = ir.code[i as usize].op else {
                    return internal();
                };
                // Replay the scan from its start, as the interpreter would run it.
                let mut p = p;
                loop {
                    let Ok(at) = usize::try_from(p + i64::from(off)) else {
                        break None;
                    };
                    match tape.cell(at, cs as usize) {
                        Some(0) | None => break None,
                        Some(_) => {}
                    }
                    if let Some(f) = ir.check_failure(check, p, cells) {
                        break Some(f);
                    }
                    p += i64::from(step);
                }
            }
            Unit::None => None,
        };
        match failure {
            Some((pos, side)) => self.program.out_of_range(pos, side),
            None => internal(),
        }
    }
}

impl Executor for Jit<'_> {
    fn run(&mut self, io: &mut Io) -> Result<(), RuntimeError> {
        fault::install().map_err(RuntimeError::Setup)?;
        let config = self.program.config();
        let mut memory = match self.memory.take() {
            Some(memory) => {
                memory.tape.clear().map_err(RuntimeError::Setup)?;
                memory
            }
            None => RunMemory {
                tape: Tape::new(config.tape_cells, config.cell_bits.bytes())
                    .map_err(RuntimeError::Setup)?,
                buffers: memmap2::MmapMut::map_anon(OUT_BUF + IN_BUF)
                    .map_err(RuntimeError::Setup)?,
            },
        };
        let tape = &memory.tape;

        // File descriptors for the generated code; in-memory I/O goes through memfds.
        let mut in_memfd: Option<File> = None;
        let in_fd = match &io.input {
            Input::Stdin => 0,
            Input::File(f) => f.as_raw_fd(),
            Input::Bytes(bytes) => {
                let mut f = memfd(c"jitbf-input").map_err(RuntimeError::Setup)?;
                f.write_all(bytes).map_err(RuntimeError::Setup)?;
                f.seek(SeekFrom::Start(0)).map_err(RuntimeError::Setup)?;
                in_memfd.insert(f).as_raw_fd()
            }
        };
        let mut out_memfd: Option<File> = None;
        let out_fd = match &io.output {
            Output::Stdout => {
                // Anything Rust buffered for stdout goes first.
                std::io::stdout().flush().map_err(RuntimeError::Output)?;
                1
            }
            Output::File(f) => f.as_raw_fd(),
            Output::Capture(_) => out_memfd
                .insert(memfd(c"jitbf-output").map_err(RuntimeError::Setup)?)
                .as_raw_fd(),
        };

        let (out_buf, in_buf) = memory.buffers.split_at_mut(OUT_BUF);
        let out_ptr = out_buf.as_mut_ptr();
        let code_start = self.code_start();
        let guards = tape.guards().map(|g| g.map(|a| a as u64));
        let mut ctx = Ctx {
            out_buf: out_ptr,
            out_fd,
            line_flush: u32::from(io.line_flush()),
            in_buf: in_buf.as_mut_ptr(),
            in_pos: 0,
            in_len: 0,
            in_cap: IN_BUF as u64,
            in_fd,
            errno: 0,
            saved_rsp: 0,
            tape_start: tape.cell0_addr() as u64,
            tape_end: tape.end() as u64,
            fault_rip: 0,
            fault_unexpected: 0,
            fault_addr: 0,
            final_p: 0,
            final_out: 0,
            code_start,
            code_end: code_start + self.buffer.len() as u64,
            fault_stub: code_start + self.code.fault_stub as u64,
            guards,
            debug_hook: 0,
            debug_data: std::ptr::null_mut(),
            counters: std::ptr::null_mut(),
            in_eof: 0,
            save: [0; 7],
        };
        // `--debug` and `--profile`: the dump callback and the counters (see `hook`).
        let mut hook_data = hook::HookData {
            program: self.program,
            lines: std::cell::OnceCell::new(),
            diagnostics: &mut io.diagnostics,
        };
        if config.debug {
            ctx.debug_hook = hook::debug_hook as *const () as u64;
            ctx.debug_data = (&raw mut hook_data).cast();
        }
        let mut counters = vec![
            0u64;
            if config.profile {
                2 * crate::profile::constructs(self.program.ir()).len()
            } else {
                0
            }
        ];
        if config.profile {
            ctx.counters = counters.as_mut_ptr();
        }
        let cell0 = tape.cell0();
        let ctx_ptr: *mut Ctx = &mut ctx;
        // Signal handlers may write pending output while the code runs (`crate::autoflush`).
        let at = |off: u32| code_start as usize + off as usize;
        let watched = JitCode {
            code: code_start as usize..code_start as usize + self.buffer.len(),
            no_flush: self
                .code
                .no_flush
                .iter()
                .map(|r| at(r.start)..at(r.end))
                .collect(),
            exit: at(self.code.exit),
            // SAFETY: `ctx_ptr` points at `ctx`, alive for the whole function.
            errno: unsafe { &raw mut (*ctx_ptr).errno },
        };
        let watched_fd = (out_memfd.is_none()).then_some(out_fd);
        let watch = Watch::jit(watched_fd, out_ptr, watched);
        let st = {
            let _active = fault::Active::new(ctx_ptr);
            // SAFETY: `buffer` holds code produced by `codegen::compile`, whose entry point
            // has the `Entry` signature and is at `code.entry`. The code only touches
            // `ctx`, the buffers it points to (alive until after the call), and the tape
            // through `cell0`, whose out-of-range accesses hit guard pages and are caught
            // by the fault handler installed above.
            unsafe {
                let entry: Entry = std::mem::transmute(self.buffer.as_ptr().add(self.code.entry));
                entry(ctx_ptr, cell0)
            }
        };

        let result = match st {
            status::OK => Ok(()),
            status::FAULT => Err(self.fault_error(&ctx, tape)),
            status::OUTPUT => Err(RuntimeError::Output(os_error(ctx.errno))),
            status::INPUT => Err(RuntimeError::Input(os_error(ctx.errno))),
            status::VERIFY => Err(self.verify_error(&ctx)),
            other => Err(RuntimeError::Internal(format!(
                "unknown exit status {other}"
            ))),
        };
        let faulted = st == status::FAULT;
        if config.profile {
            let counts = hook::counts(self.program, &self.code, &ctx, tape, &mut counters, faulted);
            self.counts = Some(counts);
        }
        let pending = (ctx.final_out as usize).saturating_sub(out_buf.as_ptr() as usize);
        if let (Some(mut f), Output::Capture(captured)) = (out_memfd, &mut io.output) {
            f.seek(SeekFrom::Start(0)).map_err(RuntimeError::Setup)?;
            f.read_to_end(captured).map_err(RuntimeError::Setup)?;
        }
        // Output buffered before the end (or the error) is written now; a failed write is
        // not retried.
        let flushed = if st == status::OUTPUT {
            Ok(())
        } else {
            io.write_out(&out_buf[..pending.min(OUT_BUF)])
                .map_err(RuntimeError::Output)
        };
        if result.is_err() && config.debug {
            let window = hook::error_window(self.program, &self.code, &ctx, tape, faulted);
            let _ = io.diagnostics.write(window.as_bytes());
        }
        // Only now: a termination signal during the run may have waited for this write.
        drop(watch);
        self.memory = Some(memory);
        result.and(flushed)
    }

    fn profile(&self) -> Option<&crate::profile::Counts> {
        self.counts.as_ref()
    }
}

/// The error for an `errno` from generated code (0: `write` wrote nothing).
fn os_error(errno: i32) -> std::io::Error {
    if errno == 0 {
        std::io::Error::new(std::io::ErrorKind::WriteZero, "write wrote nothing")
    } else {
        std::io::Error::from_raw_os_error(errno)
    }
}

#[cfg(test)]
mod tests {
    use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

    use crate::{CellBits, Config, OptLevel, Program};

    /// True if `ins` may change `r12` (the output cursor) or memory addressed by it (the
    /// output buffer). Reading them is fine.
    fn writes_output(ins: &Instruction) -> bool {
        let r12 = [
            Register::R12,
            Register::R12D,
            Register::R12W,
            Register::R12L,
        ];
        if ins.op_count() == 0 || matches!(ins.mnemonic(), Mnemonic::Cmp | Mnemonic::Test) {
            return false;
        }
        match ins.op0_kind() {
            OpKind::Register => r12.contains(&ins.op0_register()),
            OpKind::Memory => ins.memory_base() == Register::R12,
            _ => false,
        }
    }

    /// The autoflush signal handler resets `r12` anywhere outside `Code::no_flush`; that is
    /// only right if no other code writes `r12` or the output buffer (see `crate::autoflush`).
    #[test]
    fn only_the_no_flush_stretches_write_the_output() {
        // Constant output, input, output of computed cells, loops, scans, multiply loops.
        let src = "++++[>+++<-]>.,[.>+<-]>[-]<<+[>>]+[<]>[->++>+++<<]>.>.,[>,.<-]";
        for bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
            for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
                let config = Config::default().cell_bits(bits).opt_level(level);
                let program = Program::new(src, &config).unwrap();
                let jit = super::Jit::new(&program).unwrap();
                let code = &jit.code;
                let mut decoder =
                    Decoder::with_ip(64, &jit.code()[..code.data_start], 0, DecoderOptions::NONE);
                let mut writers = 0;
                for ins in &mut decoder {
                    if writes_output(&ins) {
                        let at = ins.ip() as u32;
                        assert!(
                            code.no_flush.iter().any(|r| r.contains(&at)),
                            "{bits:?} {level:?}: `{ins}` at {at:#x} writes the output outside {:?}",
                            code.no_flush
                        );
                        writers += 1;
                    }
                }
                // The prologue, putc, flush and the exit path do.
                assert!(writers >= 4, "{bits:?} {level:?}: {writers}");
            }
        }
    }
}
