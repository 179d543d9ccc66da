//! Carries: an `if` that adds constants becomes one whose every instruction does nothing
//! when its condition cell is 0, so the code generator can run it without a branch.
//!
//! Decimal arithmetic ends each digit with a carry. After [`super::ladder`], one of factor.b's
//! reads, on the left:
//!
//! ```text
//! if p[38] {                        if p[38] {
//!   check p[38..=48]                  check p[38..=48]
//!   p[38] -= 1                        p[39] += p[38]*1
//!   p[39] -= 9           becomes      p[48] += min(p[38], 1)*1
//!   p[39] += p[38]*1                  p[39] += min(p[38], 1)*-10
//!   p[48] += 1                        p[38] = 0
//!   p[38] = 0                       }
//! }
//! ```
//!
//! Inside the `if`, `p[38]` is not 0, so `min(p[38], 1)` is 1 and both bodies do the same:
//! with `v` the cell's value on entry, `p[39]` gets `v - 1 - 9`, `p[48]` gets 1 and the cell
//! ends at 0. But every instruction on the right adds 0 (or stores 0 over 0) when `p[38]` is
//! 0, which is what [`crate::jit`]'s *flat* `if`s need to drop the test and the jump: whether
//! a digit sum carries follows no pattern, so the branch is mispredicted about half the time
//! (cachegrind's model, on factor: 2.3 M of its 15 M mispredicted branches were these).
//!
//! The rule, for an `if p[c]` whose body is straight-line arithmetic:
//! * `p[c] += k` is remembered (`a`, what has been added to the entry value `v` so far);
//! * `p[d] += k` (`d` not `c`) becomes a constant term `k`: `p[d] += min(p[c], 1)*k`;
//! * `p[d] += p[c]*k` reads `v + a`: a multiply term `k` on `v`, and a constant term `k*a`;
//! * `p[c] = 0` must come, after which only `p[d] += k` (constant terms) and
//!   `p[d] += p[c]*k` (adding 0: dropped) may follow.
//!
//! The new body is the checks (in their order), the multiply terms, the constant terms (with
//! factor 1 or -1 first: the code generator computes `min(p[c], 1)` once for a run of those)
//! and `p[c] = 0`. Checks move before the arithmetic, as every pass may move them: what the
//! arithmetic did is not observable when a check fails (see [`crate::debug`]).
//!
//! It only pays where the branch goes: the rewrite is made when the body has a multiply term
//! (the value of `p[c]` matters, as in a carry; a body of constants alone is a flag, often
//! predictable) and a constant term, no more instructions than before, and at most
//! [`MAX_TERMS`] (with the store), so that the code generator's flat `if`s take it.

use crate::Config;
use crate::ir::{Instr, Ir, Op, Span};

/// Most instructions (checks not counted) a rewritten body may have: the code generator's
/// limit for a flat body.
pub const MAX_TERMS: usize = 4;

/// Longest body looked at.
const MAX_BODY: usize = 16;

/// Runs the pass.
pub fn run(ir: &mut Ir, config: &Config) {
    let mask = config.cell_bits.max();
    let code = &mut ir.code;
    let mut i = 0;
    while i < code.len() {
        if let Op::If { off } = code[i].op
            && let Some((end, body)) = rewrite(&code[i + 1..], off, mask)
        {
            // The new body fits in the old one's place; what is left over becomes no-op
            // moves, which `compact` drops.
            let from = i + 1;
            for (k, slot) in code[from..from + end].iter_mut().enumerate() {
                *slot = body.get(k).copied().unwrap_or(Instr {
                    op: Op::Move { delta: 0 },
                    span: slot.span,
                });
            }
            i = from + end;
            continue;
        }
        i += 1;
    }
}

/// A term of the new body: `p[dst] += p[c]*k` or `p[dst] += min(p[c], 1)*k`.
#[derive(Clone, Copy)]
struct Term {
    dst: i32,
    k: u32,
    span: Span,
}

