//! What the benchmarks share: finding the programs to run.
//!
//! * the bundled `programs/NAME.bf`, with `NAME.in` as input when present and `NAME.out` as
//!   the expected output;
//! * the shared corpus: `NAME.b` with optional `NAME.in` and `NAME.out`, in `$JITBF_CORPUS`,
//!   else `../shared/corpus` beside the crate. When that directory does not exist, a note is
//!   printed and the corpus is left out.
//!
//! Each bench target uses only part of this (`compile` has no use for the expected output).
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// One program to benchmark.
pub struct Case {
    /// Where it comes from: `programs` or `corpus`.
    pub origin: &'static str,
    /// File name without extension, e.g. `mandelbrot`.
    pub name: String,
    /// The Brainfuck source.
    pub source: Vec<u8>,
    /// Its input (empty when there is no `.in` file).
    pub input: Vec<u8>,
    /// Its expected output (the `.out` file).
    pub expected: Vec<u8>,
}

impl Case {
    /// The criterion group name, e.g. `corpus/mandelbrot`; unique even where the bundled
    /// programs and the corpus have a program of the same name.
    pub fn group_name(&self) -> String {
        format!("{}/{}", self.origin, self.name)
    }
}

/// The bundled programs followed by the corpus (when present).
pub fn all_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases = discover(&root.join("programs"), "bf", "programs");
    if let Some(dir) = corpus_dir() {
        cases.extend(discover(&dir, "b", "corpus"));
    }
    cases
}

/// `$JITBF_CORPUS`, else `../shared/corpus`; `None`, with a note, when it does not exist.
fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("JITBF_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: corpus benchmarks skipped: {} does not exist (set JITBF_CORPUS)",
            dir.display()
        );
        None
    }
}

/// Every `NAME.ext` in `dir`, sorted by name, with its input and expected output.
fn discover(dir: &Path, ext: &str, origin: &'static str) -> Vec<Case> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter_map(|name| name.strip_suffix(&format!(".{ext}")).map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read = |path: PathBuf| {
                fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
            };
            let input_path = dir.join(format!("{name}.in"));
            Case {
                origin,
                source: read(dir.join(format!("{name}.{ext}"))),
                input: if input_path.exists() {
                    read(input_path)
                } else {
                    Vec::new()
                },
                expected: read(dir.join(format!("{name}.out"))),
                name,
            }
        })
        .collect()
}
