//! x86-64 code generation: IR to machine code, with dynasm.
//!
//! # Register convention
//!
//! Fixed for the whole of the generated code (all callee-saved, so they survive `syscall`):
//!
//! | register | alias     | holds                                                  |
//! |----------|-----------|--------------------------------------------------------|
//! | `rbx`    | `p`       | the tape pointer: address of cell `p + bias`           |
//! | `r12`    | `out`     | output cursor: next free byte of the output buffer     |
//! | `r13`    | `out_end` | end of the output buffer                               |
//! | `r14`    | `ctx`     | the `Ctx` block (fds, buffers, saved `rsp`, results)   |
//!
//! `rax`, `rcx`, `rdx`, `rsi`, `rdi` and `r8`-`r11` are scratch; `syscall` clobbers `rax`,
//! `rcx` and `r11`. `eax` and the flags are remembered between instructions where that saves
//! a load or a compare (`Cache`).
//!
//! Cell offsets become displacements from `rbx`. Folding pointer moves into offsets makes
//! them grow (mandelbrot works around `p[190]`), so `rbx` is *biased*: it points at cell
//! `p + bias`, with `bias` the program's median offset, and `p[off]` is
//! `[rbx + (off - bias) * cell size]`, which mostly fits a one-byte displacement. With bias
//! 0, `p[3] += 1` on 16-bit cells is `add word [rbx+6], 1`.
//!
//! # Layout
//!
//! The entry point (prologue) comes first, then one block of code per IR instruction, then
//! the epilogue and the shared subroutines: `flush` (write the output buffer, retrying on
//! `EINTR` and continuing short writes), `getc` (next input byte, refilling the input buffer
//! with `read` after flushing output; once `read` has reported end of input, `getc` never
//! reads again, so a terminal's Ctrl-D is needed only once), the fault stub and the explicit-check failure path.
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

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm, x64::X64Relocation};

use super::runtime::{Ctx, GUARD, page_size, status};
use crate::ir::{CheckId, Ir, Op};
use crate::{Config, Eof};

/// `dynasm!` with the register aliases of the convention above.
macro_rules! asm {
    ($ops:expr; $($t:tt)*) => {
        dynasm!($ops
            ; .arch x64
            ; .alias p, rbx
            ; .alias out, r12
            ; .alias out_end, r13
            ; .alias ctx, r14
            ; $($t)*
        )
    };
}

/// An instruction whose first operand is the cell `[p + d]`: `at_cell!(ops, d; add BYTE, 1)`.
/// dynasm encodes a runtime displacement in four bytes unless told `BYTE`, so this picks
/// the one-byte form when `d` fits.
macro_rules! at_cell {
    ($ops:expr, $d:expr; $op:ident $size:ident, $($rest:tt)*) => {{
        let d: i32 = $d;
        match i8::try_from(d) {
            Ok(d8) => asm!($ops; $op $size [BYTE p + d8], $($rest)*),
            Err(_) => asm!($ops; $op $size [p + d], $($rest)*),
        }
    }};
}

/// An instruction whose second operand is the cell `[p + d]`: `from_cell!(ops, d; movzx eax, BYTE)`.
macro_rules! from_cell {
    ($ops:expr, $d:expr; $op:ident $reg:ident, $size:ident) => {{
        let d: i32 = $d;
        match i8::try_from(d) {
            Ok(d8) => asm!($ops; $op $reg, $size [BYTE p + d8]),
            Err(_) => asm!($ops; $op $reg, $size [p + d]),
        }
    }};
}

/// Offset of a [`Ctx`] field, as a displacement.
macro_rules! ctx {
    ($field:ident) => {
        std::mem::offset_of!(Ctx, $field) as i32
    };
}

/// What a stretch of code is doing, for tracing a fault back to the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Nothing that can fault.
    None,
    /// The window of a `Check`: the tape pointer register holds `p` of the check.
    Check(CheckId),
    /// A scan loop (the IR instruction index): the tape pointer register holds `p` at the
    /// start of the scan.
    Scan(u32),
}

/// Labels of the code shared by all instructions.
#[derive(Clone, Copy)]
struct Subroutines {
    exit: DynamicLabel,
    oob: DynamicLabel,
    flush: DynamicLabel,
    putc: DynamicLabel,
    puts: DynamicLabel,
    getc: DynamicLabel,
}

/// Which cells `eax` and the flags are known to reflect (offsets from `p`), so that a load
/// or a compare can be skipped. Forgotten wherever control flow joins and after calls.
#[derive(Clone, Copy, Debug, Default)]
struct Cache {
    /// `eax` holds this cell, zero-extended.
    eax: Option<i32>,
    /// ZF is set exactly when this cell is 0.
    flags: Option<i32>,
}

impl Cache {
    /// The cell at `off` was written.
    fn wrote(&mut self, off: i32) {
        if self.eax == Some(off) {
            self.eax = None;
        }
        if self.flags == Some(off) {
            self.flags = None;
        }
    }
}

