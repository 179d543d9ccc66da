//! Memory that grows with the program, and what happens when there is not enough.
//!
//! A Brainfuck source can be tens of megabytes, and a dense one (every byte a command) needs
//! far more memory than its size: some 24 bytes of IR per instruction, then the passes, the
//! machine code and its tables, or a listing. Rust aborts the process when an ordinary
//! allocation fails, so jitbf never lets the size of the input decide an allocation that can
//! abort:
//!
//! * **Exactly where it can:** reading the source (`std::fs::read` reports failure) and
//!   building the IR (the parser and the first folding pass grow their tables with
//!   `try_reserve`; a comment costs nothing) end with [`crate::parse::ParseErrorKind::OutOfMemory`].
//! * **By asking first, elsewhere:** the optimization passes, the code generator (whose
//!   buffers belong to dynasm) and the listings allocate as they go. Before each of these
//!   stages, [`room_for`] asks the allocator for a generous estimate of what the stage will
//!   need at its peak (measured per instruction on dense programs of every shape, then
//!   rounded up) and gives it straight back. If that fails, the stage is not started and the
//!   caller gets an error; if it succeeds, the stage fits, unless something else takes the
//!   memory meanwhile. This is what `ulimit -v` (an address-space limit) or a failing
//!   `malloc` looks like. (Under Linux's default overcommit, memory that is not there at all
//!   is found by the kernel's out-of-memory killer later, which no program can turn into an
//!   error message.)
//!
//! The command line turns every such failure into `error: ...` and exit status 2.

use std::collections::TryReserveError;

use crate::ir::{Ir, Op};

/// Peak memory of the optimization passes (and [`crate::opt::compact`]), in bytes per
/// instruction of the IR they start from (measured: at most about 82).
pub const PASSES_PER_OP: usize = 128;

/// Peak memory of the code generator, including the executable copy of the code, in bytes
/// per IR instruction other than a scan (measured: at most about 250, for `,`) ...
const CODEGEN_PER_OP: usize = 320;
/// ... and per scan (measured: about 480; a scan is some 160 bytes of vector code) ...
const CODEGEN_PER_SCAN: usize = 640;
/// ... and per byte of constant output (`print`; kept in the code buffer, then in the
/// executable copy).
const CODEGEN_PER_BYTE: usize = 4;

/// Peak memory of an IR listing (`--emit ir`), per instruction (measured: at most 170) ...
const IR_LISTING_PER_OP: usize = 256;
/// ... and per byte of constant output (a `print`'s string, 4 bytes for `\x00`; the listing
/// grows by doubling).
const IR_LISTING_PER_BYTE: usize = 16;

/// Peak memory of an annotated disassembly (`--emit asm`, which compiles the program a
/// second time to record where each instruction starts), per IR instruction other than a
/// scan (measured: at most about 820) ...
const ASM_LISTING_PER_OP: usize = 1024;
/// ... and per scan (measured: at most about 5,400) ...
const ASM_LISTING_PER_SCAN: usize = 8192;
/// ... and per byte of constant output (measured: 36, a line of hex and text for every ten
/// bytes; the listing grows by doubling).
const ASM_LISTING_PER_BYTE: usize = 128;

/// Instructions and scans in `ir`.
fn counts(ir: &Ir) -> (usize, usize) {
    let scans = ir
        .code
        .iter()
        .filter(|i| matches!(i.op, Op::Scan { .. }))
        .count();
    (ir.len() - scans, scans)
}

/// About the most memory generating machine code for `ir` takes at once.
pub fn codegen_bytes(ir: &Ir) -> usize {
    let (ops, scans) = counts(ir);
    ops.saturating_mul(CODEGEN_PER_OP)
        .saturating_add(scans.saturating_mul(CODEGEN_PER_SCAN))
        .saturating_add(ir.bytes.len().saturating_mul(CODEGEN_PER_BYTE))
}

/// About the most memory [`Ir::listing`] takes at once.
pub fn ir_listing_bytes(ir: &Ir) -> usize {
    ir.len()
        .saturating_mul(IR_LISTING_PER_OP)
        .saturating_add(ir.bytes.len().saturating_mul(IR_LISTING_PER_BYTE))
}

/// About the most memory an annotated disassembly of `ir`'s machine code takes at once.
pub fn asm_listing_bytes(ir: &Ir) -> usize {
    let (ops, scans) = counts(ir);
    ops.saturating_mul(ASM_LISTING_PER_OP)
        .saturating_add(scans.saturating_mul(ASM_LISTING_PER_SCAN))
        .saturating_add(ir.bytes.len().saturating_mul(ASM_LISTING_PER_BYTE))
}

/// Below this many bytes, [`room_for`] does not ask: a stage of a small program needs less
/// than the process's ordinary allocations, which abort anyway when that little memory is
/// not there.
pub const ASK_FROM: usize = 1 << 20;

/// Checks that `bytes` more bytes can be allocated now, by allocating them and giving them
/// back (the memory is never touched, so this costs no more than a `mmap` and a `munmap`).
/// Amounts below [`ASK_FROM`] are not asked for: for a small program those two system calls
/// (and the page the allocator writes its header to) were a measurable part of its start-up.
///
/// ```
/// assert!(jitbf::mem::room_for(1 << 20).is_ok());
/// assert!(jitbf::mem::room_for(usize::MAX / 2).is_err());
/// ```
pub fn room_for(bytes: usize) -> Result<(), TryReserveError> {
    if bytes < ASK_FROM {
        return Ok(());
    }
    Vec::<u8>::new().try_reserve_exact(bytes)
}

/// `n` bytes as a short human-readable amount (`"37 MiB"`), for error messages.
pub fn amount(n: usize) -> String {
    const MIB: usize = 1 << 20;
    if n >= 10 * MIB {
        format!("{} MiB", n / MIB)
    } else if n >= 10 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// The message for a stage that would not fit: `what` needs about `bytes` more.
pub fn too_large(what: &str, bytes: usize) -> String {
    format!(
        "not enough memory for {what} (about {} more)",
        amount(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_rounded_to_a_readable_unit() {
        assert_eq!(amount(512), "512 bytes");
        assert_eq!(amount(20 << 10), "20 KiB");
        assert_eq!(amount(300 << 20), "300 MiB");
    }
}
