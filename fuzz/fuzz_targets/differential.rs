//! Differential fuzzing of jitbf.
//!
//! The contract: for any program, the JIT and the interpreter, at every optimization level,
//! give the same output bytes and the same result (success, or `PointerOutOfRange` with the
//! same side and source position) as the interpreter at `-O0`, the reference semantics.
//!
//! The fuzzer's bytes are decoded (see [`decode`]) into a configuration (cell size, EOF mode,
//! tape size), the program's input, and a program in which every byte becomes a Brainfuck
//! command or a fragment (a run, a clear loop, a scan, a multiply loop, a comment), with the
//! brackets balanced, so that nearly every input is a meaningful program.
//!
//! The JIT cannot be interrupted, so each program is first run by a small step-limited model
//! interpreter written here ([`model`]); programs that do not stop within [`FUEL`] steps are
//! skipped. The model also computes the full expected outcome straight from the source, and
//! that is checked against the reference interpreter too, so a bug in the parser's source
//! positions or in the reference itself is caught as well.
//!
//! On any difference the target panics with the program, the configuration, the input and
//! both outcomes.

#![no_main]

use std::fmt;

use jitbf::{CellBits, Config, Eof, Executor, Io, OptLevel, Program, RuntimeError, Side};
use libfuzzer_sys::fuzz_target;

/// Steps the model may take before a program is deemed not to stop and skipped.
const FUEL: u32 = 100_000;

/// Longest input given to the program.
const MAX_INPUT: usize = 16;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ending {
    Ok,
    /// `PointerOutOfRange`: which side, and the source byte of the move.
    OutOfRange(Side, u32),
    /// Any other error (Internal, Setup, Input, Output): never expected.
    Other(String),
}

/// What a run produced, in a form that can be compared.
#[derive(Clone, PartialEq, Eq)]
struct Outcome {
    output: Vec<u8>,
    ending: Ending,
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} after {} output bytes b\"{}\"",
            self.ending,
            self.output.len(),
            self.output.escape_ascii()
        )
    }
}

fn outcome(io: &mut Io, r: Result<(), RuntimeError>) -> Outcome {
    Outcome {
        output: io.take_output(),
        ending: match r {
            Ok(()) => Ending::Ok,
            Err(RuntimeError::PointerOutOfRange { side, pos, .. }) => Ending::OutOfRange(side, pos),
            Err(other) => Ending::Other(format!("{other} ({other:?})")),
        },
    }
}

/// A decoded fuzz case.
struct Case {
    config: Config,
    input: Vec<u8>,
    source: Vec<u8>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  program ({} bytes): {:?}",
            self.source.len(),
            String::from_utf8_lossy(&self.source)
        )?;
        writeln!(
            f,
            "  config: cell_bits={:?} eof={:?} tape_cells={}",
            self.config.cell_bits, self.config.eof, self.config.tape_cells
        )?;
        write!(
            f,
            "  input ({} bytes): b\"{}\"",
            self.input.len(),
            self.input.escape_ascii()
        )
    }
}

