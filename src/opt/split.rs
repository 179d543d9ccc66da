//! Optimizing a large program on two cores: the source is cut in two pieces that are parsed
//! and optimized at the same time, each on its own thread, and joined again.
//!
//! # Where to cut
//!
//! A piece must be a program of its own, with its brackets balanced, so the cut takes a
//! *balanced range* out of the middle of the source: `src[start..end]` begins with a `[`,
//! ends with a `]`, and its brackets match among themselves (a run of whole loops, side by
//! side, at one nesting depth). That range is the **inner** piece; the rest of the source,
//! with a *hole* where the range was, is the **outer** piece. A cut at nesting depth 0 would
//! be simpler, but large programs often are one loop around everything (lostkng.b's
//! main loop spans the whole 2.2 MB source): the hole can be anywhere, inside loops too.
//!
//! [`find_cut`] looks only at the middle half of the source (a quick scan of its brackets):
//! it takes the lowest nesting depth reached there, and cuts from the first loop that opens
//! at that depth to the end of the last one that closes at it. Whether the whole source
//! balances is left to the two parsers: if either piece does not parse, the program is
//! parsed again whole, in one piece, so that the error reported is exactly the one the
//! sequential parser reports.
//!
//! # Why a piece starts from nothing known
//!
//! The known-value pass ([`super::known`]) starts from what is true at the start of every
//! program: the tape all zero, the pointer at cell 0. The inner piece does not start at the
//! start of the program, so it must assume nothing, and the outer piece must assume nothing
//! about what the hole does. Rather than teach every pass about pieces, each piece is given
//! a few extra instructions, *markers* (their span is [`MARK`], which no source position
//! has), that every pass already treats conservatively, and that are taken out again after
//! the passes:
//!
//! * the hole in the outer piece is `#` `,` `[>]` `,` (a tape dump, input, a scan, input).
//!   The dump reads every cell and shows the pointer, so nothing before the hole may be
//!   dropped or left pending (dead-store elimination keeps every store, the fold writes out
//!   all pending arithmetic and closes its bounds-check window); the scan moves the pointer by
//!   an unknown distance, so after it nothing is known about any cell or about where the
//!   pointer is (no bounds check after the hole is decided at compile time); the input before
//!   it keeps the scan from being deleted (its cell is not known to be 0), and the input after
//!   it makes its cell unknown again (a scan leaves its cell at 0, the hole need not). No
//!   compile-time run goes through input or a dump.
//! * the inner piece starts with `,` `[>]` `,` (the entry: nothing is known) and ends with `#`
//!   (every cell may be read after it, so its end is not the program's end: no store is
//!   dead there, no arithmetic is left pending).
//!
//! After the passes, `splice` finds each hole (a pass may have copied it, peeling a loop's
//! first iteration, or deleted it, with a loop that never runs) and puts the inner piece's
//! code there, with the source positions, check ids and print bytes of the inner piece moved
//! past the outer piece's. The markers must come out of the passes in exactly the shape they
//! went in (the fold moves pointer moves into offsets, so the hole's `#` says where the
//! program's pointer is, and the inner piece's closing `#` too: two moves put the pointer
//! where each piece expects it); if anything else is found the program is optimized again
//! in one piece. Then [`super::compact`] runs on the whole.
//!
//! # What is lost at the seam, and why the output stays the same
//!
//! The pieces are optimized as if unknown code ran at the hole: values known before the
//! hole are not known after it or inside the inner piece, stores before the hole are kept,
//! checks are not merged across it, a loop around the hole is not run at compile time. That
//! only makes the code slower, never different in effect: what any pass may conclude across
//! the markers (nothing about any cell or about where the pointer is after them; every cell
//! possibly read at them; input that is never run at compile time) is true whatever code
//! stands in their place, and they are taken out before the code runs. The source positions
//! of the pieces' instructions are those of the source, so every bounds check names the same
//! `<` or `>`. So output, exit status and the position named by every error are those of
//! the sequential pipeline, at every level (`tests/split.rs` cuts test programs at every
//! loop and compares them with the interpreter; the structured fuzzer cuts each generated
//! program at a loop chosen by its hash).
//!
//! On lostkng.b (2.2 MB, cut at 25% and 69% of the source, inside its main loop) the
//! seam costs 11 IR instructions and 48 bytes of machine code (456,298 instead of 456,250):
//! the first lines of the inner piece no longer know the cells the code before them set (a
//! multiply of known values stays a multiply, two bounds checks stay), and the inner piece
//! works relative to the program's pointer at the seam, one cell from where the outer piece
//! had it (a `p += 1` before it and a `p += -1` after it).
//!
//! # Budgets and threads
//!
//! The known-value pass analyses at most [`super::KNOWN_BUDGET`] instructions *of each
//! piece* (the budget bounds the time of one thread), and its compile-time runs have their
//! step budget per piece too. Sources shorter than [`SPLIT_MIN`] bytes are never cut: no
//! thread is started for them. `--stats` shows wall time: *parse* from the start (the scan
//! for the cut included) until the later of the two pieces is parsed, *optimize* the rest
//! (the passes of the piece parsed first overlap the other's parse), and says in how many
//! pieces on how many threads. The cut does not depend on the machine (the same source gives
//! the same code everywhere); if the second thread cannot be started, the inner piece runs on
//! the calling thread after the outer one.

