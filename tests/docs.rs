//! Listings in the documentation are generated, and this test keeps them so.
//!
//! In `README.md` and in the doc comments of `src/` (`//!` and `///` lines), a listing is
//! a ```` ```text ```` block right after a marker that says how it is made:
//!
//! ```text
//! <!-- generated: jitbf -O1 --emit asm -e ',[>+++<-]>.' | from "; 1:2" to "; 1:10" -->
//! <!-- generated: encoding of "add byte ptr [rbx+1],3" in jitbf -O1 --emit asm -e ',[>+++<-]>.' -->
//! ```
//!
//! * `jitbf ARGS` runs the `jitbf` binary (in the crate's directory, with no input); the
//!   block is `$ jitbf ARGS` and then what it printed, stdout then stderr. `from "P"` starts at
//!   the first line beginning with `P`, `to "Q"` stops before the next line beginning with
//!   `Q`; a `...` line marks where lines were left out. Arguments are split at spaces, and
//!   single quotes group as in a shell.
//! * `encoding of "INSN" in jitbf ARGS` finds the instruction whose text is `INSN` in that
//!   listing and takes its bytes apart ([`jitbf::jit::encoding::explain`]).
//!
//! The markers are HTML comments, so neither GitHub nor rustdoc shows them. When the code
//! generator changes what a listing shows, this test fails naming the file and line;
//! `JITBF_UPDATE_DOCS=1 cargo test --test docs` then rewrites every listing in place, to be
//! reviewed with `git diff` (and the prose around it read again) before committing.

// Listings and pages of machine code need the JIT.
#![cfg(jitbf_jit)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");
const MARKER: &str = "<!-- generated: ";

/// A listing found in a file: where, how it is made, and what the file has now.
struct Listing {
    file: PathBuf,
    /// Line number (from 1) of the marker.
    line: usize,
    recipe: String,
    /// What stands before the text on each line (`//! `, or nothing in Markdown).
    prefix: String,
    /// Line indices of the block's contents (after the opening fence, before the closing).
    body: std::ops::Range<usize>,
    current: String,
}

/// Splits `command` into words: spaces separate, single quotes group.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {command}");
    if any {
        out.push(word);
    }
    out
}

/// Runs `jitbf ARGS` (the part after `jitbf `) and returns stdout then stderr.
fn jitbf(args: &str) -> String {
    let out = Command::new(BIN)
        .args(words(args))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .expect("run jitbf");
    let mut text = String::from_utf8(out.stdout).expect("UTF-8 output");
    text.push_str(&String::from_utf8(out.stderr).expect("UTF-8 errors"));
    text
}

/// The text between the first pair of double quotes after `key`, and what follows it.
fn quoted<'a>(recipe: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let rest = recipe.split_once(key)?.1.trim_start().strip_prefix('"')?;
    rest.split_once('"')
}

/// The block a recipe makes.
fn generate(recipe: &str) -> Result<String, String> {
    if let Some(rest) = recipe.strip_prefix("encoding of ") {
        let (insn, rest) = quoted(rest, "").ok_or("encoding of \"INSN\" in ...")?;
        let args = rest
            .trim_start()
            .strip_prefix("in jitbf ")
            .ok_or("encoding of \"INSN\" in jitbf ARGS")?;
        let listing = jitbf(args);
        let line = listing
            .lines()
            .find(|l| !l.starts_with(';') && l.ends_with(&format!("  {insn}")))
            .ok_or_else(|| format!("no instruction `{insn}` in `jitbf {args}` any more"))?;
        let hex = line
            .split("  ")
            .nth(1)
            .ok_or("listing line without bytes")?;
        let bytes: Vec<u8> = hex
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
            .collect();
        return jitbf::jit::encoding::explain(&bytes)
            .ok_or_else(|| format!("{hex} does not decode"));
    }
    let command = recipe
        .strip_prefix("jitbf ")
        .ok_or("a recipe starts with `jitbf ` or `encoding of `")?;
    let (args, select) = match command.split_once(" | ") {
        Some((args, select)) => (args, Some(select)),
        None => (command, None),
    };
    let output = jitbf(args);
    let lines: Vec<&str> = output.lines().collect();
    let mut first = 0;
    let mut last = lines.len();
    if let Some(select) = select {
        if let Some((from, _)) = quoted(select, "from") {
            first = lines
                .iter()
                .position(|l| l.starts_with(from))
                .ok_or_else(|| format!("no line starts with {from:?} any more"))?;
        }
        if let Some((to, _)) = quoted(select, "to") {
            last = first
                + 1
                + lines[first + 1..]
                    .iter()
                    .position(|l| l.starts_with(to))
                    .ok_or_else(|| format!("no line starts with {to:?} after the first"))?;
        }
    }
    let mut block = format!("$ jitbf {args}\n");
    if first > 0 {
        block.push_str("...\n");
    }
    for line in &lines[first..last] {
        block.push_str(line);
        block.push('\n');
    }
    if last < lines.len() {
        block.push_str("...\n");
    }
    Ok(block)
}

