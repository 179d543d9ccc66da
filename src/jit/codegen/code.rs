//! What code generation produces: the machine code and the tables that describe it (where
//! each IR instruction's code starts, which stretches of code may fault on behalf of which
//! bounds check or scan, the prologue's stack frame, named symbols). The runtime's fault
//! handler, the listings, the profiler map and `jitbf build` read these tables.

use crate::ir::CheckId;

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

impl Unit {
    /// Tag of [`Unit::Scan`] in [`Units`]' packed form (the top bit; [`Unit::None`] is all
    /// ones).
    const SCAN: u32 = 1 << 31;

    /// The unit as one number (see [`Units`]), if its number fits (below 2^31, and a scan's
    /// instruction index not 2^31 - 1: a program that large would not fit in memory).
    fn pack(self) -> Option<u32> {
        match self {
            Unit::None => Some(u32::MAX),
            Unit::Check(CheckId(id)) => (id < Unit::SCAN).then_some(id),
            Unit::Scan(i) => (i < Unit::SCAN - 1).then_some(Unit::SCAN | i),
        }
    }

    fn unpack(v: u32) -> Unit {
        match v {
            u32::MAX => Unit::None,
            v if v & Unit::SCAN != 0 => Unit::Scan(v & !Unit::SCAN),
            id => Unit::Check(CheckId(id)),
        }
    }
}

/// Which stretch of code belongs to which [`Unit`]: `(start offset, unit)`, sorted by
/// offset, each unit running to the next entry's start.
///
/// A program with a bounds check every few instructions has an entry for nearly every
/// other instruction (a check's window, then the `None` after it), kept as long as the code
/// is: each is stored as two `u32`s (8 bytes, where `(u32, Unit)` takes 12).
#[derive(Debug, Default)]
pub(crate) struct Units(Vec<(u32, u32)>);

impl Units {
    /// A table with room for `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Units {
        Units(Vec::with_capacity(n))
    }

    /// Starts `unit` at code offset `start` (not below the last start); false if the unit
    /// cannot be stored (see [`Unit::pack`]). A unit that starts where a [`Unit::None`] does
    /// replaces it (which would cover no code): one entry per unit where units follow each
    /// other.
    pub(crate) fn start(&mut self, start: u32, unit: Unit) -> bool {
        let Some(v) = unit.pack() else {
            return false;
        };
        match self.0.last_mut() {
            Some(last) if *last == (start, u32::MAX) => last.1 = v,
            _ => self.0.push((start, v)),
        }
        true
    }

    /// Ends the last unit at code offset `end`: code from there on belongs to none.
    pub(crate) fn end(&mut self, end: u32) {
        self.0.push((end, u32::MAX));
    }

    /// The last entry.
    #[cfg(test)]
    fn last(&self) -> Option<(u32, Unit)> {
        self.0.last().map(|&(at, v)| (at, Unit::unpack(v)))
    }

    /// The entries in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, Unit)> + '_ {
        self.0.iter().map(|&(at, v)| (at, Unit::unpack(v)))
    }

    /// The unit the instruction at code offset `off` belongs to.
    fn at(&self, off: u32) -> Unit {
        match self.0.partition_point(|&(start, _)| start <= off) {
            0 => Unit::None,
            i => Unit::unpack(self.0[i - 1].1),
        }
    }
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
    /// other code may write `r12` or the output buffer: keep output in these subroutines
    /// (`crate::jit::tests` checks it).
    pub no_flush: Vec<std::ops::Range<u32>>,
    /// How the prologue builds the stack frame of the entry function, for a debugger's call
    /// frame information (`jitbf build -g`): after the prologue, the frame stays as it is
    /// until the exit; the subroutines never move `rsp`.
    pub frame: Vec<FrameStep>,
    /// Which unit each stretch of code belongs to.
    pub units: Units,
    /// Code offset at which each IR instruction's code starts (an instruction fused into
    /// the one before it starts where that one does). One more entry marks the code's end.
    /// Empty unless asked for (listings, profiler maps and run-time verification need it;
    /// running does not).
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
    /// Moves the machine code into `dst` (exactly as long), leaving [`Code::bytes`] empty.
    ///
    /// The code is copied from its end, a slice at a time, and after each slice the vector
    /// is shortened and shrunk, which hands its memory back (a large allocation is a mapping
    /// of its own, which shrinking unmaps from the end): the two copies of a large program's
    /// code are never both in memory whole, as they would be with one copy followed by a
    /// drop (on a 50 MB source, 119 MB more at the peak).
    pub(crate) fn move_bytes_into(&mut self, dst: &mut [u8]) {
        const SLICE: usize = 1 << 20;
        let bytes = &mut self.bytes;
        assert_eq!(dst.len(), bytes.len(), "a destination as long as the code");
        bytes.shrink_to_fit();
        while !bytes.is_empty() {
            let start = bytes.len().saturating_sub(SLICE);
            dst[start..bytes.len()].copy_from_slice(&bytes[start..]);
            bytes.truncate(start);
            bytes.shrink_to_fit();
        }
        *bytes = Vec::new();
    }

    /// The unit the instruction at code offset `off` belongs to.
    pub(crate) fn unit_at(&self, off: u32) -> Unit {
        self.units.at(off)
    }

    /// The IR instruction whose code contains offset `off` (needs `instr_offsets`).
    pub(crate) fn instr_at(&self, off: u32) -> Option<usize> {
        let i = self.instr_offsets.partition_point(|&start| start <= off);
        (i > 0 && i < self.instr_offsets.len()).then(|| i - 1)
    }
}

/// One step of the prologue's stack frame: from code offset `at` on, the caller's `rsp`
/// (the *canonical frame address*) is `rsp + cfa`, and register number `saved` (if any) was
/// just pushed, at `cfa` bytes below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameStep {
    /// Code offset just after the instruction.
    pub at: u32,
    /// The canonical frame address is `rsp + cfa`.
    pub cfa: i32,
    /// The hardware number of the register the instruction pushed.
    pub saved: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_back_as_they_were_stored() {
        let mut units = Units::default();
        let stored = [
            (0, Unit::Check(CheckId(0))),
            (4, Unit::None),
            (9, Unit::Scan(7)),
            (20, Unit::Check(CheckId(Unit::SCAN - 1))),
            (30, Unit::Scan(Unit::SCAN - 2)),
            (40, Unit::None),
        ];
        for (at, unit) in stored {
            assert!(units.start(at, unit));
        }
        assert_eq!(units.iter().collect::<Vec<_>>(), stored);
        assert!(!units.start(50, Unit::Check(CheckId(Unit::SCAN))));
        assert!(!units.start(50, Unit::Scan(Unit::SCAN - 1)));
        // A unit starting where the last `None` does replaces it; an end is always kept.
        assert!(units.start(40, Unit::Check(CheckId(3))));
        assert_eq!(units.last(), Some((40, Unit::Check(CheckId(3)))));
        assert_eq!(units.iter().count(), stored.len());
        units.end(40);
        assert_eq!(units.last(), Some((40, Unit::None)));
        assert!(units.start(40, Unit::Check(CheckId(3))));
        assert_eq!(units.iter().count(), stored.len() + 1);
        let code = |off| units.at(off);
        assert_eq!(code(3), Unit::Check(CheckId(0)));
        assert_eq!(code(4), Unit::None);
        assert_eq!(code(19), Unit::Scan(7));
        assert_eq!(code(100), Unit::Check(CheckId(3)));
    }
}