/// Adds `k` to `dst`'s term in `terms` (a new one with `span` if there is none).
fn add(terms: &mut Vec<Term>, dst: i32, k: u32, span: Span) {
    match terms.iter_mut().find(|t| t.dst == dst) {
        Some(t) => t.k = t.k.wrapping_add(k),
        None => terms.push(Term { dst, k, span }),
    }
}

/// For the body `code` of an `if p[c]` (up to its `EndIf`), the body's length and its
/// rewritten form (no longer), if the rule applies.
fn rewrite(code: &[Instr], c: i32, mask: u32) -> Option<(usize, Vec<Instr>)> {
    let mut checks = Vec::new();
    let (mut muls, mut consts) = (Vec::new(), Vec::new());
    // What has been added to `p[c]`, and the store of 0 to it once seen.
    let mut a: u32 = 0;
    let mut zeroed: Option<Span> = None;
    let mut work = 0;
    let mut end = 0;
    loop {
        let ins = *code.get(end)?;
        if end == MAX_BODY {
            return None;
        }
        end += 1;
        match ins.op {
            Op::EndIf => break,
            Op::Check(_) => {
                checks.push(ins);
                continue;
            }
            Op::Add { off, val } if off == c && zeroed.is_none() => a = a.wrapping_add(val),
            Op::Add { off, val } if off != c => add(&mut consts, off, val, ins.span),
            Op::MulAdd { src, dst, k } if src == c && dst != c => {
                if zeroed.is_none() {
                    add(&mut muls, dst, k, ins.span);
                    add(&mut consts, dst, k.wrapping_mul(a), ins.span);
                }
            }
            Op::Set { off, val: 0 } if off == c => zeroed = Some(ins.span),
            _ => return None,
        }
        work += 1;
    }
    let set = zeroed?;
    let live = |t: &Term| t.k & mask != 0;
    muls.retain(live);
    consts.retain(live);
    let terms = muls.len() + consts.len() + 1;
    if muls.is_empty() || consts.is_empty() || terms > MAX_TERMS || terms > work {
        return None;
    }
    // Factors 1 and -1 first (stable: otherwise in program order).
    consts.sort_by_key(|t| !(t.k & mask == 1 || t.k & mask == mask));
    let mut body = checks;
    body.extend(muls.iter().map(|t| Instr {
        op: Op::MulAdd {
            src: c,
            dst: t.dst,
            k: t.k & mask,
        },
        span: t.span,
    }));
    body.extend(consts.iter().map(|t| Instr {
        op: Op::MulAddMin {
            src: c,
            dst: t.dst,
            k: t.k & mask,
            max: 1,
        },
        span: t.span,
    }));
    body.push(Instr {
        op: Op::Set { off: c, val: 0 },
        span: set,
    });
    // (`end` counted the `EndIf`, which stays.)
    Some((end - 1, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CellBits, Eof, Executor, Io, OptLevel, Program};

    fn rewrite(ops: &[Op]) -> Vec<Op> {
        let mut ir = Ir::from_ops(ops);
        run(&mut ir, &Config::default());
        ir.code
            .iter()
            .map(|i| i.op)
            .filter(|op| *op != Op::Move { delta: 0 })
            .collect()
    }

    const MINUS: u32 = u32::MAX;

    fn min(dst: i32, k: u32) -> Op {
        Op::MulAddMin {
            src: 0,
            dst,
            k: k & 0xff,
            max: 1,
        }
    }

    #[test]
    fn a_decimal_carry_becomes_terms_that_add_0_when_the_cell_is_0() {
        // factor's: take 1, take 9 from the next digit, move the rest there, carry 1.
        let carry = [
            Op::If { off: 0 },
            Op::Add { off: 0, val: MINUS },
            Op::Add {
                off: 1,
                val: 9u32.wrapping_neg(),
            },
            Op::MulAdd {
                src: 0,
                dst: 1,
                k: 1,
            },
            Op::Add { off: 10, val: 1 },
            Op::Set { off: 0, val: 0 },
            Op::EndIf,
        ];
        assert_eq!(
            rewrite(&carry),
            [
                Op::If { off: 0 },
                Op::MulAdd {
                    src: 0,
                    dst: 1,
                    k: 1
                },
                min(10, 1),
                min(1, 10u32.wrapping_neg()),
                Op::Set { off: 0, val: 0 },
                Op::EndIf,
            ]
        );
        // factor's borrow: a constant after the store of 0.
        let borrow = [
            Op::If { off: 0 },
            Op::Add { off: 0, val: 10 },
            Op::MulAdd {
                src: 0,
                dst: 1,
                k: 1,
            },
            Op::Set { off: 0, val: 0 },
            Op::Add {
                off: 10,
                val: MINUS,
            },
            Op::EndIf,
        ];
        assert_eq!(
            rewrite(&borrow),
            [
                Op::If { off: 0 },
                Op::MulAdd {
                    src: 0,
                    dst: 1,
                    k: 1
                },
                min(10, MINUS),
                min(1, 10),
                Op::Set { off: 0, val: 0 },
                Op::EndIf,
            ]
        );
    }

    #[test]
    fn other_ifs_are_left_alone() {
        let left = |body: &[Op]| {
            let mut ops = vec![Op::If { off: 0 }];
            ops.extend_from_slice(body);
            ops.push(Op::EndIf);
            assert_eq!(rewrite(&ops), ops);
        };
        let mul = Op::MulAdd {
            src: 0,
            dst: 1,
            k: 1,
        };
        let clear = Op::Set { off: 0, val: 0 };
        // A flag: no multiply term.
        left(&[Op::Add { off: 2, val: 1 }, clear]);
        // No constant term: already flat.
        left(&[mul, clear]);
        // The cell is not cleared.
        left(&[Op::Add { off: 2, val: 1 }, mul]);
        // Output, a nested `if`, a store to another cell.
        left(&[Op::Add { off: 2, val: 1 }, mul, Op::Out { off: 1 }, clear]);
        left(&[
            Op::Add { off: 2, val: 1 },
            mul,
            Op::If { off: 1 },
            Op::EndIf,
            clear,
        ]);
        left(&[Op::Set { off: 2, val: 1 }, mul, clear]);
        // More terms than a flat body takes.
        left(&[
            Op::Add { off: 2, val: 1 },
            Op::Add { off: 3, val: 1 },
            Op::Add { off: 4, val: 1 },
            mul,
            clear,
        ]);
    }

    /// The rewritten carry computes what the original did, for every value of the digit,
    /// at every width: both forms in the interpreter.
    #[test]
    fn the_rewritten_carry_does_what_the_branch_did() {
        // (The last `,` meets the end of input and leaves `p[0]` as the carry left it.)
        let src = ",>,>,<<[->---------<>>+<<[->+<]],.>.>.>.";
        for bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
            let reference = Config::default().cell_bits(bits).eof(Eof::Unchanged);
            let mut outputs = Vec::new();
            for level in [OptLevel::O0, OptLevel::O2] {
                let program = Program::new(src.as_bytes(), &reference.opt_level(level)).unwrap();
                let rewritten = program
                    .ir()
                    .code
                    .iter()
                    .any(|i| matches!(i.op, Op::MulAddMin { max: 1, .. }));
                assert_eq!(rewritten, level == OptLevel::O2);
                let mut all = Vec::new();
                for d in 0..=255u8 {
                    let mut io = Io::memory(vec![d, d / 3, 7]);
                    program.interpreter().run(&mut io).unwrap();
                    all.push(io.take_output());
                }
                outputs.push(all);
            }
            assert_eq!(outputs[0], outputs[1], "{bits:?}");
        }
    }
}
