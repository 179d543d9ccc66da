//! Clear loops: `[-]` and `[+]` become a store of zero.
//!
//! A loop whose whole body adds an odd constant to its own condition cell, such as `[-]`,
//! `[+]` or `[---]`, always ends with the cell at zero: an odd step reaches every value
//! modulo 2^n. So it is `p[off] = 0` (which is also right when the loop does not run). An
//! even step (`[--]`) may loop forever on an odd value and is left alone.

use crate::Config;
use crate::ir::{Instr, Ir, Op};

/// Runs the pass.
pub fn run(ir: &mut Ir, _config: &Config) {
    let code = &mut ir.code;
    // Rewrite in place: `w` trails the read position.
    let mut w = 0;
    for r in 0..code.len() {
        code[w] = code[r];
        w += 1;
        if w >= 3
            && let Some(set) = as_clear(&code[w - 3..w])
        {
            code[w - 3] = set;
            w -= 2;
        }
    }
    code.truncate(w);
}

/// If `ops` is a clear loop (`Loop`, an odd `Add` to its condition cell, `EndLoop`), the
/// store that replaces it. [`super::fold`] uses this too, to clear as it folds.
pub fn as_clear(ops: &[Instr]) -> Option<Instr> {
    match *ops {
        [
            Instr {
                op: Op::Loop { off: a },
                span: start,
            },
            Instr {
                op: Op::Add { off: b, val },
                ..
            },
            Instr {
                op: Op::EndLoop { off: c },
                span: end,
            },
        ] if a == b && b == c && val % 2 == 1 => Some(Instr {
            op: Op::Set { off: a, val: 0 },
            span: start.to(end),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn clear(src: &str) -> Vec<Op> {
        let mut ir = parse(src.as_bytes()).unwrap();
        run(&mut ir, &Config::default());
        ir.code.iter().map(|i| i.op).collect()
    }

    #[test]
    fn odd_steps_clear() {
        assert_eq!(clear("[-]"), vec![Op::Set { off: 0, val: 0 }]);
        assert_eq!(clear("[+++]"), vec![Op::Set { off: 0, val: 0 }]);
        // The outer body is a Set, not an Add, so the outer loop stays (it runs at most once).
        assert_eq!(
            clear("[[-]]"),
            vec![
                Op::Loop { off: 0 },
                Op::Set { off: 0, val: 0 },
                Op::EndLoop { off: 0 }
            ]
        );
    }

    #[test]
    fn even_steps_may_not_terminate_and_stay() {
        assert_eq!(clear("[--]").len(), 3);
    }
}
