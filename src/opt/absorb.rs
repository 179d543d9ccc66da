//! Absorbing: a constant added to a cell just before a multiply `if` empties it moves into
//! the multiply's destination, so the multiply reads the cell as it was.
//!
//! [`super::known`] peels the first iteration off long.b's innermost loop
//! `[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]`, and the rest of the loop becomes a multiply: on the
//! left what the pass leaves inside `if p[35] { .. }`, on the right the same after this one:
//!
//! ```text
//! p[34] += 3                          (gone: 3 + -1*3 = 0)
//! p[35] -= 1                          (gone)
//! p[40] += 3                          p[40] += 3
//! if p[40] { .. }                     if p[40] { .. }
//! check p[40..=41]       becomes      check p[40..=41]
//! p[41] = 0                           p[41] = 0
//! if p[35] {                          if p[35] {
//!   p[34] += p[35]*3                    p[34] += p[35]*3
//!   p[35] = 0                           p[35] = 0
//! }                                   }
//! ```
//!
//! With `v` the value of `p[35]` before `p[35] -= 1`, both leave `p[35]` at 0 and add
//! `(v - 1)*3 + 3 = v*3` to `p[34]`: when `v - 1` is 0 the left `if` is skipped and adds
//! nothing, and `v*3 - 3 + 3` is right too. Every instruction of such an `if` does nothing
//! when `p[35]` is 0, so which way its test goes does not matter, only the sum. The right
//! side has no `p[35] -= 1` on the loop's critical path (the value stored to `p[34]` is the
//! next iteration's `p[35]`) and two instructions fewer.
//!
//! The rule. At instruction `i`, `p[c] += a`; at a later `j`, `if p[c]` whose body is only
//! `p[d] += p[c]*k` for cells `d` other than `c` (each at most once) and then `p[c] = 0`, with
//! no bounds check. Between `i` and `j`: no instruction that reads or writes `p[c]` or any
//! `p[d]` (checks do neither), and nothing but arithmetic, checks and `if`s (no loop, scan,
//! pointer move, input, output or tape dump). Then `p[c] += a` goes, and each `p[d]` gets
//! `a*k`: added to a `p[d] += b` found before `i` with, again, only arithmetic on other
//! cells and checks in between; or, for one `d` only and when no check at all lies between
//! `i` and `j` (so `p[d]` is as surely on the tape at `i` as at `j`), in the place of
//! `p[c] += a`. Otherwise nothing changes. Arithmetic may move across checks, as in every
//! pass: what it did is not observable when a check fails (see [`crate::debug`]).

use crate::Config;
use crate::ir::{Instr, Ir, Op};

/// Most instructions looked at between `p[c] += a` and its `if`, and before it for `p[d]`.
const REACH: usize = 16;

/// Most multiplies in the `if`.
const MAX_MULS: usize = 4;

/// Runs the pass.
pub fn run(ir: &mut Ir, config: &Config) {
    let mask = config.cell_bits.max();
    let code = &mut ir.code;
    for j in 0..code.len() {
        if let Op::If { off } = code[j].op {
            absorb(code, j, off, mask);
        }
    }
}

/// Whether `op` reads or writes `p[x]`.
fn touches(op: Op, x: i32) -> bool {
    match op {
        Op::Add { off, .. } | Op::Set { off, .. } | Op::If { off } => off == x,
        Op::MulAdd { src, dst, .. }
        | Op::MulSet { src, dst, .. }
        | Op::MulAddMin { src, dst, .. } => src == x || dst == x,
        // (Only arithmetic, checks and `if` brackets get this far.)
        _ => false,
    }
}

/// The multiplies `(d, k, index)` of the `if p[c]` at `j`, if its body has the rule's form.
fn multiplies(code: &[Instr], j: usize, c: i32) -> Option<Vec<(i32, u32, usize)>> {
    let mut muls: Vec<(i32, u32, usize)> = Vec::new();
    let mut at = j + 1;
    loop {
        match code.get(at)?.op {
            Op::MulAdd { src, dst, k } if src == c && dst != c => {
                if muls.len() == MAX_MULS || muls.iter().any(|m| m.0 == dst) {
                    return None;
                }
                muls.push((dst, k, at));
            }
            Op::Set { off, val: 0 } if off == c => break,
            _ => return None,
        }
        at += 1;
    }
    (code.get(at + 1)?.op == Op::EndIf && !muls.is_empty()).then_some(muls)
}

