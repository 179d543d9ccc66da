//! Source positions: byte offsets to `line:column`, and source excerpts for messages.
//!
//! Sources are arbitrary bytes (only the eight commands mean anything), so positions are byte
//! offsets. Lines end at `\n` (a `\r` before it is ignored, so CRLF files work); columns count
//! characters as an editor shows them: each UTF-8 character is one column and so is each byte
//! that is not valid UTF-8. Both are 1-based.

use crate::ir::Span;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

impl std::fmt::Display for LineCol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Index of line starts, for turning many byte offsets into `line:column`.
///
/// Each lookup costs a binary search over the lines, plus, on a line that is not all ASCII
/// (where columns and bytes differ), counting characters from the previous lookup on that
/// line (or from the line's start when going backwards). Listings look positions up in
/// nearly increasing order, so even a program written on one very long line lists in linear
/// time.
pub struct LineMap<'a> {
    src: &'a [u8],
    /// Byte offset where each line starts.
    starts: Vec<u32>,
    /// Whether each line is all ASCII (one column per byte).
    ascii: Vec<bool>,
    /// The last lookup on a line that is not all ASCII: `(line index, byte, column)`, at a
    /// byte that starts a character.
    last: std::cell::Cell<(usize, u32, u32)>,
}

impl<'a> LineMap<'a> {
    /// Indexes `src` (one pass over the bytes).
    pub fn new(src: &'a [u8]) -> LineMap<'a> {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        for (i, &b) in src.iter().enumerate() {
            line_ascii &= b.is_ascii();
            if b == b'\n' {
                starts.push(i as u32 + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            }
        }
        ascii.push(line_ascii);
        LineMap {
            src,
            starts,
            ascii,
            last: std::cell::Cell::new((usize::MAX, 0, 0)),
        }
    }

    /// The line and column of byte `pos`.
    pub fn line_col(&self, pos: u32) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= pos) - 1;
        let start = self.starts[line];
        let pos = pos.min(self.src.len() as u32);
        let col = if self.ascii[line] {
            pos - start
        } else {
            let (last_line, last_pos, last_col) = self.last.get();
            let (from, col) = if last_line == line && last_pos <= pos {
                (last_pos, last_col)
            } else {
                (start, 0)
            };
            let col = col + columns(&self.src[from as usize..pos as usize]);
            // An ASCII byte always starts a character, so counting may resume there.
            if self.src.get(pos as usize).is_some_and(u8::is_ascii) {
                self.last.set((line, pos, col));
            }
            col
        };
        LineCol {
            line: line as u32 + 1,
            col: col + 1,
        }
    }

    /// The text of the line containing `pos`, without its line ending, and the byte offset
    /// at which that line starts.
    pub fn line_of(&self, pos: u32) -> (&'a [u8], u32) {
        let line = self.starts.partition_point(|&s| s <= pos) - 1;
        let start = self.starts[line] as usize;
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(self.src.len(), |&s| s as usize - 1);
        if end > start && self.src[end - 1] == b'\r' {
            end -= 1;
        }
        (&self.src[start..end], start as u32)
    }
}

/// The line and column of one byte offset (a single scan; use [`LineMap`] for many).
pub fn line_col(src: &[u8], pos: u32) -> LineCol {
    let pos = (pos as usize).min(src.len());
    let before = &src[..pos];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    LineCol {
        line: before.iter().filter(|&&b| b == b'\n').count() as u32 + 1,
        col: columns(&before[line_start..]) + 1,
    }
}

/// Number of columns (characters) in a run of bytes: see [`chars`].
pub fn columns(bytes: &[u8]) -> u32 {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum::<usize>() as u32
}

/// The characters of a run of bytes as they are shown: valid UTF-8 decodes, and each byte
/// that is not part of valid UTF-8 is one `U+FFFD`.
pub fn chars(bytes: &[u8]) -> impl Iterator<Item = char> + '_ {
    bytes.utf8_chunks().flat_map(|c| {
        c.valid()
            .chars()
            .chain(std::iter::repeat_n('\u{FFFD}', c.invalid().len()))
    })
}

/// The Brainfuck commands inside `span`, comments dropped, shortened to at most `max`
/// characters with a trailing `…`. Used to label listings.
pub fn fragment(src: &[u8], span: Span, max: usize) -> String {
    let end = (span.end as usize).min(src.len());
    let start = (span.start as usize).min(end);
    let mut out = String::new();
    let mut n = 0;
    for &b in &src[start..end] {
        if !matches!(b, b'+' | b'-' | b'<' | b'>' | b'[' | b']' | b'.' | b',') {
            continue;
        }
        if n == max {
            out.push('…');
            break;
        }
        out.push(b as char);
        n += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let src = b"ab\r\ncd\n\xC3\xA9[";
        let map = LineMap::new(src);
        assert_eq!(map.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(map.line_col(5), LineCol { line: 2, col: 2 });
        // `é` is two bytes but one column, so `[` is column 2.
        assert_eq!(map.line_col(9), LineCol { line: 3, col: 2 });
        assert_eq!(line_col(src, 9), map.line_col(9));
        assert_eq!(line_col(src, 5), map.line_col(5));
        assert_eq!(map.line_of(1), (&b"ab"[..], 0));
        assert_eq!(map.line_of(9), (&b"\xC3\xA9["[..], 7));
    }

    #[test]
    fn lookups_in_any_order_agree_with_a_single_scan() {
        // é, €, 🦀 and stray bytes, on lines with LF and CRLF ends.
        let src = b"a\xc3\xa9[\xe2\x82\xac>\n\xf0\x9f\xa6\x80\x80+\r\n-.\n\xff\xc3[ \xc3\xa9]";
        let map = LineMap::new(src);
        let n = src.len() as u32;
        let forwards = (0..=n).chain((0..=n).rev()).chain((0..=n).step_by(3));
        for pos in forwards {
            assert_eq!(map.line_col(pos), line_col(src, pos), "byte {pos}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_count_one_column_each() {
        assert_eq!(columns(b"\x80\x80"), 2);
        assert_eq!(columns(b"\xff\xC3"), 2);
        assert_eq!(columns(b"a\xC3\xA9b"), 3);
        assert_eq!(chars(b"\x80\xC3\xA9").collect::<String>(), "\u{FFFD}\u{e9}");
    }

    #[test]
    fn fragment_keeps_commands_only() {
        let src = b"+ + x [-] >>>>";
        assert_eq!(fragment(src, Span::new(0, 14), 10), "++[-]>>>>");
        assert_eq!(fragment(src, Span::new(0, 14), 4), "++[-…");
    }
}
