//! Ladders: `if`s nested on one cell, each taking 1 from it, become one bounded move.
//!
//! Decimal arithmetic in Brainfuck carries with a *ladder*: test a digit, take 1 from it and
//! add 1 to another cell, test it again, and so on, ten levels deep (factor.b has several).
//! Once the optimizer has turned the nested loops into `if`s ([`super::known`]), one of
//! factor's reads:
//!
//! ```text
//! if p[37] {                     if p[37] {
//!   check p[37..=38]               check p[37..=38]
//!   p[37] -= 1                     p[38] += min(p[37], 10)*1
//!   p[38] += 1          becomes    p[37] -= min(p[37], 10)
//!   if p[37] {                     if p[37] {
//!     p[37] -= 1                     (the eleventh level, as it was)
//!     p[38] += 1                   }
//!     ... ten levels in all      }
//!           if p[37] {
//!             (the eleventh level)
//!           }
//! ```
//!
//! With `d` the cell's value on entry, the levels run `min(d, K)` times for `K` levels, and
//! the level after them runs when `d > K`: exactly what the right-hand side does, with one
//! branch for the whole ladder instead of one per level, which the processor mispredicts
//! at whichever level the digit stops. [`Op::MulAddMin`] computes the minimum without a
//! branch (`cmovb`).
//!
//! A level qualifies when its body is nothing but additions (the same in every level, one of
//! them -1 to the tested cell) and, last, the next level's `if`. The first level may start
//! with bounds checks, which stay where they are: they ran whenever the first level did.
//! What the last level holds (the `if` after the ladder) is left as it is. Fewer than
//! [`MIN_LEVELS`] levels are left alone.

use crate::Config;
use crate::ir::{Instr, Ir, Op};

/// Fewest levels worth a rewrite.
pub const MIN_LEVELS: usize = 3;

/// Runs the pass.
pub fn run(ir: &mut Ir, config: &Config) {
    let code = &mut ir.code;
    if !(0..code.len().saturating_sub(1)).any(|i| could_start(code, i)) {
        // Most programs have no ladder: then nothing is allocated (this runs on huge IR too).
        return;
    }
    let mask = config.cell_bits.max();
    let partner = IfEnds::new(&ir.code);
    let code = &mut ir.code;
    // Rewrite in place (a ladder only gets shorter): `w` trails the read position `r`.
    // `dropped`: the `EndIf`s of levels folded into their first level's, sorted.
    let mut dropped: Vec<u32> = Vec::new();
    let (mut r, mut w) = (0, 0);
    while r < code.len() {
        if dropped.binary_search(&(r as u32)).is_ok() {
            r += 1;
            continue;
        }
        let Some(l) = ladder(code, &partner, r, mask) else {
            code[w] = code[r];
            (r, w) = (r + 1, w + 1);
            continue;
        };
        // The first level's `if` and checks, then the bounded moves, the cell's own last.
        let mut first: Vec<Instr> = code[r..l.adds_start].to_vec();
        let levels = l.levels.len() as u8;
        let mut taken = None;
        for ins in &code[l.adds_start..l.adds_end] {
            let Op::Add { off, val } = ins.op else {
                unreachable!("a level's body is additions")
            };
            let op = Op::MulAddMin {
                src: l.cell,
                dst: off,
                k: val,
                max: levels,
            };
            if off == l.cell {
                taken = Some(Instr { op, span: ins.span });
            } else {
                first.push(Instr { op, span: ins.span });
            }
        }
        first.push(taken.expect("a level takes 1 from its cell"));
        for ins in first {
            code[w] = ins;
            w += 1;
        }
        for &level in &l.levels[1..] {
            let end = partner.of(level) as u32;
            let at = dropped.binary_search(&end).unwrap_err();
            dropped.insert(at, end);
        }
        // Go on with what the last level leaves: the `if` after the ladder, or the
        // `EndIf`s.
        r = l.resume;
    }
    code.truncate(w);
}

/// The `EndIf` of every `If`, as `(if, end)` index pairs sorted by `if`. (Only `if`s matter
/// here: a table of every instruction's partner, as [`Ir::partners`] makes, would be the
/// pass's largest allocation on a huge program.)
struct IfEnds(Vec<(u32, u32)>);

