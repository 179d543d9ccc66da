//! The read-only data of an executable: what its start-up code needs to explain a failure
//! with exactly the words `jitbf` would use.
//!
//! When the JIT's code faults, Rust code maps the fault back to the IR
//! ([`crate::ir::Ir::check_failure`]) and renders the message with the source line
//! ([`crate::render`]). An executable has no Rust and no source at run time, so jitbf does
//! the part that does not depend on the run now, and stores just enough for machine code to
//! do the rest (see [`super::report`]):
//!
//! * **units** (16 bytes): `(start, end, first reach, reaches)`, sorted, one per stretch of
//!   program code that belongs to a check or a scan
//!   ([`crate::jit::codegen::Code::units`]); for a scan, bit 31 of the count is set and the
//!   entry at `first reach` holds its `(cell offset, step)`, the reaches following it;
//! * **reaches** (16 bytes): `(offset, ±count, line, column)`: the moves at consecutive
//!   source bytes that took the pointer to new extremes ([`crate::ir::Reach`]), with the
//!   count negative for `<`; the `k`-th move of a reach is at column `column + k` of the
//!   same line (a run of `<` or `>` never spans lines), so no byte positions are needed;
//! * **lines** (16 bytes): `(line number, text, characters, characters before trailing
//!   white space)` for each source line that has a move that can fail, bit 31 of the
//!   character count set if the line is not all ASCII. The text is the line as the message
//!   shows it (control characters as spaces, invalid UTF-8 as U+FFFD), stored once however
//!   many lines have it; on a line that is not all ASCII, a table of the byte offset of every
//!   character comes first, so the window around the column is cut between characters;
//! * **errno texts**: Rust's description of every Linux `errno` (what `jitbf` prints after
//!   "cannot write output: "), and the fixed strings of the messages.
//!
//! Only checks that the optimized program still has take room, and only lines with their
//! moves. For lostkng (2.2 MB of source, 29,593 lines but only 6,938 different ones) at
//! `-O2` (4,900 checks and scans left), the table takes 540 KB, beside 470 KB of code.

use std::collections::HashMap;

use crate::Program;
use crate::ir::{CheckId, Op};
use crate::jit::codegen::{Code, Unit};
use crate::source::{LineMap, chars};

/// Size of a unit entry, a reach and a line entry, in bytes.
pub(crate) const UNIT: usize = 16;
pub(crate) const REACH: usize = 16;
pub(crate) const LINE: usize = 16;

/// Bit of a unit's count that marks a scan, and of a line's length that marks non-ASCII.
pub(crate) const FLAG: u32 = 1 << 31;

/// Highest `errno` with a stored description; others are "Unknown error N", as glibc says.
pub(crate) const MAX_ERRNO: usize = 133;

/// A string in the table: offset from the start of the table, and length.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Str {
    pub off: u32,
    pub len: u32,
}

/// The fixed strings the start-up code writes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Strings {
    pub left: Str,
    pub right: Str,
    pub arrow: Str,
    pub name_colon: Str,
    pub colon: Str,
    pub newline: Str,
    pub bar_newline: Str,
    pub bar: Str,
    pub dots: Str,
    pub caret: Str,
    pub cannot_write: Str,
    pub cannot_read: Str,
    pub cannot_set_up: Str,
    pub os_error: Str,
    pub close: Str,
    pub wrote_nothing: Str,
    pub whole_buffer: Str,
    pub unknown_error: Str,
    pub internal: Str,
    /// `/dev/null` and a NUL.
    pub dev_null: Str,
}

/// The table and where its parts are (offsets from its start).
pub(crate) struct Table {
    pub bytes: Vec<u8>,
    pub units: u32,
    pub unit_count: u32,
    pub reaches: u32,
    pub lines: u32,
    pub pool: u32,
    /// `MAX_ERRNO + 1` descriptions, each after its length in a byte.
    pub errnos: u32,
    pub strings: Strings,
    /// Some code belongs to a check or a scan (else no fault can be explained).
    pub can_fault: bool,
}

/// Collects the table's parts.
struct Builder<'p> {
    program: &'p Program,
    map: LineMap<'p>,
    reaches: Vec<u8>,
    lines: Vec<u8>,
    pool: Vec<u8>,
    /// Line number to its entry number.
    line_ids: HashMap<u32, u32>,
    /// Text of a line to its offset in the pool.
    texts: HashMap<Vec<char>, u32>,
}

