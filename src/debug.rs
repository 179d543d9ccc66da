//! Seeing the tape: `#` dumps (`jitbf --debug`) and the window shown with a runtime error.
//!
//! With [`crate::Config::debug`], `#` is a command ([`crate::ir::Op::Debug`]). Each time it
//! runs, the run's [`Diagnostics`] stream (standard error on the command line) gets the
//! source position of the `#`, the pointer, and the cells around the pointer in decimal,
//! with the current cell marked:
//!
//! ```text
//! #debug 2:15: pointer at cell 3
//!  cell   0   1   2   3   4   5   6   7   8   9  10  11
//! value  72 105  10   0   0   0   0   0   0   0   0   0
//!                   ^^^
//! ```
//!
//! The interpreter and the JIT format dumps with the same function ([`dump`]) from the same
//! facts, so they print the same text; the tests check it. Output the program wrote before
//! the `#` is flushed first, so on a terminal the dump appears where it happened.
//!
//! # How the JIT does it
//!
//! The generated code for `#` flushes the output buffer (the shared `flush` subroutine),
//! then calls back into Rust through a function pointer in the context block, passing the
//! context, the address of the pointer's cell and the IR instruction's index
//! (`jit::hook`). The callback reads the cells around the pointer from the tape and writes
//! the dump. This keeps number formatting out of machine code, and costs nothing where there
//! is no `#`: without `--debug` the IR has no dump instruction and the code has no call.
//!
//! # Runtime errors
//!
//! When a run with `--debug` fails (a move off the tape, an I/O error), the executor writes
//! the same window, around the last position of the pointer that was on the tape, before
//! returning the error. At `-O0` that is exactly the tape when the failing `<` or `>` ran, in
//! both executors. Optimized code checks the bounds of a group of moves once, before the
//! group (the interpreter) or at the first access that faults (the JIT), so arithmetic
//! between those moves may not have happened yet, or may have: use `-O0` for the exact
//! picture.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};

use crate::source::LineCol;

/// Cells shown on each side of the pointer.
pub const RADIUS: usize = 8;

/// Where tape dumps, traces and error windows go: the run's diagnostics stream.
#[derive(Debug, Default)]
pub enum Diagnostics {
    /// The process's standard error.
    #[default]
    Stderr,
    /// An open file.
    File(File),
    /// Collected in memory (see [`crate::Io::memory`]).
    Capture(Vec<u8>),
}

impl Diagnostics {
    /// Writes `bytes` completely. Failing to write diagnostics never stops a program: the
    /// error is returned for the caller to ignore or report.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Diagnostics::Stderr => {
                let mut err = io::stderr().lock();
                err.write_all(bytes)?;
                err.flush()
            }
            Diagnostics::File(f) => f.write_all(bytes),
            Diagnostics::Capture(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// What was captured (empty unless this is [`Diagnostics::Capture`]).
    pub fn captured(&self) -> &[u8] {
        match self {
            Diagnostics::Capture(v) => v,
            _ => &[],
        }
    }
}

/// The cells a dump shows for a pointer at cell `pointer` on a tape of `cells` cells: up to
/// [`RADIUS`] on each side, cut at the ends of the tape.
pub fn window(pointer: usize, cells: usize) -> std::ops::Range<usize> {
    let pointer = pointer.min(cells.saturating_sub(1));
    pointer.saturating_sub(RADIUS)..(pointer + RADIUS + 1).min(cells)
}

/// Formats a dump: a header line, then the cell numbers, their values and a marker under
/// the pointer's cell. `values[k]` is cell `first + k`; `at` is where the `#` is in the
/// source (`None`: the window shown with an error).
pub fn dump(at: Option<LineCol>, pointer: usize, first: usize, values: &[u32]) -> String {
    let mut out = String::new();
    match at {
        Some(at) => {
            let _ = writeln!(out, "#debug {at}: pointer at cell {pointer}");
        }
        None => {
            let _ = writeln!(
                out,
                "#debug at the error: the tape around cell {pointer}, the last position of \
                 the pointer on the tape"
            );
        }
    }
    let columns: Vec<(String, String)> = values
        .iter()
        .enumerate()
        .map(|(k, v)| ((first + k).to_string(), v.to_string()))
        .collect();
    let (mut cells, mut vals, mut mark) = (
        String::from(" cell"),
        String::from("value"),
        String::from("     "),
    );
    for (k, (cell, val)) in columns.iter().enumerate() {
        let w = cell.len().max(val.len());
        let _ = write!(cells, " {cell:>w$}");
        let _ = write!(vals, " {val:>w$}");
        let m = if first + k == pointer { "^" } else { " " };
        let _ = write!(mark, " {}", m.repeat(w));
    }
    for line in [cells, vals, mark] {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_cut_at_the_ends_of_the_tape() {
        assert_eq!(window(0, 100), 0..9);
        assert_eq!(window(50, 100), 42..59);
        assert_eq!(window(99, 100), 91..100);
        assert_eq!(window(2, 3), 0..3);
        // A pointer past the end (an error window) shows the last cells.
        assert_eq!(window(200, 100), 91..100);
    }

    #[test]
    fn a_dump_marks_the_pointer_under_aligned_columns() {
        let text = dump(
            Some(LineCol { line: 2, col: 15 }),
            3,
            1,
            &[72, 105, 1000, 0],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "#debug 2:15: pointer at cell 3",
                " cell  1   2    3 4",
                "value 72 105 1000 0",
                "             ^^^^",
            ]
        );
    }
}
