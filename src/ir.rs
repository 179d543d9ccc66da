//! The intermediate representation (IR) shared by every stage, and its printer.
//!
//! A program is a flat list of [`Instr`]s: an [`Op`] plus the [`Span`] of source it came from.
//! Loops and ifs are bracketed by `Loop`/`EndLoop` and `If`/`EndIf` pairs instead of nested
//! vectors, so that no stage needs recursion: a million nested `[` parse, optimize, compile and
//! drop without touching the native stack.
//!
//! # The pointer and offsets
//! Every cell operand is an *offset* from the current tape pointer `p`, so `>+>+<<` can become
//! `p[1] += 1; p[2] += 1` with no pointer movement at all. Only [`Op::Move`] (and a loop body that
//! ends with one) changes `p`.
//!
//! # Bounds checks
//! Moving the pointer left of cell 0 or past the end of the tape is a runtime error that names
//! the `<` or `>` which moved out. Moves therefore carry their checks separately, in
//! [`Op::Check`]: an [`Excursion`] lists, in program order, the offsets the original program's
//! pointer reached (only the new extremes matter) and the source position of each move that
//! reached them. A `Check` has no effect when every offset is on the tape; otherwise the error
//! names the first move, in program order, that left it. Because the rest of the pointer
//! movement is plain arithmetic, optimizations can fold moves into offsets and merge checks
//! (see [`crate::opt`]) without ever changing which error a program reports.
//!
//! An [`Op::Move`] is unchecked: the IR always places a `Check` covering the move before it.

use std::fmt::{self, Write as _};

/// A byte range `start..end` of the source program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    #[inline]
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Index of an [`Excursion`] in [`Ir::excursions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CheckId(pub u32);

/// One IR operation. Offsets (`off`, `src`, `dst`) are in cells, relative to the pointer `p`.
/// Values (`val`, `k`) are taken modulo the cell size when they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `p[off] += val`: a run of `+` (or, with `val` wrapping, `-`), e.g. `+++` is `Add 3`.
    Add {
        /// Cell offset.
        off: i32,
        /// Amount to add, modulo the cell size (so `-` is `Add u32::MAX`).
        val: u32,
    },
    /// `p[off] = val`: `[-]` is `Set 0`, and `[-]+++` is `Set 3`.
    Set {
        /// Cell offset.
        off: i32,
        /// The value stored.
        val: u32,
    },
    /// `p[dst] += p[src] * k`: one target of a multiply loop. `[->+++>+<<]` is
    /// `if p[0] { p[1] += p[0]*3; p[2] += p[0]*1; p[0] = 0 }`.
    MulAdd {
        /// Offset of the cell read.
        src: i32,
        /// Offset of the cell added to.
        dst: i32,
        /// Factor, modulo the cell size.
        k: u32,
    },
    /// `p[dst] = p[src] * k`: a multiply-add into a cell known to hold 0, which needs no
    /// load of `p[dst]`.
    MulSet {
        /// Offset of the cell read.
        src: i32,
        /// Offset of the cell written.
        dst: i32,
        /// Factor, modulo the cell size.
        k: u32,
    },
    /// `p[dst] += min(p[src], max) * k`: a *ladder* of `if`s nested on one cell, each taking 1
    /// from it (the `ladder` pass). `[->+<[->+<[->+<]]]`, once the optimizer knows each
    /// level leaves `p[0]` at 0, is `if p[0] { p[0] -= 1; p[1] += 1; if p[0] { ... } }`,
    /// three levels: it moves up to 3 from `p[0]` to `p[1]`, so it is
    /// `if p[0] { p[1] += min(p[0], 3)*1; p[0] -= min(p[0], 3) }` with no branch per level.
    /// The cell taken from is the last one updated (`dst == src`, `k` = -1).
    MulAddMin {
        /// Offset of the cell read.
        src: i32,
        /// Offset of the cell added to.
        dst: i32,
        /// Factor, modulo the cell size.
        k: u32,
        /// The most taken from `p[src]`: the number of levels.
        max: u8,
    },
    /// `p += delta`: a run of `>` or `<` whose bounds were checked by an earlier [`Op::Check`].
    Move {
        /// Cells to move; negative is left.
        delta: i32,
    },
    /// Bounds check for the pointer moves of the original program; see the module docs.
    Check(CheckId),
    /// `.`: write the low byte of `p[off]`.
    Out {
        /// Cell offset.
        off: i32,
    },
    /// Output known at compile time: the bytes `Ir::bytes[start..start+len]`. `+++.` on a cell
    /// known to be 0 is `Print "\x03"`.
    Print {
        /// First byte in [`Ir::bytes`].
        start: u32,
        /// Number of bytes.
        len: u32,
    },
    /// `,`: read a byte into `p[off]`; at end of input apply the [`crate::Eof`] mode.
    In {
        /// Cell offset.
        off: i32,
    },
    /// `[`: loop while `p[off] != 0`. The matching [`Op::EndLoop`] tests again.
    Loop {
        /// Offset of the condition cell.
        off: i32,
    },
    /// `]`: jump back to the matching [`Op::Loop`] while `p[off] != 0`.
    EndLoop {
        /// Offset of the condition cell (relative to `p` as it is at the end of the body).
        off: i32,
    },
    /// A loop that runs at most once: `if p[off] != 0 { ... }`. Its body usually leaves `p`
    /// where it was; when it does not (the first iteration of a loop, peeled off), `p` after
    /// the `if` depends on the path taken.
    If {
        /// Offset of the condition cell.
        off: i32,
    },
    /// End of an [`Op::If`] body.
    EndIf,
    /// A scan loop such as `[>]` or `[<<<]`: `while p[off] != 0 { check; p += step }`.
    /// The check is the excursion of one iteration, relative to `p` at its start.
    Scan {
        /// Offset of the cell tested.
        off: i32,
        /// Cells moved per iteration.
        step: i32,
        /// Bounds check of one iteration.
        check: CheckId,
    },
    /// `#` with `--debug` ([`crate::Config::debug`]): write the program's pointer, the
    /// source position of the `#` and the cells around the pointer to the run's diagnostics
    /// (see [`crate::debug`]). The program's pointer is `p + off` (passes fold pointer moves
    /// into `off` as into any other offset). The dump observes the whole tape: every pass
    /// treats it as reading every cell, so what it shows is the tape exactly as the source
    /// program has it at that point, at every optimization level.
    Debug {
        /// Where the program's pointer is, relative to `p`.
        off: i32,
    },
}

