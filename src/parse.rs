//! The parser: Brainfuck source bytes to [`Ir`].
//!
//! Only the eight commands `+-<>[].,` mean anything; every other byte (any byte at all, UTF-8
//! or not) is a comment. With `--debug` ([`parse_with`]), `#` is a ninth command: a tape dump
//! ([`Op::Debug`]). The parser is a single loop with an explicit stack of open brackets,
//! so it runs in linear time and a million nested loops use heap, not native stack.
//!
//! Its output is the most literal IR: each run of identical, adjacent commands becomes one
//! instruction (`+++` is `Add 3`, `>>` is a `Check` plus `Move 2`), with the source span it came
//! from. Everything cleverer is an optimization pass in [`crate::opt`].

use std::collections::TryReserveError;

use crate::ir::{Instr, Ir, Op, Reach, Span};

/// Why a source could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A `[` with no matching `]`.
    UnmatchedOpen,
    /// A `]` with no matching `[`.
    UnmatchedClose,
    /// The source is 4 GiB or larger (positions are 32-bit).
    TooLarge,
    /// The program's instructions do not fit in the memory available.
    OutOfMemory,
}

/// A parse error and the source byte it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset of the offending bracket (0 for [`ParseErrorKind::TooLarge`]; where the
    /// parser had got to for [`ParseErrorKind::OutOfMemory`]).
    pub pos: u32,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            ParseErrorKind::UnmatchedOpen => "unmatched '[': this loop is never closed",
            ParseErrorKind::UnmatchedClose => "unmatched ']': no loop is open here",
            ParseErrorKind::TooLarge => "source too large: the limit is 4 GiB",
            ParseErrorKind::OutOfMemory => "not enough memory to compile this program",
        })
    }
}

impl std::error::Error for ParseError {}

/// Where the parser delivers the literal IR: into an [`Ir`], or straight into the first
/// optimization pass ([`crate::opt::fold`]) so that the literal IR of a large program never
/// exists in memory as a whole.
///
/// The IR grows with the source (a dense source needs some 24 bytes of IR per command), so a
/// sink asks for memory with `try_reserve` and reports failure instead of aborting the
/// process; the parser turns that into [`ParseErrorKind::OutOfMemory`].
pub trait Emit {
    /// An instruction other than a bounds check.
    fn instr(&mut self, op: Op, span: Span) -> Result<(), TryReserveError>;
    /// The bounds check of a run of moves, which the parser always follows with its `Move`.
    fn check(&mut self, reach: Reach, span: Span) -> Result<(), TryReserveError>;

    /// A run of `+` or `-`: `Add { off: 0, val }`. (A sink may take the commonest commands
    /// without going through [`Op`] and one `match` on it: the parser calls this,
    /// [`Emit::moves`], [`Emit::open`], [`Emit::close`] and [`Emit::clear`] for all but `.`,
    /// `,` and `#`.)
    fn add(&mut self, val: u32, span: Span) -> Result<(), TryReserveError> {
        self.instr(Op::Add { off: 0, val }, span)
    }

    /// A run of `>` or `<`: its bounds check, then `Move { delta }`.
    fn moves(&mut self, reach: Reach, delta: i32, span: Span) -> Result<(), TryReserveError> {
        self.check(reach, span)?;
        self.instr(Op::Move { delta }, span)
    }

    /// A `[`: `Loop { off: 0 }`.
    fn open(&mut self, span: Span) -> Result<(), TryReserveError> {
        self.instr(Op::Loop { off: 0 }, span)
    }

    /// A `]` that closes a loop: `EndLoop { off: 0 }`.
    fn close(&mut self, span: Span) -> Result<(), TryReserveError> {
        self.instr(Op::EndLoop { off: 0 }, span)
    }

    /// A clear loop written without comments: `[`, a run of `+` or `-` with an odd count
    /// (`Add { off: 0, val }`), `]`, each with its span. The same as [`Emit::open`],
    /// [`Emit::add`] and [`Emit::close`] in turn, which is what it does unless a sink knows
    /// better (the folder turns it into a store without opening a loop).
    fn clear(
        &mut self,
        val: u32,
        open: Span,
        run: Span,
        close: Span,
    ) -> Result<(), TryReserveError> {
        self.open(open)?;
        self.add(val, run)?;
        self.close(close)
    }
}

impl Emit for Ir {
    fn instr(&mut self, op: Op, span: Span) -> Result<(), TryReserveError> {
        self.code.try_reserve(1)?;
        self.code.push(Instr { op, span });
        Ok(())
    }

