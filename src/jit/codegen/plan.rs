//! What the code generator looks up ahead of the instruction it compiles.
//!
//! Register allocation decides, at each instruction, whether a cell is worth a register (is
//! it used again soon?), which register to give up when none is free (the one whose cell is
//! needed furthest ahead), whether an addition should set the flags (is the next test about
//! this cell?), and which loops can keep their cells in registers from start to end. Those
//! answers need the instructions that come later. The loop facts are worked out before any
//! code is emitted, in the one pass of [`super::survey`] ([`super::loops`]); the others region
//! by region, as the generator reaches each region ([`Plan::look`]), one backward pass over
//! it.
//!
//! A *region* is a stretch of instructions with no loop boundary, scan or pointer move in
//! it: within a region every offset names the same cell. Uses are only looked up within a
//! region; at its end the allocator writes cells back anyway (except in loops that keep
//! their cells). Working region by region keeps the memory for these facts to the size of
//! one region, and the instructions in the cache while they are compiled.

use rustc_hash::FxHashMap;

use super::loops::LoopFacts;
#[cfg(test)]
use crate::ir::Ir;
use crate::ir::Op;

/// No further use.
pub(crate) const NEVER: u32 = u32::MAX;

/// Most cells a loop may use and still keep them all in registers.
pub(crate) const CARRIED_MAX: usize = 9;

/// The look-ahead facts about a program.
///
/// The per-instruction facts (next uses, flags wanted) only look ahead within a region, so
/// they are worked out one region at a time, when the code generator reaches it
/// ([`Plan::look`]): memory for them is the size of one region, not of the program.
pub(crate) struct Plan {
    /// The instruction `ahead[0]` is about: the region looked at is
    /// `start..start + ahead.len()`.
    start: usize,
    /// The facts about each instruction of the region (one table, so that a new region
    /// costs one fill, not two).
    ahead: Vec<Ahead>,
    /// The next uses seen so far while a region is looked at (going backwards).
    seen: NextUses,
    /// For each `Loop`/`If`, facts about its body, one bit each: [`Plan::BALANCED`] and
    /// [`Plan::INNERMOST`] (see [`Plan::balanced`] and [`Plan::innermost`]).
    brackets: Vec<u8>,
    /// Innermost loops that may keep their cells in registers: by the index of the `Loop`,
    /// the cells the loop uses (condition included) and, separately, those it writes.
    pub carried: Carried,
}

/// What [`Plan`] knows about one instruction of the region looked at.
#[derive(Clone, Copy)]
struct Ahead {
    /// The index of the next instruction in the same region that uses the cell of each of
    /// its operands (`[primary, source]`, the source being the `src` of a multiply), or
    /// [`NEVER`].
    next_use: [u32; 2],
    /// For an instruction that writes a cell: true if the next test (before any other write
    /// of that cell or anything that loses the flags) is a test of that cell, so the write
    /// should set the flags.
    wants_flags: bool,
}

/// Loops that may keep their cells in registers: see [`Plan::carried`].
pub(crate) type Carried = FxHashMap<u32, (CellList, CellList)>;

/// A small set of cells in the order they were added, stored inline: the cells of a loop
/// that may keep them in registers (at most [`CARRIED_MAX`], so a loop costs no
/// allocation). A set that would outgrow it belongs to a loop that cannot keep its cells.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellList {
    len: u8,
    /// The cells, then [`CellList::UNUSED`] in the slots not used yet.
    cells: [i32; CellList::CAP],
}

const _: () = assert!(CellList::CAP > CARRIED_MAX);

impl Default for CellList {
    fn default() -> CellList {
        CellList {
            len: 0,
            cells: [CellList::UNUSED; CellList::CAP],
        }
    }
}

impl CellList {
    /// Room: more than [`CARRIED_MAX`], for the cells an `if` adds to its loop before the
    /// loop's size is checked again. Any room above [`CARRIED_MAX`] gives the same facts (a
    /// list that would outgrow it holds more cells than a loop may keep, whether it fails
    /// now or when its size is checked): 12 cells are three vector compares per lookup, where
    /// 18 were five and two scalar ones.
    const CAP: usize = 12;

