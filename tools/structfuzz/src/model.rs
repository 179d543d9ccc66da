//! The reference semantics: a step-bounded interpreter of the Brainfuck *source*.
//!
//! It shares nothing with jitbf (no parser, no IR, no interpreter), so that a bug in those
//! cannot hide itself by being on both sides of the comparison. It is written for speed
//! only as far as that stays obviously right: consecutive identical commands are one step
//! (`+++` adds 3, `>>>` moves 3), everything else is one command at a time.
//!
//! The semantics (README, "Semantics"): cells wrap at their width; the pointer starts at
//! cell 0; a `<` or `>` that leaves `0..tape` ends the run with an error naming that very
//! byte, even if nothing is read or written there; `,` at end of input follows the EOF mode;
//! `.` writes the low 8 bits.

use std::fmt;

use jitbf::{Eof, Side};

use crate::case::Case;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The program ran to its end.
    Ok,
    /// A move left the tape: which end, and the source byte offset of that `<` or `>`.
    OutOfRange(Side, u32),
    /// Anything else (an internal error, a failed setup, a compile error, a panic): never
    /// right, since the model has no such ending.
    Other(String),
}

/// What a run produced: the output bytes and how it ended.
#[derive(Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Every byte written, including those written before an error.
    pub output: Vec<u8>,
    /// How the run ended.
    pub ending: Ending,
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ending {
            Ending::Ok => f.write_str("ok")?,
            Ending::OutOfRange(side, pos) => write!(f, "{side:?} end left at byte {pos}")?,
            Ending::Other(msg) => write!(f, "error: {msg}")?,
        }
        write!(f, ", output b\"{}\"", self.output.escape_ascii())
    }
}

/// One step of the model: a run of identical commands, or a bracket.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `+`/`-` runs, as an amount to add modulo 2^32 (masked to the cell width).
    Add(u32),
    /// `>`/`<` runs: the distance (negative is left), and the source offset of the first
    /// command of the run (the run has no other bytes in between).
    Move(i64, u32),
    Out,
    In,
    /// `[`, with the index of its `]`.
    Open(u32),
    /// `]`, with the index of its `[`.
    Close(u32),
    /// `[-]` (`down`) or `[+]`: the loop runs until the cell is 0. Computed at once, and
    /// counted as one step; its iterations are counted apart ([`Cost::literal`]), since
    /// the executors at `-O0` run them all.
    Clear {
        down: bool,
    },
}

/// The program does not parse: brackets are unbalanced. The generator never makes such
/// programs; the shrinker may try one, and then it is simply not a candidate.
#[derive(Debug, PartialEq, Eq)]
pub struct Unbalanced;

fn compile(src: &[u8]) -> Result<Vec<Step>, Unbalanced> {
    let mut steps: Vec<Step> = Vec::new();
    let mut open = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        let run = src[i..].iter().take_while(|&&b| b == c).count();
        match c {
            b'+' | b'-' => {
                let n = run as u32; // wraps for absurd runs, as the cell would
                steps.push(Step::Add(if c == b'+' { n } else { n.wrapping_neg() }));
            }
            b'>' | b'<' => {
                let n = run as i64;
                steps.push(Step::Move(if c == b'>' { n } else { -n }, i as u32));
            }
            b'.' => steps.extend(std::iter::repeat_n(Step::Out, run)),
            b',' => steps.extend(std::iter::repeat_n(Step::In, run)),
            b'[' => {
                for _ in 0..run {
                    open.push(steps.len());
                    steps.push(Step::Open(0));
                }
            }
            b']' => {
                for _ in 0..run {
                    let j = open.pop().ok_or(Unbalanced)?;
                    steps[j] = Step::Open(steps.len() as u32);
                    steps.push(Step::Close(j as u32));
                }
            }
            _ => {}
        }
        i += run;
    }
    if !open.is_empty() {
        return Err(Unbalanced);
    }
    // `[-]` and `[+]` become one step. The indices of brackets stay valid: the three steps
    // are replaced by a `Clear` and two no-op moves.
    for i in 0..steps.len().saturating_sub(2) {
        if let [Step::Open(_), Step::Add(n), Step::Close(_)] = steps[i..i + 3]
            && (n == 1 || n == u32::MAX)
        {
            steps[i] = Step::Clear {
                down: n == u32::MAX,
            };
            steps[i + 1] = Step::Move(0, 0);
            steps[i + 2] = Step::Move(0, 0);
        }
    }
    Ok(steps)
}

