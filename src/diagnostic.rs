//! Error messages with the source line they are about.
//!
//! ```text
//! error: unmatched '[': this loop is never closed
//!  --> prog.bf:3:5
//!   |
//! 3 | ++[>+<-
//!   |   ^
//! ```
//!
//! Lines are shown cut to a window around the column, because a Brainfuck program can be one
//! line of megabytes.

use std::fmt::Write as _;

use crate::source::{columns, line_col, line_text};
use crate::{Error, RuntimeError};

/// Widest excerpt of a source line shown, in characters.
const WINDOW: usize = 72;

/// Formats `error` for a terminal, showing the line of `source` it is about (if any).
/// `name` is how the source is called in the location line (a file name, or `<expr>`).
pub fn render(error: &Error, source: &[u8], name: &str) -> String {
    let (message, pos, label): (String, Option<u32>, &str) = match error {
        Error::Parse { error, .. } => (
            error.to_string(),
            Some(error.pos).filter(|_| {
                use crate::parse::ParseErrorKind::{OutOfMemory, TooLarge};
                !matches!(error.kind, TooLarge | OutOfMemory)
            }),
            "here",
        ),
        Error::Runtime(RuntimeError::PointerOutOfRange { side, pos, .. }) => (
            match side {
                crate::Side::Left => "pointer moved left of cell 0".to_string(),
                crate::Side::Right => "pointer moved past the end of the tape".to_string(),
            },
            Some(*pos),
            "this move left the tape",
        ),
        other => (other.to_string(), None, ""),
    };
    let mut out = format!("error: {message}\n");
    if let Some(pos) = pos {
        snippet(&mut out, source, pos, name, label);
    }
    out
}

fn snippet(out: &mut String, source: &[u8], pos: u32, name: &str, label: &str) {
    // One position: scanning beats building a map of every line (a large source).
    let at = line_col(source, pos);
    let (line, line_start) = line_text(source, pos);
    let col = (at.col - 1) as usize;
    // Characters of the line, control characters shown as spaces so the caret lines up.
    let chars: Vec<char> = crate::source::chars(line)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    debug_assert_eq!(columns(&line[..(pos - line_start) as usize]) as usize, col);
    let first = col
        .saturating_sub(WINDOW / 2)
        .min(chars.len().saturating_sub(WINDOW));
    let last = (first + WINDOW).min(chars.len());
    let mut text: String = chars[first..last].iter().collect();
    let mut caret = col - first;
    if first > 0 {
        text.insert_str(0, "...");
        caret += 3;
    }
    if last < chars.len() {
        text.push_str("...");
    }
    let gutter = at.line.to_string().len();
    let _ = writeln!(out, "{:gutter$}--> {name}:{at}", "");
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{} | {}", at.line, text.trim_end());
    let _ = writeln!(out, "{:gutter$} | {:caret$}^ {label}", "", "");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_line_and_a_caret() {
        let src = b"+\n++[>+<-\n";
        let err = crate::Program::parse(&src[..]).unwrap_err();
        let text = render(&err, src, "prog.bf");
        assert_eq!(
            text,
            "error: unmatched '[': this loop is never closed\n --> prog.bf:2:3\n  |\n2 | ++[>+<-\n  |   ^ here\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let mut src = vec![b'+'; 10_000];
        src.push(b']');
        src.extend(vec![b'+'; 10_000]);
        let err = crate::Program::parse(src.clone()).unwrap_err();
        let text = render(&err, &src, "x");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].ends_with("x:1:10001"), "{text}");
        assert!(lines[3].len() < 100);
        let caret = lines[4].find('^').unwrap();
        assert_eq!(&lines[3][caret..caret + 1], "]");
    }
}
