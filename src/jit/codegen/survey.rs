//! One pass over the program before any code is generated.
//!
//! Several parts of the code generator want a fact about the whole program before they start:
//! the pointer bias wants the median of the offsets ([`Survey::typical_offset`]), the
//! look-ahead table of [`super::plan`] the range of all offsets and the loop facts
//! ([`super::loops`]), the subroutines which ones
//! the program calls, and the assembler how many labels and references to make room for.
//! Gathering them in one pass reads the instructions once instead of once for each (on a
//! program of millions of instructions, each pass is a trip through memory).

use super::loops::{LoopFacts, Loops};
use super::subroutines::Used;
use crate::ir::{Instr, Op};

/// Counts of the primary offsets, by offset, over a window that grows as offsets come
/// (offsets mostly span a few hundred cells): the median is then found without a second
/// pass over the program. Abandoned (`count` empty) once the offsets span more than
/// [`Histogram::MAX_SPAN`].
#[derive(Debug, Default)]
struct Histogram {
    /// Offset of `count[0]`.
    base: i32,
    count: Vec<u32>,
    /// More than `MAX_SPAN` offsets apart: no counts kept.
    abandoned: bool,
}

impl Histogram {
    /// Widest span of offsets counted.
    const MAX_SPAN: i64 = 1 << 16;

    #[inline(always)]
    fn add(&mut self, c: i32) {
        let i = i64::from(c) - i64::from(self.base);
        match usize::try_from(i).ok().and_then(|i| self.count.get_mut(i)) {
            Some(n) => *n += 1,
            None => self.widen(c),
        }
    }

    /// Counts `c`, which is outside the window: a window twice as wide around it and the
    /// offsets so far, within `MAX_SPAN` of them.
    #[cold]
    fn widen(&mut self, c: i32) {
        if self.abandoned {
            return;
        }
        let len = self.count.len() as i64;
        let (old_lo, old_hi) = (i64::from(self.base), i64::from(self.base) + len - 1);
        let (lo, hi) = match len {
            0 => (i64::from(c), i64::from(c)),
            _ => (old_lo.min(i64::from(c)), old_hi.max(i64::from(c))),
        };
        if hi - lo + 1 > Histogram::MAX_SPAN {
            (self.abandoned, self.count) = (true, Vec::new());
            return;
        }
        // Room on the side `c` came from, as much as the span so far (a little at first).
        let pad = (hi - lo + 1).clamp(32, Histogram::MAX_SPAN / 2);
        let (new_lo, new_hi) = match len {
            0 => (lo - pad, hi + pad),
            _ if i64::from(c) < old_lo => (lo - pad, hi),
            _ => (lo, hi + pad),
        };
        let mut count = vec![0u32; (new_hi - new_lo + 1) as usize];
        if len > 0 {
            let shift = (old_lo - new_lo) as usize;
            count[shift..shift + len as usize].copy_from_slice(&self.count);
        }
        count[(i64::from(c) - new_lo) as usize] += 1;
        (self.base, self.count) = (new_lo as i32, count);
    }
}

/// Facts about a whole program, from one pass over it.
#[derive(Debug)]
pub(crate) struct Survey {
    /// How many instructions have a *primary* offset (the cell an instruction writes or
    /// tests).
    primary: usize,
    /// The primary offsets counted.
    histogram: Histogram,
    /// Lowest and highest offset of any cell an instruction uses (`i32::MAX, i32::MIN` if
    /// none).
    pub cells: (i32, i32),
    /// The subroutines the program calls.
    pub used: Used,
    /// Constant outputs (`Print`), each with a label for its bytes.
    pub prints: usize,
    /// The loop facts of [`super::plan::Plan`].
    pub loops: LoopFacts,
}

