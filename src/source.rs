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
pub struct LineMap<'a> {
    src: &'a [u8],
    /// Byte offset where each line starts.
    starts: Vec<u32>,
}

impl<'a> LineMap<'a> {
    /// Indexes `src` (one pass over the bytes).
    pub fn new(src: &'a [u8]) -> LineMap<'a> {
        let mut starts = vec![0];
        starts.extend(
            src.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        LineMap { src, starts }
    }

    /// The line and column of byte `pos`.
    pub fn line_col(&self, pos: u32) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= pos) - 1;
        let start = self.starts[line] as usize;
        let end = (pos as usize).min(self.src.len());
        LineCol {
            line: line as u32 + 1,
            col: columns(&self.src[start..end]) + 1,
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
