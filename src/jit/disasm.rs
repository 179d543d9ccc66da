//! Annotated disassembly of generated code: `jitbf --emit asm`.
//!
//! The listing is the machine code of a compiled program in Intel syntax, in the manner of
//! `objdump -S`: each group of instructions sits under the Brainfuck source and the IR op it
//! implements.
//!
//! <!-- generated: jitbf -O1 --emit asm -e '+++[>+<-]>.' | from "; 1:1" to "; exit" -->
//! ```text
//! $ jitbf -O1 --emit asm -e '+++[>+<-]>.'
//! ...
//! ; 1:1     +++                    p[0] += 3
//! 0027  80 43 00 03                    add byte ptr [rbx],3
//! ; 1:4     [                      while p[0] {
//! 002b  0f 84 1e 00 00 00              je 004f
//! 0031  0f b6 4b 00                    movzx ecx,byte ptr [rbx]
//! 0035  0f b6 73 01                    movzx esi,byte ptr [rbx+1]
//! 0039  0f 1f 80 00 00 00 00           nop [rax]
//! ; 1:5     >+<                      check p[0..=1]
//! ; 1:6     +                        p[1] += 1
//! 0040  8d 76 01                       lea esi,[rsi+1]
//! ; 1:8     -                        p[0] -= 1
//! 0043  80 c1 ff                       add cl,0xff
//! ; 1:9     ]                      } while p[0]
//! 0046  75 f8                          jne 0040
//! 0048  88 4b 00                       mov [rbx],cl
//! 004b  40 88 73 01                    mov [rbx+1],sil
//! ; 1:10    >                      check p[0..=1]
//! ; 1:11    .                      out p[1]
//! 004f  0f b6 43 01                    movzx eax,byte ptr [rbx+1]
//! 0053  e8 49 00 00 00                 call 00a1 <putc>
//! ; end of program
//! 0058  b8 00 00 00 00                 mov eax,0
//! ...
//! ```
//!
//! (At `-O2` the output of that program is known at compile time: the code prints it from
//! a constant, and the listing ends with that constant as data, `; data: 1 byte of constant
//! output` and a line with the bytes shown as a quoted string.)
//!
//! # How to read it
//!
//! * **Addresses** (the first column) are offsets in hexadecimal from the start of the code,
//!   which is also the entry point. Branch and call targets, and the address of the data a
//!   `lea` loads, are offsets in the same form; a target that is one of the named pieces of
//!   shared code is followed by its name, as in `call 009b <putc>`.
//! * **Bytes**: the instruction's encoding, at most ten bytes a line; a longer instruction
//!   continues on the next line, at the offset of its next byte.
//! * **Headers** (`;` lines) name what the code below them does. Code for the program opens
//!   with `; LINE:COL  COMMANDS  OP`: where the IR instruction starts in the source, the
//!   Brainfuck commands it came from, and the IR op as `jitbf --emit ir` prints it (indented
//!   by loop nesting). When several IR instructions are compiled into one piece of code (fused),
//!   or an instruction needs no code at all (a bounds check covered by the cell accesses
//!   around it costs nothing), all their headers stand above the code they share.
//! * **Registers** follow the convention of the code generator (`src/jit/codegen/mod.rs`): `rbx` is the tape pointer
//!   `p` (biased: it holds the address of cell `p + bias`, where `bias` is the program's
//!   typical offset, so a cell operand `p[bias + 2]` of 8-bit cells is `[rbx+2]`); `r12` is
//!   the output cursor, `r13` the end of the output buffer, and `r14` the context block.
//! * The **prologue** comes first; after the program's code come the shared pieces, each
//!   under its name (`; end of program`, `; exit`, `; putc`, ...); last the **data**: the bytes
//!   that `print` ops output, shown as quoted text (escaped like Rust byte strings), never
//!   decoded as instructions.
//!
//! Bytes that do not decode (which the code generator never emits) are shown one at a time
//! as `(bad)`.

use std::fmt::Write as _;

use iced_x86::{
    Decoder, DecoderOptions, Formatter as _, Instruction, IntelFormatter, OpKind, SymbolResolver,
    SymbolResult,
};

use super::codegen::Code;
use crate::ir::{Ir, Op, indentation};
use crate::source::{LineMap, fragment};

/// Encoding bytes shown on one line (also data bytes per line).
const BYTES_PER_LINE: usize = 10;
/// Width of the bytes column: `xx` and a space per byte, less the last space.
const BYTES_WIDTH: usize = BYTES_PER_LINE * 3 - 1;
/// Brainfuck commands shown in a header; longer fragments end with `…`.
const FRAGMENT_MAX: usize = 20;

