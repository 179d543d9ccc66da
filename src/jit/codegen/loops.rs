//! The loop facts of [`super::plan`], from one pass over the program before any code is
//! generated: which loops and ifs leave the pointer where it was (*balanced*), which loops
//! have no loop inside (*innermost*: their bodies are aligned), and which innermost loops use
//! few enough cells to keep them all in registers from start to end (*carried*), with those
//! cells and the ones they write.

use rustc_hash::FxHashMap;

use super::plan::{CARRIED_MAX, Carried, CellList, Plan};
use crate::ir::{Ir, Op};

/// An open loop or if, during [`loops`].
struct Open {
    at: usize,
    /// Net pointer movement of the body so far, or `None` once unknown.
    moved: Option<i64>,
    /// A loop (not an `if`).
    is_loop: bool,
    /// A loop is nested in it (in it or in an `if` in it).
    has_loop: bool,
    /// Nothing inside stops the innermost enclosing loop from keeping its cells in
    /// registers (no inner loop, scan, move or dump).
    carried: bool,
    cells: CellList,
    writes: CellList,
}

impl Open {
    /// Adds cells (and, of those, the written ones) to what the bracket uses; one that does
    /// not fit means more cells than a loop may keep ([`CellList::CAP`] is more than
    /// [`CARRIED_MAX`]), so the bracket cannot keep them.
    fn add(&mut self, cells: &[i32], writes: &[i32]) {
        let fits =
            cells.iter().all(|&c| self.cells.add(c)) && writes.iter().all(|&c| self.writes.add(c));
        self.carried &= fits;
    }
}

/// Which loops and ifs are balanced and which loops innermost (bits of [`Plan::brackets`],
/// by instruction), and which loops may keep their cells in registers.
pub(super) fn loops(ir: &Ir) -> (Vec<u8>, Carried) {
    let code = &ir.code;
    let mut brackets = vec![0u8; code.len()];
    let mut carried = FxHashMap::default();
    let mut open: Vec<Open> = Vec::with_capacity(16);
    for (i, ins) in code.iter().enumerate() {
        match ins.op {
            Op::Loop { .. } | Op::If { .. } => {
                let is_loop = matches!(ins.op, Op::Loop { .. });
                if let Some(parent) = open.last_mut()
                    && is_loop
                {
                    parent.carried = false;
                }
                // An `if` only collects its cells for a loop around it that may still keep
                // its cells (an `if` outside any such loop has no use for them).
                let carried = is_loop || open.last().is_some_and(|p| p.carried);
                open.push(Open {
                    at: i,
                    moved: Some(0),
                    is_loop,
                    has_loop: false,
                    carried,
                    cells: CellList::default(),
                    writes: CellList::default(),
                });
            }
            Op::EndLoop { .. } | Op::EndIf => {
                let o = open.pop().expect("balanced IR");
                let bal = o.moved == Some(0);
                brackets[o.at] = (u8::from(bal) * Plan::BALANCED)
                    | (u8::from(o.is_loop && !o.has_loop) * Plan::INNERMOST);
                if let Some(parent) = open.last_mut() {
                    parent.has_loop |= o.is_loop || o.has_loop;
                    // An unbalanced inner loop moves the parent's pointer by an amount only
                    // known at run time.
                    if !bal {
                        parent.moved = None;
                    }
                    parent.carried &= o.carried && bal;
                    // (Cells are only collected while they might be kept: a large `if`
                    // nest would otherwise make this quadratic.)
                    if parent.carried {
                        parent.add(o.cells.as_slice(), o.writes.as_slice());
                    }
                }
                let mut cells = o.cells;
                let fits = match ins.op {
                    Op::EndLoop { off } => cells.add(off),
                    _ => true,
                };
                if o.is_loop && o.carried && bal && fits && cells.as_slice().len() <= CARRIED_MAX {
                    carried.insert(o.at as u32, (cells, o.writes));
                }
                continue;
            }
            Op::Move { delta } => {
                if let Some(o) = open.last_mut() {
                    o.moved = o.moved.map(|m| m + i64::from(delta));
                    o.carried = false;
                }
            }
            Op::Scan { .. } => {
                if let Some(o) = open.last_mut() {
                    o.moved = None;
                    o.carried = false;
                }
            }
            // A dump is a call into Rust, which overwrites most registers.
            Op::Debug { .. } => {
                if let Some(o) = open.last_mut() {
                    o.carried = false;
                }
            }
            _ => {}
        }
        if let Some(o) = open.last_mut()
            && o.carried
        {
            // (What `cells` and `written` say, in one match.)
            let fits = match ins.op {
                Op::Add { off, .. } | Op::Set { off, .. } | Op::In { off } => {
                    o.cells.add(off) && o.writes.add(off)
                }
                Op::Out { off }
                | Op::Loop { off }
                | Op::EndLoop { off }
                | Op::If { off }
                | Op::Scan { off, .. } => o.cells.add(off),
                Op::MulAdd { src, dst, .. }
                | Op::MulSet { src, dst, .. }
                | Op::MulAddMin { src, dst, .. } => {
                    o.cells.add(dst) && o.cells.add(src) && o.writes.add(dst)
                }
                Op::Move { .. }
                | Op::Check(_)
                | Op::Print { .. }
                | Op::EndIf
                | Op::Debug { .. } => true,
            };
            o.carried &= fits;
            if o.cells.as_slice().len() > CARRIED_MAX {
                o.carried = false;
            }
        }
    }
    (brackets, carried)
}