/// An [`Op`] and the source it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    /// What to do.
    pub op: Op,
    /// Where in the source it came from.
    pub span: Span,
}

/// A stretch of pointer moves that reached new extremes: the moves at source bytes
/// `pos, pos+1, .., pos+count-1` took the pointer to offsets `off, off+dir, .., off+dir*(count-1)`,
/// where `count` and `dir` are the size and the sign of `moves` ([`Reach::count`], [`Reach::dir`]).
///
/// (One signed field rather than a count and a direction keeps a record at 12 bytes instead of
/// 16: a program with a bounds check every few commands holds one of these for each.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reach {
    /// Offset reached by the first move, relative to `p` at the check.
    pub off: i32,
    /// Source byte of the first move (a `<` or `>`).
    pub pos: u32,
    /// Number of moves (at consecutive source bytes), negative for `<`: `>>>` is 3, `<<` is
    /// -2. Never 0.
    pub moves: i32,
}

impl Reach {
    /// The record of `count` moves (at least 1, at most `i32::MAX`) in direction `dir` (`1`
    /// for `>`, `-1` for `<`), the first at source byte `pos` reaching offset `off`.
    #[inline]
    pub fn new(off: i32, pos: u32, count: u32, dir: i8) -> Reach {
        debug_assert!((1..=i32::MAX as u32).contains(&count) && dir.abs() == 1);
        Reach {
            off,
            pos,
            moves: count as i32 * i32::from(dir),
        }
    }

    /// Number of moves.
    #[inline]
    pub fn count(&self) -> u32 {
        self.moves.unsigned_abs()
    }

    /// Direction: `1` for `>`, `-1` for `<`.
    #[inline]
    pub fn dir(&self) -> i8 {
        if self.moves > 0 { 1 } else { -1 }
    }

    /// The offset reached by the last move of this stretch.
    #[inline]
    pub fn last(&self) -> i32 {
        if self.moves > 0 {
            self.off + (self.moves - 1)
        } else {
            self.off + (self.moves + 1)
        }
    }