/// The listing in structured form: what `jitbf --emit asm` prints (its [`Display`]
/// is exactly that text), and what `jitbf explore` links to the source and the IR.
///
/// [`Display`]: std::fmt::Display
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// The headers and instructions, in the order they are printed.
    pub entries: Vec<Entry>,
    /// Hex digits of the offset column.
    pub width: usize,
}

/// One header or one instruction of a [`Listing`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A `;` line naming the code below it.
    Header {
        /// The text, `;` included.
        text: String,
        /// The IR instruction it names (`None` for the prologue, shared code and data).
        ir: Option<u32>,
    },
    /// One instruction, or up to ten bytes of data.
    Insn(Insn),
}

/// One decoded instruction (or bytes that do not decode, or constant data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Offset from the start of the code.
    pub offset: usize,
    /// The encoding.
    pub bytes: Vec<u8>,
    /// The instruction in Intel syntax, `(bad)`, or data as a quoted string.
    pub text: String,
    /// The IR instructions whose headers stand above it (several when fused; empty for the
    /// prologue and shared code).
    pub ir: std::ops::Range<u32>,
    /// Whether these bytes are data, not instructions.
    pub data: bool,
}

/// The listing of `code` in structured form.
pub(crate) fn structured(code: &Code, ir: &Ir, source: &[u8]) -> Listing {
    let len = code.bytes.len();
    let code_end = code.data_start.min(len);
    let width = format!("{:x}", len.max(1) - 1).len().max(4);

    // Headers, each with the offset where the code it names starts.
    let mut heads: Vec<(usize, String, Option<u32>)> =
        vec![(code.entry, "; prologue".to_string(), None)];
    let map = LineMap::new(source);
    let positions: Vec<String> = ir
        .code
        .iter()
        .map(|ins| map.line_col(ins.span.start).to_string())
        .collect();
    let lc_width = positions.iter().map(String::len).max().unwrap_or(0).max(7);
    let mut depth = 0usize;
    for (i, (ins, lc)) in ir.code.iter().zip(&positions).enumerate() {
        if matches!(ins.op, Op::EndLoop { .. } | Op::EndIf) {
            depth = depth.saturating_sub(1);
        }
        let at = code.instr_offsets.get(i).map_or(code_end, |&o| o as usize);
        let frag = fragment(source, ins.span, FRAGMENT_MAX);
        let head = format!(
            "; {lc:<lc_width$} {frag:<w$}  {}{}",
            indentation(depth),
            ir.display(&ins.op),
            w = FRAGMENT_MAX + 1,
        );
        heads.push((at, head, Some(i as u32)));
        if matches!(ins.op, Op::Loop { .. } | Op::If { .. }) {
            depth += 1;
        }
    }
    heads.extend(
        code.symbols
            .iter()
            .map(|&(at, name)| (at as usize, format!("; {name}"), None)),
    );
    // Stable: headers at the same offset keep their order (program before shared code).
    heads.sort_by_key(|h| h.0);

    let mut formatter = IntelFormatter::with_options(
        Some(Box::new(Targets {
            symbols: code.symbols.clone(),
            width,
        })),
        None,
    );
    let opts = formatter.options_mut();
    opts.set_hex_prefix("0x");
    opts.set_hex_suffix("");
    opts.set_uppercase_hex(false);
    opts.set_show_branch_size(false);

    let mut entries = Vec::new();
    let mut pos = 0;
    let mut k = 0;
    while k < heads.len() {
        let at = heads[k].0;
        let mut group: Option<std::ops::Range<u32>> = None;
        while k < heads.len() && heads[k].0 == at {
            let (_, text, ir) = &heads[k];
            if let Some(i) = *ir {
                group = Some(group.map_or(i..i + 1, |g| g.start..i + 1));
            }
            entries.push(Entry::Header {
                text: text.clone(),
                ir: *ir,
            });
            k += 1;
        }
        let end = heads.get(k).map_or(code_end, |h| h.0).min(code_end);
        if end > pos {
            let start = at.max(pos);
            decode(
                &mut entries,
                &mut formatter,
                &code.bytes[start..end],
                start,
                group.unwrap_or(0..0),
            );
            pos = end;
        }
    }

    if len > code_end {
        let data = &code.bytes[code_end..];
        let n = data.len();
        entries.push(Entry::Header {
            text: format!(
                "; data: {n} byte{} of constant output",
                if n == 1 { "" } else { "s" }
            ),
            ir: None,
        });
        for (j, chunk) in data.chunks(BYTES_PER_LINE).enumerate() {
            entries.push(Entry::Insn(Insn {
                offset: code_end + j * BYTES_PER_LINE,
                bytes: chunk.to_vec(),
                text: format!("\"{}\"", chunk.escape_ascii()),
                ir: 0..0,
                data: true,
            }));
        }
    }
    Listing { entries, width }
}

