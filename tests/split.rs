//! A program cut in two pieces for optimization (`jitbf::opt::split`) behaves exactly as the
//! whole program: the same output, the same result, and the same source position in every
//! error, at every level, cell width, end-of-input mode, on a roomy tape and on a tape so
//! small that the pointer leaves it (in either piece).
//!
//! Every bundled program is cut at every loop (the loop alone as the inner piece, and the
//! loop with all the loops after it at its depth), each cut in a third of the 18
//! configurations (every one of them over three neighbouring cuts), and run with the JIT and
//! the interpreter; the reference is the interpreter at `-O0` on the whole program. The shared corpus's
//! programs are cut at a few loops each and must still print their expected output.

mod corpus;
mod model_support;

use std::path::Path;

use jitbf::opt::split::Split;
use jitbf::{CellBits, Config, Eof, Io, OptLevel, Program, RuntimeError, Side};

/// Output and result (the error's side and source byte) of a run.
type Outcome = (Vec<u8>, Result<(), (Side, u32)>);

fn outcome(io: &mut Io, r: Result<(), RuntimeError>) -> Outcome {
    let result = r.map_err(|e| match e {
        RuntimeError::PointerOutOfRange { side, pos, .. } => (side, pos),
        other => panic!("unexpected error: {other}"),
    });
    (io.take_output(), result)
}

fn run_interp(program: &Program, input: &[u8]) -> Outcome {
    let mut io = Io::memory(input);
    let r = program.interpreter().run_on(&mut io);
    outcome(&mut io, r)
}

fn run_jit(program: &Program, input: &[u8]) -> Outcome {
    let mut io = Io::memory(input);
    let r = program.compile().expect("compiles").run_on(&mut io);
    outcome(&mut io, r)
}

/// `run` through the [`jitbf::Executor`] trait (a helper so that both executors read alike).
trait RunOn {
    fn run_on(&mut self, io: &mut Io) -> Result<(), RuntimeError>;
}

impl<E: jitbf::Executor> RunOn for E {
    fn run_on(&mut self, io: &mut Io) -> Result<(), RuntimeError> {
        self.run(io)
    }
}

/// The cuts to try in `src`: for every `[`, its loop alone, and its loop with the loops
/// after it at the same depth (up to the `]` that closes the loop around them).
fn cuts(src: &[u8]) -> Vec<(u32, u32)> {
    // Where each loop ends, and where the last loop after it at its depth (inside the same
    // loop) ends.
    let mut close = vec![0usize; src.len()];
    let mut last_sibling = vec![0usize; src.len()];
    // The loops opened at each open depth so far, innermost depth last.
    let mut runs: Vec<Vec<usize>> = vec![Vec::new()];
    let mut open = Vec::new();
    let give = |run: Vec<usize>, close: &[usize], last_sibling: &mut [usize]| {
        if let Some(&last) = run.last() {
            for j in run {
                last_sibling[j] = close[last];
            }
        }
    };
    for (i, &b) in src.iter().enumerate() {
        match b {
            b'[' => {
                open.push(i);
                runs.last_mut().expect("a depth").push(i);
                runs.push(Vec::new());
            }
            b']' => {
                let j = open.pop().expect("test programs balance");
                close[j] = i + 1;
                // The loops directly inside the one just closed are all closed too.
                let run = runs.pop().expect("balanced");
                give(run, &close, &mut last_sibling);
            }
            _ => {}
        }
    }
    give(runs.pop().expect("top level"), &close, &mut last_sibling);
    let mut out = Vec::new();
    for (j, &b) in src.iter().enumerate() {
        if b == b'[' {
            out.push((j as u32, close[j] as u32));
            if last_sibling[j] != close[j] {
                out.push((j as u32, last_sibling[j] as u32));
            }
        }
    }
    out
}

/// Every configuration compared: cell widths, end-of-input modes, a roomy and a tiny tape.
fn configs() -> Vec<Config> {
    let mut out = Vec::new();
    for cell_bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
        for eof in [Eof::Unchanged, Eof::Zero, Eof::Max] {
            for tape_cells in [4096, 12] {
                out.push(
                    Config::default()
                        .cell_bits(cell_bits)
                        .eof(eof)
                        .tape_cells(tape_cells),
                );
            }
        }
    }
    out
}

