//! The run-time side of `--debug` and `--profile` in the JIT: the Rust function that `#` in
//! generated code calls, the tape window shown with an error, and reading the profile
//! counters back.
//!
//! # The `#` call
//!
//! Generated code for `#` flushes its output buffer and calls [`debug_hook`] through
//! `Ctx::debug_hook` (see [`super::codegen::instrument`]), following the System V calling
//! convention like any C function: `rdi` = the context block, `rsi` = the address of the
//! program's pointer cell, `edx` = the IR index of the `#`. The stack is 16-byte aligned at
//! the call (the prologue pushes five registers). The hook reads the window of cells from
//! the tape, formats it with [`crate::debug::dump`] (the function the interpreter uses) and
//! writes it to the run's [`Diagnostics`]. It must not unwind into machine code, so a panic
//! (there should be none) is caught and the dump dropped.
//!
//! A standalone executable (`jitbf build`) has no Rust to call back into: there `#` would
//! need the dump written by generated code (a decimal-formatting subroutine) or a small
//! runtime linked in, and the profile counters a data section and code at exit that writes
//! them out (or a raw counter file that `jitbf` turns into a report).

use std::cell::OnceCell;

use super::codegen::{Code, Unit};
use super::runtime::{Ctx, Tape};
use crate::Program;
use crate::debug::Diagnostics;
use crate::ir::Op;
use crate::profile::Counts;
use crate::source::LineMap;

/// What [`debug_hook`] needs, pointed to by `Ctx::debug_data` during a run.
pub(crate) struct HookData<'a> {
    pub program: &'a Program,
    /// Line starts of the source (made at the first dump).
    pub lines: OnceCell<LineMap<'a>>,
    /// The run's diagnostics stream (`Io::diagnostics`, which nothing else touches while
    /// generated code runs).
    pub diagnostics: *mut Diagnostics,
}

/// Called by generated code for `#`: writes the dump of IR instruction `index` for the
/// pointer cell at address `cell`.
///
/// # Safety
///
/// `ctx` must be the context block of the running code, with `debug_data` pointing at a live
/// [`HookData`] for the program being run, and `cell` an address of a cell on its tape.
pub(crate) unsafe extern "sysv64" fn debug_hook(ctx: *mut Ctx, cell: *const u8, index: u32) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: as the caller promises; generated code is suspended in this call, so
        // nothing else reads or writes the context, the hook data or the diagnostics.
        let (ctx, data) = unsafe { (&*ctx, &mut *(*ctx).debug_data.cast::<HookData>()) };
        let config = data.program.config();
        let cs = config.cell_bits.bytes();
        let pointer = (cell as u64 - ctx.tape_start) as usize / cs;
        let window = crate::debug::window(pointer, config.tape_cells);
        let values: Vec<u32> = window
            .clone()
            .map(|k| {
                let mut bytes = [0u8; 4];
                // SAFETY: cell `k` is on the tape, whose bytes `tape_start..tape_end` are
                // mapped readable for the whole run.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        (ctx.tape_start as *const u8).add(k * cs),
                        bytes.as_mut_ptr(),
                        cs,
                    );
                }
                u32::from_le_bytes(bytes)
            })
            .collect();
        let source = data.program.source();
        let lines = data.lines.get_or_init(|| LineMap::new(source));
        let span = data.program.ir().code[index as usize].span;
        let text = crate::debug::dump(
            Some(lines.line_col(span.start)),
            pointer,
            window.start,
            &values,
        );
        // SAFETY: see above; a dump that cannot be written does not stop the program.
        let _ = unsafe { &mut *data.diagnostics }.write(text.as_bytes());
    }));
}

/// The tape pointer register at exit as a cell index `p` (the IR's pointer, a base for
/// offsets; it may be off the tape).
fn exit_p(code: &Code, ctx: &Ctx, tape: &Tape, cs: usize) -> i64 {
    (ctx.final_p.wrapping_sub(tape.cell0_addr() as u64) as i64) / cs as i64 - i64::from(code.bias)
}