/// The result of running the model.
#[derive(Debug, PartialEq, Eq)]
pub enum Run {
    /// The program ended (normally or by leaving the tape) within the step budget.
    Done(Outcome),
    /// Still running after the budget: skipped, since the JIT cannot be interrupted.
    OutOfFuel,
    /// Unbalanced brackets.
    Unbalanced,
}

/// What a run cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Steps, counting a clear loop as one: what bounds the running time of code in which
    /// clear loops are stores (jitbf at `-O1` and `-O2`).
    pub steps: u64,
    /// Steps, counting every iteration of a clear loop: what bounds the running time of
    /// the literal program (jitbf at `-O0`). May exceed the budget.
    pub literal: u64,
}

/// Runs `case` for at most `fuel` steps (clear loops counted as one step).
pub fn run(case: &Case, fuel: u64) -> Run {
    run_counted(case, fuel).0
}

/// [`run`], also returning what it cost.
pub fn run_counted(case: &Case, budget: u64) -> (Run, Cost) {
    let mut fuel = budget;
    // Iterations of clear loops beyond their one step.
    let mut extra: u64 = 0;
    let Ok(steps) = compile(&case.source) else {
        return (Run::Unbalanced, Cost::default());
    };
    let mask = case.cells.max();
    let cells = case.tape as i64;
    // Cells at and past `tape.len()` are 0; the vector grows only when a cell there is
    // written, so a far move that touches nothing costs nothing.
    let mut tape: Vec<u32> = Vec::new();
    let mut output = Vec::new();
    let mut input = case.input.iter();
    let (mut p, mut pc): (i64, usize) = (0, 0);
    let get = |tape: &[u32], p: i64| tape.get(p as usize).copied().unwrap_or(0);
    let set = |tape: &mut Vec<u32>, p: i64, v: u32| {
        let p = p as usize;
        if p >= tape.len() {
            tape.resize(p + 1, 0);
        }
        tape[p] = v;
    };
    let ending = loop {
        let Some(&step) = steps.get(pc) else {
            break Ending::Ok;
        };
        if fuel == 0 {
            let cost = Cost {
                steps: budget,
                literal: budget.saturating_add(extra),
            };
            return (Run::OutOfFuel, cost);
        }
        fuel -= 1;
        match step {
            Step::Add(n) => {
                let v = get(&tape, p).wrapping_add(n) & mask;
                set(&mut tape, p, v);
            }
            Step::Move(d, pos) => {
                let to = p + d;
                if to < 0 {
                    // The `<` that leaves is the (p+1)-th of the run.
                    break Ending::OutOfRange(Side::Left, pos + p as u32);
                }
                if to >= cells {
                    break Ending::OutOfRange(Side::Right, pos + (cells - 1 - p) as u32);
                }
                p = to;
            }
            Step::Out => output.push(get(&tape, p) as u8),
            Step::In => {
                let v = match (input.next(), case.eof) {
                    (Some(&b), _) => Some(u32::from(b)),
                    (None, Eof::Zero) => Some(0),
                    (None, Eof::Max) => Some(mask),
                    (None, Eof::Unchanged) => None,
                };
                if let Some(v) = v {
                    set(&mut tape, p, v);
                }
            }
            Step::Open(end) => {
                if get(&tape, p) == 0 {
                    pc = end as usize;
                }
            }
            Step::Close(start) => {
                if get(&tape, p) != 0 {
                    pc = start as usize;
                }
            }
            Step::Clear { down } => {
                let v = get(&tape, p);
                // Iterations until 0: v going down, 2^width - v going up.
                let n = if down || v == 0 { v } else { mask - v + 1 };
                extra += u64::from(n);
                set(&mut tape, p, 0);
                pc += 2;
            }
        }
        pc += 1;
    };
    let cost = Cost {
        steps: budget - fuel,
        literal: budget - fuel + extra,
    };
    (Run::Done(Outcome { output, ending }), cost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jitbf::CellBits;

    fn case(src: &str, cells: CellBits, eof: Eof, tape: usize, input: &[u8]) -> Case {
        Case {
            cells,
            eof,
            tape,
            input: input.to_vec(),
            source: src.as_bytes().to_vec(),
        }
    }

    fn done(c: &Case) -> Outcome {
        match run(c, 1_000_000) {
            Run::Done(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cells_wrap_at_their_width() {
        let c = |bits| case("-.[-]-[>+<-]>[.[-]]", bits, Eof::Zero, 8, b"");
        // 8 bits: 0 - 1 = 255; the copy is 255, printed as ff.
        assert_eq!(done(&c(CellBits::U8)).output, b"\xff\xff");
        // 16 bits: the low byte is still ff, the copy loop runs 65535 times.
        assert_eq!(done(&c(CellBits::U16)).output, b"\xff\xff");
        let wide = case(",+[>+<[-]]>.", CellBits::U16, Eof::Zero, 4, b"\xff");
        // 255 + 1 = 256 is not zero at 16 bits.
        assert_eq!(done(&wide).output, b"\x01");
        let narrow = Case {
            cells: CellBits::U8,
            ..wide
        };
        assert_eq!(done(&narrow).output, b"\x00");
    }

    #[test]
    fn leaving_the_tape_names_the_byte_that_left() {
        // Tape of 3 cells: `>>` reaches cell 2; the third `>` (byte 4, after "x ") leaves.
        let c = case("x >>>>.", CellBits::U8, Eof::Zero, 3, b"");
        assert_eq!(done(&c).ending, Ending::OutOfRange(Side::Right, 4));
        // From cell 2, the third `<` of the run leaves on the left.
        let c = case(">>+<<<<", CellBits::U8, Eof::Zero, 8, b"");
        assert_eq!(done(&c).ending, Ending::OutOfRange(Side::Left, 5));
        // A move out and straight back is still an error.
        let c = case("<>", CellBits::U8, Eof::Zero, 8, b"");
        assert_eq!(done(&c).ending, Ending::OutOfRange(Side::Left, 0));
        // Output before the error is kept.
        let c = case("+.<", CellBits::U8, Eof::Zero, 8, b"");
        assert_eq!(done(&c).output, b"\x01");
        // Positions count comment bytes.
        let c = case("[-]x\n[+]  <", CellBits::U8, Eof::Zero, 8, b"");
        assert_eq!(done(&c).ending, Ending::OutOfRange(Side::Left, 10));
    }

    #[test]
    fn clear_loops_are_one_step_and_their_iterations_counted_apart() {
        let ok = |output: &[u8]| {
            Run::Done(Outcome {
                output: output.to_vec(),
                ending: Ending::Ok,
            })
        };
        let cost = |steps, literal| Cost { steps, literal };
        // `-`, then `[-]` from 65535, then `.`.
        let c = case("-[-].", CellBits::U16, Eof::Zero, 4, b"");
        assert_eq!(run_counted(&c, 100), (ok(b"\0"), cost(3, 3 + 65535)));
        // `[+]` from 5 counts up 65531 times.
        let c = case("+++++[+].", CellBits::U16, Eof::Zero, 4, b"");
        assert_eq!(run_counted(&c, 100), (ok(b"\0"), cost(3, 3 + 65531)));
        // On 0 it costs its one step.
        let c = case("[+].", CellBits::U32, Eof::Zero, 1, b"");
        assert_eq!(run_counted(&c, 10), (ok(b"\0"), cost(2, 2)));
        // Four billion iterations.
        let c = case("-[-]", CellBits::U32, Eof::Zero, 1, b"");
        assert_eq!(
            run_counted(&c, 10),
            (ok(b""), cost(2, 2 + u64::from(u32::MAX)))
        );
        // `[-+]` is not a clear loop: on 1 it never ends.
        let c = case("+[-+]", CellBits::U8, Eof::Zero, 1, b"");
        assert_eq!(run(&c, 100_000), Run::OutOfFuel);
    }

    #[test]
    fn far_moves_cost_nothing_and_budget_stops_endless_loops() {
        let n = 3_000_000;
        let src = format!("+{}+.{}.", ">".repeat(n), "<".repeat(n));
        assert_eq!(
            done(&case(&src, CellBits::U32, Eof::Zero, n + 1, b"")).output,
            b"\x01\x01"
        );
        assert_eq!(
            run(&case("+[]", CellBits::U8, Eof::Zero, 1, b""), 1000),
            Run::OutOfFuel
        );
        assert_eq!(
            run(&case("[[]", CellBits::U8, Eof::Zero, 1, b""), 1000),
            Run::Unbalanced
        );
        assert_eq!(
            run(&case("]", CellBits::U8, Eof::Zero, 1, b""), 1000),
            Run::Unbalanced
        );
    }
}