#[test]
fn bundled_programs_cut_at_every_loop_behave_as_the_whole() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bf"))
        .collect();
    names.sort();
    let mut compared = 0;
    for path in names {
        let src = std::fs::read(&path).unwrap();
        let input = std::fs::read(path.with_extension("in")).unwrap_or_default();
        let cuts = cuts(&src);
        for (c, config) in configs().into_iter().enumerate() {
            if model_support::terminates(&src, &config, &input, 20_000_000).is_none() {
                continue;
            }
            let reference = Program::new(src.clone(), &config.opt_level(OptLevel::O0)).unwrap();
            let want = run_interp(&reference, &input);
            for level in [OptLevel::O1, OptLevel::O2] {
                let config = config.opt_level(level);
                // Each cut in a third of the configurations (all of them over three cuts).
                for &(start, end) in cuts.iter().skip(c % 3).step_by(3) {
                    let split = Split::At { start, end };
                    let program = Program::with_split(src.clone(), &config, split).unwrap();
                    let what = format!("{} cut at {start}..{end}, {config:?}", path.display());
                    assert_eq!(program.stats().pieces, 2, "{what}: not cut");
                    assert_eq!(run_jit(&program, &input), want, "JIT, {what}");
                    assert_eq!(run_interp(&program, &input), want, "interpreter, {what}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} cut programs compared");
}

#[test]
fn a_cut_that_is_not_a_balanced_run_of_loops_is_not_made() {
    let config = Config::default();
    for (start, end) in [(0, 3), (1, 3), (2, 6), (4, 2), (0, 100)] {
        let p = Program::with_split("+[>]<[-].", &config, Split::At { start, end }).unwrap();
        assert_eq!(p.stats().pieces, 1, "{start}..{end}");
    }
    // Unbalanced outside the cut: the error is the one the whole program reports.
    let err = Program::with_split("+[>]]", &config, Split::At { start: 1, end: 4 }).unwrap_err();
    assert!(err.to_string().contains("unmatched ']'") && err.to_string().contains("1:5"));
    let err = Program::with_split("[[>]", &config, Split::At { start: 1, end: 4 }).unwrap_err();
    assert!(err.to_string().contains("unmatched '['") && err.to_string().contains("1:1"));
    // A balanced cut is made, and a small program is not cut unless told to.
    let p = Program::with_split("+[>]<[-].", &config, Split::At { start: 1, end: 4 }).unwrap();
    assert_eq!((p.stats().pieces, p.stats().threads), (2, 2));
    assert_eq!(
        Program::new("+[>]<[-].", &config).unwrap().stats().pieces,
        1
    );
}

#[test]
fn corpus_programs_cut_at_a_few_loops_print_what_they_should() {
    let Some(dir) = corpus::corpus_dir("corpus_programs_cut_at_a_few_loops") else {
        return;
    };
    for name in ["factor", "hanoi", "awib", "numwarp", "squares"] {
        let path = dir.join(format!("{name}.b"));
        let Ok(src) = std::fs::read(&path) else {
            continue;
        };
        let input = std::fs::read(path.with_extension("in")).unwrap_or_default();
        let want = std::fs::read(path.with_extension("out")).unwrap();
        let cuts = cuts(&src);
        let step = (cuts.len() / 4).max(1);
        for &(start, end) in cuts.iter().step_by(step) {
            for level in [OptLevel::O1, OptLevel::O2] {
                let config = Config::default().opt_level(level);
                let split = Split::At { start, end };
                let program = Program::with_split(src.clone(), &config, split).unwrap();
                assert_eq!(program.stats().pieces, 2, "{name} {start}..{end}: not cut");
                let (out, result) = run_jit(&program, &input);
                assert!(
                    result.is_ok(),
                    "{name} {start}..{end} {level:?}: {result:?}"
                );
                assert!(
                    out == want,
                    "{name} cut at {start}..{end}, {level:?}: wrong output"
                );
            }
        }
    }
}

/// Entries and iterations of each loop or scan of `program` (a loop whose first iteration
/// the optimizer peeled off counts it, as `--profile` shows it), by the loop's source start.
fn loop_counts(program: &Program, counts: &jitbf::profile::Counts) -> Vec<(u32, u64, u64)> {
    let report = jitbf::profile::Report::new(program.ir(), program.source(), counts);
    let mut out: Vec<(u32, u64, u64)> = report
        .loops
        .iter()
        .filter(|h| h.kind != jitbf::profile::Kind::If)
        .map(|h| (h.start, h.entries, h.iterations))
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn tape_dumps_and_loop_counts_of_a_cut_program_are_those_of_the_whole() {
    // With `--debug`, a `#` shows the tape as the source program has it, and with
    // `--profile` a loop that is still a loop has the counts of its source loop at `-O0`: a
    // seam must change neither.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/tapedump.bf");
    let src = std::fs::read(path).unwrap();
    let config = Config::default().debug(true).profile(true);
    let run = |program: &Program| {
        let mut io = Io::memory(Vec::new());
        let mut jit = program.compile().unwrap();
        let result = jit.run_on(&mut io).map_err(|e| e.to_string());
        let dumps = io.diagnostics.captured().to_vec();
        let counts = jitbf::Executor::profile(&jit).cloned().expect("counted");
        (
            io.take_output(),
            result,
            dumps,
            loop_counts(program, &counts),
        )
    };
    let whole = Program::new(src.clone(), &config.opt_level(OptLevel::O0)).unwrap();
    let (want_out, want_result, want_dumps, all_loops) = run(&whole);
    assert!(!want_dumps.is_empty(), "the program dumps the tape");
    for level in [OptLevel::O1, OptLevel::O2] {
        let config = config.opt_level(level);
        for (start, end) in cuts(&src) {
            let split = Split::At { start, end };
            let program = Program::with_split(src.clone(), &config, split).unwrap();
            assert_eq!(program.stats().pieces, 2);
            let (out, result, dumps, loops) = run(&program);
            let what = format!("cut at {start}..{end}, {level:?}");
            assert_eq!((&out, &result), (&want_out, &want_result), "{what}");
            assert_eq!(dumps, want_dumps, "{what}");
            assert!(!loops.is_empty(), "{what}: no loop left to count");
            for counted in loops {
                assert!(all_loops.contains(&counted), "{what}: {counted:?}");
            }
        }
    }
}
