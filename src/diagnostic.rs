//! Error messages with the source line they are about.
//!
//! ```text
//! error: unmatched '[': this loop is never closed
//!  --> prog.bf:3:5
//!   |
//! 3 | ++[>+<-
//!   |   ^ here
//! ```
//!
//! The layout is rustc's. The renderer is jitbf's own rather than a crate such as
//! annotate-snippets, for two reasons. A Brainfuck program can be one line of megabytes, so
//! the line is cut to a window of [`WINDOW`] terminal columns around the error (with `...`
//! where it was cut); and sources are bytes, not text, so the `line:column` shown must be the
//! one the rest of jitbf uses ([`crate::source`]: a column per character, and per byte that
//! is not UTF-8), which a renderer taking `&str` and counting for itself could contradict.
//!
//! The caret is placed by *display width* (with the `unicode-width` crate): a CJK character
//! takes two terminal columns, a combining accent none, a control character is shown as a
//! space. With colour asked for, `error`, the gutter and the caret are styled as rustc does;
//! whether the codes reach the terminal is the caller's choice (the command line writes
//! through `anstream`, which drops them when stderr is not a terminal or `NO_COLOR` is set).

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthChar;

use crate::source::{columns, line_col, line_text};
use crate::{Error, RuntimeError};

/// Widest excerpt of a source line shown, in terminal columns.
pub const WINDOW: usize = 72;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const BOLD: Style = Style::new().bold();

/// `style` around `text` when `color`, else `text`.
fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Formats `error` for a terminal, showing the line of `source` it is about (if any).
/// `name` is how the source is called in the location line (a file name, or `<expr>`).
pub fn render(error: &Error, source: &[u8], name: &str) -> String {
    render_styled(error, source, name, false)
}

/// [`render`], with ANSI colour codes when `color` is true.
pub fn render_styled(error: &Error, source: &[u8], name: &str, color: bool) -> String {
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
    let mut out = render_message(&message, color);
    if let Some(pos) = pos {
        snippet(&mut out, source, pos, name, label, color);
    }
    out
}

/// `error: MESSAGE` and a newline, `error` in red when `color`.
pub fn render_message(message: &str, color: bool) -> String {
    format!(
        "{}{}\n",
        paint("error", ERROR, color),
        paint(&format!(": {message}"), BOLD, color)
    )
}

/// The window `first..last` of `widths` (display widths of a line's characters) to show so
/// that character `col` is visible: at most [`WINDOW`] columns, `col` near the middle.
fn window(widths: &[usize], col: usize) -> (usize, usize) {
    let mut first = col.min(widths.len());
    let mut used = 0;
    while first > 0 && used + widths[first - 1] <= WINDOW / 2 {
        first -= 1;
        used += widths[first];
    }
    let mut last = first;
    let mut total = 0;
    while last < widths.len() && total + widths[last] <= WINDOW {
        total += widths[last];
        last += 1;
    }
    // Near the end of the line: use the room left on the left.
    while first > 0 && total + widths[first - 1] <= WINDOW {
        first -= 1;
        total += widths[first];
    }
    // Never start on a combining mark, cut from its character.
    while first > 0 && widths[first] == 0 {
        first -= 1;
    }
    (first, last.max(col.min(widths.len())))
}

fn snippet(out: &mut String, source: &[u8], pos: u32, name: &str, label: &str, color: bool) {
    // One position: scanning beats building a map of every line (a large source).
    let at = line_col(source, pos);
    let (line, line_start) = line_text(source, pos);
    let col = (at.col - 1) as usize;
    // Characters of the line, control characters shown as spaces so the caret lines up.
    let chars: Vec<char> = crate::source::chars(line)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    debug_assert_eq!(columns(&line[..(pos - line_start) as usize]) as usize, col);
    let widths: Vec<usize> = chars.iter().map(|c| c.width().unwrap_or(0)).collect();
    let (first, last) = window(&widths, col);
    let mut text: String = chars[first..last].iter().collect();
    let mut caret: usize = widths[first..col.min(widths.len())].iter().sum();
    if first > 0 {
        text.insert_str(0, "...");
        caret += 3;
    }
    if last < chars.len() {
        text.push_str("...");
    }
    let gutter = at.line.to_string().len();
    let bar = paint("|", GUTTER, color);
    let _ = writeln!(
        out,
        "{:gutter$}{} {name}:{at}",
        "",
        paint("-->", GUTTER, color)
    );
    let _ = writeln!(out, "{:gutter$} {bar}", "");
    let _ = writeln!(
        out,
        "{} {bar} {}",
        paint(&at.line.to_string(), GUTTER, color),
        text.trim_end()
    );
    let _ = writeln!(
        out,
        "{:gutter$} {bar} {:caret$}{}",
        "",
        "",
        paint(&format!("^ {label}"), ERROR, color)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Executor;

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

    /// The display column of the caret and of `marker` in the line above it.
    fn caret_under(text: &str, marker: char) -> (usize, usize) {
        use unicode_width::UnicodeWidthStr;
        let lines: Vec<&str> = text.lines().collect();
        let (src, caret) = (lines[3], lines[4]);
        let at = src.find(marker).expect("marker in the excerpt");
        (caret.find('^').unwrap(), src[..at].width())
    }

    #[test]
    fn the_caret_counts_display_columns() {
        // Wide (2 columns), combining (0 columns: e + U+0301) and tab (shown as a space).
        for src in [
            "héllo wörld 日本 +[<]",
            "e\u{301}e\u{301}\u{301} 🦀🦀 +[<]",
            "\t日本語\u{200b}x +[<]",
        ] {
            let err = Error::Runtime(
                crate::Program::new(src, &crate::Config::default())
                    .map(|p| {
                        let mut io = crate::Io::memory(Vec::new());
                        p.interpreter().run(&mut io).unwrap_err()
                    })
                    .unwrap(),
            );
            let text = render(&err, src.as_bytes(), "x");
            let (caret, at) = caret_under(&text, '<');
            assert_eq!(caret, at, "{text}");
        }
    }

    #[test]
    fn wide_characters_shorten_the_window() {
        let src = format!("{}+[<]{}", "日".repeat(200), "本".repeat(200));
        let err = crate::Program::parse(format!("{src}]")).unwrap_err();
        let text = render(&err, format!("{src}]").as_bytes(), "x");
        let line = text.lines().nth(3).unwrap();
        use unicode_width::UnicodeWidthStr;
        assert!(line.width() <= WINDOW + 10, "{line}");
        let (caret, at) = caret_under(&text, ']');
        assert_eq!(caret, at, "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        let err = crate::Program::parse("+[").unwrap_err();
        let plain = render_styled(&err, b"+[", "x", false);
        let coloured = render_styled(&err, b"+[", "x", true);
        assert!(!plain.contains('\x1b'));
        assert!(coloured.contains("\x1b[1m\x1b[31merror"), "{coloured:?}");
        let stripped: String = anstream::adapter::strip_str(&coloured).to_string();
        assert_eq!(stripped, plain);
    }
}