/// For a fault in scan `i` that started with the pointer at `p`: the pointer at the start of
/// the iteration whose check failed, and the number of steps before it (as the interpreter
/// replays it).
fn replay_scan(program: &Program, tape: &Tape, i: usize, mut p: i64) -> (i64, u64) {
    let ir = program.ir();
    let config = program.config();
    let Op::Scan { off, step, check } = ir.code[i].op else {
        return (p, 0);
    };
    let mut steps = 0;
    while let Ok(at) = usize::try_from(p + i64::from(off)) {
        match tape.cell(at, config.cell_bits.bytes()) {
            Some(0) | None => break,
            Some(_) => {}
        }
        if ir.check_failure(check, p, config.tape_cells).is_some() {
            break;
        }
        p += i64::from(step);
        steps += 1;
    }
    (p, steps)
}

/// `--debug`: the window shown when a run fails with status `st`: around the last position of
/// the program's pointer on the tape (see [`crate::debug`]).
pub(crate) fn error_window(
    program: &Program,
    code: &Code,
    ctx: &Ctx,
    tape: &Tape,
    faulted: bool,
) -> String {
    let config = program.config();
    let cs = config.cell_bits.bytes();
    let ir = program.ir();
    let p = exit_p(code, ctx, tape, cs);
    let focus = if faulted {
        let off = ctx.fault_rip.wrapping_sub(ctx.code_start) as u32;
        match code.unit_at(off) {
            Unit::Check(id) => p + i64::from(ir.excursion(id).origin),
            Unit::Scan(i) => {
                let (at, _) = replay_scan(program, tape, i as usize, p);
                let Op::Scan { check, .. } = ir.code[i as usize].op else {
                    return String::new();
                };
                at + i64::from(ir.excursion(check).origin)
            }
            Unit::None => p,
        }
    } else {
        p
    };
    let pointer = focus.clamp(0, config.tape_cells as i64 - 1) as usize;
    let window = crate::debug::window(pointer, config.tape_cells);
    let values: Vec<u32> = window
        .clone()
        .map(|k| tape.cell(k, cs).unwrap_or(0))
        .collect();
    crate::debug::dump(None, pointer, window.start, &values)
}

/// `--profile`: the counts from the raw counters of a run that ended with status `st`.
/// Counter `2k` is construct `k`'s entries and `2k + 1` its body runs, except that a scan's
/// holds the bytes it moved (divided here by its stride). A scan that faulted subtracted
/// its start but never added its end: that is made good by replaying it (counting, as the
/// interpreter does, the iteration that failed as entered).
pub(crate) fn counts(
    program: &Program,
    code: &Code,
    ctx: &Ctx,
    tape: &Tape,
    raw: &mut [u64],
    faulted: bool,
) -> Counts {
    let ir = program.ir();
    let cs = program.config().cell_bits.bytes();
    if faulted {
        let off = ctx.fault_rip.wrapping_sub(ctx.code_start) as u32;
        if let Unit::Scan(i) = code.unit_at(off)
            && let Op::Scan { step, .. } = ir.code[i as usize].op
        {
            let k = crate::profile::construct_of(ir)[i as usize] as usize;
            let p = exit_p(code, ctx, tape, cs);
            // The iteration whose check failed was entered too.
            let (_, steps) = replay_scan(program, tape, i as usize, p);
            let moved = (steps as i64 + 1) * i64::from(step) * cs as i64;
            raw[2 * k + 1] = raw[2 * k + 1]
                .wrapping_add(ctx.final_p)
                .wrapping_add(moved as u64);
        }
    }
    let constructs = crate::profile::constructs(ir);
    let mut counts = Counts::zero(constructs.len());
    for (k, &i) in constructs.iter().enumerate() {
        counts.entries[k] = raw[2 * k];
        counts.bodies[k] = match ir.code[i as usize].op {
            Op::Scan { step, .. } => (raw[2 * k + 1] as i64 / (i64::from(step) * cs as i64)) as u64,
            _ => raw[2 * k + 1],
        };
    }
    counts
}