/// Decodes the fuzzer's bytes:
///
/// * byte 0: bits 0-1 cell size (U8, U16, U32, U8), bits 2-3 EOF mode (Unchanged, Zero,
///   Max, Unchanged), bits 4-7 which kind of tape size;
/// * byte 1: the details of the tape size;
/// * byte 2: input length, modulo `MAX_INPUT + 1`, and then that many input bytes;
/// * the rest: the program, one command or fragment per byte (see [`fragment`]).
fn decode(data: &[u8]) -> Case {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let (b0, b1) = (byte(0), byte(1));
    let cell_bits = match b0 & 3 {
        1 => CellBits::U16,
        2 => CellBits::U32,
        _ => CellBits::U8,
    };
    let eof = match (b0 >> 2) & 3 {
        1 => Eof::Zero,
        2 => Eof::Max,
        _ => Eof::Unchanged,
    };
    let d = usize::from(b1);
    let tape_cells = match b0 >> 4 {
        // Tiny tapes: running off the right end is common.
        0..=5 => 1 + d % 64,
        // Small tapes, 1..=300 cells.
        sel @ 6..=8 => 1 + (d + 256 * usize::from(sel - 6)) % 300,
        // A whole number of pages, give or take two cells: page multiples are checked by the
        // guard pages alone, other sizes need explicit checks at the right end.
        9 | 10 => {
            let pages = 1 + (d & 3);
            let exact = pages * 4096 / cell_bits.bytes();
            (exact + (d >> 2) % 5).saturating_sub(2).max(1)
        }
        11 => 1024,
        12 => 4096,
        13 => 1 << 16,
        _ => jitbf::DEFAULT_TAPE_CELLS,
    };
    let input_len = usize::from(byte(2)) % (MAX_INPUT + 1);
    let rest = data.get(3..).unwrap_or(&[]);
    let input_len = input_len.min(rest.len());
    let (input, code) = rest.split_at(input_len);

    // Brackets balanced by dropping unmatched `]` and closing unclosed `[` at the end.
    let mut source = Vec::with_capacity(code.len() * 2);
    let mut depth = 0usize;
    for &b in code {
        for &c in fragment(b).iter() {
            match c {
                b'[' => depth += 1,
                b']' if depth == 0 => continue,
                b']' => depth -= 1,
                _ => {}
            }
            source.push(c);
        }
    }
    source.extend(std::iter::repeat_n(b']', depth));

    Case {
        config: Config {
            cell_bits,
            eof,
            tape_cells,
            opt_level: OptLevel::O0,
            debug: false,
            profile: false,
        },
        input: input.to_vec(),
        source,
    }
}

/// The source text one program byte stands for. The low four bits pick the kind, the high
/// four its parameters.
fn fragment(b: u8) -> Vec<u8> {
    let hi = usize::from(b >> 4);
    let rep = |c: u8, n: usize| vec![c; n];
    match b & 15 {
        0 => b"+".to_vec(),
        1 => b"-".to_vec(),
        2 => b">".to_vec(),
        3 => b"<".to_vec(),
        4 => b".".to_vec(),
        5 => b",".to_vec(),
        6 => b"[".to_vec(),
        7 => b"]".to_vec(),
        // Runs of 2..=17, which the parser and the fold pass merge.
        8 => rep(b'+', 2 + hi),
        9 => rep(b'-', 2 + hi),
        10 => rep(b'>', 2 + hi),
        11 => rep(b'<', 2 + hi),
        // Clear loops.
        12 => match hi & 3 {
            0 => b"[-]".to_vec(),
            1 => b"[+]".to_vec(),
            2 => b"[--]".to_vec(),
            _ => b"[-+-]".to_vec(),
        },
        // Scans, stride 1..=4 either way.
        13 => {
            let dir = if hi & 8 == 0 { b'>' } else { b'<' };
            let mut v = vec![b'['];
            v.extend(rep(dir, 1 + (hi & 3)));
            v.push(b']');
            v
        }
        // Multiply loops: [->>+++<<] and [-<+>] shapes, offset 1..=2 either way, factor
        // 1..=2, sometimes decrementing the target or with the counter decrement last.
        14 => {
            let (there, back) = if hi & 1 == 0 {
                (b'>', b'<')
            } else {
                (b'<', b'>')
            };
            let dist = 1 + ((hi >> 1) & 1);
            let k = 1 + ((hi >> 2) & 1);
            let op = if hi & 8 == 0 { b'+' } else { b'-' };
            let mut v = b"[-".to_vec();
            v.extend(rep(there, dist));
            v.extend(rep(op, k));
            v.extend(rep(back, dist));
            v.push(b']');
            v
        }
        // Comments: they shift source positions, and split runs.
        _ => vec![b" \nx#"[hi & 3]],
    }
}

