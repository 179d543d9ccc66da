//! Failure reports: what differed, and a ready-to-paste regression test.

use std::fmt::Write as _;

use jitbf::{CellBits, Eof, OptLevel, Side};

use crate::case::{Case, rust_str};
use crate::check::{Class, Failure, Target};
use crate::model::{Ending, Outcome};

/// A report for a (shrunk) failing case: `origin` says where it came from and how to
/// reproduce it.
pub fn mismatch(
    case: &Case,
    origin: &str,
    expected: &Outcome,
    failures: &[Failure],
    test_name: &str,
) -> String {
    let mut r = String::new();
    let class = Class::of(failures);
    let _ = writeln!(r, "MISMATCH ({}): {origin}", class.name());
    let _ = writeln!(r, "{case}");
    let _ = writeln!(r, "    expected (model): {expected:?}");
    for f in failures {
        let _ = writeln!(r, "    got {:<15} {:?}", format!("{}:", f.target), f.got);
    }
    if let Some(first) = failures.first() {
        let _ = writeln!(r, "  regression test:\n");
        r.push_str(&regression_test(case, first.target, expected, test_name));
    }
    r
}

/// A `#[test]` that fails while the bug is there: runs `case` on `target` and asserts the
/// model's output and ending.
pub fn regression_test(case: &Case, target: Target, expected: &Outcome, name: &str) -> String {
    let (level, run) = match target {
        Target::Interp(l) => (l, "program.interpreter()".to_string()),
        Target::Jit { level, cache: true } => (level, "program.compile().unwrap()".to_string()),
        Target::Jit {
            level,
            cache: false,
        } => (
            level,
            "jitbf::jit::Jit::with_options(&program, jitbf::jit::Options::default().cache(false))\n        .unwrap()"
                .to_string(),
        ),
        Target::Verified(level) => (
            level,
            "jitbf::jit::Jit::with_options(&program, jitbf::jit::Options::default().verify(true))\n        .unwrap()"
                .to_string(),
        ),
        Target::Split(level) => (level, "program.compile().unwrap()".to_string()),
    };
    let make = match (target, crate::check::cut_of(&case.source)) {
        (Target::Split(_), Some((start, end))) => format!(
            "jitbf::Program::with_split(\n        source,\n        &config,\n        jitbf::opt::split::Split::At {{ start: {start}, end: {end} }},\n    )"
        ),
        _ => "jitbf::Program::new(source, &config)".to_string(),
    };
    let ending = match expected.ending {
        Ending::Ok => "    assert!(result.is_ok(), \"{result:?}\");".to_string(),
        Ending::OutOfRange(side, pos) => format!(
            "    assert!(\n        matches!(\n            result,\n            Err(jitbf::RuntimeError::PointerOutOfRange {{ side: jitbf::Side::{}, pos: {pos}, .. }})\n        ),\n        \"{{result:?}}\"\n    );",
            side_name(side)
        ),
        Ending::Other(_) => "    // The model never ends with another error.".to_string(),
    };
    format!(
        "#[test]
fn {name}() {{
    use jitbf::Executor as _;
    // Found by jitbf-structfuzz; {target} disagreed with the reference semantics.
    let source = {source};
    let config = jitbf::Config::default()
        .cell_bits(jitbf::CellBits::{cells})
        .eof(jitbf::Eof::{eof})
        .tape_cells({tape})
        .opt_level(jitbf::OptLevel::{level});
    let program = {make}.unwrap();
    let mut io = jitbf::Io::memory({input});
    let result = {run}.run(&mut io);
    assert_eq!(io.output(), {output});
{ending}
}}
",
        source = case.source_expr(),
        cells = cells_name(case.cells),
        eof = eof_name(case.eof),
        tape = case.tape,
        level = level_name(level),
        input = byte_str(&case.input),
        output = byte_str(&expected.output),
    )
}

fn byte_str(b: &[u8]) -> String {
    let s = rust_str(b);
    if s.starts_with('b') {
        format!("&{s}[..]")
    } else {
        format!("&b{s}[..]")
    }
}

fn cells_name(c: CellBits) -> &'static str {
    match c {
        CellBits::U8 => "U8",
        CellBits::U16 => "U16",
        CellBits::U32 => "U32",
    }
}

fn eof_name(e: Eof) -> &'static str {
    match e {
        Eof::Unchanged => "Unchanged",
        Eof::Zero => "Zero",
        Eof::Max => "Max",
    }
}

fn level_name(l: OptLevel) -> &'static str {
    match l {
        OptLevel::O0 => "O0",
        OptLevel::O1 => "O1",
        OptLevel::O2 => "O2",
    }
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Left => "Left",
        Side::Right => "Right",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_tests_name_the_target_and_the_expected_ending() {
        let case = Case {
            cells: CellBits::U16,
            eof: Eof::Max,
            tape: 64,
            input: vec![0, 0xff],
            source: b",>,<[->+>++<<]>[+.[-]]>.<<<".to_vec(),
        };
        let expected = Outcome {
            output: vec![0],
            ending: Ending::OutOfRange(Side::Left, 26),
        };
        let t = regression_test(
            &case,
            Target::Jit {
                level: OptLevel::O2,
                cache: true,
            },
            &expected,
            "fuzz_1",
        );
        assert!(
            t.contains("let source = \",>,<[->+>++<<]>[+.[-]]>.<<<\";"),
            "{t}"
        );
        assert!(t.contains(".cell_bits(jitbf::CellBits::U16)"), "{t}");
        assert!(
            t.contains("jitbf::Io::memory(&b\"\\x00\\xff\"[..]);"),
            "{t}"
        );
        assert!(t.contains("program.compile().unwrap().run(&mut io)"), "{t}");
        assert!(t.contains("side: jitbf::Side::Left, pos: 26"), "{t}");
        assert!(
            t.contains("assert_eq!(io.output(), &b\"\\x00\"[..]);"),
            "{t}"
        );
        let t = regression_test(
            &case,
            Target::Jit {
                level: OptLevel::O1,
                cache: false,
            },
            &Outcome {
                output: vec![],
                ending: Ending::Ok,
            },
            "fuzz_2",
        );
        assert!(t.contains(".cache(false)"), "{t}");
        assert!(t.contains("OptLevel::O1"), "{t}");
        let t = regression_test(
            &case,
            Target::Verified(OptLevel::O0),
            &Outcome {
                output: vec![],
                ending: Ending::Ok,
            },
            "fuzz_3",
        );
        assert!(t.contains(".verify(true)"), "{t}");
        assert!(t.contains("OptLevel::O0"), "{t}");
        assert!(t.contains("assert!(result.is_ok()"), "{t}");
    }
}