    /// The part of this stretch that goes beyond the extremes `lo..=hi` reached so far (the
    /// moves inside them can never be the first to leave the tape), or `None`.
    #[inline]
    pub fn beyond(&self, lo: i32, hi: i32) -> Option<Reach> {
        // `skip` moves stay inside the extremes; the rest, if any, go beyond them.
        if self.moves > 0 {
            let skip = (hi + 1 - self.off).max(0);
            (skip < self.moves).then(|| Reach {
                off: self.off + skip,
                pos: self.pos + skip as u32,
                moves: self.moves - skip,
            })
        } else {
            let skip = (self.off - (lo - 1)).max(0);
            (skip < -self.moves).then(|| Reach {
                off: self.off - skip,
                pos: self.pos + skip as u32,
                moves: self.moves + skip,
            })
        }
    }
}

/// The pointer range an [`Op::Check`] asserts, and how to report a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Excursion {
    /// Offset of the pointer where the moves start (on the tape by construction).
    pub origin: i32,
    /// Lowest offset reached (or the origin, if no move went left of it).
    pub lo: i32,
    /// Highest offset reached (or the origin, if no move went right of it).
    pub hi: i32,
    /// `Ir::reaches[first..first+len]`, in program order.
    pub first: u32,
    /// Number of [`Reach`] records.
    pub len: u32,
}

/// A whole program in IR form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ir {
    /// The instructions, in order.
    pub code: Vec<Instr>,
    /// Bounds checks, indexed by [`CheckId`].
    pub excursions: Vec<Excursion>,
    /// Storage for [`Excursion`] records.
    pub reaches: Vec<Reach>,
    /// Storage for the bytes of [`Op::Print`].
    pub bytes: Vec<u8>,
}

/// Which side of the tape a pointer left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Moved left of cell 0.
    Left,
    /// Moved past the last cell.
    Right,
}

#[cfg(test)]
impl Ir {
    /// An IR of `ops`, each with an empty span: how unit tests write a program directly.
    pub(crate) fn from_ops(ops: &[Op]) -> Ir {
        Ir {
            code: ops
                .iter()
                .map(|&op| Instr {
                    op,
                    span: Span::default(),
                })
                .collect(),
            ..Ir::default()
        }
    }
}

impl Ir {
    /// The excursion of a check.
    pub fn excursion(&self, id: CheckId) -> &Excursion {
        &self.excursions[id.0 as usize]
    }

    /// The reach records of a check, in program order.
    pub fn reaches_of(&self, id: CheckId) -> &[Reach] {
        let e = self.excursion(id);
        &self.reaches[e.first as usize..(e.first + e.len) as usize]
    }

    /// Adds an excursion made of `reaches` (in program order) and returns its id. `origin` is
    /// the offset of the pointer where the moves start, known to be on the tape; records
    /// that do not reach beyond the extremes so far are trimmed or dropped.
    pub fn add_excursion(
        &mut self,
        origin: i32,
        reaches: impl IntoIterator<Item = Reach>,
    ) -> CheckId {
        let first = self.reaches.len() as u32;
        let (mut lo, mut hi) = (origin, origin);
        for r in reaches {
            // Keep only the part of the stretch beyond the extreme seen so far.
            let Some(kept) = r.beyond(lo, hi) else {
                continue;
            };
            if r.moves > 0 {
                hi = kept.last();
            } else {
                lo = kept.last();
            }
            self.reaches.push(kept);
        }
        let len = self.reaches.len() as u32 - first;
        self.excursions.push(Excursion {
            origin,
            lo,
            hi,
            first,
            len,
        });
        CheckId(self.excursions.len() as u32 - 1)
    }