impl Survey {
    /// Surveys `code`.
    pub(crate) fn of(code: &[Instr]) -> Survey {
        let mut n = 0usize;
        let (mut clo, mut chi) = (i32::MAX, i32::MIN);
        let (mut out, mut input, mut debug) = (false, false, false);
        let mut prints = 0;
        let mut histogram = Histogram::default();
        let mut loops = Loops::new(code.len());
        for (i, ins) in code.iter().enumerate() {
            // (One `match` says everything about an instruction: its cells as
            // `super::plan::cells` has them, whether it writes the first, what it calls, and
            // what it means to the loop facts. `collect`: its cells count for the loop
            // facts, as those of every instruction but a bracket's end do.)
            let (primary, source, writes, collect) = match ins.op {
                Op::Add { off, .. } | Op::Set { off, .. } => (off, None, true, true),
                Op::EndLoop { off } => {
                    loops.close(Some(off));
                    (off, None, false, false)
                }
                Op::Loop { off } | Op::If { off } => {
                    loops.open(i, matches!(ins.op, Op::Loop { .. }));
                    (off, None, false, true)
                }
                Op::Out { off } => {
                    out = true;
                    (off, None, false, true)
                }
                Op::In { off } => {
                    input = true;
                    (off, None, true, true)
                }
                Op::Scan { off, .. } => {
                    loops.scan();
                    (off, None, false, true)
                }
                Op::MulAdd { src, dst, .. }
                | Op::MulSet { src, dst, .. }
                | Op::MulAddMin { src, dst, .. } => (dst, Some(src), true, true),
                Op::Print { .. } => {
                    prints += 1;
                    continue;
                }
                Op::Debug { .. } => {
                    debug = true;
                    loops.dump();
                    continue;
                }
                Op::Move { delta } => {
                    loops.moves(delta);
                    continue;
                }
                Op::EndIf => {
                    loops.close(None);
                    continue;
                }
                Op::Check(_) => continue,
            };
            if collect {
                loops.uses(primary, source, writes);
            }
            n += 1;
            histogram.add(primary);
            // (The source, where there is none, counts as the primary again: one pair of
            // compares per instruction.)
            let (a, b) = match source {
                Some(c) => (primary.min(c), primary.max(c)),
                None => (primary, primary),
            };
            (clo, chi) = (clo.min(a), chi.max(b));
        }
        Survey {
            primary: n,
            histogram,
            cells: (clo, chi),
            used: Used::from_kinds(out, prints > 0, input, debug),
            prints,
            loops: loops.finish(),
        }
    }

    /// The median primary offset of `code` (the program surveyed): the pointer bias.
    pub(crate) fn typical_offset(&self, code: &[Instr]) -> i32 {
        let n = self.primary;
        if n == 0 {
            return 0;
        }
        // Each instruction's primary cell (the one it writes or tests).
        let primary = || code.iter().filter_map(|ins| super::plan::cells(&ins.op)[0]);
        let mid = n / 2;
        let h = &self.histogram;
        if !h.abandoned {
            let mut below = 0usize;
            for (k, &m) in h.count.iter().enumerate() {
                below += m as usize;
                if below > mid {
                    return h.base + k as i32;
                }
            }
        }
        let mut offs: Vec<i32> = primary().collect();
        *offs.select_nth_unstable(mid).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Span;

    /// The median primary offset of a program of `Add`s to `offs`, as the survey finds it.
    fn median(offs: &[i32]) -> i32 {
        let code: Vec<Instr> = offs
            .iter()
            .map(|&off| Instr {
                op: Op::Add { off, val: 1 },
                span: Span::default(),
            })
            .collect();
        Survey::of(&code).typical_offset(&code)
    }

    #[test]
    fn the_median_is_found_however_the_offsets_come() {
        // Offsets that keep widening the window both ways; far ones that widen it by
        // large steps, up to nearly its limit; a spread beyond the limit (the median is
        // then found by selection); a single offset; a few.
        let narrow: Vec<i32> = (0..2000).map(|k| (k * 7919) % 3001 - 1500).collect();
        let mut far = narrow.clone();
        far.extend([40_000, -25_000, 5, 5, 5]);
        let mut wide = narrow.clone();
        wide.extend([40_000, -30_000]);
        for case in [&narrow, &far, &wide, &vec![-7], &vec![3, 1, 2]] {
            let mut sorted = case.to_vec();
            sorted.sort_unstable();
            assert_eq!(median(case), sorted[case.len() / 2], "{case:?}");
        }
        assert_eq!(median(&[]), 0);
    }
}
