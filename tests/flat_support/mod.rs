//! Helpers shared by the tests of branch-free `if`s (`tests/flat_ifs.rs`, `tests/carries.rs`,
//! `tests/carry_edges.rs`): run a program through the interpreter and through the JIT in
//! every configuration that changes how a flat `if` is compiled, and compare.

use jitbf::jit::{Jit, Options};
use jitbf::{CellBits, Config, Eof, Executor, Io, OptLevel, Program};

/// Output and result (`Ok`, or the error's text) of one run.
pub type Outcome = (Vec<u8>, Result<(), String>);

/// Runs `src` with the interpreter (`jit` is `None`) or the JIT with `options`.
pub fn run(src: &str, config: Config, input: &[u8], jit: Option<Options>) -> Outcome {
    let program = Program::new(src, &config).unwrap();
    let mut io = Io::memory(input);
    let r = match jit {
        None => program.interpreter().run(&mut io),
        Some(options) => Jit::with_options(&program, options).unwrap().run(&mut io),
    };
    (io.take_output(), r.map_err(|e| e.to_string()))
}

/// Runs `src` on `input` on a tape of `tape` cells at every width, through the interpreter
/// at `-O1` and `-O2` and the JIT at both with the cache and the run-time self-checks on
/// and off, and asserts that each agrees with the interpreter at `-O0`; returns the 8-bit
/// interpreter's outcome.
pub fn agree(src: &str, tape: usize, eof: Eof, input: &[u8]) -> Outcome {
    // (The end of the program names it in a message: its start is a long walk.)
    let tail = &src[src.len().saturating_sub(48)..];
    let mut reference = None;
    for bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
        let base = Config::default().cell_bits(bits).tape_cells(tape).eof(eof);
        let want = run(src, base.opt_level(OptLevel::O0), input, None);
        for level in [OptLevel::O1, OptLevel::O2] {
            assert_eq!(
                run(src, base.opt_level(level), input, None),
                want,
                "interpreter at {level:?}, tape {tape} {bits:?} on {input:?}: ...{tail}"
            );
            for cache in [true, false] {
                for verify in [false, true] {
                    let options = Options::default().cache(cache).verify(verify);
                    let got = run(src, base.opt_level(level), input, Some(options));
                    assert_eq!(
                        got, want,
                        "tape {tape} {bits:?} {level:?} cache {cache} verify {verify} on \
                         {input:?}: ...{tail}"
                    );
                }
            }
        }
        reference.get_or_insert(want);
    }
    reference.unwrap()
}

/// The `--emit asm` listing of `src` on a tape of `tape` cells (at `-O2`, the default), from
/// the `jitbf` binary: what the tests read to know the flat form is really emitted.
pub fn asm(src: &str, tape: usize) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jitbf"))
        .args(["--tape-size", &tape.to_string(), "--emit", "asm", "-e", src])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
