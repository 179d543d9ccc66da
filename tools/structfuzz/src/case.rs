//! A test case: a program with its configuration and input, and the ways it is written
//! down: a one-line summary, a ready-to-paste regression test, and a small text format that
//! the fuzzer hands to its child processes.

use std::fmt::{self, Write as _};

use jitbf::{CellBits, Config, Eof, OptLevel};

/// One program with everything it runs with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Case {
    /// Cell width.
    pub cells: CellBits,
    /// What `,` does at end of input.
    pub eof: Eof,
    /// Number of cells.
    pub tape: usize,
    /// The bytes `,` reads.
    pub input: Vec<u8>,
    /// The Brainfuck source.
    pub source: Vec<u8>,
}

impl Case {
    /// The jitbf configuration for this case at `level`.
    pub fn config(&self, level: OptLevel) -> Config {
        Config::default()
            .cell_bits(self.cells)
            .eof(self.eof)
            .tape_cells(self.tape)
            .opt_level(level)
    }

    /// The source as a Rust expression: a string literal, or for sources with long runs
    /// (far moves), a `concat()` of literals and `.repeat(n)`s, so that a case with a move of
    /// two million cells still prints on a few lines.
    pub fn source_expr(&self) -> String {
        const LONG: usize = 48;
        let src = &self.source;
        let mut parts: Vec<String> = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < src.len() {
            let run = src[i..].iter().take_while(|&&b| b == src[i]).count();
            if run >= LONG {
                if !lit.is_empty() {
                    parts.push(rust_str(&lit));
                    lit.clear();
                }
                parts.push(format!("&{}.repeat({run})", rust_str(&src[i..i + 1])));
            } else {
                lit.extend_from_slice(&src[i..i + run]);
            }
            i += run;
        }
        if parts.is_empty() {
            return rust_str(&lit);
        }
        if !lit.is_empty() {
            parts.push(rust_str(&lit));
        }
        format!("[{}].concat()", parts.join(", "))
    }

    /// Serializes for a child process: `cells eof tape`, the input in hex, then the source.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!(
            "{} {} {}\n{}\n",
            bits(self.cells),
            eof_name(self.eof),
            self.tape,
            hex(&self.input)
        )
        .into_bytes();
        out.extend_from_slice(&self.source);
        out
    }

    /// The inverse of [`Case::encode`].
    pub fn decode(data: &[u8]) -> Result<Case, String> {
        let mut lines = data.splitn(3, |&b| b == b'\n');
        let head =
            std::str::from_utf8(lines.next().unwrap_or_default()).map_err(|e| e.to_string())?;
        let input =
            std::str::from_utf8(lines.next().ok_or("no input line")?).map_err(|e| e.to_string())?;
        let source = lines.next().ok_or("no source")?.to_vec();
        let mut head = head.split(' ');
        let mut next = || head.next().ok_or("short header");
        Ok(Case {
            cells: parse_bits(next()?)?,
            eof: parse_eof(next()?)?,
            tape: next()?.parse().map_err(|e| format!("tape: {e}"))?,
            input: unhex(input)?,
            source,
        })
    }
}

impl fmt::Display for Case {
    /// The case on a few lines: source (abbreviated when long), configuration, input.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "    source ({} bytes): {}",
            self.source.len(),
            self.source_expr()
        )?;
        writeln!(
            f,
            "    config: --cell-bits {} --eof {} --tape-size {}",
            bits(self.cells),
            eof_name(self.eof),
            self.tape
        )?;
        write!(f, "    input: b\"{}\"", self.input.escape_ascii())
    }
}

/// `s` as a Rust string literal (Brainfuck sources here are ASCII; other bytes are
/// escaped as `\x..`, which in a `&str` literal only covers ASCII, so those become a byte
/// string instead).
pub fn rust_str(s: &[u8]) -> String {
    if s.is_ascii() {
        let mut out = String::from("\"");
        for &b in s {
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x20..=0x7e => out.push(b as char),
                _ => {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
        }
        out.push('"');
        out
    } else {
        format!("b\"{}\"", s.escape_ascii())
    }
}

/// `8`, `16` or `32`, as on jitbf's command line.
pub fn bits(c: CellBits) -> u32 {
    match c {
        CellBits::U8 => 8,
        CellBits::U16 => 16,
        CellBits::U32 => 32,
    }
}

fn parse_bits(s: &str) -> Result<CellBits, String> {
    match s {
        "8" => Ok(CellBits::U8),
        "16" => Ok(CellBits::U16),
        "32" => Ok(CellBits::U32),
        _ => Err(format!("cell bits must be 8, 16 or 32, not {s:?}")),
    }
}

/// `unchanged`, `zero` or `max`, as on jitbf's command line.
pub fn eof_name(e: Eof) -> &'static str {
    match e {
        Eof::Unchanged => "unchanged",
        Eof::Zero => "zero",
        Eof::Max => "max",
    }
}

fn parse_eof(s: &str) -> Result<Eof, String> {
    match s {
        "unchanged" => Ok(Eof::Unchanged),
        "zero" => Ok(Eof::Zero),
        "max" => Ok(Eof::Max),
        _ => Err(format!(
            "EOF mode must be unchanged, zero or max, not {s:?}"
        )),
    }
}

/// Lower-case hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The inverse of [`hex`].
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("{s:?}: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let c = Case {
            cells: CellBits::U16,
            eof: Eof::Max,
            tape: 4099,
            input: vec![0, 0x80, 0xff],
            source: b",[->+<]\n>.x".to_vec(),
        };
        assert_eq!(Case::decode(&c.encode()), Ok(c));
        assert!(Case::decode(b"12 zero 1\n\n+").is_err());
        assert!(Case::decode(b"8 zero 1\n0\n+").is_err());
    }

    #[test]
    fn long_runs_print_as_repeats() {
        let mut c = Case {
            cells: CellBits::U8,
            eof: Eof::Zero,
            tape: 1,
            input: vec![],
            source: b",-\"".to_vec(),
        };
        assert_eq!(c.source_expr(), r#"",-\"""#);
        c.source = [b",-".as_slice(), &[b'>'; 100], b"[.]"].concat();
        assert_eq!(
            c.source_expr(),
            r#"[",-", &">".repeat(100), "[.]"].concat()"#
        );
        c.source = vec![b'<'; 50];
        assert_eq!(c.source_expr(), r#"[&"<".repeat(50)].concat()"#);
    }
}