/// The plain model: a step-limited interpreter of the source text, one command at a time.
/// `None` if the program has not stopped after `fuel` steps; else the outcome, with the
/// source position of the move that left the tape.
fn model(src: &[u8], config: &Config, input: &[u8], mut fuel: u32) -> Option<Outcome> {
    let code: Vec<(u8, u32)> = src
        .iter()
        .enumerate()
        .filter(|(_, b)| b"+-<>[].,".contains(b))
        .map(|(i, &b)| (b, i as u32))
        .collect();
    let mut jump = vec![0usize; code.len()];
    let mut stack = Vec::new();
    for (i, &(c, _)) in code.iter().enumerate() {
        match c {
            b'[' => stack.push(i),
            b']' => {
                let j = stack.pop().expect("balanced");
                jump[i] = j;
                jump[j] = i;
            }
            _ => {}
        }
    }
    assert!(stack.is_empty(), "balanced");
    let mask = config.cell_bits.max();
    // Grows as the pointer moves right: cells past its end are zero.
    let mut tape: Vec<u32> = vec![0; 64.min(config.tape_cells)];
    let mut output = Vec::new();
    let (mut p, mut pc, mut inp) = (0usize, 0usize, input.iter());
    let mut ending = Ending::Ok;
    while pc < code.len() {
        fuel = fuel.checked_sub(1)?;
        let (c, pos) = code[pc];
        match c {
            b'+' => tape[p] = tape[p].wrapping_add(1) & mask,
            b'-' => tape[p] = tape[p].wrapping_sub(1) & mask,
            b'>' if p + 1 == config.tape_cells => {
                ending = Ending::OutOfRange(Side::Right, pos);
                break;
            }
            b'>' => {
                p += 1;
                if p == tape.len() {
                    tape.push(0);
                }
            }
            b'<' if p == 0 => {
                ending = Ending::OutOfRange(Side::Left, pos);
                break;
            }
            b'<' => p -= 1,
            b'.' => output.push(tape[p] as u8),
            b',' => match (inp.next(), config.eof) {
                (Some(&b), _) => tape[p] = u32::from(b),
                (None, Eof::Zero) => tape[p] = 0,
                (None, Eof::Max) => tape[p] = mask,
                (None, Eof::Unchanged) => {}
            },
            b'[' if tape[p] == 0 => pc = jump[pc],
            b']' if tape[p] != 0 => pc = jump[pc],
            _ => {}
        }
        pc += 1;
    }
    Some(Outcome { output, ending })
}

fn program(case: &Case, opt_level: OptLevel) -> Program {
    let config = Config {
        opt_level,
        ..case.config
    };
    Program::new(case.source.as_slice(), &config)
        .unwrap_or_else(|e| panic!("Program::new failed at {opt_level:?}: {e}\n{case:?}"))
}

fn run_interp(program: &Program, input: &[u8]) -> Outcome {
    let mut io = Io::memory(input);
    let r = program.interpreter().run(&mut io);
    outcome(&mut io, r)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn run_jit(program: &Program, input: &[u8], case: &Case) -> Outcome {
    let level = program.config().opt_level;
    let mut jit = program
        .compile()
        .unwrap_or_else(|e| panic!("the JIT failed to compile at {level:?}: {e}\n{case:?}"));
    let mut io = Io::memory(input);
    let r = jit.run(&mut io);
    outcome(&mut io, r)
}

fn mismatch(case: &Case, who: &str, got: &Outcome, reference: &Outcome) -> ! {
    let first_diff = got
        .output
        .iter()
        .zip(&reference.output)
        .position(|(a, b)| a != b)
        .unwrap_or(got.output.len().min(reference.output.len()));
    panic!(
        "MISMATCH: {who} differs from the interpreter at -O0\n{case:?}\n  \
         reference (interpreter -O0): {reference:?}\n  \
         {who}: {got:?}\n  \
         outputs first differ at byte {first_diff}"
    );
}

fn check(case: &Case) {
    let Some(expected) = model(&case.source, &case.config, &case.input, FUEL) else {
        return; // may not stop: the JIT could hang
    };
    let reference = run_interp(&program(case, OptLevel::O0), &case.input);
    if reference != expected {
        panic!(
            "MISMATCH: the interpreter at -O0 differs from the plain model of the source\n\
             {case:?}\n  model: {expected:?}\n  interpreter -O0: {reference:?}"
        );
    }
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
        let program = program(case, level);
        if level != OptLevel::O0 {
            let got = run_interp(&program, &case.input);
            if got != reference {
                mismatch(case, &format!("interpreter {level:?}"), &got, &reference);
            }
        }
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            let got = run_jit(&program, &case.input, case);
            if got != reference {
                mismatch(case, &format!("JIT {level:?}"), &got, &reference);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(&decode(data));
});