    /// What the slots not used yet hold: no cell (offsets stay within a few times 2^24 of
    /// the pointer).
    const UNUSED: i32 = i32::MIN;

    /// The cells, in the order they were added.
    pub(crate) fn as_slice(&self) -> &[i32] {
        &self.cells[..usize::from(self.len)]
    }

    /// Adds `c` if it is not there; false if there is no room for it.
    #[inline]
    pub(super) fn add(&mut self, c: i32) -> bool {
        // (A pass over every slot without an early exit, unused ones included, which hold no
        // cell: a few vector compares.)
        if self.cells.iter().fold(false, |any, &x| any | (x == c)) {
            return true;
        }
        if usize::from(self.len) == CellList::CAP {
            return false;
        }
        self.cells[usize::from(self.len)] = c;
        self.len += 1;
        true
    }
}

/// The cells an instruction reads or writes: `[primary, source]`.
pub(super) fn cells(op: &Op) -> [Option<i32>; 2] {
    match *op {
        Op::Add { off, .. }
        | Op::Set { off, .. }
        | Op::Out { off }
        | Op::In { off }
        | Op::Loop { off }
        | Op::EndLoop { off }
        | Op::If { off }
        | Op::Scan { off, .. } => [Some(off), None],
        Op::MulAdd { src, dst, .. }
        | Op::MulSet { src, dst, .. }
        | Op::MulAddMin { src, dst, .. } => [Some(dst), Some(src)],
        Op::Move { .. } | Op::Check(_) | Op::Print { .. } | Op::EndIf | Op::Debug { .. } => {
            [None, None]
        }
    }
}

/// True for the instructions that end a region: loop brackets, scans, pointer moves (every
/// offset after them names another cell) and `#` dumps (which read every cell from memory).
fn ends_region(op: &Op) -> bool {
    matches!(
        op,
        Op::Loop { .. } | Op::EndLoop { .. } | Op::Scan { .. } | Op::Move { .. } | Op::Debug { .. }
    )
}

impl Plan {
    /// The plan of a program whose cell offsets are within `cells` (lowest, highest: see
    /// [`super::survey::Survey::cells`]), with its loop facts (from the survey); the
    /// per-instruction facts come region by region.
    pub(crate) fn new(cells: (i32, i32), loops: LoopFacts) -> Plan {
        let LoopFacts { brackets, carried } = loops;
        Plan {
            start: 0,
            ahead: Vec::with_capacity(64),
            seen: NextUses::new(cells),
            brackets,
            carried,
        }
    }

    /// Bit of [`Plan::brackets`]: see [`Plan::balanced`].
    pub(super) const BALANCED: u8 = 1;
    /// Bit of [`Plan::brackets`]: see [`Plan::innermost`].
    pub(super) const INNERMOST: u8 = 2;

    /// For the `Loop` or `If` at `i`: its body leaves the pointer where it was on every path
    /// and has no scan.
    pub(crate) fn balanced(&self, i: usize) -> bool {
        self.brackets[i] & Plan::BALANCED != 0
    }

    /// For the `Loop` at `i`: no loop is nested in it (the next loop bracket after it is its
    /// end).
    pub(crate) fn innermost(&self, i: usize) -> bool {
        self.brackets[i] & Plan::INNERMOST != 0
    }

    /// The next use of operand `slot` of instruction `i` in its region, or [`NEVER`] (`i` must
    /// be in the region looked at last).
    pub(crate) fn next_use(&self, i: usize, slot: usize) -> u32 {
        self.ahead[i - self.start].next_use[slot]
    }

    /// Whether instruction `i` should set the flags for the test that follows (`i` must be
    /// in the region looked at last).
    pub(crate) fn wants_flags(&self, i: usize) -> bool {
        self.ahead[i - self.start].wants_flags
    }

