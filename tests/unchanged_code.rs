//! The hot loop does not pay for `--debug` and `--profile`: without them the generated code
//! is exactly what it would be if they did not exist.
//!
//! * `#` is a comment without `--debug`: every bundled program with `#`s sprinkled through it
//!   compiles, at every level, to the very bytes of the program without them (and with `#`
//!   before every command, to the bytes of the program with a space there instead: at `-O0`
//!   any comment splits a run of one command);
//! * `--debug` on a program without `#` changes no byte either;
//! * `--profile` and `--debug` (with `#`s) do change the code, so the comparisons above could
//!   fail. (The unit tests of `jit::codegen::instrument` also decode all code compiled
//!   without the options and find no instruction touching the dump hook or the counters.)

#![cfg(jitbf_jit)]

use std::path::Path;

use jitbf::{Config, OptLevel, Program};

/// Every bundled program's source.
fn programs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bf") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    assert!(out.len() > 10);
    out
}

fn code(src: &[u8], config: Config) -> Vec<u8> {
    let program = Program::new(src, &config).unwrap();
    program.compile().unwrap().code().unwrap().to_vec()
}

/// `src` with a `#` between any two different commands (where a comment does not split a
/// run of one command: at `-O0`, `++ ++` is two instructions) and at the end.
fn sprinkle(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last = 0u8;
    for &b in src {
        if b"+-<>[].,".contains(&b) {
            if last != 0 && last != b {
                out.push(b'#');
            }
            last = b;
        }
        out.push(b);
    }
    out.push(b'#');
    out
}

/// `src` with `#` before every command.
fn everywhere(src: &[u8]) -> Vec<u8> {
    src.iter()
        .flat_map(|&b| {
            if b"+-<>[].,".contains(&b) {
                vec![b'#', b]
            } else {
                vec![b]
            }
        })
        .collect()
}

#[test]
fn hash_is_a_comment_without_debug_and_costs_no_byte() {
    for (name, src) in programs() {
        // (tapedump.bf has `#`s of its own: start from the program without them.)
        let src: Vec<u8> = src.into_iter().filter(|&b| b != b'#').collect();
        let with = sprinkle(&src);
        for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
            let config = Config::default().opt_level(level);
            let plain = code(&src, config);
            assert_eq!(
                code(&with, config),
                plain,
                "{name} at {level:?}: # without --debug"
            );
            // Anywhere, `#` is a comment like any other.
            let hashes = everywhere(&src);
            let spaces: Vec<u8> = hashes
                .iter()
                .map(|&b| if b == b'#' { b' ' } else { b })
                .collect();
            assert_eq!(
                code(&hashes, config),
                code(&spaces, config),
                "{name} at {level:?}"
            );
            // (`--debug` alone may change the code: it keeps every cell in memory, so that
            // the tape shown with a runtime error is the tape as the program left it.)
            // The options do change the code when they have something to do.
            assert_ne!(
                code(&with, config.debug(true)),
                plain,
                "{name}: # with --debug"
            );
            if Program::new(src.as_slice(), &config)
                .unwrap()
                .ir()
                .code
                .iter()
                .any(|i| {
                    matches!(
                        i.op,
                        jitbf::ir::Op::Loop { .. } | jitbf::ir::Op::Scan { .. }
                    )
                })
            {
                assert_ne!(code(&src, config.profile(true)), plain, "{name}: --profile");
            }
        }
    }
}