/// Builds the table for `code` of `program`, which `name` names in messages.
pub(crate) fn build(program: &Program, code: &Code, name: &str) -> Table {
    let mut b = Builder {
        program,
        map: LineMap::new(program.source()),
        reaches: Vec::new(),
        lines: Vec::new(),
        pool: Vec::new(),
        line_ids: HashMap::new(),
        texts: HashMap::new(),
    };
    let mut units = Vec::new();
    let ends = code.units.iter().skip(1).map(|u| u.0);
    let code_end = code.bytes.len() as u32;
    for ((start, unit), end) in code.units.iter().zip(ends.chain([code_end])) {
        let (first, count) = match unit {
            Unit::None => continue,
            Unit::Check(id) => b.reaches(id, None),
            Unit::Scan(i) => match program.ir().code[i as usize].op {
                Op::Scan { off, step, check } => b.reaches(check, Some((off, step))),
                _ => continue,
            },
        };
        for v in [start, end, first, count] {
            units.extend(v.to_le_bytes());
        }
    }
    let strings = b.strings(name);
    let errnos = b.errnos();

    let mut bytes = Vec::new();
    let mut part = |data: &[u8]| {
        while !bytes.len().is_multiple_of(16) {
            bytes.push(0);
        }
        let at = bytes.len() as u32;
        bytes.extend_from_slice(data);
        at
    };
    let units_at = part(&units);
    let reaches = part(&b.reaches);
    let lines = part(&b.lines);
    let errnos_at = part(&errnos);
    let pool = part(&b.pool);
    let shift = |s: Str| Str {
        off: s.off + pool,
        len: s.len,
    };
    let s = strings;
    let strings = Strings {
        left: shift(s.left),
        right: shift(s.right),
        arrow: shift(s.arrow),
        name_colon: shift(s.name_colon),
        colon: shift(s.colon),
        newline: shift(s.newline),
        bar_newline: shift(s.bar_newline),
        bar: shift(s.bar),
        dots: shift(s.dots),
        caret: shift(s.caret),
        cannot_write: shift(s.cannot_write),
        cannot_read: shift(s.cannot_read),
        cannot_set_up: shift(s.cannot_set_up),
        os_error: shift(s.os_error),
        close: shift(s.close),
        wrote_nothing: shift(s.wrote_nothing),
        whole_buffer: shift(s.whole_buffer),
        unknown_error: shift(s.unknown_error),
        internal: shift(s.internal),
        dev_null: shift(s.dev_null),
    };
    Table {
        bytes,
        units: units_at,
        unit_count: (units.len() / UNIT) as u32,
        reaches,
        lines,
        pool,
        errnos: errnos_at,
        strings,
        can_fault: !units.is_empty(),
    }
}

