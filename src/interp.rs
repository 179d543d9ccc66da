//! The reference interpreter: runs the IR directly.
//!
//! This is the definition of what every IR op means, written to be read: a `match` per op
//! over a tape held in a `Vec`. The JIT must agree with it byte for byte, on output, exit
//! status and error position, which the differential tests check. It is generic over the
//! cell type so 8-, 16- and 32-bit cells share one implementation.

use crate::io::Port;
use crate::ir::{CheckId, Ir, Op};
use crate::source::LineMap;
use crate::{CellBits, Config, Eof, Executor, Io, Program, RuntimeError};

/// A cell type: `u8`, `u16` or `u32`, with wrapping arithmetic.
pub trait Cell: Copy + Default + Eq {
    /// Truncates a 32-bit value to the cell width.
    fn from_u32(v: u32) -> Self;
    /// Widens to 32 bits.
    fn to_u32(self) -> u32;
}

macro_rules! cell_impl {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            #[inline]
            fn from_u32(v: u32) -> Self {
                v as $t
            }
            #[inline]
            fn to_u32(self) -> u32 {
                u32::from(self)
            }
        }
    )*};
}
cell_impl!(u8, u16, u32);

/// Runs a [`Program`] by interpreting its IR.
pub struct Interpreter<'p> {
    program: &'p Program,
    /// For each instruction, the index of its matching bracket (see [`Ir::partners`]).
    partners: Vec<u32>,
    /// `Some(limit)`: trace at most `limit` steps (see [`Interpreter::trace`]).
    trace: Option<u64>,
    /// With [`Config::profile`], what the last run counted.
    counts: Option<crate::profile::Counts>,
    /// Line starts of the source, for `#` dumps (made at the first one).
    lines: std::cell::OnceCell<LineMap<'p>>,
}

impl<'p> Interpreter<'p> {
    /// Prepares to interpret `program`.
    pub fn new(program: &'p Program) -> Interpreter<'p> {
        Interpreter {
            program,
            partners: program.ir().partners(),
            trace: None,
            counts: None,
            lines: std::cell::OnceCell::new(),
        }
    }

    /// This interpreter, writing a trace of at most `limit` steps to the run's diagnostics
    /// stream ([`Io::diagnostics`]): one line per IR instruction executed, with its source
    /// position, what it does, the pointer and the value of the cell it is about (see
    /// [`crate::trace`]). Only the interpreter traces; the JIT does not.
    pub fn trace(self, limit: u64) -> Interpreter<'p> {
        Interpreter {
            trace: Some(limit),
            ..self
        }
    }
}

impl Executor for Interpreter<'_> {
    fn run(&mut self, io: &mut Io) -> Result<(), RuntimeError> {
        let config = *self.program.config();
        match config.cell_bits {
            CellBits::U8 => self.run_cells::<u8>(&config, io),
            CellBits::U16 => self.run_cells::<u16>(&config, io),
            CellBits::U32 => self.run_cells::<u32>(&config, io),
        }
    }

    fn profile(&self) -> Option<&crate::profile::Counts> {
        self.counts.as_ref()
    }
}

/// What the interpreter tells as it runs, besides the program's own I/O. [`Quiet`] tells
/// nothing and compiles to nothing, so the usual run pays nothing for traces and profiles;
/// [`crate::trace::Watch`] traces and counts.
pub(crate) trait Observer {
    /// Instruction `pc` ran, leaving the pointer at `p`; `cell(off)` is the value of
    /// `p[off]` (if on the tape).
    fn ran(&mut self, pc: usize, p: usize, cell: impl Fn(i32) -> Option<u32>, port: &mut Port);
    /// The construct at `pc` (a loop, `if` or scan) finished a run: execution leaves it.
    fn exit(&mut self, pc: usize);
    /// The body of the construct at `pc` ran once more (for a scan: one step).
    fn body(&mut self, pc: usize);
    /// Write out anything buffered (before a dump, and at the end).
    fn flush(&mut self, port: &mut Port);
}

/// The observer that does nothing.
struct Quiet;

impl Observer for Quiet {
    #[inline(always)]
    fn ran(&mut self, _: usize, _: usize, _: impl Fn(i32) -> Option<u32>, _: &mut Port) {}
    #[inline(always)]
    fn exit(&mut self, _: usize) {}
    #[inline(always)]
    fn body(&mut self, _: usize) {}
    #[inline(always)]
    fn flush(&mut self, _: &mut Port) {}
}

/// `Ok` or leave the labelled block with the error.
macro_rules! attempt {
    ($label:lifetime, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => break $label Err(e),
        }
    };
}