impl std::fmt::Display for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for entry in &self.entries {
            match entry {
                Entry::Header { text, .. } => {
                    out.push_str(text);
                    out.push('\n');
                }
                Entry::Insn(insn) => {
                    for (j, chunk) in insn.bytes.chunks(BYTES_PER_LINE).enumerate() {
                        let text = if j == 0 { insn.text.as_str() } else { "" };
                        line(
                            &mut out,
                            insn.offset + j * BYTES_PER_LINE,
                            chunk,
                            text,
                            self.width,
                        );
                    }
                }
            }
        }
        f.write_str(&out)
    }
}

/// Disassembles `bytes`, found at code offset `base` and implementing the IR instructions
/// `ir`, into `out`.
fn decode(
    out: &mut Vec<Entry>,
    formatter: &mut IntelFormatter,
    bytes: &[u8],
    base: usize,
    ir: std::ops::Range<u32>,
) {
    let mut decoder = Decoder::with_ip(64, bytes, base as u64, DecoderOptions::NONE);
    let mut ins = Instruction::default();
    while decoder.can_decode() {
        let at = decoder.position();
        decoder.decode_out(&mut ins);
        let mut n = ins.len();
        let mut text = String::new();
        if ins.is_invalid() || n == 0 || at + n > bytes.len() {
            // Show one byte and go on after it.
            n = 1;
            text.push_str("(bad)");
            let resumed = decoder.set_position(at + 1);
            debug_assert!(resumed.is_ok());
            decoder.set_ip((base + at + 1) as u64);
        } else {
            formatter.format(&ins, &mut text);
        }
        out.push(Entry::Insn(Insn {
            offset: base + at,
            bytes: bytes[at..at + n].to_vec(),
            text,
            ir: ir.clone(),
            data: false,
        }));
    }
}

/// One line: offset, bytes in hex, text.
fn line(out: &mut String, at: usize, bytes: &[u8], text: &str, width: usize) {
    let mut hex = String::with_capacity(BYTES_WIDTH);
    for (j, b) in bytes.iter().enumerate() {
        if j > 0 {
            hex.push(' ');
        }
        let _ = write!(hex, "{b:02x}");
    }
    let row = format!("{at:0width$x}  {hex:<BYTES_WIDTH$}  {text}");
    out.push_str(row.trim_end());
    out.push('\n');
}

