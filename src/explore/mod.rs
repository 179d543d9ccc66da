//! `jitbf explore`: one self-contained web page with a program's source, its IR and its
//! machine code side by side, at `-O0`, `-O1` and `-O2`.
//!
//! The page links the three views: hovering or clicking a Brainfuck command lights up the IR
//! instructions made from it and their machine code; an IR instruction lights up its source
//! and code; an instruction lights up the IR it implements and its source. Clicking an
//! instruction also shows its encoding byte by byte ([`crate::jit::encoding`]). The links
//! are the ones `jitbf --emit asm` prints as headers, taken from the structured listing
//! ([`crate::jit::disasm::Listing`]).
//!
//! The page is static HTML rendered here, with every element carrying the positions it
//! stands for (`data-b`: a source byte; `data-i`, `data-s`, `data-e`: an IR instruction and
//! its source span; `data-a`, `data-z`: the IR instructions an instruction implements), plus
//! a small script (`page.js`) that does the highlighting and the tabs, and a style sheet
//! (`page.css`). Nothing is loaded from the network. It is meant for programs of a few
//! thousand commands: every command and instruction is an element.

use crate::html::escape;
use std::fmt::Write as _;

use crate::ir::{Op, indentation};
use crate::source::LineMap;
use crate::{Config, Error, OptLevel, Program};

const TEMPLATE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The explorer page for `source` (called `name` in the title), compiled with `config` at
/// each optimization level.
pub fn page(source: &[u8], name: &str, config: &Config) -> Result<String, Error> {
    let mut tabs = String::new();
    let mut panes = String::new();
    for (k, level) in [OptLevel::O0, OptLevel::O1, OptLevel::O2]
        .into_iter()
        .enumerate()
    {
        let program = Program::new(source, &config.opt_level(level))?;
        let id = format!("O{k}");
        let _ = write!(
            tabs,
            "<button class=\"tab{}\" data-level=\"{id}\">-{id}</button>",
            if level == OptLevel::O2 { " on" } else { "" }
        );
        let _ = write!(
            panes,
            "<div class=\"level{}\" id=\"level-{id}\" data-level=\"{id}\">",
            if level == OptLevel::O2 { " on" } else { "" }
        );
        panes.push_str("<section class=\"pane\"><h2>IR</h2><div class=\"scroll ir\">");
        ir_pane(&mut panes, &program);
        panes.push_str(
            "</div></section><section class=\"pane\"><h2>x86-64</h2><div class=\"scroll asm\">",
        );
        asm_pane(&mut panes, &program)?;
        panes.push_str("</div></section></div>");
    }
    let mut src = String::new();
    source_pane(&mut src, source);
    let title = escape(&format!("jitbf explore: {name}"));
    Ok(TEMPLATE
        .replace("{{TITLE}}", &title)
        .replace("{{NAME}}", &escape(name))
        .replace("{{STYLE}}", STYLE)
        .replace("{{TABS}}", &tabs)
        .replace("{{SOURCE}}", &src)
        .replace("{{LEVELS}}", &panes)
        .replace("{{SCRIPT}}", SCRIPT))
}

/// The source: comments as text, each command an element carrying its byte offset.
fn source_pane(out: &mut String, source: &[u8]) {
    let mut comment: Vec<u8> = Vec::new();
    let flush = |out: &mut String, comment: &mut Vec<u8>| {
        if !comment.is_empty() {
            let text: String = crate::source::chars(comment)
                .map(|c| if c == '\r' { ' ' } else { c })
                .collect();
            out.push_str(&escape(&text));
            comment.clear();
        }
    };
    for (b, &byte) in source.iter().enumerate() {
        if matches!(byte, b'+' | b'-' | b'<' | b'>' | b'[' | b']' | b'.' | b',') {
            flush(out, &mut comment);
            let _ = write!(
                out,
                "<span class=\"c\" data-b=\"{b}\">{}</span>",
                escape(&(byte as char).to_string())
            );
        } else {
            comment.push(byte);
        }
    }
    flush(out, &mut comment);
}

