//! One pass over the program before any code is generated.
//!
//! Several parts of the code generator want a fact about the whole program before they start:
//! the pointer bias wants the median of the offsets ([`Survey::typical_offset`]), the
//! look-ahead table of [`super::plan`] the range of all offsets, the subroutines which ones
//! the program calls, and the assembler how many labels and references to make room for.
//! Gathering them in one pass reads the instructions once instead of once for each (on a
//! program of millions of instructions, each pass is a trip through memory).

use super::subroutines::Used;
use crate::ir::{Instr, Op};

/// Facts about a whole program, from one pass over it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Survey {
    /// Lowest and highest *primary* offset (the cell an instruction writes or tests), and
    /// how many instructions have one.
    primary: (i32, i32, usize),
    /// Lowest and highest offset of any cell an instruction uses (`i32::MAX, i32::MIN` if
    /// none).
    pub cells: (i32, i32),
    /// The subroutines the program calls.
    pub used: Used,
    /// Constant outputs (`Print`), each with a label for its bytes.
    pub prints: usize,
    /// Scans, whose code refers to labels.
    pub scans: usize,
    /// Loops and ifs, each with a forward jump over its body.
    pub brackets: usize,
}

impl Survey {
    /// Surveys `code`.
    pub(crate) fn of(code: &[Instr]) -> Survey {
        let (mut lo, mut hi, mut n) = (i32::MAX, i32::MIN, 0usize);
        let (mut clo, mut chi) = (i32::MAX, i32::MIN);
        let (mut out, mut input, mut debug) = (false, false, false);
        let (mut prints, mut scans, mut brackets) = (0, 0, 0);
        for ins in code {
            // (One `match` says everything about an instruction: its cells as
            // `super::plan::cells` has them, and what it calls.)
            let (primary, source) = match ins.op {
                Op::Add { off, .. }
                | Op::Set { off, .. }
                | Op::Loop { off }
                | Op::EndLoop { off }
                | Op::If { off } => {
                    brackets += usize::from(matches!(ins.op, Op::Loop { .. } | Op::If { .. }));
                    (off, None)
                }
                Op::Out { off } => {
                    out = true;
                    (off, None)
                }
                Op::In { off } => {
                    input = true;
                    (off, None)
                }
                Op::Scan { off, .. } => {
                    scans += 1;
                    (off, None)
                }
                Op::MulAdd { src, dst, .. }
                | Op::MulSet { src, dst, .. }
                | Op::MulAddMin { src, dst, .. } => (dst, Some(src)),
                Op::Print { .. } => {
                    prints += 1;
                    continue;
                }
                Op::Debug { .. } => {
                    debug = true;
                    continue;
                }
                Op::Move { .. } | Op::Check(_) | Op::EndIf => continue,
            };
            (lo, hi, n) = (lo.min(primary), hi.max(primary), n + 1);
            (clo, chi) = (clo.min(primary), chi.max(primary));
            if let Some(c) = source {
                (clo, chi) = (clo.min(c), chi.max(c));
            }
        }
        Survey {
            primary: (lo, hi, n),
            cells: (clo, chi),
            used: Used::from_kinds(out, prints > 0, input, debug),
            prints,
            scans,
            brackets,
        }
    }

    /// The median primary offset of `code` (the program surveyed): the pointer bias.
    pub(crate) fn typical_offset(&self, code: &[Instr]) -> i32 {
        let (lo, hi, n) = self.primary;
        if n == 0 {
            return 0;
        }
        // Each instruction's primary cell (the one it writes or tests).
        let primary = || code.iter().filter_map(|ins| super::plan::cells(&ins.op)[0]);
        let mid = n / 2;
        // Offsets mostly span a few hundred cells: counting them finds the median in one
        // more linear pass, without a copy of them to partition.
        let span = i64::from(hi) - i64::from(lo) + 1;
        if span <= 1 << 16 {
            let mut count = vec![0u32; span as usize];
            for c in primary() {
                count[(c - lo) as usize] += 1;
            }
            let mut below = 0usize;
            for (k, &m) in count.iter().enumerate() {
                below += m as usize;
                if below > mid {
                    return lo + k as i32;
                }
            }
        }
        let mut offs: Vec<i32> = primary().collect();
        *offs.select_nth_unstable(mid).1
    }
}
