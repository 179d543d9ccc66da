//! `--profile` counts, in the library: the JIT and the interpreter count the same at every
//! level, and a source loop that is still a loop (or scan) at `-O1`/`-O2` has exactly the
//! iterations and entries it has at `-O0`. On every bundled program and a few shapes;
//! `tests/differential.rs` checks the same on generated programs.

use std::path::Path;

use jitbf::profile::{Counts, Kind, Report};
use jitbf::{Config, Eof, Executor, Io, OptLevel, Program};

/// Counts of `src` on `input` at `level`, by the interpreter and (where there is one) the
/// JIT, with whether the run succeeded.
fn counts(src: &[u8], input: &[u8], config: Config) -> (Program, Counts, Option<Counts>, bool) {
    let program = Program::new(src, &config.profile(true)).unwrap();
    let mut interp = program.interpreter();
    let ok = interp.run(&mut Io::memory(input)).is_ok();
    let by_interp = interp.profile().expect("counts").clone();
    let by_jit = jitbf::JIT_AVAILABLE.then(|| {
        let mut jit = program.compile().unwrap();
        let jit_ok = jit.run(&mut Io::memory(input)).is_ok();
        assert_eq!(jit_ok, ok);
        jit.profile().expect("counts").clone()
    });
    (program, by_interp, by_jit, ok)
}

/// Checks the two properties for one program; returns how many loops were compared.
fn check(name: &str, src: &[u8], input: &[u8], config: Config) -> usize {
    let levels = [OptLevel::O0, OptLevel::O1, OptLevel::O2];
    let mut reports = Vec::new();
    for level in levels {
        let (program, by_interp, by_jit, _) = counts(src, input, config.opt_level(level));
        if let Some(by_jit) = by_jit {
            assert_eq!(
                by_jit, by_interp,
                "{name} at {level:?}: JIT and interpreter"
            );
        }
        reports.push(Report::new(program.ir(), src, &by_interp));
    }
    let mut compared = 0;
    for (report, level) in reports.iter().zip(levels).skip(1) {
        for hot in report.loops.iter().filter(|h| h.kind != Kind::If) {
            let at_o0 = reports[0].loops.iter().find(|h| h.start == hot.start);
            let at_o0 = at_o0.unwrap_or_else(|| panic!("{name}: {:?} has no -O0 loop", hot.at));
            assert_eq!(
                (hot.entries, hot.iterations),
                (at_o0.entries, at_o0.iterations),
                "{name}: loop at {} ({:?} at {level:?})",
                hot.at,
                hot.kind
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn bundled_programs_count_alike_in_both_executors_and_at_every_level() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "bf") {
            continue;
        }
        let src = std::fs::read(&path).unwrap();
        let input = std::fs::read(path.with_extension("in")).unwrap_or_default();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        total += check(&name, &src, &input, Config::default());
    }
    // Loops that survive optimization exist in these programs, and were compared.
    assert!(total > 20, "{total} loops compared");
}

#[test]
fn scans_and_peeled_loops_keep_their_counts() {
    // A scan over 5 cells, twice; a loop peeled at -O2 (`[>,]`), with input.
    let n = check(
        "scans",
        b">+>+>+>+>+<<<<[>]<[<]>[>]",
        b"",
        Config::default(),
    );
    let m = check(
        "peeled",
        b",[>,]<[<]>[.>]",
        b"hello",
        Config::default().eof(Eof::Zero),
    );
    assert!(n >= 1 && m >= 2, "{n} {m}");
}

#[test]
fn a_run_that_fails_counts_alike() {
    // The scan runs off the left end of the tape after counting some steps; the move off
    // the tape inside the loop fails on its third iteration.
    for src in [&b">>+<+<+>>[<]"[..], b"+++[>>+>[-]<<<<-]", b">+>+>+[<]<[<]"] {
        for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
            let config = Config::default().opt_level(level).tape_cells(64);
            let (_, by_interp, by_jit, ok) = counts(src, b"", config);
            assert!(!ok, "{} fails", String::from_utf8_lossy(src));
            if let Some(by_jit) = by_jit {
                assert_eq!(
                    by_jit,
                    by_interp,
                    "{} at {level:?}",
                    String::from_utf8_lossy(src)
                );
            }
        }
    }
}