/// Prints branch targets and RIP-relative addresses as code offsets (naming the shared code
/// they lead to); every other number is left to the formatter.
struct Targets {
    symbols: Vec<(u32, &'static str)>,
    width: usize,
}

impl SymbolResolver for Targets {
    fn symbol(
        &mut self,
        instruction: &Instruction,
        _operand: u32,
        instruction_operand: Option<u32>,
        address: u64,
        _address_size: u32,
    ) -> Option<SymbolResult<'_>> {
        let kind = instruction.op_kind(instruction_operand?);
        let branch = matches!(
            kind,
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
        );
        let data = kind == OpKind::Memory && instruction.is_ip_rel_memory_operand();
        if !(branch || data) {
            return None;
        }
        let mut text = format!("{address:0w$x}", w = self.width);
        let name = self.symbols.iter().find(|s| u64::from(s.0) == address);
        if let (true, Some(&(_, name))) = (branch, name) {
            let _ = write!(text, " <{name}>");
        }
        Some(SymbolResult::with_string(address, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CellBits, Config, OptLevel, Program};

    /// Byte column where a header's op text starts (for short `line:col`s and fragments).
    const HEAD_OP: usize = 2 + 7 + 1 + FRAGMENT_MAX + 1 + 2;

    fn config(opt_level: OptLevel) -> Config {
        Config {
            opt_level,
            ..Config::default()
        }
    }

    /// The listing's instruction and data lines: `(offset, bytes, text)`.
    fn rows(listing: &str) -> Vec<(usize, Vec<u8>, String)> {
        listing
            .lines()
            .filter(|l| !l.starts_with(';'))
            .map(|l| {
                let (at, rest) = l.split_once("  ").expect("offset column");
                let hex = rest.get(..BYTES_WIDTH).unwrap_or(rest);
                let text = rest.get(BYTES_WIDTH..).unwrap_or("").trim();
                let bytes = hex
                    .split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
                    .collect();
                let at = usize::from_str_radix(at, 16).expect("hex offset");
                (at, bytes, text.to_string())
            })
            .collect()
    }

    /// Every line's bytes are the code's bytes at its offset, offsets strictly increase with
    /// no gap, and together the lines cover the whole code.
    fn assert_rows_match(listing: &str, code: &[u8]) {
        let mut next = 0;
        for (at, bytes, text) in rows(listing) {
            assert_eq!(at, next, "line at {at:#x} does not follow on: {text}");
            assert!(!bytes.is_empty() && bytes.len() <= BYTES_PER_LINE);
            assert_eq!(&code[at..at + bytes.len()], &bytes[..], "bytes at {at:#x}");
            next = at + bytes.len();
        }
        assert_eq!(next, code.len(), "the listing covers the whole code");
    }

    /// The header lines of the program's IR instructions, which must be there in order, one
    /// for each instruction (with its op text).
    fn assert_headers_follow_the_ir(listing: &str, program: &Program) {
        let ir = program.ir();
        let heads: Vec<&str> = listing
            .lines()
            .filter(|l| l.starts_with("; ") && l.as_bytes()[2].is_ascii_digit())
            .collect();
        assert_eq!(heads.len(), ir.code.len(), "{listing}");
        for (head, ins) in heads.iter().zip(&ir.code) {
            let op = ir.display(&ins.op).to_string();
            assert_eq!(
                head.get(HEAD_OP..).map(str::trim_start),
                Some(&*op),
                "{head}"
            );
        }
    }

    #[test]
    fn listing_follows_the_ir_and_matches_the_code() {
        // At -O1 the loop stays a loop, with checks that need no code of their own.
        let program = Program::new(b"+++[>+<-]>.", &config(OptLevel::O1)).unwrap();
        let jit = super::super::Jit::new(&program).unwrap();
        let listing = jit.disassemble();

        assert!(listing.starts_with("; prologue\n0000  55 "), "{listing}");
        assert!(listing.contains("  push rbp\n"), "{listing}");
        assert!(!listing.contains("(bad)"), "{listing}");
        assert_headers_follow_the_ir(&listing, &program);
        let lines: Vec<&str> = listing.lines().collect();
        let add = lines
            .iter()
            .position(|l| l.starts_with("; 1:1     +++ ") && l.ends_with("  p[0] += 3"))
            .unwrap_or_else(|| panic!("no header for `+++`:\n{listing}"));
        assert!(
            lines[add + 1].ends_with("  add byte ptr [rbx],3"),
            "{}",
            lines[add + 1]
        );
        // The check inside the loop costs nothing: the next header follows at once.
        let check = lines
            .iter()
            .position(|l| l.starts_with("; 1:5     >+< ") && l.ends_with("check p[0..=1]"))
            .unwrap_or_else(|| panic!("no header for the check:\n{listing}"));
        assert!(
            lines[check + 1].ends_with("p[1] += 1"),
            "{}",
            lines[check + 1]
        );

        // The shared code after the program, each part under its name, in order.
        let mut from = 0;
        for name in [
            "; end of program",
            "; exit",
            "; fault stub",
            "; putc",
            "; flush",
        ] {
            let at = lines[from..]
                .iter()
                .position(|l| *l == name)
                .unwrap_or_else(|| panic!("no `{name}` after line {from}:\n{listing}"));
            from += at + 1;
        }
        assert_rows_match(&listing, jit.code());
        assert!(
            !listing.contains("; data"),
            "nothing is constant: {listing}"
        );
    }

    #[test]
    fn listings_match_the_code_at_every_level_and_cell_size() {
        let programs: [&[u8]; 4] = [
            b"+++[>+<-]>.",
            b",[>,]<[.<]",
            b",[>+>++<<-]>[.>]",
            b">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>[-]+[<,.]",
        ];
        for source in programs {
            for opt_level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
                for cell_bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
                    let config = Config {
                        cell_bits,
                        ..config(opt_level)
                    };
                    let program = Program::new(source, &config).unwrap();
                    let jit = super::super::Jit::new(&program).unwrap();
                    let listing = jit.disassemble();
                    assert!(!listing.contains("(bad)"), "{listing}");
                    assert_headers_follow_the_ir(&listing, &program);
                    assert_rows_match(&listing, jit.code());
                }
            }
        }
    }

