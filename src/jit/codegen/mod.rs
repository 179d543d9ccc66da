//! x86-64 code generation: IR to machine code, with dynasm.
//!
//! # Register convention
//!
//! Fixed for the whole of the generated code (all callee-saved, so they survive `syscall`):
//!
//! | register | holds                                                          |
//! |----------|----------------------------------------------------------------|
//! | `rbx`    | the tape pointer: address of cell `p + bias` (see below)       |
//! | `r12`    | output cursor: next free byte of the output buffer             |
//! | `r13`    | end of the output buffer                                       |
//! | `r14`    | the `Ctx` block (fds, buffers, saved `rsp`, results)           |
//!
//! `rax`, `rcx`, `rdx`, `rsi`, `rdi` and `r8`-`r11` are scratch; `syscall` clobbers `rax`,
//! `rcx` and `r11`, and a call to a shared subroutine may overwrite any of them.
//! Between instructions the registers of [`effect::Reg::HOMES`] are cell *homes*
//! ([`alloc`]); no home has a fixed cell. A loop that forwards a cell across its back edge
//! ([`forward`]) picks one home at its entry and holds that cell there at its head, out of
//! date in memory: every jump back leaves the next iteration's value in that same register.
//!
//! Cell offsets become displacements from `rbx`. Folding pointer moves into offsets makes
//! them grow (mandelbrot works around `p[190]`), so `rbx` is *biased*: it points at cell
//! `p + bias`, with `bias` the program's median offset, and `p[off]` is
//! `[rbx + (off - bias) * cell size]`, which mostly fits a one-byte displacement. With bias
//! 0, `p[3] += 1` on 16-bit cells is `add word [rbx+6], 1`.
//!
//! # How code is emitted
//!
//! Program code is a sequence of [`inst::Inst`]s, each emitted by [`Gen::emit`] ([`emit`]),
//! which encodes it ([`encode`]) and tells the [`state::State`] what it did, from the one
//! table of declared effects ([`inst::Inst::effect`], in the vocabulary of [`effect`]). The
//! tracker remembers which cell a register or the flags hold, so that a load or a compare
//! can be skipped; where paths join it keeps what they agree on. Which cells get registers
//! is [`alloc`]'s choice, from the look-ahead facts of [`plan`]. Longer sequences (scans,
//! address compares) are emitted by [`Gen::sequence`] under a declared effect of their own.
//! In debug builds every piece is then decoded and checked against its declaration
//! ([`verify`]), and with [`super::Options::verify`] the generated code also checks the
//! tracker's beliefs at run time, at the start of every IR instruction ([`beliefs`]). The
//! jumps of loops, ifs and scans are written without dynasm labels' relocation records
//! ([`jumps`], [`scan`]), which would cost tens of bytes per loop until the end of
//! assembly: a forward jump's displacement is written over the code as soon as its target
//! is placed, so the memory for jumps is as deep as the program nests, not as long as it
//! is. So are the calls of the shared subroutines and the addresses of constant output,
//! their displacements once the subroutines and the data are placed at the end. Facts about the whole program that several parts
//! need first (offset ranges, the median offset, which subroutines) come from one pass over
//! it ([`survey`]). What comes out, the code and its tables, is a [`Code`] ([`code`]).
//!
//! This module itself holds the driver ([`compile`]) and the generator's state ([`Gen`]),
//! and sends each IR instruction to the code for its kind.
//!
//! The code for each kind of IR instruction is in its own file: [`cells`] (arithmetic and
//! I/O), [`control`] (loops, ifs, pointer moves and bounds checks), [`flat`] (ifs that
//! need no branch, their body doing nothing when the condition cell is 0), [`scan`] (scan
//! loops), [`subroutines`] (prologue, exits and the shared `putc`/`flush`/`getc`), and
//! [`instrument`] (`#` dumps and profile counters, which exist only with `--debug` and
//! `--profile`).
//!
//! # Layout
//!
//! The entry point (prologue) comes first, then one block of code per IR instruction, then
//! the epilogue and the shared subroutines, then the bytes of constant output.
//!
//! # Bounds checks
//!
//! An IR `Check` costs nothing when the generated code touches the extreme cells of its
//! window anyway: if the pointer left the tape, that access lands in a guard page (see
//! [`super::fault`]). For an extreme that is not touched before the window ends, a *probe*
//! (`cmp byte [rbx+off], 0`, a load) is emitted. Offsets too large for the guard regions, and
//! the right end of a tape that is not a whole number of pages, are compared explicitly.
//! The codegen records, for every code range, which check or scan it belongs to (`Unit`),
//! so a fault can be traced to the IR.