impl IfEnds {
    fn new(code: &[Instr]) -> IfEnds {
        let mut open = Vec::new();
        let mut pairs = Vec::new();
        for (i, ins) in code.iter().enumerate() {
            match ins.op {
                Op::If { .. } => open.push(i as u32),
                Op::EndIf => pairs.push((open.pop().expect("balanced"), i as u32)),
                _ => {}
            }
        }
        // (They come out in the order the `if`s close.)
        pairs.sort_unstable();
        IfEnds(pairs)
    }

    /// The index of the `EndIf` of the `If` at `i`.
    fn of(&self, i: usize) -> usize {
        let k = self
            .0
            .binary_search_by_key(&(i as u32), |&(start, _)| start)
            .expect("an `if`");
        self.0[k].1 as usize
    }
}

/// A cheap first look at instruction `i`: an `if` followed by an addition or a check, and
/// an `if` on the same cell soon after, as a ladder's first two levels would be.
fn could_start(code: &[Instr], i: usize) -> bool {
    let (Op::If { off: cell }, Op::Add { .. } | Op::Check(_)) = (code[i].op, code[i + 1].op) else {
        return false;
    };
    code[i + 2..]
        .iter()
        .take(16)
        .any(|ins| ins.op == Op::If { off: cell })
}

/// A ladder found at an `If`.
struct Ladder {
    /// The tested cell.
    cell: i32,
    /// Index of each level's `If`.
    levels: Vec<usize>,
    /// The first level's additions: `code[adds_start..adds_end]`.
    adds_start: usize,
    adds_end: usize,
    /// Where the rest of the program continues: the `If` after the last level, or the last
    /// level's `EndIf`.
    resume: usize,
}

/// The ladder whose first level is the `If` at `start`, if there is one.
fn ladder(code: &[Instr], partner: &IfEnds, start: usize, mask: u32) -> Option<Ladder> {
    let Op::If { off: cell } = code[start].op else {
        return None;
    };
    let mut adds_start = start + 1;
    while matches!(code.get(adds_start)?.op, Op::Check(_)) {
        adds_start += 1;
    }
    let adds_end = adds(code, adds_start, cell, mask)?;
    let first = sorted(&code[adds_start..adds_end], mask);
    let mut levels = vec![start];
    let mut at = adds_end;
    let resume = loop {
        let level = *levels.last().expect("one level");
        let end = partner.of(level);
        if at == end {
            // The last level: additions only.
            break end;
        }
        // Otherwise its body must end with the next `if` on the same cell.
        let next = at;
        let nested =
            matches!(code[next].op, Op::If { off } if off == cell) && partner.of(next) + 1 == end;
        if !nested {
            return None;
        }
        // A level if its body is the same additions and, last, another `if` (or nothing);
        // if not, it is what runs after the ladder.
        let body = adds(code, next + 1, cell, mask);
        let same = body.is_some_and(|e| sorted(&code[next + 1..e], mask) == first);
        let ends_right = body.is_some_and(|e| {
            e == partner.of(next)
                || (matches!(code[e].op, Op::If { off } if off == cell)
                    && partner.of(e) + 1 == partner.of(next))
        });
        if !(same && ends_right) || levels.len() == usize::from(u8::MAX) {
            break next;
        }
        levels.push(next);
        at = body.expect("checked");
    };
    (levels.len() >= MIN_LEVELS).then_some(Ladder {
        cell,
        levels,
        adds_start,
        adds_end,
        resume,
    })
}

/// The end of the additions from `from`, if they take exactly 1 from `cell` and add to
/// other cells (at least one).
fn adds(code: &[Instr], from: usize, cell: i32, mask: u32) -> Option<usize> {
    let mut end = from;
    let mut taken = 0;
    while let Some(Op::Add { off, val }) = code.get(end).map(|i| i.op) {
        if off == cell {
            if val & mask != mask {
                return None;
            }
            taken += 1;
        }
        end += 1;
    }
    (taken == 1 && end - from >= 2).then_some(end)
}

