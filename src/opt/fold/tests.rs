//! Tests of the folding pass, streamed from the parser and in place.

use super::*;
use crate::parse::parse;

fn fold(src: &str) -> Ir {
    let mut ir = parse(src.as_bytes()).unwrap();
    run(&mut ir, &Config::default());
    crate::opt::compact(ir)
}

#[test]
fn folding_while_parsing_is_folding_after() {
    let src = b">+[->>+<<]<<,>.[>]>+>>.[-]";
    let mut streamed = Folder::new(Ir::default());
    crate::parse::parse_into(src, &mut streamed).unwrap();
    let streamed = crate::opt::compact(streamed.finish());
    let mut after = parse(src).unwrap();
    run(&mut after, &Config::default());
    assert_eq!(streamed, crate::opt::compact(after));
}

#[test]
fn clear_loops_taken_in_one_call_fold_as_taken_one_by_one() {
    // The parser delivers `[-]`, `[+++]`... written without comments in one call
    // (`Emit::clear`); the folder must make of it exactly what it makes of the three ops,
    // spans and counts included, wherever it stands: after pending arithmetic and moves,
    // inside a check window, nested, followed by arithmetic on the same cell. Even runs,
    // comments inside and a missing `]` take the ordinary path.
    for src in [
        "[-]",
        "+>+<[-]+++.",
        ">>+<[-]>[+++]<<<<[---].",
        "+[>[-]<-]>[[-]]>.",
        "[--]+[- ]>[-]x[+]<.",
        "+++++[-]",
        "+[-",
        "+[-]]",
    ] {
        let literal = parse(src.as_bytes());
        let mut streamed = Folder::new(Ir::default()).fusing(Fuse::MUL_SCAN);
        let result = crate::parse::parse_into(src.as_bytes(), &mut streamed);
        // Unmatched brackets are found, and named, as before.
        assert_eq!(result.err(), literal.as_ref().err().copied(), "{src}");
        let Ok(mut after) = literal else { continue };
        assert_eq!(streamed.consumed(), after.len(), "{src}: literal ops");
        run_mul_scan(&mut after, &Config::default());
        assert_eq!(
            crate::opt::compact(streamed.finish()),
            crate::opt::compact(after),
            "{src}"
        );
    }
}

#[test]
fn fused_loop_rewrites_are_the_passes_run_after() {
    let config = Config::default();
    for src in [
        "+[->+++>+<<]>[>]<[-]+[<<]>>[+>-<]>[->[-]>+<<][->+<[->+<]]",
        ">>[[>]<[->+<]]+[-<+>]>[>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>]",
        "[->+<]",
        "[>]",
    ] {
        let mut fused = parse(src.as_bytes()).unwrap();
        run_mul_scan(&mut fused, &config);
        let mut after = parse(src.as_bytes()).unwrap();
        run(&mut after, &config);
        mul::run(&mut after, &config);
        scan::run(&mut after, &config);
        // (The check tables differ until compacted: the parser's are kept.)
        let fused = crate::opt::compact(fused);
        assert_eq!(fused, crate::opt::compact(after), "{src}");
        assert!(
            ops(&fused)
                .iter()
                .any(|op| matches!(op, Op::Scan { .. } | Op::MulAdd { .. }))
        );
        let mut streamed = Folder::new(Ir::default()).fusing(Fuse::MUL_SCAN);
        crate::parse::parse_into(src.as_bytes(), &mut streamed).unwrap();
        assert_eq!(crate::opt::compact(streamed.finish()), fused, "{src}");
    }
}

fn ops(ir: &Ir) -> Vec<Op> {
    ir.code.iter().map(|i| i.op).collect()
}

#[test]
fn moves_become_offsets() {
    let ir = fold(">+>++<<-.>.>.");
    let Op::Check(id) = ir.code[0].op else {
        panic!("a check comes first")
    };
    assert_eq!((ir.excursion(id).lo, ir.excursion(id).hi), (0, 2));
    let effects: Vec<Op> = ops(&ir)
        .into_iter()
        .filter(|op| !matches!(op, Op::Check(_)))
        .collect();
    assert_eq!(
        effects,
        [
            Op::Add {
                off: 0,
                val: u32::MAX
            },
            Op::Out { off: 0 },
            Op::Add { off: 1, val: 1 },
            Op::Out { off: 1 },
            Op::Add { off: 2, val: 2 },
            Op::Out { off: 2 },
        ]
    );
}

#[test]
fn arithmetic_combines_and_dead_tail_is_dropped() {
    assert_eq!(
        ops(&fold("++--+.")),
        vec![Op::Add { off: 0, val: 1 }, Op::Out { off: 0 }]
    );
    // Nothing is printed, so nothing needs computing (the checks stay).
    assert!(
        ops(&fold("+++>+++"))
            .iter()
            .all(|op| matches!(op, Op::Check(_)))
    );
}

#[test]
fn balanced_loops_need_no_moves() {
    let got = ops(&fold(">>[->+<]"));
    assert_eq!(got[1], Op::Loop { off: 2 });
    assert_eq!(got.last(), Some(&Op::EndLoop { off: 2 }));
    assert!(!got.iter().any(|op| matches!(op, Op::Move { .. })));
}

#[test]
fn unbalanced_loops_move_at_the_end() {
    let got = ops(&fold(">[>>]"));
    assert_eq!(got[1], Op::Loop { off: 1 });
    assert_eq!(got[got.len() - 2], Op::Move { delta: 2 });
    assert_eq!(got[got.len() - 1], Op::EndLoop { off: 1 });
}

#[test]
fn merged_check_names_the_same_move() {
    // p=0: the `<` at byte 4 is the first move off the tape.
    let ir = fold(">+<+<");
    let Op::Check(id) = ir.code[0].op else {
        panic!()
    };
    assert_eq!(ir.check_failure(id, 0, 10), Some((4, crate::Side::Left)));
    assert_eq!(ir.check_failure(id, 0, 1), Some((0, crate::Side::Right)));
}
