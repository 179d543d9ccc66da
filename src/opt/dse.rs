//! Dead store elimination: arithmetic whose result nothing reads is removed.
//!
//! ```text
//! +++[-]>++<[-]        the first `+++` and `[-]` are overwritten before anything reads p[0]
//! [->+<]>[-]           p[1] += p[0] is dead: p[1] is cleared right after
//! ```
//!
//! The pass walks the program backwards keeping the set of cells that may still be read
//! (*live*). A store (`Set`, `Add`, `MulAdd`) into a dead cell is deleted; `Set` and `,` make
//! their cell dead before them (`,` only when end of input also overwrites the cell); every
//! read makes its cell live, and a `#` tape dump (`--debug`) reads them all. At the end of the
//! program nothing is live. An `if` is followed
//! into its body (what is live before it is what is live after the body, or after the `if`
//! when it is skipped); at loops and scans everything is assumed live. A check is not a read:
//! if it fails, no later store matters.
//!
//! An `if` whose body ends up empty is removed, and one left with only `p[c] = 0` of its own
//! condition cell becomes that store. (An `if` that still holds a bounds check stays: the
//! check must only happen when the original loop would have run.)

mod keys;

use keys::Keys;

use crate::ir::{Instr, Ir, Op};
use crate::{Config, Eof};

/// Live cells: either "every cell except the set" or "only the set".
///
/// The set holds *keys*, not offsets: the cell at offset `off` has key `off - base`. A pointer
/// move only changes `base`, so walking back over a `Move` costs nothing however many cells
/// are in the set (shifting every element would make a long run of moves and stores
/// quadratic).
#[derive(Clone, Debug)]
struct Live {
    /// True: every cell but those in `set` is live; false: only those in `set` are.
    all_but: bool,
    set: Keys,
    base: i64,
}

impl Live {
    fn all() -> Live {
        Live {
            all_but: true,
            set: Keys::default(),
            base: 0,
        }
    }

    fn none() -> Live {
        Live {
            all_but: false,
            ..Live::all()
        }
    }

    /// Becomes [`Live::all`] in place, keeping the set's memory (this happens at every loop).
    fn set_all(&mut self) {
        self.all_but = true;
        self.base = 0;
        self.set.clear();
    }

    fn key(&self, off: i32) -> i64 {
        i64::from(off) - self.base
    }

    fn contains(&self, off: i32) -> bool {
        self.set.contains(self.key(off)) != self.all_but
    }

    /// `off` is read before it is next written.
    fn read(&mut self, off: i32) {
        let key = self.key(off);
        if self.all_but {
            self.set.remove(key);
        } else {
            self.set.insert(key);
        }
    }

    /// `off` is overwritten before it is next read.
    fn kill(&mut self, off: i32) {
        let key = self.key(off);
        if self.all_but {
            self.set.insert(key);
        } else {
            self.set.remove(key);
        }
    }

    /// Offsets relative to a pointer `delta` cells further left (before a `Move delta`).
    fn shift(&mut self, delta: i32) {
        self.base += i64::from(delta);
    }

    /// Cells live in either.
    fn union(&mut self, other: &Live) {
        // `other`'s keys in terms of `self.base`.
        let rebase = other.base - self.base;
        let theirs = || other.set.iter().map(move |k| k - rebase);
        let set: Keys = match (self.all_but, other.all_but) {
            // Dead in both.
            (true, true) => theirs().filter(|&k| self.set.contains(k)).collect(),
            // Live in either.
            (false, false) => self.set.iter().chain(theirs()).collect(),
            // Dead in the "all but" one and not live in the other.
            (true, false) => {
                let live: Keys = theirs().collect();
                self.set.iter().filter(|&k| !live.contains(k)).collect()
            }
            (false, true) => theirs().filter(|&k| !self.set.contains(k)).collect(),
        };
        self.all_but |= other.all_but;
        self.set = set;
    }
}

