//! Source positions: byte offsets to `line:column`, and source excerpts for messages.
//!
//! Sources are arbitrary bytes (only the eight commands mean anything), so positions are byte
//! offsets. A line ends at `\n` (Unix), `\r\n` (Windows) or a `\r` on its own (classic Mac OS),
//! as editors see it: [`ends_line`] decides this, and every line number, column and excerpt in
//! the crate comes from this module. Columns count characters as an editor shows them: each
//! UTF-8 character is one column and so is each byte that is not valid UTF-8. Both are 1-based.

use crate::ir::Span;

/// True if the byte at `i` ends a line, so that the next line starts at `i + 1`: a `\n`, or a
/// `\r` that is not the first half of `\r\n`.
///
/// ```
/// use jitbf::source::ends_line;
/// let src = b"a\r\nb\rc\nd";
/// let ends: Vec<usize> = (0..src.len()).filter(|&i| ends_line(src, i)).collect();
/// assert_eq!(ends, [2, 4, 6]);
/// ```
#[inline]
pub fn ends_line(src: &[u8], i: usize) -> bool {
    match src.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => src.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// Length of the line break that ends just before `next`, the start of a line after the
/// first: 2 for `\r\n`, else 1.
fn break_len(src: &[u8], next: usize) -> usize {
    if next >= 2 && src[next - 2] == b'\r' && src[next - 1] == b'\n' {
        2
    } else {
        1
    }
}

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
            if (b == b'\n' || b == b'\r') && ends_line(src, i) {
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
        let end = self.starts.get(line + 1).map_or(self.src.len(), |&next| {
            next as usize - break_len(self.src, next as usize)
        });
        (&self.src[start..end], start as u32)
    }
}

/// The line and column of one byte offset (a single scan; use [`LineMap`] for many).
pub fn line_col(src: &[u8], pos: u32) -> LineCol {
    let pos = (pos as usize).min(src.len());
    let ends = (0..pos).filter(|&i| ends_line(src, i));
    let (breaks, line_start) = ends.fold((0u32, 0), |(n, _), i| (n + 1, i + 1));
    LineCol {
        line: breaks + 1,
        col: columns(&src[line_start..pos]) + 1,
    }
}

/// The text of the line containing byte `pos`, without its line ending, and the byte offset
/// at which that line starts: [`LineMap::line_of`] for one position, without building the map
/// (a source of millions of lines would need megabytes for it).
pub fn line_text(src: &[u8], pos: u32) -> (&[u8], u32) {
    let pos = (pos as usize).min(src.len());
    let start = (0..pos)
        .rev()
        .find(|&i| ends_line(src, i))
        .map_or(0, |i| i + 1);
    let end = (pos..src.len())
        .find(|&i| ends_line(src, i))
        .map_or(src.len(), |i| {
            if src[i] == b'\n' && i > start && src[i - 1] == b'\r' {
                i - 1
            } else {
                i
            }
        });
    (&src[start..end], start as u32)
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
    fn lf_crlf_and_bare_cr_each_end_one_line() {
        // Line 1 ends with CRLF, line 2 with a bare CR, line 3 with LF, line 4 with CR CR
        // (a bare CR, then an empty line 5 ended by another).
        let src = b"a\r\nb[\rc\n[d\r\r]";
        let map = LineMap::new(src);
        let lc = |line, col| LineCol { line, col };
        assert_eq!(map.line_col(4), lc(2, 2));
        assert_eq!(map.line_col(8), lc(4, 1));
        assert_eq!(map.line_col(12), lc(6, 1));
        for pos in 0..=src.len() as u32 {
            assert_eq!(map.line_col(pos), line_col(src, pos), "byte {pos}");
        }
        assert_eq!(map.line_of(0), (&b"a"[..], 0));
        assert_eq!(map.line_of(4), (&b"b["[..], 3));
        assert_eq!(map.line_of(6), (&b"c"[..], 6));
        assert_eq!(map.line_of(9), (&b"[d"[..], 8));
        assert_eq!(map.line_of(11), (&b""[..], 11));
        assert_eq!(map.line_of(12), (&b"]"[..], 12));
        for pos in 0..=src.len() as u32 {
            assert_eq!(map.line_of(pos), line_text(src, pos), "byte {pos}");
        }
        // The `\n` of a CRLF belongs to the line it ends.
        assert_eq!(map.line_col(2), lc(1, 3));
        assert_eq!(line_col(src, 2), lc(1, 3));
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
