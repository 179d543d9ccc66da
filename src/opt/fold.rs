//! Pointer-move and arithmetic folding.
//!
//! `>+>++<<-` moves the pointer four times and touches three cells; folded it is
//! `p[1] += 1; p[2] += 2; p[0] -= 1` plus one bounds check, and no move at all:
//!
//! * **Moves become offsets.** The pass keeps the pointer movement seen so far as a pending
//!   `shift` and adds it to the offset of every later op, so `Move`s disappear from
//!   straight-line code. A loop whose body comes back to where it started (a *balanced* loop,
//!   like `[->>+<<]`) needs no move either: its body just uses offsets. An unbalanced body
//!   (`[>>]`) ends with one `Move` of its net distance. The shift left at the end is dropped.
//! * **Arithmetic combines.** Runs of `Add` and `Set` on the same cell merge (`[-]+++` is
//!   `Set 3`, `+-` is nothing) until something reads the cell or control flow intervenes.
//!   Arithmetic still pending when the program ends is dropped: nobody can see it.
//! * **Checks merge.** Every `Check` between two observable events (`.`, `,`, or control
//!   flow) merges into one check placed where the first one was, keeping the reach records
//!   in program order: an error still names the same move, and no output comes before it
//!   that did not come before it originally.

use std::collections::hash_map::{Entry, HashMap};

use crate::Config;
use crate::ir::{CheckId, Instr, Ir, Op, Reach, Span};

/// Pending arithmetic on one cell.
#[derive(Clone, Copy)]
enum Effect {
    Add(u32),
    Set(u32),
}

/// Most shift the pass lets build up before it emits a `Move`, so offsets stay small.
const MAX_SHIFT: i32 = 1 << 24;

/// Runs the pass.
pub fn run(ir: Ir, _config: &Config) -> Ir {
    let mut f = Folder {
        out: Ir {
            code: Vec::with_capacity(ir.code.len()),
            excursions: ir.excursions.clone(),
            reaches: ir.reaches.clone(),
        },
        shift: 0,
        effects: HashMap::new(),
        window: None,
        open: Vec::new(),
    };
    for ins in &ir.code {
        f.step(&ir, ins);
    }
    f.end_window();
    f.out
}

/// A check being built from consecutive `Check`s.
struct Window {
    /// Index in `out.code` of the placeholder the merged check replaces.
    slot: usize,
    /// Offset of the pointer when the window opened.
    origin: i32,
    reaches: Vec<Reach>,
    span: Span,
}

struct Folder {
    out: Ir,
    /// Pointer movement not yet emitted: the program's pointer is `p + shift`.
    shift: i32,
    /// Pending arithmetic by offset (relative to `p`), with the span it came from.
    effects: HashMap<i32, (Effect, Span)>,
    window: Option<Window>,
    /// `shift` at the start of each open loop or if.
    open: Vec<i32>,
}

impl Folder {
    fn step(&mut self, ir: &Ir, ins: &Instr) {
        let span = ins.span;
        let s = self.shift;
        match ins.op {
            Op::Add { off, val } => self.effect(off + s, Effect::Add(val), span),
            Op::Set { off, val } => self.effect(off + s, Effect::Set(val), span),
            Op::Move { delta } => {
                self.shift += delta;
                if self.shift.abs() > MAX_SHIFT {
                    self.end_window();
                    self.flush_all();
                    let delta = std::mem::take(&mut self.shift);
                    self.emit(Op::Move { delta }, span);
                }
            }
            Op::Check(id) => self.check(ir, id, span),
            Op::MulAdd { src, dst, k } => {
                self.flush(src + s);
                self.flush(dst + s);
                self.emit(
                    Op::MulAdd {
                        src: src + s,
                        dst: dst + s,
                        k,
                    },
                    span,
                );
            }
            Op::Out { off } | Op::In { off } => {
                self.end_window();
                self.flush(off + s);
                let op = match ins.op {
                    Op::Out { .. } => Op::Out { off: off + s },
                    _ => Op::In { off: off + s },
                };
                self.emit(op, span);
            }
            Op::Loop { off } | Op::If { off } => {
                self.boundary();
                self.open.push(s);
                let op = match ins.op {
                    Op::Loop { .. } => Op::Loop { off: off + s },
                    _ => Op::If { off: off + s },
                };
                self.emit(op, span);
            }
            Op::EndLoop { off } => {
                self.boundary();
                let entry = self.open.pop().expect("balanced");
                if s != entry {
                    self.emit(Op::Move { delta: s - entry }, span);
                    self.shift = entry;
                }
                self.emit(Op::EndLoop { off: off + entry }, span);
            }
            Op::EndIf => {
                self.boundary();
                let entry = self.open.pop().expect("balanced");
                debug_assert_eq!(s, entry, "if bodies do not move the pointer");
                self.emit(Op::EndIf, span);
            }
            Op::Scan { off, step, check } => {
                self.boundary();
                let reaches: Vec<Reach> = ir
                    .reaches_of(check)
                    .iter()
                    .map(|r| Reach {
                        off: r.off + s,
                        ..*r
                    })
                    .collect();
                let origin = ir.excursion(check).origin + s;
                let check = self.out.add_excursion(origin, reaches);
                self.emit(
                    Op::Scan {
                        off: off + s,
                        step,
                        check,
                    },
                    span,
                );
            }
        }
    }