/// An open loop or if.
struct Frame {
    body: DynamicLabel,
    end: DynamicLabel,
}

/// Generated code and the tables that describe it.
pub(crate) struct Code {
    /// Machine code, position independent.
    pub bytes: Vec<u8>,
    /// Offset of the entry point.
    pub entry: usize,
    /// Offset of the fault stub.
    pub fault_stub: usize,
    /// Offset of the exit path: `rax` holds the status, any stack depth will do.
    pub exit: u32,
    /// Where the output cursor `r12` and the output buffer do not simply mean "the bytes
    /// from `Ctx::out_buf` to `r12` wait to be written": the prologue (before `r12` is set),
    /// `putc` (a byte stored but not yet counted), `flush` (part may be written already) and
    /// the exit path (which hands `r12` to Rust). Everywhere else the autoflush signal
    /// handler may write the pending bytes and reset `r12` (see `crate::autoflush`), so no
    /// other code may write `r12` or the output buffer: keep output in these subroutines.
    pub no_flush: Vec<std::ops::Range<u32>>,
    /// `(start offset, unit)`, sorted by offset: each unit runs to the next entry.
    pub units: Vec<(u32, Unit)>,
    /// Code offset at which each IR instruction's code starts (an instruction fused into
    /// the one before it starts where that one does). One more entry marks the code's end.
    /// Empty unless asked for (listings and profiler maps need it; running does not).
    pub instr_offsets: Vec<u32>,
    /// Where the shared code after the program starts, with names: `(offset, name)`,
    /// sorted (exit, fault stub, subroutines).
    pub symbols: Vec<(u32, &'static str)>,
    /// Offset where the constant data (the bytes of `print`s) starts: not code.
    pub data_start: usize,
    /// The tape pointer register holds the address of cell `p + bias`.
    pub bias: i32,
}

impl Code {
    /// The unit the instruction at code offset `off` belongs to.
    pub(crate) fn unit_at(&self, off: u32) -> Unit {
        match self.units.partition_point(|&(start, _)| start <= off) {
            0 => Unit::None,
            i => self.units[i - 1].1,
        }
    }
}

/// The median offset of the cells the program accesses.
fn typical_offset(ir: &Ir) -> i32 {
    let mut offs: Vec<i32> = ir
        .code
        .iter()
        .filter_map(|ins| match ins.op {
            Op::Add { off, .. }
            | Op::Set { off, .. }
            | Op::Out { off }
            | Op::In { off }
            | Op::Loop { off }
            | Op::EndLoop { off }
            | Op::If { off }
            | Op::Scan { off, .. } => Some(off),
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } => Some(dst),
            _ => None,
        })
        .collect();
    if offs.is_empty() {
        return 0;
    }
    let mid = offs.len() / 2;
    *offs.select_nth_unstable(mid).1
}

/// Compiles `ir` for `config`; `offsets` records [`Code::instr_offsets`].
pub(crate) fn compile(
    ir: &Ir,
    config: &Config,
    offsets: bool,
    options: super::Options,
) -> Result<Code, String> {
    let cs = config.cell_bits.bytes() as i32;
    // Room for typical code, so the buffers rarely grow (fresh memory is costly).
    let n = ir.code.len();
    let mut ops = VecAssembler::new_with_capacity(0, 12 * n + 2048, 0, 0, n, 0, n);
    let sub = Subroutines {
        exit: ops.new_dynamic_label(),
        oob: ops.new_dynamic_label(),
        flush: ops.new_dynamic_label(),
        putc: ops.new_dynamic_label(),
        puts: ops.new_dynamic_label(),
        getc: ops.new_dynamic_label(),
    };
    let bias = typical_offset(ir);
    let mut g = Gen {
        ops,
        sub,
        bias,
        ir,
        cs,
        eof: config.eof,
        exact_right: !(config.tape_cells * cs as usize).is_multiple_of(page_size()),
        units: Vec::new(),
        unit_open: false,
        loops: Vec::new(),
        strings: Vec::new(),
        cache: Cache::default(),
        reuse: options.cache,
        instr_offsets: Vec::with_capacity(if offsets { ir.code.len() + 1 } else { 0 }),
        no_flush: Vec::new(),
    };
    let entry = g.ops.offset().0;
    g.prologue();
    g.no_flush.push(entry as u32..g.here());
    let mut i = 0;
    while i < ir.code.len() {
        let here = g.here();
        let next = g.instr(i);
        if offsets {
            g.instr_offsets.extend(std::iter::repeat_n(here, next - i));
        }
        i = next;
    }
    g.close_unit();
    let end = g.here();
    if offsets {
        g.instr_offsets.push(end);
    }
    let (fault_stub, exit_at) = g.epilogue_and_subroutines();
    let data_start = g.ops.offset().0;
    for (label, range) in std::mem::take(&mut g.strings) {
        let bytes = &ir.bytes[range];
        asm!(g.ops
            ; =>label
            ; .bytes bytes
        );
    }
    g.ops.commit().map_err(|e| e.to_string())?;
    let Subroutines {
        exit,
        oob,
        flush,
        putc,
        puts,
        getc,
    } = g.sub;
    let mut symbols = vec![(end, "end of program"), (fault_stub as u32, "fault stub")];
    for (label, name) in [
        (exit, "exit"),
        (oob, "check failed"),
        (putc, "putc"),
        (puts, "puts"),
        (flush, "flush"),
        (getc, "getc"),
    ] {
        let at = g
            .ops
            .labels()
            .resolve_dynamic(label)
            .map_err(|e| e.to_string())?;
        symbols.push((at.0 as u32, name));
    }
    symbols.sort_unstable();
    symbols.dedup_by_key(|s| s.0);
    let bytes = g.ops.finalize().map_err(|e| e.to_string())?;
    Ok(Code {
        bytes,
        entry,
        fault_stub,
        exit: exit_at,
        no_flush: g.no_flush,
        units: g.units,
        instr_offsets: g.instr_offsets,
        symbols,
        data_start,
        bias,
    })
}