    /// Where a check fails for the pointer `p` (a cell index; it may be negative, because
    /// `p` is only a base for offsets: the program's pointer is `p + origin`) on a tape of
    /// `cells` cells: the source byte of the first move that left the tape, and on which
    /// side. `None` if it passes.
    pub fn check_failure(&self, id: CheckId, p: i64, cells: usize) -> Option<(u32, Side)> {
        let cells = cells as i64;
        for r in self.reaches_of(id) {
            // Index k (0-based) of the first move in this stretch that is off the tape.
            let k = if r.moves > 0 {
                cells - p - i64::from(r.off)
            } else {
                p + i64::from(r.off) + 1
            };
            let k = k.max(0);
            if k < i64::from(r.count()) {
                let side = if r.moves > 0 { Side::Right } else { Side::Left };
                return Some((r.pos + k as u32, side));
            }
        }
        None
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// True if the program does nothing at all.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// For each instruction, the index of its partner: `Loop` <-> `EndLoop`, `If` <-> `EndIf`.
    /// Other instructions map to themselves. The IR is assumed well nested (the parser and
    /// every pass guarantee it).
    pub fn partners(&self) -> Vec<u32> {
        let mut partner: Vec<u32> = (0..self.code.len() as u32).collect();
        let mut open = Vec::new();
        for (i, ins) in self.code.iter().enumerate() {
            match ins.op {
                Op::Loop { .. } | Op::If { .. } => open.push(i),
                Op::EndLoop { .. } | Op::EndIf => {
                    let j = open.pop().expect("IR brackets are balanced");
                    partner[i] = j as u32;
                    partner[j] = i as u32;
                }
                _ => {}
            }
        }
        debug_assert!(open.is_empty(), "IR brackets are balanced");
        partner
    }

    /// A human-readable listing, one instruction per line, with the source position
    /// (`line:column`) and the source fragment each came from. This is `jitbf --emit ir`.
    ///
    /// A program without instructions (no commands, or nothing left to do after
    /// optimization) lists as one line saying so, so that the listing is never empty.
    pub fn listing(&self, source: &[u8]) -> String {
        if self.code.is_empty() {
            return "; no instructions: the program has no commands, or does nothing the \
                    optimizer could not remove\n"
                .to_string();
        }
        let map = crate::source::LineMap::new(source);
        let mut out = String::new();
        let mut depth = 0usize;
        let width = self.code.len().max(1).to_string().len();
        for (i, ins) in self.code.iter().enumerate() {
            if matches!(ins.op, Op::EndLoop { .. } | Op::EndIf) {
                depth = depth.saturating_sub(1);
            }
            let lc = map.line_col(ins.span.start);
            let text = format!("{}{}", indentation(depth), self.display(&ins.op));
            let _ = writeln!(
                out,
                "{i:>width$}  {:<9} {text:<36} {}",
                format!("{}:{}", lc.line, lc.col),
                crate::source::fragment(source, ins.span, 24),
            );
            if matches!(ins.op, Op::Loop { .. } | Op::If { .. }) {
                depth += 1;
            }
        }
        out
    }

    /// Formats one op in the notation of the listing (`p[2] += 3`, `while p[0] {`, ...).
    pub fn display<'a>(&'a self, op: &'a Op) -> impl fmt::Display + 'a {
        OpDisplay { ir: self, op }
    }
}

/// Deepest loop nesting the listings show by indentation. Deeper instructions are indented
/// as this level and marked with their depth (`[40] while p[0] {`), so that a program nested a
/// million deep still lists in linear size.
pub const MAX_INDENT: usize = 32;

/// The indentation of an instruction at loop depth `depth` in a listing (two spaces a level).
pub fn indentation(depth: usize) -> String {
    if depth <= MAX_INDENT {
        " ".repeat(2 * depth)
    } else {
        format!("{}[{depth}] ", " ".repeat(2 * MAX_INDENT))
    }
}

struct OpDisplay<'a> {
    ir: &'a Ir,
    op: &'a Op,
}

/// `p[3]`, `p[-2]`, `p[0]`.
struct Cell(i32);

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p[{}]", self.0)
    }
}