    fn emit(&mut self, op: Op, span: Span) {
        self.out.code.push(Instr { op, span });
    }

    /// Control flow: close the check window and write out all pending arithmetic.
    fn boundary(&mut self) {
        self.end_window();
        self.flush_all();
    }

    fn effect(&mut self, off: i32, e: Effect, span: Span) {
        match self.effects.entry(off) {
            Entry::Occupied(mut slot) => {
                let (old, old_span) = *slot.get();
                let new = match (old, e) {
                    (Effect::Add(a), Effect::Add(b)) => Effect::Add(a.wrapping_add(b)),
                    (Effect::Set(a), Effect::Add(b)) => Effect::Set(a.wrapping_add(b)),
                    (_, Effect::Set(b)) => Effect::Set(b),
                };
                slot.insert((new, old_span.to(span)));
            }
            Entry::Vacant(slot) => {
                slot.insert((e, span));
            }
        }
    }

    /// Writes out the pending arithmetic on one cell.
    fn flush(&mut self, off: i32) {
        if let Some((e, span)) = self.effects.remove(&off) {
            self.emit_effect(off, e, span);
        }
    }

    /// Writes out all pending arithmetic, in source order.
    fn flush_all(&mut self) {
        let mut all: Vec<(i32, (Effect, Span))> = self.effects.drain().collect();
        all.sort_unstable_by_key(|&(off, (_, span))| (span.start, off));
        for (off, (e, span)) in all {
            self.emit_effect(off, e, span);
        }
    }

    fn emit_effect(&mut self, off: i32, e: Effect, span: Span) {
        let op = match e {
            Effect::Add(0) => return,
            Effect::Add(val) => Op::Add { off, val },
            Effect::Set(val) => Op::Set { off, val },
        };
        self.emit(op, span);
    }

    fn check(&mut self, ir: &Ir, id: CheckId, span: Span) {
        let s = self.shift;
        let origin = ir.excursion(id).origin + s;
        let window = self.window.get_or_insert_with(|| {
            self.out.code.push(Instr {
                op: Op::Move { delta: 0 },
                span,
            });
            Window {
                slot: self.out.code.len() - 1,
                origin,
                reaches: Vec::new(),
                span,
            }
        });
        window.span = window.span.to(span);
        window
            .reaches
            .extend(ir.reaches_of(id).iter().map(|r| Reach {
                off: r.off + s,
                ..*r
            }));
    }

    /// Turns the open window's placeholder into the merged check (or leaves it a no-op
    /// `Move 0` when nothing went beyond the origin).
    fn end_window(&mut self) {
        if let Some(w) = self.window.take() {
            let id = self.out.add_excursion(w.origin, w.reaches);
            if self.out.excursion(id).len > 0 {
                self.out.code[w.slot] = Instr {
                    op: Op::Check(id),
                    span: w.span,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn fold(src: &str) -> Ir {
        crate::opt::compact(run(parse(src.as_bytes()).unwrap(), &Config::default()))
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
}