use std::time::Instant;

use super::{Optimized, compact, fold, passes};
use crate::Config;
use crate::ir::{CheckId, Instr, Ir, Op, Reach, Span};
use crate::parse::{Emit, ParseError};

/// Smallest source (in bytes) that [`Split::Auto`] cuts in two. Below it, starting a thread
/// costs more than it saves (a 256 KB source takes a few milliseconds to compile; a thread
/// costs tens of microseconds), and every program of the usual sizes compiles exactly as
/// it does on one core.
pub const SPLIT_MIN: usize = 256 << 10;

/// Whether [`super::parse_and_optimize_split`] cuts the program in two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Split {
    /// Cut sources of at least [`SPLIT_MIN`] bytes ([`find_cut`]); `-O0` is never cut.
    #[default]
    Auto,
    /// Never cut.
    Never,
    /// Cut out `src[start..end]` as the inner piece (at any size, for tests): it must begin
    /// with `[` and end with `]` and be balanced, otherwise the program is not cut.
    At {
        /// First byte of the inner piece (a `[`).
        start: u32,
        /// One past its last byte (a `]`).
        end: u32,
    },
}

/// The span of the marker instructions (see the module docs).
pub const MARK: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};

/// Bytes [`find_cut`] counts the brackets of at a time.
const CUT_CHUNK: usize = 64;

/// The inner piece `start..end` that [`Split::Auto`] cuts out of `src`, if any: the widest
/// balanced run of loops at the lowest nesting depth reached in the middle half of the source,
/// if it is at least an eighth of the source. (Balance is relative to the start of the middle
/// half: whether the whole source balances, the parsers check.)
pub fn find_cut(src: &[u8]) -> Option<(u32, u32)> {
    let n = src.len();
    let (lo, hi) = (n / 4, n - n / 4);
    // The lowest depth so far, the first `[` that opens from it and the end of the last `]`
    // that closes to it after that `[`.
    let (mut depth, mut min) = (0i64, i64::MAX);
    let (mut first, mut last) = (None, None);
    let mut at = lo;
    for chunk in src[lo..hi].chunks(CUT_CHUNK) {
        let (opens, closes) = (count(chunk, b'['), count(chunk, b']'));
        // A chunk whose depth cannot come down to the lowest depth changes nothing but the
        // depth (most chunks: the scan is mostly this vectorized counting).
        if depth - closes > min {
            depth += opens - closes;
            at += chunk.len();
            continue;
        }
        for (k, word) in chunk.chunks(8).enumerate() {
            // Eight bytes without a bracket (most of them) are skipped whole.
            if let Ok(w) = <[u8; 8]>::try_from(word)
                && !has_bracket(u64::from_le_bytes(w))
            {
                continue;
            }
            for (i, &b) in word.iter().enumerate() {
                let pos = at + 8 * k + i;
                match b {
                    b'[' => {
                        if depth < min {
                            (min, first, last) = (depth, Some(pos), None);
                        } else if depth == min && first.is_none() {
                            first = Some(pos);
                        }
                        depth += 1;
                    }
                    b']' => {
                        depth -= 1;
                        if depth < min {
                            (min, first, last) = (depth, None, None);
                        } else if depth == min && first.is_some() {
                            last = Some(pos + 1);
                        }
                    }
                    _ => {}
                }
            }
        }
        at += chunk.len();
    }
    let (first, last) = (first?, last?);
    (last - first >= n / 8).then_some((first as u32, last as u32))
}