    fn check(&mut self, reach: Reach, span: Span) -> Result<(), TryReserveError> {
        self.code.try_reserve(1)?;
        self.excursions.try_reserve(1)?;
        self.reaches.try_reserve(1)?;
        let id = self.add_excursion(0, [reach]);
        self.code.push(Instr {
            op: Op::Check(id),
            span,
        });
        Ok(())
    }
}

/// Parses Brainfuck source into IR.
///
/// ```
/// let ir = jitbf::parse::parse(b"+++[>+<-] comment").unwrap();
/// assert_eq!(ir.code[0].op, jitbf::ir::Op::Add { off: 0, val: 3 });
/// ```
pub fn parse(src: &[u8]) -> Result<Ir, ParseError> {
    parse_with(src, false)
}

/// Parses Brainfuck source into IR; with `debug`, each `#` is an [`Op::Debug`].
///
/// ```
/// use jitbf::ir::Op;
/// let ir = jitbf::parse::parse_with(b"+#", true).unwrap();
/// assert_eq!(ir.code[1].op, Op::Debug { off: 0 });
/// assert_eq!(jitbf::parse::parse_with(b"+#", false).unwrap().len(), 1);
/// ```
pub fn parse_with(src: &[u8], debug: bool) -> Result<Ir, ParseError> {
    let mut ir = Ir::default();
    parse_into_with(src, debug, &mut ir)?;
    Ok(ir)
}

/// Parses `src`, delivering the literal IR to `out` in program order. On an error, what was
/// delivered so far is incomplete and should be dropped.
pub fn parse_into(src: &[u8], out: &mut impl Emit) -> Result<(), ParseError> {
    parse_into_with(src, false, out)
}

/// [`parse_into`], with `#` a tape dump when `debug` is set.
pub fn parse_into_with(src: &[u8], debug: bool, out: &mut impl Emit) -> Result<(), ParseError> {
    if src.len() >= u32::MAX as usize {
        return Err(ParseError {
            kind: ParseErrorKind::TooLarge,
            pos: 0,
        });
    }
    // Unclosed `[`: their source positions.
    let mut open: Vec<u32> = Vec::new();
    parse_part(src, 0, debug, &mut open, out)?;
    all_closed(&open)
}

/// [`parse_into_with`] of the source `before`, a `,`, then `after`, without putting them
/// together in memory: the same instructions, with the same positions (counted in that
/// source), as for the three one after the other.
///
/// This is how the outer piece of a program cut in two is parsed ([`crate::opt::split`]:
/// the `,` stands where the inner piece was): a copy of a source of megabytes costs its
/// time and, in memory not touched before, a page fault every 4 KB. Nothing the parser
/// reads spans the `,`: it is a command of its own, and no run of identical commands, nor
/// a clear loop (`[-]`), can go through it.
///
/// ```
/// let (a, b) = (&b"+[>+<"[..], &b"-]"[..]);
/// let mut split = jitbf::ir::Ir::default();
/// jitbf::parse::parse_around_into_with(a, b, false, &mut split).unwrap();
/// assert_eq!(split, jitbf::parse::parse(b"+[>+<,-]").unwrap());
/// ```
pub fn parse_around_into_with(
    before: &[u8],
    after: &[u8],
    debug: bool,
    out: &mut impl Emit,
) -> Result<(), ParseError> {
    let at = before.len();
    if at.saturating_add(1).saturating_add(after.len()) >= u32::MAX as usize {
        return Err(ParseError {
            kind: ParseErrorKind::TooLarge,
            pos: 0,
        });
    }
    let mut open: Vec<u32> = Vec::new();
    parse_part(before, 0, debug, &mut open, out)?;
    let at = at as u32;
    out.instr(Op::In { off: 0 }, Span::new(at, at + 1))
        .map_err(|_| ParseError {
            kind: ParseErrorKind::OutOfMemory,
            pos: at,
        })?;
    parse_part(after, at + 1, debug, &mut open, out)?;
    all_closed(&open)
}

/// The error for the brackets still open at the end of the source, if any: the innermost.
fn all_closed(open: &[u32]) -> Result<(), ParseError> {
    match open.last() {
        Some(&pos) => Err(ParseError {
            kind: ParseErrorKind::UnmatchedOpen,
            pos,
        }),
        None => Ok(()),
    }
}