/// Every listing in `file`.
fn listings(file: &Path) -> Vec<Listing> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let prefix = line[..at].to_string();
        let recipe = line[at + MARKER.len()..]
            .strip_suffix(" -->")
            .unwrap_or_else(|| panic!("{}:{}: marker not closed", file.display(), i + 1))
            .to_string();
        let strip = |l: &str| -> Option<String> {
            if prefix.is_empty() {
                return Some(l.to_string());
            }
            let l = l.strip_prefix(prefix.trim_end())?;
            Some(l.strip_prefix(' ').unwrap_or(l).to_string())
        };
        assert_eq!(
            lines.get(i + 1).and_then(|l| strip(l)).as_deref(),
            Some("```text"),
            "{}:{}: a ```text block must follow the marker",
            file.display(),
            i + 2
        );
        let start = i + 2;
        let end = start
            + lines[start..]
                .iter()
                .position(|l| strip(l).as_deref() == Some("```"))
                .unwrap_or_else(|| panic!("{}:{}: block not closed", file.display(), i + 2));
        let current = lines[start..end]
            .iter()
            .map(|l| strip(l).unwrap_or_default() + "\n")
            .collect();
        found.push(Listing {
            file: file.to_path_buf(),
            line: i + 1,
            recipe,
            prefix,
            body: start..end,
            current,
        });
    }
    found
}

/// README.md and every `.rs` file under `src/`.
fn documented_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Rewrites the listings of one file with their new contents.
fn rewrite(file: &Path, updates: &[(&Listing, String)]) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // From the bottom up, so earlier ranges stay valid.
    for (listing, new) in updates.iter().rev() {
        let prefixed: Vec<String> = new
            .lines()
            .map(|l| {
                if l.is_empty() {
                    listing.prefix.trim_end().to_string()
                } else {
                    format!("{}{l}", listing.prefix)
                }
            })
            .collect();
        lines.splice(listing.body.clone(), prefixed);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(file, out).unwrap();
}

#[test]
fn listings_in_the_docs_are_what_the_compiler_prints() {
    let update = std::env::var_os("JITBF_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    let mut count = 0;
    for file in documented_files() {
        let found = listings(&file);
        count += found.len();
        let mut updates = Vec::new();
        for listing in &found {
            let new = generate(&listing.recipe).unwrap_or_else(|e| {
                panic!(
                    "{}:{}: cannot make `{}`: {e}",
                    listing.file.display(),
                    listing.line,
                    listing.recipe
                )
            });
            if new != listing.current {
                stale.push(format!(
                    "{}:{}: `{}`\n--- in the docs\n{}--- now\n{}",
                    listing.file.display(),
                    listing.line,
                    listing.recipe,
                    listing.current,
                    new
                ));
                updates.push((listing, new));
            }
        }
        if update && !updates.is_empty() {
            rewrite(&file, &updates);
        }
    }
    assert!(count >= 5, "only {count} generated listings found");
    if update {
        if !stale.is_empty() {
            eprintln!(
                "rewrote {} listings; review them with `git diff`",
                stale.len()
            );
        }
        return;
    }
    assert!(
        stale.is_empty(),
        "{} listing(s) in the docs differ from what jitbf prints now:\n\n{}\n\
         If the change is intended, run `JITBF_UPDATE_DOCS=1 cargo test --test docs` to \
         rewrite them, then check the prose around them.",
        stale.len(),
        stale.join("\n")
    );
}

#[test]
fn recipes_split_like_a_shell() {
    assert_eq!(
        words("-O1 --emit asm -e ',[>+++<-]>.'"),
        ["-O1", "--emit", "asm", "-e", ",[>+++<-]>."]
    );
    assert_eq!(words("-e '' x"), ["-e", "", "x"]);
}