impl Interpreter<'_> {
    fn run_cells<C: Cell>(&mut self, config: &Config, io: &mut Io) -> Result<(), RuntimeError> {
        // Ask first, so that a tape too large for the machine is an error rather than an
        // abort; then allocate it zeroed, which the allocator does with fresh pages from the
        // system that are only backed when touched (as the JIT's tape is).
        Vec::<C>::new()
            .try_reserve_exact(config.tape_cells)
            .map_err(|e| RuntimeError::Setup(std::io::Error::other(e)))?;
        let mut tape: Vec<C> = vec![C::default(); config.tape_cells];
        let mut port = Port::new(io);
        let mut stop = (0, 0);
        let result = if self.trace.is_some() || config.profile {
            let ir = self.program.ir();
            let mut watch = crate::trace::Watch::new(self.program, self.trace, config.profile);
            let result = self.exec(&mut tape, config, &mut port, &mut watch, &mut stop);
            watch.flush(&mut port);
            self.counts = watch.counts(ir);
            result
        } else {
            self.exec(&mut tape, config, &mut port, &mut Quiet, &mut stop)
        };
        // Output written before an error is never lost; the first error wins.
        let flushed = port.flush().map_err(RuntimeError::Output);
        if result.is_err() && config.debug {
            let pointer = self.focus(stop, config.tape_cells);
            let first = crate::debug::window(pointer, tape.len());
            let values: Vec<u32> = tape[first.clone()].iter().map(|c| c.to_u32()).collect();
            let text = crate::debug::dump(None, pointer, first.start, &values);
            let _ = port.diagnostics().write(text.as_bytes());
        }
        result.and(flushed)
    }

    /// The pointer position a window shows after a failure at instruction `pc` with the
    /// pointer register at `p`: where a failing check's moves started, else `p`, kept on
    /// the tape.
    fn focus(&self, (pc, p): (usize, usize), cells: usize) -> usize {
        let ir = self.program.ir();
        let origin = match ir.code.get(pc).map(|i| i.op) {
            Some(Op::Check(id) | Op::Scan { check: id, .. }) => ir.excursion(id).origin,
            _ => 0,
        };
        let at = p as i64 + i64::from(origin);
        at.clamp(0, cells as i64 - 1) as usize
    }

    /// Runs the program; on the way out, `stop` holds the instruction index and pointer
    /// where it stopped.
    fn exec<C: Cell, O: Observer>(
        &self,
        tape: &mut [C],
        config: &Config,
        port: &mut Port<'_>,
        obs: &mut O,
        stop: &mut (usize, usize),
    ) -> Result<(), RuntimeError> {
        let ir = self.program.ir();
        let code = &ir.code;
        let cells = tape.len();
        // The pointer: a base for offsets, so it may itself be off the tape (wrapping) while
        // `p + origin` is on it. Every access below is in range because a Check covered it
        // first; slice indexing would catch a bug in that reasoning with a panic, never UB.
        let mut p: usize = 0;
        let at = |p: usize, off: i32| p.wrapping_add_signed(off as isize);
        let check = |id: CheckId, p: usize| -> Result<(), RuntimeError> {
            let e = ir.excursion(id);
            let p = p as i64;
            if p + i64::from(e.lo) >= 0 && p + i64::from(e.hi) < cells as i64 {
                return Ok(());
            }
            Err(self.check_error(ir, id, p, cells))
        };
        let mut pc = 0;
        let result = 'run: {
            while pc < code.len() {
                let here = pc;
                match code[pc].op {
                    Op::Add { off, val } => {
                        let c = &mut tape[at(p, off)];
                        *c = C::from_u32(c.to_u32().wrapping_add(val));
                    }
                    Op::Set { off, val } => tape[at(p, off)] = C::from_u32(val),
                    Op::MulAdd { src, dst, k } => {
                        let v = tape[at(p, src)].to_u32().wrapping_mul(k);
                        let c = &mut tape[at(p, dst)];
                        *c = C::from_u32(c.to_u32().wrapping_add(v));
                    }
                    Op::MulSet { src, dst, k } => {
                        let v = tape[at(p, src)].to_u32().wrapping_mul(k);
                        tape[at(p, dst)] = C::from_u32(v);
                    }
                    Op::MulAddMin { src, dst, k, max } => {
                        let v = tape[at(p, src)].to_u32().min(u32::from(max));
                        let c = &mut tape[at(p, dst)];
                        *c = C::from_u32(c.to_u32().wrapping_add(v.wrapping_mul(k)));
                    }
                    Op::Move { delta } => p = at(p, delta),
                    Op::Check(id) => attempt!('run, check(id, p)),
                    Op::Out { off } => attempt!(
                        'run,
                        port.put(tape[at(p, off)].to_u32() as u8)
                            .map_err(RuntimeError::Output)
                    ),
                    Op::Print { start, len } => {
                        for &b in &ir.bytes[start as usize..(start + len) as usize] {
                            attempt!('run, port.put(b).map_err(RuntimeError::Output));
                        }
                    }
                    Op::In { off } => match attempt!('run, port.get()) {
                        Some(b) => tape[at(p, off)] = C::from_u32(u32::from(b)),
                        None => match config.eof {
                            Eof::Unchanged => {}
                            Eof::Zero => tape[at(p, off)] = C::from_u32(0),
                            Eof::Max => tape[at(p, off)] = C::from_u32(u32::MAX),
                        },
                    },
                    Op::Loop { off } | Op::If { off } => {
                        if tape[at(p, off)] == C::default() {
                            obs.exit(pc);
                            pc = self.partners[pc] as usize;
                        } else {
                            obs.body(pc);
                        }
                    }
                    Op::EndLoop { off } => {
                        if tape[at(p, off)] != C::default() {
                            pc = self.partners[pc] as usize;
                            obs.body(pc);
                        } else {
                            obs.exit(self.partners[pc] as usize);
                        }
                    }
                    Op::EndIf => obs.exit(self.partners[pc] as usize),
                    Op::Scan {
                        off,
                        step,
                        check: id,
                    } => {
                        while tape[at(p, off)] != C::default() {
                            obs.body(pc);
                            attempt!('run, check(id, p));
                            p = at(p, step);
                        }
                        obs.exit(pc);
                    }
                    Op::Debug { off } => {
                        // Output so far goes first, then anything the observer buffered.
                        attempt!('run, port.flush().map_err(RuntimeError::Output));
                        obs.flush(port);
                        self.dump(pc, at(p, off), tape, port);
                    }
                }
                obs.ran(
                    here,
                    p,
                    |off| tape.get(at(p, off)).map(|c| c.to_u32()),
                    port,
                );
                pc += 1;
            }
            Ok(())
        };
        *stop = (pc, p);
        result
    }

    /// Writes the `#` dump of instruction `pc`, with the program's pointer at `pointer`.
    fn dump<C: Cell>(&self, pc: usize, pointer: usize, tape: &[C], port: &mut Port<'_>) {
        let source = self.program.source();
        let lines = self.lines.get_or_init(|| LineMap::new(source));
        let at = lines.line_col(self.program.ir().code[pc].span.start);
        let window = crate::debug::window(pointer, tape.len());
        let values: Vec<u32> = tape[window.clone()].iter().map(|c| c.to_u32()).collect();
        let text = crate::debug::dump(Some(at), pointer, window.start, &values);
        // A dump that cannot be written does not stop the program.
        let _ = port.diagnostics().write(text.as_bytes());
    }

    fn check_error(&self, ir: &Ir, id: CheckId, p: i64, cells: usize) -> RuntimeError {
        let (pos, side) = ir
            .check_failure(id, p, cells)
            .expect("a failing check has a failing move");
        self.program.out_of_range(pos, side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, input: &[u8], config: Config) -> (Vec<u8>, Result<(), RuntimeError>) {
        let program = Program::parse(src).unwrap().optimize(&config);
        let mut io = Io::memory(input);
        let r = program.interpreter().run(&mut io);
        (io.take_output(), r)
    }

    fn o0() -> Config {
        Config {
            opt_level: crate::OptLevel::O0,
            ..Config::default()
        }
    }

    #[test]
    fn hello() {
        let (out, r) = run("++++++++[>++++++++<-]>+.+.", b"", o0());
        r.unwrap();
        assert_eq!(out, b"AB");
    }

    #[test]
    fn cells_wrap_at_their_width() {
        for (bits, want) in [(CellBits::U8, 0u8), (CellBits::U16, 1)] {
            // 256 increments: zero again only with 8-bit cells.
            let src = format!("{}[>+<[-]]>.", "+".repeat(256));
            let config = Config {
                cell_bits: bits,
                ..o0()
            };
            let (out, r) = run(&src, b"", config);
            r.unwrap();
            assert_eq!(out, [want], "{bits:?}");
        }
    }

    #[test]
    fn eof_modes() {
        for (eof, want) in [(Eof::Unchanged, 7u8), (Eof::Zero, 0), (Eof::Max, 255)] {
            let config = Config { eof, ..o0() };
            let (out, r) = run("+++++++,.", b"", config);
            r.unwrap();
            assert_eq!(out, [want], "{eof:?}");
        }
    }

    #[test]
    fn moving_off_the_tape_names_the_move_and_keeps_output() {
        let (out, r) = run("+.\n>>.<<<", b"", o0());
        assert_eq!(out, [1, 0]);
        match r {
            Err(RuntimeError::PointerOutOfRange { side, at, pos }) => {
                assert_eq!(side, crate::Side::Left);
                assert_eq!(pos, 8);
                assert_eq!((at.line, at.col), (2, 6));
            }
            other => panic!("{other:?}"),
        }
        let config = Config {
            tape_cells: 3,
            ..o0()
        };
        let (_, r) = run(">>>", b"", config);
        assert!(matches!(
            r,
            Err(RuntimeError::PointerOutOfRange {
                side: crate::Side::Right,
                pos: 2,
                ..
            })
        ));
    }
}