/// Parses `src`, a part of a source that starts at its byte `base`, with the brackets
/// `still_open` before it (their positions): delivers its instructions to `out`, and
/// leaves in `still_open` the brackets still open after it. (A part ends between two
/// commands that the parser reads apart: see [`parse_around_into_with`].)
// (Always inlined: into `parse_into_with`, which the start-up of every program runs, and is
// laid out with the code that runs first.)
#[inline(always)]
fn parse_part(
    src: &[u8],
    base: u32,
    debug: bool,
    still_open: &mut Vec<u32>,
    out: &mut impl Emit,
) -> Result<(), ParseError> {
    // (The stack in a local while the loop runs: through the reference, the compiler would
    // load its length from memory at every bracket.)
    let mut open = std::mem::take(still_open);
    let commands = if debug { &COMMANDS_DEBUG } else { &COMMANDS };
    let mut i = 0usize;
    while i < src.len() {
        let b = src[i];
        let start = base + i as u32;
        let out_of_memory = |_| ParseError {
            kind: ParseErrorKind::OutOfMemory,
            pos: start,
        };
        let one = Span::new(start, start + 1);
        match b {
            b'+' | b'-' => {
                let j = run_end(src, i);
                let n = (j - i) as u32;
                i = j;
                let val = if b == b'+' { n } else { n.wrapping_neg() };
                out.add(val, Span::new(start, base + j as u32))
                    .map_err(out_of_memory)?;
            }
            b'>' | b'<' => {
                let j = run_end(src, i);
                let n = (j - i) as u32;
                i = j;
                let dir: i8 = if b == b'>' { 1 } else { -1 };
                let reach = Reach::new(i32::from(dir), start, n, dir);
                out.moves(
                    reach,
                    i32::from(dir) * n as i32,
                    Span::new(start, base + j as u32),
                )
                .map_err(out_of_memory)?;
            }
            b'[' if matches!(src.get(i + 1), Some(b'+' | b'-')) => {
                // `[-]` (or `[+]`, or any odd run between brackets with nothing else) is
                // delivered in one call: a sink that folds it need not open a loop for it.
                let j = run_end(src, i + 1);
                let n = (j - (i + 1)) as u32;
                if n % 2 == 1 && src.get(j) == Some(&b']') {
                    let val = if src[i + 1] == b'+' {
                        n
                    } else {
                        n.wrapping_neg()
                    };
                    let (j32, run_start) = (base + j as u32, start + 1);
                    let run = Span::new(run_start, j32);
                    let close = Span::new(j32, j32 + 1);
                    i = j + 1;
                    out.clear(val, one, run, close).map_err(out_of_memory)?;
                } else {
                    open.try_reserve(1).map_err(out_of_memory)?;
                    open.push(start);
                    i += 1;
                    out.open(one).map_err(out_of_memory)?;
                }
            }
            b'[' => {
                open.try_reserve(1).map_err(out_of_memory)?;
                open.push(start);
                i += 1;
                out.open(one).map_err(out_of_memory)?;
            }
            b']' => {
                if open.pop().is_none() {
                    return Err(ParseError {
                        kind: ParseErrorKind::UnmatchedClose,
                        pos: start,
                    });
                }
                i += 1;
                out.close(one).map_err(out_of_memory)?;
            }
            b'.' | b',' | b'#' if commands[usize::from(b)] => {
                let op = match b {
                    b'.' => Op::Out { off: 0 },
                    b',' => Op::In { off: 0 },
                    _ => Op::Debug { off: 0 },
                };
                i += 1;
                out.instr(op, one).map_err(out_of_memory)?;
            }
            _ => {
                // A comment: skip to the next command in one tight loop.
                i += 1;
                while i < src.len() && !commands[usize::from(src[i])] {
                    i += 1;
                }
            }
        }
    }
    *still_open = open;
    Ok(())
}

/// Which bytes are commands: the eight of Brainfuck ...
static COMMANDS: [bool; 256] = command_table(b"+-<>[].,");
/// ... and with `--debug`, `#` too.
static COMMANDS_DEBUG: [bool; 256] = command_table(b"+-<>[].,#");

/// A table saying which bytes are in `commands`.
const fn command_table(commands: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut k = 0;
    while k < commands.len() {
        table[commands[k] as usize] = true;
        k += 1;
    }
    table
}

/// The end of the run of identical bytes that starts at `src[start]`, split so that the
/// count fits every offset type: a run is at most `i32::MAX` bytes (longer ones go on as a
/// second run).
#[inline]
fn run_end(src: &[u8], start: usize) -> usize {
    run_end_within(src, start, src.len().min(start + i32::MAX as usize))
}