/// How many bytes of `chunk` (at most 255 bytes long) are `c`: written so that the compiler
/// makes it a few vector instructions.
#[inline]
fn count(chunk: &[u8], c: u8) -> i64 {
    let mut n = 0u8;
    for &b in chunk {
        n = n.wrapping_add(u8::from(b == c));
    }
    i64::from(n)
}

/// True if one of the eight bytes of `w` is `[` or `]` (a byte of `w ^ copies` is 0 where
/// `w` has the byte copied: the classic test for a zero byte, borrowing into its top bit).
#[inline]
fn has_bracket(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & TOPS != 0;
    zero(w ^ (ONES * u64::from(b'['))) || zero(w ^ (ONES * u64::from(b']')))
}

/// The cut for `split`, if the program is to be cut.
fn cut(src: &[u8], config: &Config, split: Split) -> Option<(u32, u32)> {
    if config.opt_level == super::OptLevel::O0 || src.len() >= u32::MAX as usize - 1 {
        return None;
    }
    match split {
        Split::Never => None,
        Split::Auto => (src.len() >= SPLIT_MIN).then(|| find_cut(src)).flatten(),
        Split::At { start, end } => {
            let (s, e) = (start as usize, end as usize);
            (s < e && e <= src.len() && src[s] == b'[' && src[e - 1] == b']')
                .then_some((start, end))
        }
    }
}

/// What one piece's thread hands back.
struct Piece {
    ir: Ir,
    /// Instructions the parser produced, markers included.
    consumed: usize,
    /// When its parse (and first fold) ended.
    parsed: Instant,
    unanalysed_ops: usize,
}

/// Instructions the parser-side markers count as: the hole (`#` `,` `[` `>` `]` `,`, where
/// `>` is a check and a move) and the inner piece's entry and end.
const HOLE_OPS: usize = 7;
const ENTRY_END_OPS: usize = 7;

/// [`super::parse_and_optimize`] with the program cut as `split` says (see the module docs):
/// `None` when it is not cut, or when the pieces do not come back as they should (the caller
/// then does it in one piece).
pub(super) fn parse_and_optimize_cut(
    src: &[u8],
    config: &Config,
    split: Split,
) -> Option<Optimized> {
    // The phases' times count from before the scan for the cut (`--stats` shows wall time).
    let start = Instant::now();
    let (s, e) = cut(src, config, split)?;
    let fuse = super::first_fold(config.opt_level)?;
    let inner_src = &src[s as usize..e as usize];
    let inner_job = || piece(Part::Inner(inner_src), config, fuse);
    let outer_job = || {
        let (before, after) = (&src[..s as usize], &src[e as usize..]);
        piece(Part::Outer { before, after }, config, fuse)
    };
    let (outer, inner, threads) = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("jitbf-opt".into())
            .stack_size(8 << 20)
            .spawn_scoped(scope, inner_job);
        let outer = outer_job();
        match spawned {
            Ok(handle) => {
                let inner = handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (outer, inner, 2)
            }
            Err(_) => (outer, inner_job(), 1),
        }
    });
    let (outer, inner) = (outer?, inner?);
    let parsed = outer.parsed.max(inner.parsed);
    let literal_ops = (outer.consumed + inner.consumed).checked_sub(HOLE_OPS + ENTRY_END_OPS)?;
    let unanalysed_ops = outer.unanalysed_ops + inner.unanalysed_ops;
    let ir = splice(outer.ir, inner.ir, s, e)?;
    let ir = compact(ir);
    let parse_time = parsed - start;
    Some(Optimized {
        ir,
        literal_ops,
        parse_time,
        optimize_time: start.elapsed().saturating_sub(parse_time),
        unanalysed_ops,
        pieces: 2,
        threads,
    })
}

/// The source of a piece.
#[derive(Clone, Copy)]
enum Part<'a> {
    /// The inner piece's.
    Inner(&'a [u8]),
    /// The outer piece's: the source before the inner piece, then the source after it,
    /// parsed as one source with a `,` between them where the inner piece was
    /// ([`crate::parse::parse_around_into_with`], without putting them together in memory).
    /// The `,` is a command of its own, so the runs of commands on either side stay apart,
    /// as the brackets it replaces kept them; [`Holed`] turns it into the hole's markers.
    Outer { before: &'a [u8], after: &'a [u8] },
}