/// Applies the rule to the `if p[c]` at `j`, if it holds.
fn absorb(code: &mut [Instr], j: usize, c: i32, mask: u32) {
    let Some(muls) = multiplies(code, j, c) else {
        return;
    };
    // Back from `j` to `p[c] += a`, over arithmetic, checks and `if` brackets that touch
    // neither `p[c]` nor any `p[d]`.
    // (Only over whole `if`s: `p[c] += a` must run exactly when the `if p[c]` is reached.)
    let mut checks = false;
    let mut depth = 0usize;
    let mut i = j;
    let a = loop {
        if i == 0 || j - i > REACH {
            return;
        }
        i -= 1;
        let op = code[i].op;
        match op {
            Op::Add { off, val } if off == c && depth == 0 => break val,
            Op::Check(_) => checks = true,
            Op::EndIf => depth += 1,
            Op::If { .. } if depth > 0 => depth -= 1,
            Op::Add { .. }
            | Op::Set { .. }
            | Op::MulAdd { .. }
            | Op::MulSet { .. }
            | Op::MulAddMin { .. } => {}
            _ => return,
        }
        if touches(op, c) || muls.iter().any(|m| touches(op, m.0)) {
            return;
        }
    };
    // Where each `p[d]` gets its `a*k`: an earlier `p[d] += b`, or the place of `p[c] += a`.
    let mut into = Vec::with_capacity(muls.len());
    let mut slot_used = false;
    for &(d, k, _) in &muls {
        let term = a.wrapping_mul(k) & mask;
        if term == 0 {
            continue;
        }
        match add_before(code, i, d) {
            Some(m) => into.push((m, d, term)),
            None if !checks && !slot_used => {
                slot_used = true;
                into.push((i, d, term));
            }
            None => return,
        }
    }
    let span = code[i].span;
    code[i] = Instr {
        op: Op::Move { delta: 0 },
        span,
    };
    for (m, d, term) in into {
        code[m].op = match code[m].op {
            Op::Add { off, val } if m != i => Op::Add {
                off,
                val: val.wrapping_add(term) & mask,
            },
            _ => Op::Add { off: d, val: term },
        };
    }
}

