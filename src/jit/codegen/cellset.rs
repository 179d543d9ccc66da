//! The set of cells whose memory is out of date, as the code generator's [`super::state`]
//! keeps it: small, sorted, and stored inline so that a state is a plain value to copy.

/// A small sorted set of cells, stored inline: the cells whose memory is out of date.
///
/// Each such cell is held by one of the registers that may hold cells ([`super::effect::Reg::ALL`], 11 of
/// them), so there are never more than 11 of them between instructions, and one more for a
/// moment while an effect is applied (a cell it changes is added before the register that
/// takes it is checked). A fixed array instead of a `Vec` makes a [`super::state::State`] a plain value:
/// copying one at every label, loop head and `if` costs no allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CellSet {
    len: u8,
    cells: [i32; CellSet::CAP],
}

impl CellSet {
    /// Most cells the set holds: the 11 registers' cells and the one for a moment (see the
    /// type's doc). No more, so that a [`super::state::State`] fits in 128 bytes, which
    /// the compiler copies with a few vector moves instead of a call of `memcpy`.
    const CAP: usize = 12;

    /// The cells, in increasing order.
    pub(crate) fn as_slice(&self) -> &[i32] {
        &self.cells[..usize::from(self.len)]
    }

    /// True if `c` is in the set.
    #[inline]
    pub(super) fn contains(&self, c: i32) -> bool {
        // (A handful of cells at most: a plain scan beats a binary search.)
        self.as_slice().contains(&c)
    }

    /// True if the set has no cell.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `c` (nothing if it is there). The callers keep the set within its room (see the
    /// type's doc); a set that would overflow is a code generator bug, and panics.
    #[inline]
    pub(super) fn insert(&mut self, c: i32) {
        // (A plain scan for the first cell not below `c`: a handful of cells at most.)
        let n = usize::from(self.len);
        let i = self.as_slice().iter().position(|&x| x >= c).unwrap_or(n);
        if i == n || self.cells[i] != c {
            assert!(n < CellSet::CAP, "more out-of-date cells than registers");
            // (Element by element: a handful at most, where a `copy_within` is a call.)
            for k in (i..n).rev() {
                self.cells[k + 1] = self.cells[k];
            }
            self.cells[i] = c;
            self.len += 1;
        }
    }

    /// Takes `c` out (nothing if it is not there).
    pub(super) fn remove(&mut self, c: i32) {
        if let Ok(i) = self.as_slice().binary_search(&c) {
            let n = usize::from(self.len);
            for k in i..n - 1 {
                self.cells[k] = self.cells[k + 1];
            }
            self.len -= 1;
        }
    }

    /// The cells of both sets (which together must fit one: each is held by a register).
    pub(super) fn union(&self, other: &CellSet) -> CellSet {
        let (a, b) = (self.as_slice(), other.as_slice());
        if b.is_empty() {
            return *self;
        }
        if a.is_empty() {
            return *other;
        }
        // Both are sorted: one merging pass.
        let mut out = CellSet::default();
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < a.len() || j < b.len() {
            let c = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x == y => {
                    (i, j) = (i + 1, j + 1);
                    x
                }
                (Some(&x), Some(&y)) if x < y => {
                    i += 1;
                    x
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
                (None, None) => unreachable!(),
            };
            assert!(n < CellSet::CAP, "more out-of-date cells than registers");
            out.cells[n] = c;
            n += 1;
        }
        out.len = n as u8;
        out
    }

    /// Subtracts `d` from every cell (the order is kept).
    pub(super) fn shift(&mut self, d: i32) {
        let n = usize::from(self.len);
        for c in &mut self.cells[..n] {
            *c -= d;
        }
    }
}