/// The end of the run of identical bytes that starts at `src[start]`, at most `limit`.
///
/// Runs are compared eight bytes at a time: the bytes of a word that differ from the run's
/// byte are the nonzero bytes of the word XOR eight copies of it, and the first of them (in
/// memory order, so the lowest in a little-endian load) ends the run. Runs in real programs
/// average several bytes (`>>>>>>>>`), and this is the parser's innermost loop.
#[inline]
fn run_end_within(src: &[u8], start: usize, limit: usize) -> usize {
    let src = &src[..limit];
    let b = src[start];
    let copies = u64::from_ne_bytes([b; 8]);
    let mut j = start + 1;
    while let Some(word) = src.get(j..j + 8) {
        let diff = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ copies;
        if diff != 0 {
            return j + (diff.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < src.len() && src[j] == b {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(src: &str) -> Vec<Op> {
        parse(src.as_bytes())
            .unwrap()
            .code
            .iter()
            .map(|i| i.op)
            .collect()
    }

    #[test]
    fn runs_of_identical_commands_fold() {
        let ir = parse(b"+++--x>>.").unwrap();
        let got: Vec<Op> = ir.code.iter().map(|i| i.op).collect();
        assert_eq!(got[0], Op::Add { off: 0, val: 3 });
        assert_eq!(
            got[1],
            Op::Add {
                off: 0,
                val: (-2i32) as u32
            }
        );
        assert!(matches!(got[2], Op::Check(_)));
        assert_eq!(got[3], Op::Move { delta: 2 });
        assert_eq!(got[4], Op::Out { off: 0 });
        assert_eq!(ir.code[2].span, Span::new(6, 8));
        assert_eq!(ir.code[4].span, Span::new(8, 9));
    }

    #[test]
    fn runs_end_at_the_first_different_byte_or_the_limit() {
        // Every run length from 1 to 20, ended by another command, a comment or the end.
        for len in 1..=20 {
            for tail in [&b"-"[..], b"x", b""] {
                let src: Vec<u8> = std::iter::repeat_n(b'+', len)
                    .chain(tail.iter().copied())
                    .collect();
                assert_eq!(run_end(&src, 0), len, "{len} then {tail:?}");
                // A limit inside the run ends it there.
                assert_eq!(run_end_within(&src, 0, len.min(3)), len.min(3));
            }
        }
        assert_eq!(run_end(b"x>>>>>>>>>>>>+", 1), 13);
        assert_eq!(run_end_within(b"x>>>>>>>>>>>>+", 1, 14), 13);
    }

    #[test]
    fn comments_split_runs_but_are_otherwise_ignored() {
        assert_eq!(
            ops("+ +\u{e9}\r\n"),
            vec![Op::Add { off: 0, val: 1 }, Op::Add { off: 0, val: 1 }]
        );
        assert!(parse(b"\xff\xfe hello").unwrap().is_empty());
    }

    #[test]
    fn unmatched_brackets_name_the_bracket() {
        let e = parse(b"+[]]").unwrap_err();
        assert_eq!((e.kind, e.pos), (ParseErrorKind::UnmatchedClose, 3));
        // With several unclosed, the innermost one is reported.
        let e = parse(b"[ [ [ ]").unwrap_err();
        assert_eq!((e.kind, e.pos), (ParseErrorKind::UnmatchedOpen, 2));
    }

    #[test]
    fn parsing_around_a_comma_is_parsing_the_three_together() {
        // Every cut of sources whose runs, clear loops, comments and unmatched brackets
        // meet the cut from either side.
        let sources: [&[u8]; 6] = [
            b"++[-]>>[<+>-]<<..",
            b"[+][[-]]+++---<<<>>>",
            b"x+ +\n-[ ]]",
            b"[[[-",
            b"#+#[#]",
            b"",
        ];
        for src in sources {
            for cut in 0..=src.len() {
                for end in cut..=src.len() {
                    let (before, after) = (&src[..cut], &src[end..]);
                    let whole: Vec<u8> = [before, b",", after].concat();
                    for debug in [false, true] {
                        let mut split = Ir::default();
                        let got = parse_around_into_with(before, after, debug, &mut split);
                        let want = parse_with(&whole, debug);
                        match want {
                            Ok(ir) => assert_eq!((got, split), (Ok(()), ir), "{whole:?}"),
                            Err(e) => assert_eq!(got, Err(e), "{whole:?}"),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let n = 1_000_000;
        let src: Vec<u8> = std::iter::repeat_n(b'[', n)
            .chain(std::iter::repeat_n(b']', n))
            .collect();
        let ir = parse(&src).unwrap();
        assert_eq!(ir.len(), 2 * n);
        let partners = ir.partners();
        assert_eq!(partners[0] as usize, 2 * n - 1);
        assert_eq!(partners[n - 1] as usize, n);
    }
}