impl fmt::Display for OpDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.op {
            Op::Add { off, val } if (val as i32) < 0 => {
                write!(f, "{} -= {}", Cell(off), (val as i32).unsigned_abs())
            }
            Op::Add { off, val } => write!(f, "{} += {val}", Cell(off)),
            Op::Set { off, val } => write!(f, "{} = {val}", Cell(off)),
            Op::MulAdd { src, dst, k } if (k as i32) < 0 => {
                write!(
                    f,
                    "{} -= {}*{}",
                    Cell(dst),
                    Cell(src),
                    (k as i32).unsigned_abs()
                )
            }
            Op::MulAdd { src, dst, k } => write!(f, "{} += {}*{k}", Cell(dst), Cell(src)),
            Op::MulAddMin { src, dst, k, max } if (k as i32) < 0 => {
                let k = (k as i32).unsigned_abs();
                let times = if k == 1 {
                    String::new()
                } else {
                    format!("*{k}")
                };
                write!(f, "{} -= min({}, {max}){times}", Cell(dst), Cell(src))
            }
            Op::MulAddMin { src, dst, k, max } => {
                write!(f, "{} += min({}, {max})*{k}", Cell(dst), Cell(src))
            }
            Op::MulSet { src, dst, k: 1 } => write!(f, "{} = {}", Cell(dst), Cell(src)),
            Op::MulSet { src, dst, k } => write!(f, "{} = {}*{}", Cell(dst), Cell(src), k as i32),
            Op::Move { delta } => write!(f, "p += {delta}"),
            Op::Check(id) => {
                let e = self.ir.excursion(id);
                write!(f, "check p[{}..={}]", e.lo, e.hi)
            }
            Op::Out { off } => write!(f, "out {}", Cell(off)),
            Op::Debug { off } => write!(f, "dump tape at {}", Cell(off)),
            Op::Print { start, len } => {
                let bytes = &self.ir.bytes[start as usize..(start + len) as usize];
                write!(f, "print \"{}\"", bytes.escape_ascii())
            }
            Op::In { off } => write!(f, "in {}", Cell(off)),
            Op::Loop { off } => write!(f, "while {} {{", Cell(off)),
            Op::EndLoop { off } => write!(f, "}} while {}", Cell(off)),
            Op::If { off } => write!(f, "if {} {{", Cell(off)),
            Op::EndIf => write!(f, "}}"),
            Op::Scan { off, step, .. } => write!(f, "scan {} by {step} to 0", Cell(off)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(off: i32, pos: u32, count: u32, dir: i8) -> Reach {
        Reach::new(off, pos, count, dir)
    }

    #[test]
    fn excursion_keeps_only_new_extremes() {
        let mut ir = Ir::default();
        // `>>><<<<<>>` starting at byte 10: right to 3, back left to -2, right to 0.
        let id = ir.add_excursion(
            0,
            [reach(1, 10, 3, 1), reach(2, 13, 5, -1), reach(-1, 18, 2, 1)],
        );
        let e = *ir.excursion(id);
        assert_eq!((e.lo, e.hi), (-2, 3));
        // The left stretch only counts from offset -1 on (bytes 16 and 17).
        assert_eq!(
            ir.reaches_of(id),
            &[reach(1, 10, 3, 1), reach(-1, 16, 2, -1)]
        );
    }

    #[test]
    fn reach_records_are_12_bytes_and_keep_count_and_direction() {
        // A dense program holds a record for every few commands: the layout is the point.
        assert_eq!(size_of::<Reach>(), 12);
        let left = reach(-1, 7, 3, -1);
        assert_eq!(
            (left.count(), left.dir(), left.moves, left.last()),
            (3, -1, -3, -3)
        );
        let right = reach(1, 7, i32::MAX as u32, 1);
        assert_eq!((right.count(), right.dir()), (i32::MAX as u32, 1));
        // Trimming keeps the direction: of `<<<` from offset -1, only -3 is beyond -2.
        assert_eq!(left.beyond(-2, 0), Some(reach(-3, 9, 1, -1)));
        assert_eq!(left.beyond(-3, 0), None);
    }

    #[test]
    fn check_failure_names_the_first_move_off_the_tape() {
        let mut ir = Ir::default();
        let id = ir.add_excursion(0, [reach(1, 10, 3, 1), reach(2, 13, 5, -1)]);
        // Tape of 5 cells. At p=2 the third `>` (byte 12) reaches cell 5.
        assert_eq!(ir.check_failure(id, 2, 5), Some((12, Side::Right)));
        // At p=1 the right side fits (cell 4) and offset -2 (byte 17) is cell -1.
        assert_eq!(ir.check_failure(id, 1, 5), Some((17, Side::Left)));
        // At p=0 offset -1 (byte 16) is already off the tape.
        assert_eq!(ir.check_failure(id, 0, 5), Some((16, Side::Left)));
        assert_eq!(ir.check_failure(id, 1, 6), Some((17, Side::Left)));
        assert_eq!(ir.check_failure(id, 2, 6), None);
    }
}