impl Builder<'_> {
    /// Adds the reaches of check `id` (after a header for a scan): `(first, count)`.
    fn reaches(&mut self, id: CheckId, scan: Option<(i32, i32)>) -> (u32, u32) {
        let ir = self.program.ir();
        let first = (self.reaches.len() / REACH) as u32;
        if let Some((off, step)) = scan {
            for v in [off, step, 0, 0] {
                self.reaches.extend(v.to_le_bytes());
            }
        }
        let reaches = ir.reaches_of(id);
        for r in reaches {
            let at = self.map.line_col(r.pos);
            let line = self.line(r.pos);
            for v in [r.off, r.moves, line as i32, at.col as i32] {
                self.reaches.extend(v.to_le_bytes());
            }
        }
        let flag = if scan.is_some() { FLAG } else { 0 };
        (first, reaches.len() as u32 | flag)
    }

    /// The entry of the line holding source byte `pos`, added on first use.
    fn line(&mut self, pos: u32) -> u32 {
        let at = self.map.line_col(pos);
        if let Some(&id) = self.line_ids.get(&at.line) {
            return id;
        }
        let (text, _) = self.map.line_of(pos);
        // As `crate::diagnostic` shows it.
        let shown: Vec<char> = chars(text)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let trimmed = shown
            .iter()
            .rposition(|c| !c.is_whitespace())
            .map_or(0, |i| i + 1);
        let ascii = shown.iter().all(char::is_ascii);
        let text_at = match self.texts.get(&shown) {
            Some(&at) => at,
            None => {
                while !self.pool.len().is_multiple_of(4) {
                    self.pool.push(0);
                }
                let at = self.pool.len() as u32;
                if !ascii {
                    let mut off = 0u32;
                    for c in &shown {
                        self.pool.extend(off.to_le_bytes());
                        off += c.len_utf8() as u32;
                    }
                    self.pool.extend(off.to_le_bytes());
                }
                let utf8: String = shown.iter().collect();
                self.pool.extend(utf8.as_bytes());
                self.texts.insert(shown.clone(), at);
                at
            }
        };
        let len = shown.len() as u32 | if ascii { 0 } else { FLAG };
        for v in [at.line, text_at, len, trimmed as u32] {
            self.lines.extend(v.to_le_bytes());
        }
        let id = self.line_ids.len() as u32;
        self.line_ids.insert(at.line, id);
        id
    }

    fn add(&mut self, s: &[u8]) -> Str {
        let off = self.pool.len() as u32;
        self.pool.extend_from_slice(s);
        Str {
            off,
            len: s.len() as u32,
        }
    }

    /// The fixed strings, in the words of [`crate::render`] and of [`crate::RuntimeError`].
    fn strings(&mut self, name: &str) -> Strings {
        Strings {
            left: self.add(b"error: pointer moved left of cell 0\n"),
            right: self.add(b"error: pointer moved past the end of the tape\n"),
            arrow: self.add(b"--> "),
            name_colon: self.add(format!("{name}:").as_bytes()),
            colon: self.add(b":"),
            newline: self.add(b"\n"),
            bar_newline: self.add(b" |\n"),
            bar: self.add(b" | "),
            dots: self.add(b"..."),
            caret: self.add(b"^ this move left the tape\n"),
            cannot_write: self.add(b"error: cannot write output: "),
            cannot_read: self.add(b"error: cannot read input: "),
            cannot_set_up: self.add(b"error: cannot set up the run: "),
            os_error: self.add(b" (os error "),
            close: self.add(b")\n"),
            wrote_nothing: self.add(b"write wrote nothing\n"),
            whole_buffer: self.add(b"failed to write whole buffer\n"),
            unknown_error: self.add(b"Unknown error "),
            internal: self.add(
                b"error: internal error (a bug in jitbf): unexpected memory fault in \
                  generated code at offset 0x",
            ),
            dev_null: self.add(b"/dev/null\0"),
        }
    }

    /// For each `errno` from 0 to [`MAX_ERRNO`], its description as Rust gives it, after
    /// a length byte (0: none; the code walks the list).
    fn errnos(&mut self) -> Vec<u8> {
        let mut list = Vec::new();
        for n in 0..=MAX_ERRNO as i32 {
            let text = std::io::Error::from_raw_os_error(n).to_string();
            let suffix = format!(" (os error {n})");
            let desc = match text.strip_suffix(&suffix) {
                Some(desc) if n > 0 && !desc.starts_with("Unknown error") && desc.len() < 256 => {
                    desc.as_bytes()
                }
                _ => b"",
            };
            list.push(desc.len() as u8);
            list.extend_from_slice(desc);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, OptLevel};

    fn table(source: &str, level: OptLevel) -> (Table, Code) {
        let config = Config::default().opt_level(level);
        let program = Program::new(source, &config).unwrap();
        let code = crate::jit::codegen::compile(
            program.ir(),
            &config,
            false,
            crate::jit::Options::default(),
        )
        .unwrap();
        (build(&program, &code, "p.bf"), code)
    }

    fn u32s(bytes: &[u8]) -> Vec<u32> {
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn a_scan_unit_has_its_offset_and_step_before_its_reaches() {
        let (t, code) = table("+[<<]", OptLevel::O2);
        assert_eq!(t.unit_count, 1);
        let unit = u32s(&t.bytes[t.units as usize..][..UNIT]);
        let (start, end, first, count) = (unit[0], unit[1], unit[2], unit[3]);
        assert!(start < end && end as usize <= code.bytes.len());
        assert_eq!(count, 1 | FLAG);
        let at = t.reaches as usize + first as usize * REACH;
        let header = u32s(&t.bytes[at..][..2 * REACH]);
        // Offset 0, step -2; then one reach: offset -1, two moves left, line 0 (the first
        // entry), column 3.
        assert_eq!(&header[..2], &[0, -2i32 as u32]);
        assert_eq!(&header[4..], &[-1i32 as u32, -2i32 as u32, 0, 3]);
        assert!(t.can_fault);
    }

    #[test]
    fn lines_share_their_text_and_non_ascii_lines_index_their_characters() {
        // Lines 1 and 3 are the same; line 2 has an `é` (two bytes) and a tab.
        let (t, _) = table(",[<]\n,é\t[<]\n,[<]\n", OptLevel::O0);
        let lines = u32s(&t.bytes[t.lines as usize..t.errnos as usize]);
        let entries: Vec<&[u32]> = lines.chunks_exact(4).filter(|e| e[0] != 0).collect();
        assert_eq!(entries.len(), 3);
        let (one, two, three) = (entries[0], entries[1], entries[2]);
        assert_eq!((one[0], two[0], three[0]), (1, 2, 3));
        assert_eq!(one[1], three[1], "the same text once");
        assert_ne!(one[1], two[1]);
        assert_eq!((one[2], one[3]), (4, 4));
        assert_eq!((two[2], two[3]), (6 | FLAG, 6));
        // Line 2: byte offsets of its 6 characters and its end, then the text with the tab
        // shown as a space.
        let at = (t.pool + two[1]) as usize;
        assert_eq!(u32s(&t.bytes[at..at + 28]), [0, 1, 3, 4, 5, 6, 7]);
        assert_eq!(&t.bytes[at + 28..at + 35], ",é [<]".as_bytes());
    }

    #[test]
    fn a_program_without_checks_cannot_fault() {
        let (t, _) = table("++[-].", OptLevel::O2);
        assert_eq!(t.unit_count, 0);
        assert!(!t.can_fault);
    }
}