/// `dynasm!` with the register aliases of the convention above (`p`, `out`, `out_end`,
/// `ctx`), for the code written with dynasm directly: scans and subroutines.
macro_rules! asm {
    ($ops:expr; $($t:tt)*) => {
        dynasmrt::dynasm!($ops
            ; .arch x64
            ; .alias p, rbx
            ; .alias out, r12
            ; .alias out_end, r13
            ; .alias ctx, r14
            ; $($t)*
        )
    };
}

/// Offset of a field of the context block ([`super::runtime::Ctx`]), as a displacement from
/// `r14`.
macro_rules! ctx {
    ($field:ident) => {
        std::mem::offset_of!($crate::jit::runtime::Ctx, $field) as i32
    };
}

/// [`ctx!`] for a field within 128 bytes of `r14`, for the one-byte displacement form
/// (`[BYTE ctx + ctx8!(in_pos)]`); a field further away does not compile.
macro_rules! ctx8 {
    ($field:ident) => {{
        const D: usize = std::mem::offset_of!($crate::jit::runtime::Ctx, $field);
        const { assert!(D < 128, "not within a one-byte displacement of r14") };
        D as i8
    }};
}

pub(crate) mod alloc;
mod beliefs;
pub(crate) mod cells;
mod cellset;
mod code;
pub(crate) mod control;
pub(crate) mod effect;
mod emit;
pub(crate) mod encode;
mod flat;
mod forward;
pub(crate) mod inst;
pub(crate) mod instrument;
pub(crate) mod jumps;
mod loops;
pub(crate) mod plan;
pub(crate) mod scan;
pub(crate) mod state;
pub(crate) mod subroutines;
mod survey;
pub(crate) mod verify;

#[cfg(test)]
mod tests;

pub use self::code::FrameStep;
pub(crate) use self::code::{Code, Unit, Units};

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, dynasm};

use self::encode::{Enc, Ops};
use self::jumps::{Jumps, Target};
use self::plan::{NEVER, Plan};
use self::state::State;
use self::subroutines::Subroutines;
use self::survey::Survey;
use super::Options;
use super::runtime::page_size;
use crate::ir::{Ir, Op};
use crate::{Config, Eof};

/// Largest program (in IR instructions) whose code debug builds check against the declared
/// effects without being asked ([`super::Options::verify`] checks any size): the check
/// decodes all the code, which for the multi-megabyte sources of the scale tests would take
/// longer than the tests allow.
const DEBUG_VERIFY_MAX: usize = 1 << 16;

/// Compiles `ir` for `config`; `offsets` records [`Code::instr_offsets`].
///
/// Forward jumps over bodies the generator estimates to be short take the two-byte form;
/// when an estimate was wrong the assembler cannot encode the jump, and the program is
/// compiled again with the six-byte form everywhere (rare: the estimates are generous).
pub(crate) fn compile(
    ir: &Ir,
    config: &Config,
    offsets: bool,
    options: Options,
) -> Result<Code, String> {
    match compile_with(ir, config, offsets, options, true) {
        Err(Failure::TooFar) => compile_with(ir, config, offsets, options, false),
        result => result,
    }
    .map_err(|e| match e {
        Failure::TooFar => "a jump's target is out of reach".to_string(),
        Failure::Other(e) => e,
    })
}