    /// Looks ahead from instruction `i` to the end of its region, unless that is done: the
    /// code generator calls this for every instruction it compiles. The facts about an
    /// instruction depend only on the ones after it in its region (and on the region's last
    /// instruction), so starting anywhere in a region gives the same answers.
    #[inline]
    pub(crate) fn look(&mut self, code: &[crate::ir::Instr], i: usize) {
        // (Inlined: most instructions are in the region looked at already, and this test
        // is all they cost: one unsigned compare, an `i` below `start` wrapping to a huge
        // number.)
        if i.wrapping_sub(self.start) >= self.ahead.len() {
            self.look_region(code, i);
        }
    }

    /// [`Plan::look`] from instruction `i`, the first of a region not looked at yet.
    fn look_region(&mut self, code: &[crate::ir::Instr], i: usize) {
        let end = code[i..]
            .iter()
            .position(|x| ends_region(&x.op))
            .map_or(code.len(), |k| i + k + 1);
        self.start = i;
        self.ahead.clear();
        let none = Ahead {
            next_use: [NEVER; 2],
            wants_flags: false,
        };
        self.ahead.resize(end - i, none);
        // Backwards: the next use of each cell in the region, and the cell tested next. One
        // `match` per instruction says everything about it (its cells, the one it writes,
        // and what it does to the test looked for).
        self.seen.new_region(i);
        // (The table's fields and the region's facts as locals and slices walked together:
        // through `self` they were loaded again after every store, and indexed with checks.)
        let mut seen = self.seen.view();
        let mut test: Option<i32> = None;
        for (at, (ins, ahead)) in code[i..end]
            .iter()
            .zip(self.ahead.iter_mut())
            .enumerate()
            .rev()
        {
            let Ahead {
                next_use,
                wants_flags,
            } = ahead;
            let k = (i + at) as u32;
            // A write of the cell tested next sets the flags for that test.
            let mut writes = |c: i32, test: &mut Option<i32>| {
                if *test == Some(c) {
                    *wants_flags = true;
                    *test = None;
                }
            };
            match ins.op {
                Op::Add { off, .. } | Op::Set { off, .. } => {
                    writes(off, &mut test);
                    next_use[0] = seen.get(off);
                    seen.set(off, k);
                }
                Op::MulAdd { src, dst, .. }
                | Op::MulSet { src, dst, .. }
                | Op::MulAddMin { src, dst, .. } => {
                    writes(dst, &mut test);
                    next_use[0] = seen.get(dst);
                    next_use[1] = seen.get(src);
                    seen.set(dst, k);
                    seen.set(src, k);
                }
                Op::In { off } => {
                    writes(off, &mut test);
                    next_use[0] = seen.get(off);
                    seen.set(off, k);
                    test = None;
                }
                Op::Out { off } => {
                    next_use[0] = seen.get(off);
                    seen.set(off, k);
                    test = None;
                }
                Op::If { off } => {
                    next_use[0] = seen.get(off);
                    seen.set(off, k);
                    test = Some(off);
                }
                // A region boundary's own test does not count as a use for the instructions
                // before it: loops that do not keep their cells and scans need the cell in
                // memory there anyway.
                Op::Loop { off } | Op::EndLoop { off } | Op::Scan { off, .. } => {
                    next_use[0] = seen.get(off);
                    test = Some(off);
                }
                // A move fused with the loop end after it tests that loop's cell.
                Op::Move { delta } => {
                    test = match code.get(k as usize + 1).map(|x| x.op) {
                        Some(Op::EndLoop { off }) => Some(delta + off),
                        _ => None,
                    };
                }
                Op::Print { .. } | Op::EndIf | Op::Debug { .. } => test = None,
                Op::Check(_) => {}
            }
        }
    }
}