    #[test]
    fn branch_targets_are_code_offsets() {
        let program = Program::new(b",[>+.<-]", &Config::default()).unwrap();
        let jit = super::super::Jit::new(&program).unwrap();
        let listing = jit.disassemble();
        let rows = rows(&listing);
        let starts: Vec<usize> = rows.iter().map(|r| r.0).collect();
        let mut branches = 0;
        for (_, _, text) in &rows {
            let Some((mnemonic, target)) = text.split_once(' ') else {
                continue;
            };
            if !(mnemonic.starts_with('j') || mnemonic == "call") {
                continue;
            }
            let target = target.split(' ').next().unwrap();
            assert_eq!(target.len(), 4, "{text}");
            let off = usize::from_str_radix(target, 16).unwrap();
            assert!(
                starts.contains(&off),
                "`{text}` lands inside an instruction"
            );
            branches += 1;
        }
        assert!(branches >= 4, "{listing}");
        assert!(
            listing.contains(" <putc>\n"),
            "calls name their target: {listing}"
        );
        assert!(
            listing.contains(" <getc>\n"),
            "calls name their target: {listing}"
        );
    }

    #[test]
    fn constant_output_is_listed_as_data() {
        let program = Program::new(b"++++++++[>++++++++<-]>+.", &Config::default()).unwrap();
        assert!(
            program
                .ir()
                .code
                .iter()
                .any(|i| matches!(i.op, Op::Print { .. })),
            "the output is known at compile time"
        );
        let jit = super::super::Jit::new(&program).unwrap();
        let listing = jit.disassemble();
        let (code, data) = listing
            .split_once("; data: 1 byte of constant output\n")
            .unwrap_or_else(|| panic!("no data section:\n{listing}"));
        let end = jit.code().len() - 1;
        assert_eq!(data, format!("{end:04x}  41{:29}\"A\"\n", ""));
        // The `print` loads the data's address, shown as an offset.
        assert!(
            code.contains(&format!("lea rax,[{end:04x}]\n")),
            "{listing}"
        );
        assert_headers_follow_the_ir(&listing, &program);
        assert_rows_match(&listing, jit.code());
    }

    #[test]
    fn long_data_is_split_and_escaped() {
        // Outputs 10, 20, ..., 120: twelve bytes, some of them not printable.
        let program = Program::new("++++++++++.".repeat(12), &Config::default()).unwrap();
        let jit = super::super::Jit::new(&program).unwrap();
        let listing = jit.disassemble();
        let data = listing
            .split_once("; data: 12 bytes of constant output\n")
            .unwrap_or_else(|| panic!("no data section:\n{listing}"))
            .1;
        let rows = rows(data);
        assert_eq!(rows.len(), 2, "{data}");
        assert_eq!(rows[0].2, r#""\n\x14\x1e(2<FPZd""#);
        assert_eq!(rows[1].2, r#""nx""#);
        assert_eq!(rows[1].0, rows[0].0 + BYTES_PER_LINE);
        assert_rows_match(&listing, jit.code());
    }

    #[test]
    fn empty_program_lists_the_shared_code() {
        let program = Program::new(b"no commands here", &Config::default()).unwrap();
        assert!(program.ir().code.is_empty());
        let jit = super::super::Jit::new(&program).unwrap();
        let listing = jit.disassemble();
        assert!(listing.starts_with("; prologue\n"), "{listing}");
        assert!(listing.contains("\n; end of program\n"), "{listing}");
        assert!(listing.contains("  ret\n"), "{listing}");
        assert!(!listing.contains("(bad)"), "{listing}");
        assert_rows_match(&listing, jit.code());
    }

    #[test]
    fn undecodable_bytes_are_bad_one_at_a_time() {
        // `06` (push es) is invalid in 64-bit mode; `48` alone is a REX prefix cut short by
        // the end of its region; `90` is a nop.
        let code = Code {
            bytes: vec![0x06, 0x90, 0x48, 0xc3, b'!'],
            entry: 0,
            fault_stub: 3,
            exit: 3,
            no_flush: Vec::new(),
            frame: Vec::new(),
            units: Default::default(),
            instr_offsets: vec![3],
            symbols: vec![(3, "end of program")],
            data_start: 4,
            bias: 0,
        };
        let listing = structured(&code, &Ir::default(), b"").to_string();
        assert_eq!(
            listing,
            "; prologue\n\
             0000  06                             (bad)\n\
             0001  90                             nop\n\
             0002  48                             (bad)\n\
             ; end of program\n\
             0003  c3                             ret\n\
             ; data: 1 byte of constant output\n\
             0004  21                             \"!\"\n"
        );
    }
}