/// Why [`compile_with`] failed.
enum Failure {
    /// A two-byte jump could not reach its target.
    TooFar,
    /// Anything else.
    Other(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Failure {
        Failure::Other(e)
    }
}

fn compile_with(
    ir: &Ir,
    config: &Config,
    offsets: bool,
    options: Options,
    short_jumps: bool,
) -> Result<Code, Failure> {
    let cs = config.cell_bits.bytes() as i32;
    // With `--debug`, a runtime error shows the tape around the pointer, which must be the
    // tape as the program left it: every cell stays in memory.
    let options = options.cache(options.cache && !config.debug);
    let n = ir.code.len();
    let mut survey = Survey::of(&ir.code);
    // Room for typical code, and for the labels and references of the subroutines (local
    // labels) and constant outputs, so the tables rarely grow (growing copies them). Program
    // code makes no dynasm labels or references but these (see `jumps` and `scan`).
    let (labels, refs) = (survey.prints + 16, 32);
    let mut ops = Ops::new_with_capacity(0, 12 * n + 2048, 32, 0, labels, 32, refs);
    let sub = Subroutines::new(&mut ops, survey.used);
    let enc = Enc {
        cell_bytes: cs,
        bias: survey.typical_offset(&ir.code),
    };
    let offsets = offsets || options.verify;
    let mut g = Gen {
        ops,
        sub,
        enc,
        ir,
        eof: config.eof,
        exact_right: !(config.tape_cells * cs as usize).is_multiple_of(page_size()),
        // (Sizes that rarely need to grow: growing copies. Only up to a size where the
        // allocator maps the memory and grows it by remapping pages, not by copying; a large
        // reservation made up front was measured to raise a 5 MB source's peak memory by
        // 8 MB.)
        units: Units::with_capacity((n / 2 + 16).min(1 << 14)),
        unit_open: false,
        loops: Vec::with_capacity(8),
        strings: Vec::with_capacity(survey.prints),
        state: State::new(),
        plan: Plan::new(survey.cells, std::mem::take(&mut survey.loops)),
        next_use: [NEVER; 16],
        arrivals: Vec::with_capacity(8),
        heads: Vec::with_capacity(8),
        pending: Vec::with_capacity(4),
        jumps: Jumps::new(),
        label_refs: Vec::with_capacity(n / 4 + 16),
        error: None,
        at: 0,
        window: None,
        hoisted: None,
        forward: None,
        options,
        pieces: (options.verify || cfg!(debug_assertions) && n <= DEBUG_VERIFY_MAX).then(Vec::new),
        instr_offsets: Vec::with_capacity(if offsets { n + 1 } else { 0 }),
        constructs: config.profile.then(|| crate::profile::construct_of(ir)),
        open_constructs: Vec::new(),
        no_flush: Vec::new(),
        frame: Vec::new(),
        short_jumps,
        min_in_rdx: None,
        redirect: None,
    };
    let entry = g.ops.offset().0;
    g.prologue();
    g.no_flush.push(entry as u32..g.here());
    let mut i = 0;
    while i < n {
        let here = g.here();
        g.at = i;
        #[cfg(test)]
        if options.sabotage == Some(i) {
            let _ = g.state.apply(&effect::Effect {
                holds: Some((effect::Reg::Rax, 1)),
                ..effect::Effect::NONE
            });
        }
        if options.verify {
            g.assert_beliefs();
        }
        let next = g.instr(i);
        if offsets {
            g.instr_offsets.extend(std::iter::repeat_n(here, next - i));
        }
        i = next;
    }
    g.end_window();
    let end = g.here();
    if offsets {
        g.instr_offsets.push(end);
    }
    let (fault_stub, exit) = g.epilogue_and_subroutines();
    let data_start = g.ops.offset().0;
    for (label, range) in std::mem::take(&mut g.strings) {
        let bytes = &ir.bytes[range];
        dynasm!(g.ops
            ; .arch x64
            ; =>label
            ; .bytes bytes
        );
    }
    if let Some(e) = g.error.take() {
        return Err(format!("code generator self-check failed: {e}").into());
    }
    if g.jumps.too_far() && short_jumps {
        return Err(Failure::TooFar);
    }
    if !g.jumps.all_placed() {
        return Err(
            "code generator self-check failed: a forward jump's target was never placed"
                .to_string()
                .into(),
        );
    }
    g.ops.commit().map_err(|e| match e {
        dynasmrt::DynasmError::ImpossibleRelocation(_) if short_jumps => Failure::TooFar,
        e => Failure::Other(e.to_string()),
    })?;
    let mut symbols = vec![(end, "end of program"), (fault_stub as u32, "fault stub")];
    for (label, name) in g.sub.named(options.verify) {
        let at = g
            .ops
            .labels()
            .resolve_dynamic(label)
            .map_err(|e| e.to_string())?;
        symbols.push((at.0 as u32, name));
    }
    symbols.sort_unstable();
    symbols.dedup_by_key(|s| s.0);
    // The displacements of calls and `lea`s, now that every label is placed (most calls go
    // to a handful of subroutines: the last label looked up is remembered).
    let mut last: Option<(DynamicLabel, u32)> = None;
    for &(end, label) in &g.label_refs {
        let at = match last {
            Some((l, at)) if l == label => at,
            _ => {
                let at = g
                    .ops
                    .labels()
                    .resolve_dynamic(label)
                    .map_err(|e| e.to_string())?
                    .0 as u32;
                last = Some((label, at));
                at
            }
        };
        jumps::patch(&mut g.ops, end - 4, &at.wrapping_sub(end).to_le_bytes());
    }
    let Gen {
        ops,
        units,
        instr_offsets,
        pieces,
        no_flush,
        frame,
        ..
    } = g;
    let bytes = ops.finalize().map_err(|e| e.to_string())?;
    if let Some(pieces) = pieces {
        verify::check(&bytes, &pieces, enc, fault_stub..data_start)
            .map_err(|e| format!("code generator self-check failed: {e}"))?;
    }
    Ok(Code {
        bytes,
        entry,
        fault_stub,
        exit,
        no_flush,
        frame,
        units,
        instr_offsets,
        symbols,
        data_start,
        bias: enc.bias,
    })
}

/// An open loop or if.
struct Frame {
    /// Code offset of a loop's head (unused for an `if`).
    body: u32,
    end: Target,
    kind: FrameKind,
}

/// How an open loop or if treats the registers.
enum FrameKind {
    /// A loop that keeps its cells in registers throughout: the state at its head.
    Carried(State),
    /// A loop that starts each iteration with every cell in memory (the head state), and
    /// whether its body leaves the pointer where it was.
    InMemory { head: State, balanced: bool },
    /// An `if` whose body leaves the pointer where it was: the state on the path that skips
    /// the body, which the body's end must agree with.
    If(State),
    /// An `if` whose body moves the pointer: every cell is in memory on both paths.
    IfMoving,
    /// An `if` compiled without its branch: the body runs whatever the condition cell holds,
    /// which leaves the tape as it was when that is 0 ([`flat`]).
    Flat,
}

/// The code generator's state while it compiles one program.
pub(crate) struct Gen<'a> {
    ops: Ops,
    ir: &'a Ir,
    /// Cell size and pointer bias, for encoding cell operands.
    enc: Enc,
    eof: Eof,
    /// The tape does not end on a page boundary: check the right end explicitly.
    exact_right: bool,
    units: Units,
    unit_open: bool,
    /// Open loops and ifs.
    loops: Vec<Frame>,
    /// Labels for the bytes of `Print`s and where they are in `Ir::bytes`.
    strings: Vec<(DynamicLabel, std::ops::Range<usize>)>,
    /// The shared subroutines and exits.
    sub: Subroutines,
    instr_offsets: Vec<u32>,
    /// What registers, flags and memory are known to hold.
    state: State,
    /// Look-ahead facts about the program.
    plan: Plan,
    /// For each register, the next instruction that uses the cell it holds.
    next_use: [u32; 16],
    /// For each forward jump target not yet placed, the merged state of the jumps to it
    /// (a map; targets nest, so it is kept as a stack, innermost last).
    arrivals: Vec<(Target, State)>,
    /// The state at each open loop's head, by the head's code offset (innermost last).
    heads: Vec<(u32, State)>,
    /// Extremes of the open bounds-check window not yet known to be on the tape: each
    /// is loaded at the end of the window unless something touches it first.
    pending: Vec<i32>,
    /// Forward jumps whose target is not placed yet.
    jumps: Jumps,
    /// The calls of program code to subroutines and the addresses of constant output
    /// (`lea`), and the scans' calls of the out-of-bounds exit: the code offset after each
    /// and its label, whose displacement is written once every label is placed (a dynasm
    /// relocation would cost some 40 bytes each until then, and time to apply).
    label_refs: Vec<(u32, DynamicLabel)>,
    /// The first violated requirement or impossible merge: a bug in the code generator,
    /// reported as a compile error.
    error: Option<String>,
    /// The IR instruction being compiled (for error messages).
    at: usize,
    /// The range of the open bounds-check window.
    window: Option<(i32, i32)>,
    /// A check done before its loop was entered (see [`Gen::open_loop`]): no code of its own.
    hoisted: Option<usize>,
    /// The cell the open loop forwards in a register across its back edge (see [`forward`]).
    forward: Option<i32>,
    options: Options,
    /// Every piece of program code with its declared effect, for [`verify`].
    pieces: Option<Vec<verify::Piece>>,
    /// With `--profile`: each instruction's construct number (see [`instrument`]).
    constructs: Option<Vec<u32>>,
    /// With `--profile`: the open loops and ifs (IR indices), innermost last.
    open_constructs: Vec<usize>,
    /// See [`Code::no_flush`].
    no_flush: Vec<std::ops::Range<u32>>,
    /// See [`Code::frame`].
    frame: Vec<FrameStep>,
    /// Whether forward jumps over short bodies may take the two-byte form.
    short_jumps: bool,
    /// `rdx` holds `min(p[src], max)` as computed for instruction `.0` (`.1` = `src`,
    /// `.2` = `max`), if no code has been emitted since offset `.3` (see
    /// [`Gen::mul_add_min`]).
    min_in_rdx: Option<(usize, i32, u8, u32)>,
    /// In a flat `if` on `p[.0]` whose checks were probed conditionally: the cells it adds
    /// to that are not known to be on the tape (see [`flat`]). Its checks need no code.
    redirect: Option<flat::Redirect>,
}