/// For each cell, the next instruction of the current region that uses it, while
/// [`Plan::look`] goes backwards over a region: a table indexed by offset for the offsets the
/// program uses most (a window around the lowest), a hash map for any beyond. An entry holds
/// the instruction's index plus one (0: none), and only counts if that instruction is in the
/// current region: regions are looked at in increasing order, so an entry left from an
/// earlier one is below the region's start, and starting a new region clears nothing
/// (regions are often a handful of instructions).
struct NextUses {
    /// Offset of `near[0]`.
    base: i32,
    /// Instruction index plus one, by offset.
    near: Vec<u32>,
    /// Offsets outside `near`: emptied at each new region (when not already empty).
    far: FxHashMap<i32, u32>,
    /// The first instruction of the current region.
    start: u32,
}

impl NextUses {
    /// Most offsets in the table; programs rarely use more.
    const WINDOW: i64 = 1 << 14;

    /// A table for offsets from `lo` to `hi` (or to the table's limit).
    fn new((lo, hi): (i32, i32)) -> NextUses {
        let len = (i64::from(hi) - i64::from(lo) + 1).clamp(0, NextUses::WINDOW);
        NextUses {
            base: lo,
            // (Zeroed memory: no pass to fill it.)
            near: vec![0; len as usize],
            far: FxHashMap::default(),
            start: 0,
        }
    }

    /// The table for one region's pass, its fields in locals (see [`NextUsesView`]).
    fn view(&mut self) -> NextUsesView<'_> {
        NextUsesView {
            base: self.base,
            start: self.start,
            near: &mut self.near,
            far: &mut self.far,
        }
    }

    /// Starts the region whose first instruction is `start`.
    fn new_region(&mut self, start: usize) {
        self.start = start as u32;
        if !self.far.is_empty() {
            self.far.clear();
        }
    }
}

/// [`NextUses`] during one region's pass of [`Plan::look`]: the same table, borrowed, with
/// its scalar fields copied out (so that they stay in registers while the table is written).
struct NextUsesView<'a> {
    base: i32,
    start: u32,
    near: &'a mut [u32],
    far: &'a mut FxHashMap<i32, u32>,
}

