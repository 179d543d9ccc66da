//! The loop facts of [`super::plan`], gathered during the one pass over the program made
//! before any code is generated ([`super::survey::Survey::of`], which tells [`Loops`] about
//! each instruction): which loops and ifs leave the pointer where it was (*balanced*), which
//! loops have no loop inside (*innermost*: their bodies are aligned), and which innermost loops
//! use few enough cells to keep them all in registers from start to end (*carried*), with
//! those cells and the ones they write.

use rustc_hash::FxHashMap;

use super::plan::{CARRIED_MAX, Carried, CellList, Plan};

/// An open loop or if, while [`Loops`] gathers its facts.
struct Open {
    /// (An instruction index as `u32`, as [`Carried`] has it: the whole record then fits
    /// in 128 bytes, which the compiler moves without a call of `memcpy`.)
    at: u32,
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

const _: () = assert!(std::mem::size_of::<Open>() <= 128);

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

/// The loop facts of a program: which loops and ifs are balanced and which loops innermost
/// (bits of [`Plan::brackets`], by instruction), and which loops may keep their cells in
/// registers.
#[derive(Debug, Default)]
pub(crate) struct LoopFacts {
    pub brackets: Vec<u8>,
    pub carried: Carried,
}

/// Gathers the [`LoopFacts`] as the survey's pass goes over the program: it is told of every
/// instruction that matters to them, in order.
pub(super) struct Loops {
    facts: LoopFacts,
    open: Vec<Open>,
}

impl Loops {
    /// For a program of `n` instructions.
    pub(super) fn new(n: usize) -> Loops {
        Loops {
            facts: LoopFacts {
                brackets: vec![0u8; n],
                carried: FxHashMap::default(),
            },
            open: Vec::with_capacity(16),
        }
    }

    /// The facts, once every instruction has been seen.
    pub(super) fn finish(self) -> LoopFacts {
        self.facts
    }

    /// A `Loop` (`is_loop`) or `If` at instruction `at` (its cell comes with [`Loops::uses`]
    /// after this).
    #[inline]
    pub(super) fn open(&mut self, at: usize, is_loop: bool) {
        if let Some(parent) = self.open.last_mut()
            && is_loop
        {
            parent.carried = false;
        }
        // An `if` only collects its cells for a loop around it that may still keep its
        // cells (an `if` outside any such loop has no use for them).
        let carried = is_loop || self.open.last().is_some_and(|p| p.carried);
        self.open.push(Open {
            at: at as u32,
            moved: Some(0),
            is_loop,
            has_loop: false,
            carried,
            cells: CellList::default(),
            writes: CellList::default(),
        });
    }

    /// An `EndLoop` testing `end` (`Some`), or an `EndIf` (`None`).
    #[inline]
    pub(super) fn close(&mut self, end: Option<i32>) {
        let o = self.open.pop().expect("balanced IR");
        let bal = o.moved == Some(0);
        self.facts.brackets[o.at as usize] = (u8::from(bal) * Plan::BALANCED)
            | (u8::from(o.is_loop && !o.has_loop) * Plan::INNERMOST);
        if let Some(parent) = self.open.last_mut() {
            parent.has_loop |= o.is_loop || o.has_loop;
            // An unbalanced inner loop moves the parent's pointer by an amount only known
            // at run time.
            if !bal {
                parent.moved = None;
            }
            parent.carried &= o.carried && bal;
            // (Cells are only collected while they might be kept: a large `if` nest would
            // otherwise make this quadratic.)
            if parent.carried {
                parent.add(o.cells.as_slice(), o.writes.as_slice());
            }
        }
        let mut cells = o.cells;
        let fits = end.is_none_or(|off| cells.add(off));
        if o.is_loop && o.carried && bal && fits && cells.as_slice().len() <= CARRIED_MAX {
            self.facts.carried.insert(o.at, (cells, o.writes));
        }
    }

    /// A pointer move by `delta`.
    #[inline]
    pub(super) fn moves(&mut self, delta: i32) {
        if let Some(o) = self.open.last_mut() {
            o.moved = o.moved.map(|m| m + i64::from(delta));
            o.carried = false;
        }
    }

    /// A scan: it moves the pointer by an amount known only at run time.
    #[inline]
    pub(super) fn scan(&mut self) {
        if let Some(o) = self.open.last_mut() {
            o.moved = None;
            o.carried = false;
        }
    }

    /// A `#` dump: a call into Rust, which overwrites most registers.
    #[inline]
    pub(super) fn dump(&mut self) {
        if let Some(o) = self.open.last_mut() {
            o.carried = false;
        }
    }

    /// An instruction (not a loop or if end) uses cell `primary` (written if `writes`) and
    /// `source` (read).
    #[inline(always)]
    pub(super) fn uses(&mut self, primary: i32, source: Option<i32>, writes: bool) {
        if let Some(o) = self.open.last_mut()
            && o.carried
        {
            let fits = o.cells.add(primary)
                && source.is_none_or(|c| o.cells.add(c))
                && (!writes || o.writes.add(primary));
            o.carried &= fits;
            if o.cells.as_slice().len() > CARRIED_MAX {
                o.carried = false;
            }
        }
    }
}