/// Parses and optimizes one piece. `None` when it does not parse.
fn piece(part: Part, config: &Config, fuse: fold::Fuse) -> Option<Piece> {
    let len = match part {
        Part::Inner(src) => src.len(),
        Part::Outer { before, after } => before.len() + 1 + after.len(),
    };
    let mut folder = fold::Folder::new(super::folded_output(len)).fusing(fuse);
    let parsed: Result<(), ParseError> = match part {
        Part::Outer { before, after } => {
            let mut holed = Holed {
                folder: &mut folder,
                at: before.len() as u32,
            };
            crate::parse::parse_around_into_with(before, after, config.debug, &mut holed)
        }
        Part::Inner(src) => entry(&mut folder)
            .map_err(|_| super::out_of_memory())
            .and_then(|()| crate::parse::parse_into_with(src, config.debug, &mut folder))
            .and_then(|()| {
                folder
                    .instr(Op::Debug { off: 0 }, MARK)
                    .map_err(|_| super::out_of_memory())
            }),
    };
    parsed.ok()?;
    let consumed = folder.consumed();
    let mut ir = folder.finish();
    let parsed = Instant::now();
    let unanalysed_ops = super::run_steps(&mut ir, config, &passes(config.opt_level)[1..]).ok()?;
    Some(Piece {
        ir,
        consumed,
        parsed,
        unanalysed_ops,
    })
}

/// The inner piece's entry markers: `,` `[>]` `,` (see the module docs).
fn entry(out: &mut impl Emit) -> Room {
    out.instr(Op::In { off: 0 }, MARK)?;
    out.open(MARK)?;
    out.moves(Reach::new(1, 0, 1, 1), 1, MARK)?;
    out.close(MARK)?;
    out.instr(Op::In { off: 0 }, MARK)
}

/// The parser's output for the outer piece, with the hole's markers in place of the `,`
/// between the two parts of [`Part::Outer`], at source byte `at`. Everything else goes
/// straight to the folder.
struct Holed<'a> {
    folder: &'a mut fold::Folder,
    at: u32,
}

type Room = Result<(), std::collections::TryReserveError>;

// (Each method always inlined: the outer piece is parsed in two parts, and with the parser's
// loop in two places the compiler no longer inlined them by itself: a call per command run.)
impl Emit for Holed<'_> {
    #[inline(always)]
    fn instr(&mut self, op: Op, span: Span) -> Room {
        if span.start == self.at && op == (Op::In { off: 0 }) {
            self.folder.instr(Op::Debug { off: 0 }, MARK)?;
            return entry(self.folder);
        }
        self.folder.instr(op, span)
    }

    #[inline(always)]
    fn check(&mut self, reach: Reach, span: Span) -> Room {
        self.folder.check(reach, span)
    }

    #[inline(always)]
    fn add(&mut self, val: u32, span: Span) -> Room {
        self.folder.add(val, span)
    }

    #[inline(always)]
    fn moves(&mut self, reach: Reach, delta: i32, span: Span) -> Room {
        self.folder.moves(reach, delta, span)
    }

    #[inline(always)]
    fn open(&mut self, span: Span) -> Room {
        self.folder.open(span)
    }

    #[inline(always)]
    fn close(&mut self, span: Span) -> Room {
        self.folder.close(span)
    }

    #[inline(always)]
    fn clear(&mut self, val: u32, open: Span, run: Span, close: Span) -> Room {
        self.folder.clear(val, open, run, close)
    }
}

/// The length of the entry markers (`,` `[>]` `,` after the passes) at `code[i..]`, with
/// the pointer offset `a` they use: `in p[a]`, the scan (`scan p[a] by 1`, or at `-O1` the
/// loop `while p[a] { check; p += 1 }`), `in p[a]`.
fn entry_len(code: &[Instr], i: usize, a: i32) -> Option<usize> {
    let op = |k: usize| code.get(i + k).filter(|x| x.span == MARK).map(|x| x.op);
    if op(0)? != (Op::In { off: a }) {
        return None;
    }
    let scan = match op(1)? {
        Op::Scan { off, step: 1, .. } if off == a => 1,
        Op::Loop { off } if off == a => {
            matches!(op(2)?, Op::Check(_)).then_some(())?;
            (op(3)? == Op::Move { delta: 1 }).then_some(())?;
            (op(4)? == Op::EndLoop { off: a }).then_some(())?;
            4
        }
        _ => return None,
    };
    (op(1 + scan)? == Op::In { off: a }).then_some(2 + scan)
}