struct Gen<'a> {
    ops: VecAssembler<X64Relocation>,
    ir: &'a Ir,
    /// Cell size in bytes.
    cs: i32,
    /// The tape pointer register holds the address of `p[bias]`, not of `p[0]`: most offsets
    /// in a program cluster (they grow as pointer moves fold into them), and small
    /// displacements encode in one byte instead of four.
    bias: i32,
    eof: Eof,
    /// The tape does not end on a page boundary: check the right end explicitly.
    exact_right: bool,
    units: Vec<(u32, Unit)>,
    unit_open: bool,
    /// Open loops and ifs.
    loops: Vec<Frame>,
    /// Labels for the bytes of `Print`s and where they are in `Ir::bytes`.
    strings: Vec<(DynamicLabel, std::ops::Range<usize>)>,
    /// The shared subroutines and exits (dynamic labels: cheaper to resolve than named ones).
    sub: Subroutines,
    instr_offsets: Vec<u32>,
    /// See [`Code::no_flush`].
    no_flush: Vec<std::ops::Range<u32>>,
    /// What `eax` and the flags are known to hold.
    cache: Cache,
    /// Whether the cache may be used to skip loads and compares ([`super::Options::cache`]).
    reuse: bool,
}

impl Gen<'_> {
    fn here(&self) -> u32 {
        self.ops.offset().0 as u32
    }

    fn open_unit(&mut self, unit: Unit) {
        let here = self.here();
        self.units.push((here, unit));
        self.unit_open = true;
    }

    /// Ends the current unit: code from here on cannot fault on its behalf.
    fn close_unit(&mut self) {
        if self.unit_open {
            let here = self.here();
            self.units.push((here, Unit::None));
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
        (off - self.bias) * self.cs
    }

    /// `jnz` back to `label` (already placed): the two-byte form when it reaches, which keeps
    /// small loops small.
    fn jnz_back(&mut self, label: DynamicLabel) {
        let target = self.ops.labels().resolve_dynamic(label).expect("placed").0 as i64;
        match i8::try_from(target - (self.here() as i64 + 2)) {
            Ok(_) => asm!(self.ops; jnz BYTE =>label),
            Err(_) => asm!(self.ops; jnz =>label),
        }
    }

    /// `p += d` bytes, without touching the flags.
    fn lea_p(&mut self, d: i32) {
        match i8::try_from(d) {
            Ok(d8) => asm!(self.ops; lea p, [BYTE p + d8]),
            Err(_) => asm!(self.ops; lea p, [p + d]),
        }
    }

    /// Bytes in `n` cells.
    fn bytes(&self, n: i32) -> i32 {
        n * self.cs
    }

    fn prologue(&mut self) {
        // The register holds the address of cell `bias`, so that displacements are small.
        let bias_bytes = self.bytes(self.bias);
        let out_buf_len = crate::io::OUT_BUF as i32;
        asm!(self.ops
            ; push rbp
            ; push rbx
            ; push r12
            ; push r13
            ; push r14                   // five pushes keep rsp 16-byte aligned
            ; mov ctx, rdi
            ; mov p, rsi
            ; add p, bias_bytes
            ; mov [ctx + ctx!(saved_rsp)], rsp
            ; mov out, [ctx + ctx!(out_buf)]
            ; lea out_end, [out + out_buf_len]
        );
    }

    /// Emits instruction `i` (and any it fuses with); returns the next instruction index.
    fn instr(&mut self, i: usize) -> usize {
        match self.ir.code[i].op {
            Op::Add { off, val } => self.add_imm(off, val),
            Op::Set { off, val } => self.store_imm(off, val),
            Op::MulAdd { src, dst, k } => self.mul_add(src, dst, k),
            Op::MulSet { src, dst, k } => self.mul_set(src, dst, k),
            Op::Move { delta } => {
                if let Some(Op::EndLoop { off }) = self.ir.code.get(i + 1).map(|n| n.op) {
                    // Test the condition cell before moving: `cmp [p+delta+off], 0` is still
                    // inside the window of the check that covers the move.
                    self.cmp_zero(delta + off);
                    self.close_unit();
                    let d = self.bytes(delta);
                    let Frame { body, end, .. } = self.loops.pop().expect("balanced");
                    self.lea_p(d);
                    self.jnz_back(body);
                    asm!(self.ops; =>end);
                    self.cache = Cache::default();
                    return i + 2;
                }
                self.close_unit();
                let d = self.bytes(delta);
                self.lea_p(d);
                // `lea` leaves the flags alone: the cached cells are just further away.
                self.cache.eax = self.cache.eax.map(|o| o - delta);
                self.cache.flags = self.cache.flags.map(|o| o - delta);
            }
            Op::Check(id) => self.check(i, id),
            Op::Out { off } => self.out(off),
            Op::Print { start, len } => self.print(start, len),
            Op::In { off } => self.input(off),
            Op::Loop { off } | Op::If { off } => {
                let body = self.ops.new_dynamic_label();
                let end = self.ops.new_dynamic_label();
                self.loops.push(Frame { body, end });
                self.cmp_zero(off);
                self.close_unit();
                asm!(self.ops; jz =>end);
                if matches!(self.ir.code[i].op, Op::Loop { .. }) {
                    self.align_loop();
                }
                asm!(self.ops; =>body);
                if matches!(self.ir.code[i].op, Op::Loop { .. }) {
                    // The body is also reached from the end of the loop.
                    self.cache = Cache::default();
                }
            }
            Op::EndLoop { off } => {
                self.cmp_zero(off);
                self.close_unit();
                let Frame { body, end, .. } = self.loops.pop().expect("balanced");
                self.jnz_back(body);
                asm!(self.ops; =>end);
                self.cache = Cache::default();
            }
            Op::EndIf => {
                self.close_unit();
                let frame = self.loops.pop().expect("balanced");
                asm!(self.ops; =>frame.end);
                self.cache = Cache::default();
            }
            Op::Scan { off, step, check } => self.scan(i, off, step, check),
        }
        i + 1
    }

    /// `add cell[off], val`.
    fn add_imm(&mut self, off: i32, val: u32) {
        let d = self.disp(off);
        match self.cs {
            1 => at_cell!(self.ops, d; add BYTE, val as i8),
            2 => at_cell!(self.ops, d; add WORD, val as i16),
            _ => at_cell!(self.ops, d; add DWORD, val as i32),
        }
        self.cache.wrote(off);
        self.cache.flags = Some(off);
    }

    /// `mov cell[off], val`.
    fn store_imm(&mut self, off: i32, val: u32) {
        let d = self.disp(off);
        match self.cs {
            1 => at_cell!(self.ops, d; mov BYTE, val as i8),
            2 => at_cell!(self.ops, d; mov WORD, val as i16),
            _ => at_cell!(self.ops, d; mov DWORD, val as i32),
        }
        self.cache.wrote(off);
    }

    /// `eax = cell[off]`, zero-extended.
    fn load_eax(&mut self, off: i32) {
        if self.reuse && self.cache.eax == Some(off) {
            return;
        }
        let d = self.disp(off);
        match self.cs {
            1 => from_cell!(self.ops, d; movzx eax, BYTE),
            2 => from_cell!(self.ops, d; movzx eax, WORD),
            _ => from_cell!(self.ops, d; mov eax, DWORD),
        }
        self.cache.eax = Some(off);
    }

    /// `cell[off] = eax` (truncated to the cell width).
    fn store_eax(&mut self, off: i32) {
        let d = self.disp(off);
        match self.cs {
            1 => at_cell!(self.ops, d; mov BYTE, al),
            2 => at_cell!(self.ops, d; mov WORD, ax),
            _ => at_cell!(self.ops, d; mov DWORD, eax),
        }
    }

    /// Sets the flags from `cell[off]` (ZF: the cell is zero), from a register when one holds
    /// it. (A cell held in a register was loaded since `p` last moved, so skipping the load
    /// here never skips a bounds fault: the cell is known to be on the tape.)
    fn cmp_zero(&mut self, off: i32) {
        if self.reuse && self.cache.flags == Some(off) {
            return;
        }
        if self.reuse && self.cache.eax == Some(off) {
            asm!(self.ops; test eax, eax);
        } else {
            self.probe(off);
        }
        self.cache.flags = Some(off);
    }

    /// Compares `cell[off]` with 0 in memory: also a bounds probe.
    fn probe(&mut self, off: i32) {
        let d = self.disp(off);
        match self.cs {
            1 => at_cell!(self.ops, d; cmp BYTE, 0),
            2 => at_cell!(self.ops, d; cmp WORD, 0),
            _ => at_cell!(self.ops, d; cmp DWORD, 0),
        }
        self.cache.flags = Some(off);
    }

    /// `cell[dst] += cell[src] * k`.
    fn mul_add(&mut self, src: i32, dst: i32, k: u32) {
        self.load_eax(src);
        let d = self.disp(dst);
        if k == 1 {
            match self.cs {
                1 => at_cell!(self.ops, d; add BYTE, al),
                2 => at_cell!(self.ops, d; add WORD, ax),
                _ => at_cell!(self.ops, d; add DWORD, eax),
            }
        } else {
            asm!(self.ops; imul edx, eax, k as i32);
            match self.cs {
                1 => at_cell!(self.ops, d; add BYTE, dl),
                2 => at_cell!(self.ops, d; add WORD, dx),
                _ => at_cell!(self.ops, d; add DWORD, edx),
            }
        }
        self.cache.wrote(dst);
        self.cache.flags = Some(dst);
    }

    /// `cell[dst] = cell[src] * k`.
    fn mul_set(&mut self, src: i32, dst: i32, k: u32) {
        self.load_eax(src);
        let d = self.disp(dst);
        if k == 1 {
            match self.cs {
                1 => at_cell!(self.ops, d; mov BYTE, al),
                2 => at_cell!(self.ops, d; mov WORD, ax),
                _ => at_cell!(self.ops, d; mov DWORD, eax),
            }
        } else {
            asm!(self.ops; imul edx, eax, k as i32);
            match self.cs {
                1 => at_cell!(self.ops, d; mov BYTE, dl),
                2 => at_cell!(self.ops, d; mov WORD, dx),
                _ => at_cell!(self.ops, d; mov DWORD, edx),
            }
        }
        self.cache.wrote(dst);
    }

    fn out(&mut self, off: i32) {
        self.load_eax(off);
        self.close_unit();
        let putc = self.sub.putc;
        asm!(self.ops; call =>putc);
        self.cache = Cache::default();
    }

    /// Constant output: the bytes go into the code buffer after the code.
    fn print(&mut self, start: u32, len: u32) {
        self.close_unit();
        let data = self.ops.new_dynamic_label();
        self.strings
            .push((data, start as usize..(start + len) as usize));
        let puts = self.sub.puts;
        asm!(self.ops
            ; lea r8, [=>data]
            ; mov r9d, len as i32
            ; call =>puts
        );
        self.cache = Cache::default();
    }

    fn input(&mut self, off: i32) {
        self.close_unit();
        let (getc, skip) = (self.sub.getc, self.ops.new_dynamic_label());
        asm!(self.ops; call =>getc);
        match self.eof {
            Eof::Unchanged => {
                asm!(self.ops
                    ; test eax, eax
                    ; js =>skip
                );
                self.store_eax(off);
                asm!(self.ops; =>skip);
            }
            Eof::Zero => {
                asm!(self.ops
                    ; test eax, eax
                    ; jns =>skip
                    ; xor eax, eax
                    ; =>skip
                );
                self.store_eax(off);
            }
            // `getc` returns -1 at end of input: all ones, the largest cell value.
            Eof::Max => self.store_eax(off),
        }
        self.cache = Cache::default();
    }

    /// Opens the window of check `id` (instruction `i`) and makes sure that if the pointer
    /// left the tape, something in the window faults before the window ends.
    fn check(&mut self, i: usize, id: CheckId) {
        self.close_unit();
        self.open_unit(Unit::Check(id));
        let e = *self.ir.excursion(id);
        let touched = self.window_accesses(i + 1);
        // A fault only lands in a guard if the cell is within a guard's size of the tape;
        // the origin is on the tape.
        let far = |cells: i32| i64::from(cells) * i64::from(self.cs) >= GUARD as i64 / 2;
        let (lo_far, hi_far) = (far(e.origin - e.lo), far(e.hi - e.origin));
        // The origin is on the tape: only moves beyond it need checking.
        if e.lo < e.origin {
            if lo_far {
                self.explicit_check(e.lo, false);
            } else if !touched.contains(&e.lo) {
                self.probe(e.lo);
            }
        }
        if e.hi > e.origin {
            if hi_far || self.exact_right {
                self.explicit_check(e.hi, true);
            } else if !touched.contains(&e.hi) {
                self.probe(e.hi);
            }
        }
    }

    /// Offsets that the code of the window starting at instruction `i` will load or store
    /// before the window closes.
    fn window_accesses(&self, mut i: usize) -> Vec<i32> {
        let code = &self.ir.code;
        let mut touched = Vec::new();
        while let Some(ins) = code.get(i) {
            match ins.op {
                Op::Add { off, .. } | Op::Set { off, .. } => touched.push(off),
                Op::MulAdd { src, dst, .. } | Op::MulSet { src, dst, .. } => {
                    touched.extend([src, dst])
                }
                // The first access of these happens before the window closes.
                Op::Out { off }
                | Op::Loop { off }
                | Op::If { off }
                | Op::EndLoop { off }
                | Op::Scan { off, .. } => {
                    touched.push(off);
                    break;
                }
                Op::Move { delta } => {
                    if let Some(Op::EndLoop { off }) = code.get(i + 1).map(|n| n.op) {
                        touched.push(delta + off);
                    }
                    break;
                }
                Op::Check(_) | Op::In { .. } | Op::Print { .. } | Op::EndIf => break,
            }
            i += 1;
        }
        touched
    }

    /// Compares the address of cell `off` with the tape's start (`right == false`) or end,
    /// calling the failure path if it is off the tape. The call's return address identifies
    /// the unit.
    fn explicit_check(&mut self, off: i32, right: bool) {
        self.cache = Cache::default();
        let d = (i64::from(off) - i64::from(self.bias)) * i64::from(self.cs);
        let (oob, ok) = (self.sub.oob, self.ops.new_dynamic_label());
        asm!(self.ops
            ; mov rax, QWORD d
            ; add rax, p
        );
        if right {
            asm!(self.ops
                ; cmp rax, [ctx + ctx!(tape_end)]
                ; jb =>ok
                ; call =>oob
                ; =>ok
            );
        } else {
            asm!(self.ops
                ; cmp rax, [ctx + ctx!(tape_start)]
                ; jae =>ok
                ; call =>oob
                ; =>ok
            );
        }
    }

    /// `while p[off] != 0 { p += step }`.
    fn scan(&mut self, i: usize, off: i32, step: i32, check: CheckId) {
        let done = self.ops.new_dynamic_label();
        self.cmp_zero(off);
        self.close_unit();
        self.cache = Cache::default();
        asm!(self.ops; jz =>done);
        self.open_unit(Unit::Scan(i as u32));
        let e = *self.ir.excursion(check);
        // A *plain* scan moves only in one direction, one stride per step.
        let plain = if step > 0 {
            e.lo == off && e.hi == off + step
        } else {
            e.hi == off && e.lo == off + step
        };
        let stride = step.unsigned_abs() * self.cs as u32;
        if plain && 32 % stride == 0 {
            self.scan_vector(off, step);
        } else if plain {
            self.scan_unrolled(off, step);
        } else {
            self.scan_scalar(off, step, e.lo, e.hi);
        }
        self.close_unit();
        asm!(self.ops; =>done);
    }

    /// A scan that tests one cell per step (any stride, any body).
    fn scan_scalar(&mut self, off: i32, step: i32, lo: i32, hi: i32) {
        let d = self.disp(off);
        let s = self.bytes(step);
        let (next, ok, oob) = (
            self.ops.new_dynamic_label(),
            self.ops.new_dynamic_label(),
            self.sub.oob,
        );
        asm!(self.ops
            ; mov rax, p
            ; =>next
            ; add rax, s
        );
        // Probe the extremes of an iteration that the next test does not touch (relative
        // to the new position, which is `step` beyond the iteration's start).
        for x in [lo, hi] {
            if x != off && x != off + step {
                let xd = self.disp(x - step);
                asm!(self.ops; cmp BYTE [rax + xd], 0);
            }
        }
        if self.exact_right && hi > off {
            let hd = self.disp(hi - step);
            asm!(self.ops
                ; lea rcx, [rax + hd]
                ; cmp rcx, [ctx + ctx!(tape_end)]
                ; jb =>ok
                ; call =>oob
                ; =>ok
            );
        }
        self.cmp_zero_at_rax(d);
        self.jnz_back(next);
        asm!(self.ops; mov p, rax);
    }

    /// A plain scan whose stride in bytes divides 32, 32 bytes at a time with SSE2: compare
    /// an aligned 32-byte chunk with zero, keep the bits of the cells the scan would visit,
    /// take the first (or last, going left). Aligned loads never cross a page, so they only
    /// touch a guard page when the scan really runs off the tape.
    fn scan_vector(&mut self, off: i32, step: i32) {
        let d = self.disp(off);
        let stride = step.unsigned_abs() as i32 * self.cs;
        // Bits of the cells at multiples of the stride, in a 32-byte chunk.
        let visit: u32 = match stride {
            1 => 0xffff_ffff,
            2 => 0x5555_5555,
            4 => 0x1111_1111,
            8 => 0x0101_0101,
            16 => 0x0001_0001,
            _ => 0x0000_0001,
        };
        asm!(self.ops
            ; lea rsi, [p + d]           // address of the first cell to test
            ; mov rax, rsi
            ; and rax, -32               // its chunk
            ; mov ecx, esi
            ; and ecx, stride - 1        // which cells of a chunk the scan visits
            ; mov r8d, visit as i32
            ; shl r8d, cl
            ; mov ecx, esi
            ; and ecx, 31                // where the first cell is in its chunk
            ; pxor xmm0, xmm0
        );
        let (next, found) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        if step > 0 {
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; shr edx, cl                // forget cells before the first
                ; shl edx, cl
                ; test edx, edx
                ; jnz =>found
                ; =>next
                ; add rax, 32
            );
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; jz =>next
                ; =>found
                ; bsf edx, edx
                ; add rax, rdx
            );
            if self.exact_right {
                let (ok, oob) = (self.ops.new_dynamic_label(), self.sub.oob);
                asm!(self.ops
                    ; cmp rax, [ctx + ctx!(tape_end)]
                    ; jb =>ok
                    ; call =>oob
                    ; =>ok
                );
            }
        } else {
            self.zero_mask_edx();
            asm!(self.ops
                ; xor ecx, 31
                ; and edx, r8d
                ; shl edx, cl                // forget cells after the first
                ; shr edx, cl
                ; test edx, edx
                ; jnz =>found
                ; =>next
                ; sub rax, 32
            );
            self.zero_mask_edx();
            asm!(self.ops
                ; and edx, r8d
                ; jz =>next
                ; =>found
                ; bsr edx, edx
                ; add rax, rdx
            );
        }
        asm!(self.ops; lea p, [rax - d]);
    }

    /// A plain scan, one cell at a time but four cells per loop iteration: each test is a
    /// load and a branch that is not taken until the end, and the loop branch is taken once
    /// per four cells.
    fn scan_unrolled(&mut self, off: i32, step: i32) {
        let d = self.disp(off);
        let s = self.bytes(step);
        let (top, found) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        let hits: [DynamicLabel; 3] = std::array::from_fn(|_| self.ops.new_dynamic_label());
        asm!(self.ops; mov rax, p);
        self.align_loop();
        asm!(self.ops; =>top);
        for (k, &hit) in hits.iter().enumerate() {
            self.cmp_zero_at_rax(d + s * (k as i32 + 1));
            asm!(self.ops; je =>hit);
        }
        // The fourth cell: step there first, so that finding it needs no fix-up.
        let four = s * 4;
        match i8::try_from(four) {
            Ok(four) => asm!(self.ops; add rax, BYTE four as _),
            Err(_) => asm!(self.ops; add rax, four),
        }
        self.cmp_zero_at_rax(d);
        self.jnz_back(top);
        asm!(self.ops; jmp =>found);
        for (k, &hit) in hits.iter().enumerate() {
            let moved = s * (k as i32 + 1);
            asm!(self.ops; =>hit);
            match i8::try_from(moved) {
                Ok(m) => asm!(self.ops; lea rax, [BYTE rax + m]),
                Err(_) => asm!(self.ops; lea rax, [rax + moved]),
            }
            if k + 1 < hits.len() {
                asm!(self.ops; jmp =>found);
            }
        }
        asm!(self.ops; =>found);
        if self.exact_right && step > 0 {
            let (ok, oob) = (self.ops.new_dynamic_label(), self.sub.oob);
            asm!(self.ops
                ; lea rcx, [rax + d]
                ; cmp rcx, [ctx + ctx!(tape_end)]
                ; jb =>ok
                ; call =>oob
                ; =>ok
            );
        }
        asm!(self.ops; mov p, rax);
    }

    /// `cmp cell [rax + d], 0`.
    fn cmp_zero_at_rax(&mut self, d: i32) {
        match (self.cs, i8::try_from(d)) {
            (1, Ok(d)) => asm!(self.ops; cmp BYTE [BYTE rax + d], 0),
            (1, Err(_)) => asm!(self.ops; cmp BYTE [rax + d], 0),
            (2, Ok(d)) => asm!(self.ops; cmp WORD [BYTE rax + d], 0),
            (2, Err(_)) => asm!(self.ops; cmp WORD [rax + d], 0),
            (_, Ok(d)) => asm!(self.ops; cmp DWORD [BYTE rax + d], 0),
            (_, Err(_)) => asm!(self.ops; cmp DWORD [rax + d], 0),
        }
    }

    /// `edx` = one bit per byte of the 32-byte chunk at `rax`, set where the cell is zero
    /// (for wider cells, both or all four bytes of a zero cell are set). Needs `xmm0` = 0.
    fn zero_mask_edx(&mut self) {
        asm!(self.ops
            ; movdqa xmm1, [rax]
            ; movdqa xmm2, [rax + 16]
        );
        match self.cs {
            1 => asm!(self.ops; pcmpeqb xmm1, xmm0; pcmpeqb xmm2, xmm0),
            2 => asm!(self.ops; pcmpeqw xmm1, xmm0; pcmpeqw xmm2, xmm0),
            _ => asm!(self.ops; pcmpeqd xmm1, xmm0; pcmpeqd xmm2, xmm0),
        }
        asm!(self.ops
            ; pmovmskb edx, xmm1
            ; pmovmskb r9d, xmm2
            ; shl r9d, 16
            ; or edx, r9d
        );
    }

    /// The normal exit, then the shared subroutines. Returns the offsets of the fault stub
    /// and of the exit path, and records the stretches of [`Code::no_flush`].
    fn epilogue_and_subroutines(&mut self) -> (usize, u32) {
        let Subroutines {
            exit,
            oob,
            flush,
            putc,
            puts,
            getc,
        } = self.sub;
        asm!(self.ops; mov eax, status::OK as i32);
        let exit_at = self.here();
        asm!(self.ops
            ; =>exit
            ; mov rsp, [ctx + ctx!(saved_rsp)]
            ; mov [ctx + ctx!(final_p)], p
            ; mov [ctx + ctx!(final_out)], out
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
        );
        let fault_stub = self.ops.offset().0;
        self.no_flush.push(exit_at..fault_stub as u32);
        asm!(self.ops
            ; mov eax, status::FAULT as i32
            ; jmp =>exit

            // An explicit check failed: its return address (minus one, to stay inside the
            // check's code) says which unit.
            ; =>oob
            ; pop rax
            ; sub rax, 1
            ; mov [ctx + ctx!(fault_rip)], rax
            ; mov eax, status::FAULT as i32
            ; jmp =>exit
        );
        let putc_at = self.here();
        asm!(self.ops
            // putc: append al to the output buffer; flush it when full, or after a newline
            // when the output is a terminal.
            ; =>putc
            ; mov BYTE [out], al
            ; add out, 1
            ; cmp out, out_end
            ; jae =>flush
            ; cmp al, 10
            ; je >newline
            ; ret
            ; newline:
            ; cmp DWORD [ctx + ctx!(line_flush)], 0
            ; jne =>flush
            ; ret
        );
        self.no_flush.push(putc_at..self.here());
        asm!(self.ops
            // puts: append r9 (> 0) bytes from r8 (neither is touched by putc or flush).
            ; =>puts
            ; movzx eax, BYTE [r8]
            ; call =>putc
            ; add r8, 1
            ; sub r9, 1
            ; jnz =>puts
            ; ret
        );
        let flush_at = self.here();
        asm!(self.ops
            // flush: write out[buf..out] to out_fd; afterwards out = buf.
            ; =>flush
            ; mov rsi, [ctx + ctx!(out_buf)]
            ; write:
            ; mov rdx, out
            ; sub rdx, rsi
            ; jz >flushed
            ; mov edi, [ctx + ctx!(out_fd)]
            ; mov eax, libc::SYS_write as i32
            ; syscall
            ; test rax, rax
            ; jle >failed
            ; add rsi, rax          // a short write: continue after what was written
            ; jmp <write
            ; failed:
            ; cmp rax, -libc::EINTR
            ; je <write
            ; neg eax               // errno (0 when write returned 0)
            ; mov [ctx + ctx!(errno)], eax
            ; mov eax, status::OUTPUT as i32
            ; jmp =>exit
            ; flushed:
            ; mov out, [ctx + ctx!(out_buf)]
            ; ret
        );
        self.no_flush.push(flush_at..self.here());
        asm!(self.ops
            // getc: eax = next input byte, or -1 at end of input.
            ; =>getc
            ; mov rax, [ctx + ctx!(in_pos)]
            ; cmp rax, [ctx + ctx!(in_len)]
            ; jae >refill
            ; have:
            ; mov rcx, [ctx + ctx!(in_buf)]
            ; movzx ecx, BYTE [rcx + rax]
            ; add rax, 1
            ; mov [ctx + ctx!(in_pos)], rax
            ; mov eax, ecx
            ; ret
            ; refill:
            ; cmp DWORD [ctx + ctx!(in_eof)], 0
            ; jne >at_eof           // end of input sticks: never read again (as C stdio)
            ; cmp out, [ctx + ctx!(out_buf)]
            ; je >read
            ; call =>flush          // let the user see any prompt before we wait
            ; read:
            ; mov edi, [ctx + ctx!(in_fd)]
            ; mov rsi, [ctx + ctx!(in_buf)]
            ; mov rdx, [ctx + ctx!(in_cap)]
            ; mov eax, libc::SYS_read as i32
            ; syscall
            ; test rax, rax
            ; js >failed
            ; jz >eof
            ; mov [ctx + ctx!(in_len)], rax
            ; xor eax, eax
            ; jmp <have
            ; failed:
            ; cmp rax, -libc::EINTR
            ; je <read
            ; neg eax
            ; mov [ctx + ctx!(errno)], eax
            ; mov eax, status::INPUT as i32
            ; jmp =>exit
            ; eof:
            ; mov DWORD [ctx + ctx!(in_eof)], 1
            ; xor eax, eax
            ; mov [ctx + ctx!(in_pos)], rax
            ; mov [ctx + ctx!(in_len)], rax
            ; at_eof:
            ; mov eax, -1
            ; ret
        );
        (fault_stub, exit_at)
    }
}