/// The index of a `p[d] += b` before instruction `i` with only arithmetic on other cells and
/// checks in between.
fn add_before(code: &[Instr], i: usize, d: i32) -> Option<usize> {
    let mut m = i;
    while m > 0 && i - m < REACH {
        m -= 1;
        let op = code[m].op;
        match op {
            Op::Add { off, .. } if off == d => return Some(m),
            Op::Check(_)
            | Op::Add { .. }
            | Op::Set { .. }
            | Op::MulAdd { .. }
            | Op::MulSet { .. }
            | Op::MulAddMin { .. } => {
                if touches(op, d) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::CheckId;

    fn absorbed(ops: &[Op]) -> Vec<Op> {
        let mut ir = Ir::from_ops(ops);
        run(&mut ir, &Config::default());
        ir.code
            .iter()
            .map(|x| x.op)
            .filter(|op| *op != Op::Move { delta: 0 } && *op != (Op::Add { off: 34, val: 0 }))
            .collect()
    }

    /// long.b's peeled loop body (the `if p[40]` reduced to its bracket contents).
    fn long_body(between: &[Op]) -> Vec<Op> {
        let mut ops = vec![Op::Add { off: 34, val: 3 }, Op::Add { off: 35, val: 255 }];
        ops.extend_from_slice(between);
        ops.extend(MULTIPLY_IF);
        ops
    }

    /// long.b's multiply `if`: `if p[35] { p[34] += p[35]*3; p[35] = 0 }`.
    const MULTIPLY_IF: [Op; 4] = [
        Op::If { off: 35 },
        Op::MulAdd {
            src: 35,
            dst: 34,
            k: 3,
        },
        Op::Set { off: 35, val: 0 },
        Op::EndIf,
    ];

    #[test]
    fn longs_decrement_goes_into_the_multiplys_destination() {
        let between = [
            Op::Add { off: 40, val: 3 },
            Op::If { off: 40 },
            Op::Check(CheckId(0)),
            Op::Set { off: 40, val: 0 },
            Op::EndIf,
            Op::Check(CheckId(1)),
            Op::Set { off: 41, val: 0 },
        ];
        let out = absorbed(&long_body(&between));
        // `p[34] += 3` became `p[34] += 0` (filtered out), `p[35] -= 1` a no-op.
        let mut want = between.to_vec();
        want.extend(&long_body(&[])[2..]);
        assert_eq!(out, want);
    }

    #[test]
    fn without_an_earlier_add_the_term_takes_the_decrements_place_if_no_check_intervenes() {
        let ops = long_body(&[Op::Add { off: 40, val: 3 }]);
        let out = absorbed(&ops[1..]);
        assert_eq!(out[0], Op::Add { off: 34, val: 253 }, "-1*3");
        assert_eq!(out[1], Op::Add { off: 40, val: 3 });
        // With a check between, `p[34]` might only be known on the tape at the `if`.
        let ops = long_body(&[Op::Check(CheckId(0))]);
        assert_eq!(absorbed(&ops[1..]), ops[1..]);
    }

    #[test]
    fn a_read_or_write_of_either_cell_in_between_stops_it() {
        for op in [
            Op::Set { off: 35, val: 1 },
            Op::Add { off: 34, val: 1 },
            Op::MulAdd {
                src: 34,
                dst: 40,
                k: 2,
            },
            Op::MulAdd {
                src: 35,
                dst: 40,
                k: 2,
            },
            Op::If { off: 35 },
            Op::Out { off: 40 },
            Op::Move { delta: 1 },
        ] {
            let mut between = vec![op];
            if op == (Op::If { off: 35 }) {
                between.push(Op::EndIf);
            }
            let ops = long_body(&between);
            assert_eq!(absorbed(&ops), ops, "{op:?}");
        }
    }

    #[test]
    fn the_if_must_be_a_pure_multiply_that_empties_its_cell() {
        let base = long_body(&[]);
        // A check in the body, another store, the cell not emptied, a multiply from `p[c]`
        // into itself.
        type Change<'a> = &'a dyn Fn(&mut Vec<Op>);
        let variants: [Change; 4] = [
            &|o| o.insert(3, Op::Check(CheckId(0))),
            &|o| o.insert(4, Op::Add { off: 36, val: 1 }),
            &|o| o[4] = Op::Set { off: 35, val: 1 },
            &|o| {
                o[3] = Op::MulAdd {
                    src: 35,
                    dst: 35,
                    k: 3,
                }
            },
        ];
        for change in variants {
            let mut ops = base.clone();
            change(&mut ops);
            assert_eq!(absorbed(&ops), ops);
        }
    }

    #[test]
    fn terms_wrap_at_the_cell_width() {
        let mut ops = long_body(&[]);
        ops[1] = Op::Add { off: 35, val: 100 };
        let mut ir = Ir::from_ops(&ops);
        run(&mut ir, &Config::default());
        assert_eq!(
            ir.code[0].op,
            Op::Add {
                off: 34,
                val: 303 & 0xff
            }
        );
        let mut ir = Ir::from_ops(&ops);
        run(&mut ir, &Config::default().cell_bits(crate::CellBits::U16));
        assert_eq!(ir.code[0].op, Op::Add { off: 34, val: 303 });
        // -1 at 16 bits: 3 - 3.
        ops[1] = Op::Add {
            off: 35,
            val: 0xffff,
        };
        let mut ir = Ir::from_ops(&ops);
        run(&mut ir, &Config::default().cell_bits(crate::CellBits::U16));
        assert_eq!(ir.code[0].op, Op::Add { off: 34, val: 0 });
    }

    #[test]
    fn a_term_of_zero_at_the_width_needs_no_place() {
        // `p[35] += 128` into a multiply by 2: 256 is 0 in a byte, so with a check between
        // and no earlier add to `p[34]` the decrement still goes; at 16 bits it stays.
        let mut ops = long_body(&[Op::Check(CheckId(0))]);
        ops[1] = Op::Add { off: 35, val: 128 };
        ops[4] = Op::MulAdd {
            src: 35,
            dst: 34,
            k: 2,
        };
        let out = absorbed(&ops[1..]);
        assert_eq!(out, ops[2..]);
        let mut ir = Ir::from_ops(&ops[1..]);
        run(&mut ir, &Config::default().cell_bits(crate::CellBits::U16));
        let out: Vec<Op> = ir.code.iter().map(|x| x.op).collect();
        assert_eq!(out, ops[1..]);
    }

    #[test]
    fn only_at_the_same_depth_as_the_if() {
        // `p[c] += a` inside an earlier `if`, or the multiply `if` inside a later one: either
        // runs without the other.
        let mut ops = vec![
            Op::Add { off: 34, val: 3 },
            Op::If { off: 50 },
            Op::Add { off: 35, val: 255 },
            Op::EndIf,
        ];
        ops.extend(MULTIPLY_IF);
        assert_eq!(absorbed(&ops), ops);
        let mut ops = vec![
            Op::Add { off: 34, val: 3 },
            Op::Add { off: 35, val: 255 },
            Op::If { off: 50 },
        ];
        ops.extend(MULTIPLY_IF);
        ops.push(Op::EndIf);
        assert_eq!(absorbed(&ops), ops);
    }
}