/// The IR listing, one element per instruction.
fn ir_pane(out: &mut String, program: &Program) {
    let ir = program.ir();
    if ir.code.is_empty() {
        out.push_str("<div class=\"note\">no instructions: the program does nothing</div>");
        return;
    }
    let map = LineMap::new(program.source());
    let mut depth = 0usize;
    for (i, ins) in ir.code.iter().enumerate() {
        if matches!(ins.op, Op::EndLoop { .. } | Op::EndIf) {
            depth = depth.saturating_sub(1);
        }
        let _ = write!(
            out,
            "<div class=\"op\" data-i=\"{i}\" data-s=\"{}\" data-e=\"{}\"><span class=\"n\">{i}</span> <span class=\"lc\">{}</span> <span class=\"t\">{}{}</span></div>",
            ins.span.start,
            ins.span.end,
            map.line_col(ins.span.start),
            indentation(depth),
            escape(&ir.display(&ins.op).to_string()),
        );
        if matches!(ins.op, Op::Loop { .. } | Op::If { .. }) {
            depth += 1;
        }
    }
}

/// The annotated machine code, or a note where there is no JIT.
fn asm_pane(out: &mut String, program: &Program) -> Result<(), Error> {
    let compiled = program.compile()?;
    #[cfg(jitbf_jit)]
    if let Some(jit) = compiled.jit() {
        use crate::jit::disasm::Entry;
        let listing = jit.listing();
        for entry in &listing.entries {
            match entry {
                Entry::Header { text, ir: Some(i) } => {
                    let _ = write!(
                        out,
                        "<div class=\"h\" data-ir=\"{i}\">{}</div>",
                        escape(text)
                    );
                }
                Entry::Header { text, ir: None } => {
                    let _ = write!(out, "<div class=\"h shared\">{}</div>", escape(text));
                }
                Entry::Insn(insn) => instruction(out, insn, listing.width),
            }
        }
        return Ok(());
    }
    let _ = compiled;
    out.push_str("<div class=\"note\">no JIT on this platform: the interpreter runs the IR</div>");
    Ok(())
}

/// One instruction row: offset, bytes (each field with its meaning), text.
#[cfg(jitbf_jit)]
fn instruction(out: &mut String, insn: &crate::jit::disasm::Insn, width: usize) {
    let _ = write!(
        out,
        "<div class=\"ins{}\" data-a=\"{}\" data-z=\"{}\"><span class=\"off\">{:0width$x}</span> <span class=\"bytes\">",
        if insn.data { " data" } else { "" },
        insn.ir.start,
        insn.ir.end,
        insn.offset,
    );
    let fields = if insn.data {
        None
    } else {
        crate::jit::encoding::fields(&insn.bytes)
    };
    let hex = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match fields {
        Some(fields) => {
            for (k, f) in fields.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}<span class=\"f\" data-kind=\"{}\" title=\"{}: {}\">{}</span>",
                    if k > 0 { " " } else { "" },
                    f.kind,
                    f.kind,
                    escape(&f.meaning),
                    hex(&insn.bytes[f.bytes.clone()])
                );
            }
        }
        None => out.push_str(&hex(&insn.bytes)),
    }
    let _ = write!(
        out,
        "</span> <span class=\"t\">{}</span></div>",
        escape(&insn.text)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_self_contained_and_complete() {
        let page = page(b",[>+++<-]>. comment \"&\"", "t<1>.bf", &Config::default()).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("{{"), "every placeholder filled");
        // Nothing from elsewhere: no URLs to load, no external scripts or styles.
        for needle in ["http://", "https://", "src=", "<link", "@import"] {
            assert!(!page.contains(needle), "{needle}");
        }
        assert!(page.contains("jitbf explore: t&lt;1&gt;.bf"));
        // The comment is escaped text, the commands are elements.
        assert!(page.contains(" comment &quot;&amp;&quot;"), "comment text");
        assert_eq!(page.matches("class=\"c\" data-b=").count(), 11);
        // Three levels, each with its IR.
        for level in ["O0", "O1", "O2"] {
            assert!(page.contains(&format!("id=\"level-{level}\"")));
        }
        assert!(page.contains("p[1] = p[0]*3"), "the -O2 IR");
        assert!(page.contains("p[1] += 3"), "the -O0/-O1 IR");
        if crate::JIT_AVAILABLE {
            assert!(page.contains("class=\"f\" data-kind=\"opcode\""));
            assert!(page.contains("; prologue"));
        }
    }

    #[test]
    fn an_empty_program_says_so() {
        let page = page(b"nothing", "x", &Config::default()).unwrap();
        assert!(page.contains("no instructions: the program does nothing"));
    }

    #[test]
    fn unbalanced_programs_are_errors() {
        assert!(matches!(
            page(b"[", "x", &Config::default()),
            Err(Error::Parse { .. })
        ));
    }
}