impl NextUsesView<'_> {
    #[inline(always)]
    fn index(&self, c: i32) -> Option<usize> {
        // (One unsigned compare: an offset below `base` wraps to a huge number.)
        let i = (i64::from(c) - i64::from(self.base)) as u64;
        (i < self.near.len() as u64).then_some(i as usize)
    }

    /// The next use of `c` in this region, or [`NEVER`].
    #[inline(always)]
    fn get(&self, c: i32) -> u32 {
        match self.index(c) {
            Some(i) => match self.near[i] {
                v if v > self.start => v - 1,
                _ => NEVER,
            },
            None => self.far.get(&c).copied().unwrap_or(NEVER),
        }
    }

    /// Instruction `at` (in this region) uses `c`.
    #[inline(always)]
    fn set(&mut self, c: i32, at: u32) {
        match self.index(c) {
            Some(i) => self.near[i] = at + 1,
            None => {
                self.far.insert(c, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Instruction `i`'s next uses and whether it wants the flags, looked up as the code
    /// generator does.
    fn at(ir: &Ir, plan: &mut Plan, i: usize) -> ([u32; 2], bool) {
        plan.look(&ir.code, i);
        (
            [plan.next_use(i, 0), plan.next_use(i, 1)],
            plan.wants_flags(i),
        )
    }

    #[test]
    fn next_uses_stay_within_a_region() {
        let (ir, mut plan) = plan_of(&[
            Op::In { off: 0 },
            Op::Out { off: 0 },
            Op::Add { off: 0, val: 1 },
            Op::Loop { off: 0 },
            Op::Out { off: 0 },
            Op::EndLoop { off: 0 },
        ]);
        let mut next = |i| at(&ir, &mut plan, i).0[0];
        assert_eq!(next(0), 1);
        assert_eq!(next(1), 2);
        // The loop starts a new region, and its test needs memory anyway.
        assert_eq!(next(2), NEVER);
        assert_eq!(next(4), NEVER);
    }

    #[test]
    fn the_last_write_before_a_test_of_its_cell_wants_the_flags() {
        // p[0] -= 1; p[1] += 1; test p[0]: the decrement sets the flags, the add keeps them.
        let (ir, mut plan) = plan_of(&[
            Op::In { off: 0 },
            Op::Loop { off: 0 },
            Op::Add { off: 0, val: 255 },
            Op::Add { off: 1, val: 1 },
            Op::EndLoop { off: 0 },
        ]);
        assert!(at(&ir, &mut plan, 2).1);
        assert!(!at(&ir, &mut plan, 3).1);
        assert_eq!(ir.len(), 5);
    }

    #[test]
    fn looking_from_the_middle_of_a_region_gives_the_same_answers() {
        // Two regions with repeated cells, a multiply, an `if` and a fused move.
        let ops = [
            Op::In { off: 0 },
            Op::Add { off: 1, val: 2 },
            Op::MulAdd {
                src: 0,
                dst: 1,
                k: 3,
            },
            Op::If { off: 1 },
            Op::Out { off: 1 },
            Op::EndIf,
            Op::Add { off: 0, val: 1 },
            Op::Loop { off: 0 },
            Op::Add { off: 0, val: 255 },
            Op::Add { off: 2, val: 1 },
            Op::Move { delta: 1 },
            Op::EndLoop { off: -1 },
        ];
        let (ir, mut in_order) = plan_of(&ops);
        let expected: Vec<_> = (0..ops.len()).map(|i| at(&ir, &mut in_order, i)).collect();
        for start in 0..ops.len() {
            let (_, mut fresh) = plan_of(&ops);
            for (i, &want) in expected.iter().enumerate().skip(start) {
                assert_eq!(
                    at(&ir, &mut fresh, i),
                    want,
                    "from {start}, instruction {i}"
                );
            }
        }
        assert_eq!(expected[0].0[0], 2, "p[0] is read by the multiply");
        assert!(
            expected[8].1,
            "the decrement before the loop test sets the flags"
        );
    }

    fn plan_of(ops: &[Op]) -> (Ir, Plan) {
        let ir = Ir {
            code: ops
                .iter()
                .map(|&op| crate::ir::Instr {
                    op,
                    span: Default::default(),
                })
                .collect(),
            ..Ir::default()
        };
        let survey = super::super::survey::Survey::of(&ir.code);
        let plan = Plan::new(survey.cells, survey.loops);
        (ir, plan)
    }

    #[test]
    fn loops_with_ifs_inside_keep_their_cells() {
        let (_, plan) = plan_of(&[
            Op::In { off: 0 },
            Op::Loop { off: 0 },
            Op::If { off: 1 },
            Op::Add { off: 2, val: 1 },
            Op::EndIf,
            Op::Add { off: 0, val: 255 },
            Op::EndLoop { off: 0 },
        ]);
        let (cells, _) = &plan.carried[&1];
        assert_eq!(cells.as_slice().len(), 3);
        assert!(!plan.carried.contains_key(&2), "an if is not a loop");
    }

    #[test]
    fn innermost_balanced_loops_keep_their_cells() {
        let (_, plan) = plan_of(&[
            Op::In { off: 0 },
            Op::Loop { off: 0 },
            Op::Add { off: 0, val: 255 },
            Op::Loop { off: 1 },
            Op::Add { off: 1, val: 255 },
            Op::Add { off: 2, val: 1 },
            Op::EndLoop { off: 1 },
            Op::EndLoop { off: 0 },
        ]);
        assert!(!plan.carried.contains_key(&1), "not innermost");
        let (cells, writes) = &plan.carried[&3];
        assert_eq!(
            (cells.as_slice(), writes.as_slice()),
            (&[1, 2][..], &[1, 2][..])
        );
        assert!(plan.balanced(1) && plan.balanced(3));
        assert!(!plan.innermost(1) && plan.innermost(3));
        let (_, plan) = plan_of(&[
            Op::In { off: 0 },
            Op::Loop { off: 0 },
            Op::Move { delta: 1 },
            Op::EndLoop { off: 0 },
        ]);
        assert!(!plan.balanced(1));
        assert!(plan.innermost(1));
        assert!(plan.carried.is_empty());
    }
}