/// Additions as (cell, amount) pairs in a fixed order, to compare levels.
fn sorted(ops: &[Instr], mask: u32) -> Vec<(i32, u32)> {
    let mut v: Vec<(i32, u32)> = ops
        .iter()
        .map(|i| match i.op {
            Op::Add { off, val } => (off, val & mask),
            _ => unreachable!("additions only"),
        })
        .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CellBits, Eof, Executor, Io, OptLevel, Program};

    fn ir(ops: &[Op]) -> Ir {
        Ir::from_ops(ops)
    }

    /// `levels` levels on `p[0]`, each `p[0] -= 1; p[1] += 2`, then (if `inner`) an `if`
    /// that prints.
    fn ladder_ops(levels: usize, inner: bool) -> Vec<Op> {
        let mut ops = Vec::new();
        for _ in 0..levels {
            ops.extend([
                Op::If { off: 0 },
                Op::Add {
                    off: 0,
                    val: u32::MAX,
                },
                Op::Add { off: 1, val: 2 },
            ]);
        }
        if inner {
            ops.extend([Op::If { off: 0 }, Op::Out { off: 0 }, Op::EndIf]);
        }
        ops.extend(std::iter::repeat_n(Op::EndIf, levels));
        ops
    }

    fn rewrite(ops: &[Op]) -> Vec<Op> {
        let mut ir = ir(ops);
        run(&mut ir, &Config::default());
        ir.code.iter().map(|i| i.op).collect()
    }

    #[test]
    fn ten_levels_become_one_bounded_move_and_the_if_after_them() {
        let got = rewrite(&ladder_ops(10, true));
        let min = |dst, k| Op::MulAddMin {
            src: 0,
            dst,
            k,
            max: 10,
        };
        assert_eq!(
            got,
            [
                Op::If { off: 0 },
                min(1, 2),
                min(0, u32::MAX),
                Op::If { off: 0 },
                Op::Out { off: 0 },
                Op::EndIf,
                Op::EndIf,
            ]
        );
        let got = rewrite(&ladder_ops(4, false));
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(matches!(got[2], Op::MulAddMin { dst: 0, max: 4, .. }));
    }

    #[test]
    fn too_few_levels_or_a_different_level_are_left_alone() {
        let two = ladder_ops(MIN_LEVELS - 1, true);
        assert_eq!(rewrite(&two), two);
        // The third level adds 3, not 2: two levels, then an `if` that is not one.
        let mut odd = ladder_ops(4, false);
        odd[8] = Op::Add { off: 1, val: 3 };
        assert_eq!(rewrite(&odd), odd);
        // A level that also prints is not a level: the ladder is the three inside it.
        let mut out = ladder_ops(5, false);
        out.insert(5, Op::Out { off: 1 });
        let got = rewrite(&out);
        assert_eq!(got[..8], out[..8]);
        assert!(matches!(got[8], Op::MulAddMin { max: 3, .. }), "{got:?}");
        assert_eq!(
            got[10..],
            [Op::EndIf; 3],
            "levels 4 and 5 close with level 3"
        );
    }

    /// The source of a program that reads `p[0]`, `p[1]`, `p[2]`, runs a 6-level ladder
    /// moving from `p[0]` to `p[1]` (x3) and `p[2]` (-1) with an `if` after it that doubles
    /// what is left into `p[3]`, and prints every cell. (`tests/miscompiles.rs` runs it
    /// through the JIT.)
    pub(crate) fn six_levels() -> String {
        let level = "[->+++>-<<";
        format!(
            ",>,>,<<{}[->>>++<<<]{}>.>.>.<<<.",
            level.repeat(6),
            "]".repeat(6)
        )
    }

    /// The rewritten ladder computes what the levels did, for every value of the cell, at
    /// every width: both forms in the interpreter, on every byte.
    #[test]
    fn the_bounded_move_does_what_the_levels_did() {
        let src = six_levels();
        for bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
            let reference = Config::default().cell_bits(bits).eof(Eof::Zero);
            let mut outputs = Vec::new();
            for level in [OptLevel::O0, OptLevel::O2] {
                let config = reference.opt_level(level);
                let program = Program::new(src.as_bytes(), &config).unwrap();
                let mins = program.ir().code.iter().filter(|i| {
                    // (The sixth level took in the multiply loop after it: five levels.)
                    matches!(i.op, Op::MulAddMin { max: 5, .. })
                });
                let want = if level == OptLevel::O2 { 3 } else { 0 };
                assert_eq!(
                    mins.count(),
                    want,
                    "{}",
                    program.ir().listing(src.as_bytes())
                );
                let mut all = Vec::new();
                for d in 0..=255u8 {
                    let mut io = Io::memory(vec![d, 7, d / 3]);
                    program.interpreter().run(&mut io).unwrap();
                    all.push(io.take_output());
                }
                outputs.push(all);
            }
            assert_eq!(outputs[0], outputs[1], "{bits:?}");
        }
    }
}
