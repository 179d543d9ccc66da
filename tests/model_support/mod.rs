//! A step-limited model of Brainfuck for the tests that generate or cut programs
//! (`tests/differential.rs`, `tests/split.rs`): it tells whether a program stops within a
//! number of steps, so that the configurations a test compares cannot hang it.

use jitbf::{Config, Eof};

/// A step-limited interpreter of the source: `Some(())` if the program stops (normally or
/// by leaving the tape) within `fuel` steps.
pub fn terminates(src: &[u8], config: &Config, input: &[u8], mut fuel: u64) -> Option<()> {
    let code: Vec<u8> = src
        .iter()
        .copied()
        .filter(|b| b"+-<>[].,".contains(b))
        .collect();
    let mut jump = vec![0usize; code.len()];
    let mut stack = Vec::new();
    for (i, &c) in code.iter().enumerate() {
        match c {
            b'[' => stack.push(i),
            b']' => {
                let j = stack.pop()?;
                jump[i] = j;
                jump[j] = i;
            }
            _ => {}
        }
    }
    let mask = config.cell_bits.max();
    let mut tape = vec![0u32; config.tape_cells];
    let (mut p, mut pc, mut inp) = (0usize, 0usize, input.iter());
    while pc < code.len() {
        fuel = fuel.checked_sub(1)?;
        match code[pc] {
            b'+' => tape[p] = tape[p].wrapping_add(1) & mask,
            b'-' => tape[p] = tape[p].wrapping_sub(1) & mask,
            b'>' if p + 1 == tape.len() => return Some(()),
            b'>' => p += 1,
            b'<' if p == 0 => return Some(()),
            b'<' => p -= 1,
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
    Some(())
}