/// The program made of the optimized pieces: the outer piece (its source positions past the
/// hole `start..end` moved back to where they are in the source) with the inner one's code
/// in place of each hole. `None` if the markers did not come through the passes as expected.
///
/// It works in the outer piece's vector: a huge program's two pieces and a joined copy would
/// be three copies of its IR at once, the largest memory peak of its compile. First each hole
/// is shrunk to its `#` (or removed, if nothing is to go there), moving forward; then the
/// vector is grown to its final length and filled from the end, moving backward, so that no
/// instruction is overwritten before it is moved.
fn splice(mut outer: Ir, mut inner: Ir, start: u32, end: u32) -> Option<Ir> {
    // The inner piece: its entry, its body, and its end (`#` at the program's pointer).
    let body_from = entry_len(&inner.code, 0, 0)?;
    let last = inner.code.last()?;
    let Op::Debug { off: b } = last.op else {
        return None;
    };
    (last.span == MARK).then_some(())?;
    let body_end = inner.code.len() - 1;
    // Its check ids, records and print bytes go after the outer piece's; its source
    // positions are counted from `start`.
    let (ids, records, bytes) = (
        outer.excursions.len() as u32,
        outer.reaches.len() as u32,
        outer.bytes.len() as u32,
    );
    for ins in &mut inner.code[body_from..body_end] {
        (ins.span != MARK).then_some(())?;
        ins.op = match ins.op {
            Op::Check(id) => Op::Check(CheckId(id.0 + ids)),
            Op::Scan { off, step, check } => Op::Scan {
                off,
                step,
                check: CheckId(check.0 + ids),
            },
            Op::Print { start: at, len } => Op::Print {
                start: at + bytes,
                len,
            },
            op => op,
        };
        ins.span = Span::new(ins.span.start + start, ins.span.end + start);
    }
    let body = &inner.code[body_from..body_end];
    let moved = |x: u32| if x > start { x - start - 1 + end } else { x };
    for r in &mut outer.reaches {
        r.pos = moved(r.pos);
    }
    outer
        .excursions
        .extend(inner.excursions.iter().map(|e| crate::ir::Excursion {
            first: e.first + records,
            ..*e
        }));
    outer.reaches.extend(inner.reaches.iter().map(|r| Reach {
        pos: r.pos + start,
        ..*r
    }));
    outer.bytes.extend_from_slice(&inner.bytes);
    // What a hole whose program pointer is at `p + a` becomes: a move there, the body, and
    // (the inner piece ends with the pointer at `p + b`, the outer goes on with it at
    // `p + a`) a move back.
    let fill = |a: i32| usize::from(a != 0) + body.len() + usize::from(b != a);
    // Forward: positions moved, each hole down to its `#`, the rest of its markers dropped.
    let code = &mut outer.code;
    let (mut w, mut r, mut grow) = (0, 0, 0);
    while r < code.len() {
        let mut ins = code[r];
        r += 1;
        if ins.span != MARK {
            ins.span = Span::new(moved(ins.span.start), moved(ins.span.end));
        } else {
            // A hole: `#` at the program's pointer (`p + a`), then the entry markers.
            let Op::Debug { off: a } = ins.op else {
                return None;
            };
            r += entry_len(code, r, a)?;
            match fill(a) {
                0 => continue,
                n => grow += n - 1,
            }
        }
        code[w] = ins;
        w += 1;
    }
    // Backward: each `#` left replaced by what fills its hole.
    let filler = Instr {
        op: Op::EndIf,
        span: MARK,
    };
    code.truncate(w);
    code.resize(w + grow, filler);
    let (mut r, mut w) = (w, w + grow);
    let mut put = |code: &mut Vec<Instr>, ins: Instr| {
        w -= 1;
        code[w] = ins;
    };
    let piece = Span::new(start, end);
    while r > 0 {
        r -= 1;
        let ins = code[r];
        if ins.span != MARK {
            put(code, ins);
            continue;
        }
        let Op::Debug { off: a } = ins.op else {
            unreachable!("after the forward pass the only markers are the holes' `#`s");
        };
        if b != a {
            put(
                code,
                Instr {
                    op: Op::Move { delta: b - a },
                    span: piece,
                },
            );
        }
        for &ins in body.iter().rev() {
            put(code, ins);
        }
        if a != 0 {
            put(
                code,
                Instr {
                    op: Op::Move { delta: a },
                    span: piece,
                },
            );
        }
    }
    debug_assert_eq!(w, 0);
    Some(outer)
}