/// Runs the pass.
pub fn run(ir: &mut Ir, config: &Config) {
    let code = &mut ir.code;
    let mut dead = vec![false; code.len()];
    let mut live = Live::none();
    // For each open `if` (walking backwards): what is live after it, and how many pointer
    // moves, loops and scans had been passed when it was entered. If more have been passed
    // by its `If`, its body moves the pointer (then offsets inside and after it do not line
    // up); counting is what makes this one step per instruction however deep ifs nest.
    let mut after_if: Vec<(Live, u32)> = Vec::new();
    let mut movers = 0u32;
    for i in (0..code.len()).rev() {
        match code[i].op {
            Op::Set { off, .. } => {
                dead[i] = !live.contains(off);
                live.kill(off);
            }
            Op::Add { off, .. } => dead[i] = !live.contains(off),
            Op::MulAdd { src, dst, .. } | Op::MulAddMin { src, dst, .. } => {
                dead[i] = !live.contains(dst);
                if !dead[i] {
                    live.read(src);
                }
            }
            Op::MulSet { src, dst, .. } => {
                dead[i] = !live.contains(dst);
                live.kill(dst);
                if !dead[i] {
                    live.read(src);
                }
            }
            Op::Move { delta } => {
                live.shift(delta);
                movers += 1;
            }
            Op::Check(_) | Op::Print { .. } => {}
            Op::Out { off } => live.read(off),
            // A tape dump reads every cell.
            Op::Debug { .. } => live.set_all(),
            Op::In { off } => match config.eof {
                Eof::Unchanged => live.read(off),
                Eof::Zero | Eof::Max => live.kill(off),
            },
            Op::EndIf => after_if.push((live.clone(), movers)),
            Op::If { off } => {
                let (skipped, movers_after) = after_if.pop().expect("balanced");
                if movers != movers_after {
                    live.set_all();
                } else {
                    live.union(&skipped);
                    live.read(off);
                }
            }
            Op::Loop { .. } | Op::EndLoop { .. } | Op::Scan { .. } => {
                movers += 1;
                live.set_all();
            }
        }
    }
    let mut w = 0;
    for r in 0..code.len() {
        if !dead[r] {
            code[w] = code[r];
            w += 1;
            simplify_if(code, &mut w);
        }
    }
    code.truncate(w);
}

/// If `code[..w]` ends with an `if` whose body is empty or only clears the condition cell,
/// replaces it.
fn simplify_if(code: &mut [Instr], w: &mut usize) {
    match code[..*w] {
        [
            ..,
            Instr {
                op: Op::If { .. }, ..
            },
            Instr { op: Op::EndIf, .. },
        ] => *w -= 2,
        [
            ..,
            Instr {
                op: Op::If { off },
                span,
            },
            Instr {
                op: Op::Set { off: o, val: 0 },
                ..
            },
            Instr { op: Op::EndIf, .. },
        ] if o == off => {
            *w -= 2;
            code[*w - 1] = Instr {
                op: Op::Set { off, val: 0 },
                span,
            };
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opt::testing::ops_after;
    use crate::opt::{clear, fold, mul};
    use crate::parse::parse;

    fn dse(src: &str) -> Vec<Op> {
        ops_after(src, &[fold::run, clear::run, fold::run, mul::run, run])
    }

    #[test]
    fn stores_overwritten_after_an_if_go() {
        // `p[1] += 2` and `p[1] += p[0]` are both overwritten by `p[1] = 1`, and p[0] is never
        // read again. What is left of the loop is its bounds check (it moves to p[1]).
        assert_eq!(
            dse(",>++<[->+<]>[-]+."),
            vec![
                Op::In { off: 0 },
                Op::If { off: 0 },
                Op::EndIf,
                Op::Set { off: 1, val: 1 },
                Op::Out { off: 1 },
            ]
        );
    }

    #[test]
    fn stores_nothing_reads_go() {
        assert!(
            dse(",>++<[->+<]>>+++<<")
                .iter()
                .all(|op| matches!(op, Op::In { .. } | Op::If { .. } | Op::EndIf))
        );
    }

    #[test]
    fn dead_multiply_targets_go_and_bare_clears_simplify() {
        // p[1] += p[0] is dead (p[1] is cleared).
        assert_eq!(
            dse(",[->+<]>[-]<."),
            vec![
                Op::In { off: 0 },
                Op::If { off: 0 },
                Op::Set { off: 0, val: 0 },
                Op::EndIf,
                Op::Out { off: 0 }
            ]
        );
        // Without a move (so no check), `if p[0] { p[0] = 0 }` is a plain clear.
        let mut ir = Ir::default();
        for op in [
            Op::In { off: 0 },
            Op::If { off: 0 },
            Op::Set { off: 0, val: 0 },
            Op::EndIf,
            Op::Out { off: 0 },
        ] {
            ir.code.push(Instr {
                op,
                span: Default::default(),
            });
        }
        run(&mut ir, &Config::default());
        let ops: Vec<Op> = ir.code.iter().map(|i| i.op).collect();
        assert_eq!(
            ops,
            [
                Op::In { off: 0 },
                Op::Set { off: 0, val: 0 },
                Op::Out { off: 0 }
            ]
        );
    }

    #[test]
    fn loops_keep_everything() {
        // Inside a loop that reads input, nothing can be shown dead.
        let ops = dse(",[>+<,]>.");
        assert!(ops.contains(&Op::Add { off: 1, val: 1 }));
    }

    #[test]
    fn input_only_kills_when_eof_overwrites() {
        let config = Config {
            eof: Eof::Zero,
            ..Config::default()
        };
        let mut ir = parse(b"+++,.").unwrap();
        fold::run(&mut ir, &config);
        run(&mut ir, &config);
        assert!(!ir.code.iter().any(|i| matches!(i.op, Op::Add { .. })));
        // With EOF leaving the cell unchanged, `,` may keep the 3.
        assert!(dse("+++,.").contains(&Op::Add { off: 0, val: 3 }));
    }
}