impl Gen<'_> {
    fn here(&self) -> u32 {
        self.ops.offset().0 as u32
    }

    fn open_unit(&mut self, unit: Unit) {
        let here = self.here();
        // A unit that starts where the last one ended replaces the `None` that ended it
        // (which would cover no code): one entry per unit where units follow each other.
        if !self.units.start(here, unit) {
            self.fail(format!("{unit:?}: too many units to number"));
        }
        self.unit_open = true;
    }

    /// Ends the current unit: code from here on cannot fault on its behalf.
    fn close_unit(&mut self) {
        if self.unit_open {
            let here = self.here();
            self.units.end(here);
            self.unit_open = false;
        }
    }

    /// Pads with no-ops to a 16-byte boundary, where a loop's first instruction fetches
    /// best. The padding is the multi-byte `nop` forms (one instruction for up to 9 bytes).
    fn align_loop(&mut self) {
        const NOPS: [&[u8]; 10] = [
            &[],
            &[0x90],
            &[0x66, 0x90],
            &[0x0f, 0x1f, 0x00],
            &[0x0f, 0x1f, 0x40, 0x00],
            &[0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
            &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        ];
        let mut pad = (16 - self.here() % 16) % 16;
        while pad > 0 {
            let n = pad.min(9) as usize;
            self.ops.extend(NOPS[n].iter().copied());
            pad -= n as u32;
        }
    }

    /// Displacement from the tape pointer register of cell `p[off]`.
    fn disp(&self, off: i32) -> i32 {
        self.enc.disp(off)
    }

    /// Bytes in `n` cells.
    fn bytes(&self, n: i32) -> i32 {
        n * self.enc.cell_bytes
    }

    /// Emits instruction `i` (and any it fuses with); returns the next instruction index.
    ///
    /// (Inlined into the driver's loop, its only caller: a call per IR instruction saved and
    /// restored the registers of this large function each time.)
    #[inline(always)]
    fn instr(&mut self, i: usize) -> usize {
        self.plan.look(&self.ir.code, i);
        match self.ir.code[i].op {
            Op::Add { off, val } => self.add(i, off, val),
            Op::Set { off, val } => self.set(i, off, val),
            Op::MulAdd { src, dst, k } => self.mul_add(i, src, dst, k),
            Op::MulSet { src, dst, k } => self.mul_set(i, src, dst, k),
            Op::MulAddMin { src, dst, k, max } => self.mul_add_min(i, src, dst, k, max),
            Op::Move { delta } => return self.move_p(i, delta),
            Op::Check(_) if self.hoisted == Some(i) || self.redirect.is_some() => {}
            Op::Check(id) => self.check(id),
            Op::Out { off } => self.out(off),
            Op::Print { start, len } => self.print(start, len),
            Op::In { off } => self.input(i, off),
            Op::Loop { off } => {
                self.count_open(i);
                self.open_loop(i, off);
                self.count_body(i);
            }
            Op::If { off } => {
                self.count_open(i);
                self.open_if(i, off);
                self.count_body(i);
            }
            Op::EndLoop { off } => self.end_loop(off, 0),
            Op::EndIf => self.end_if(),
            Op::Scan { off, step, check } => {
                self.scan(i, off, step, check);
                self.count_exit(i);
            }
            Op::Debug { off } => self.debug_dump(i, off),
        }
        i + 1
    }
}
