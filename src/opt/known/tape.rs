//! The scratch tape of compile-time runs ([`super::Known::simulate`]).
//!
//! A loop run at compile time reads cells whose values the analysis knows (its
//! [`State`](super::State)) and writes cells of its own, which must not change that state
//! until the run has finished (a run that gives up leaves no trace). Looking every cell up
//! in the state and keeping the writes in a hash map cost about 55 machine instructions per
//! simulated IR step, and a compile-time run may take 2^17 steps: milliseconds for a loop
//! nest that ends up running at run time anyway.
//!
//! This tape is an array around the pointer instead. A slot is filled from the state the
//! first time the run reads it, or by the run's first write, so every later access is an
//! index and a compare. Coordinates far from the window (a program that moves far, which is
//! rare) go to a map. The tape is reused from one run to the next: only the slots a run
//! touched are cleared.

use rustc_hash::FxHashMap;

/// The slot holds a value (in its low 32 bits). A slot without it was not touched.
pub(super) const FULL: u64 = 1 << 32;
/// The run wrote the value (it was not only read from the state).
pub(super) const WRITTEN: u64 = 1 << 33;
/// Cells in a fresh window.
const WINDOW_START: usize = 256;
/// Largest window, in cells; coordinates outside it go to `far`.
const WINDOW_MAX: usize = 1 << 16;

/// The cells a compile-time run has read or written.
#[derive(Debug, Default)]
pub(super) struct Tape {
    /// Coordinate of `window[0]`.
    base: i64,
    window: Vec<u64>,
    far: FxHashMap<i64, u64>,
    /// Coordinates of the slots filled since [`Tape::reset`], to clear them.
    touched: Vec<i64>,
}

impl Tape {
    /// Empties the tape for a run whose pointer starts at `pos`.
    pub(super) fn reset(&mut self, pos: i64) {
        for i in 0..self.touched.len() {
            let c = self.touched[i];
            *self.slot(c) = 0;
        }
        self.touched.clear();
        self.far.clear();
        if self.window.is_empty() {
            self.window.resize(WINDOW_START, 0);
        }
        if !(self.base..self.base + self.window.len() as i64).contains(&pos) {
            self.base = pos - (self.window.len() / 2) as i64;
        }
    }

    /// The value of cell `c`: the run's own if it has one, else `load(c)` (the analysis's
    /// knowledge; `None` if the cell is unknown, which ends the run).
    // (Each access is split in two: the common case, a cell of the window the run has
    // touched already, inlined into the run's loop; the rest out of it, where its code does
    // not take the registers the loop needs.)
    #[inline(always)]
    pub(super) fn read(&mut self, c: i64, load: impl FnOnce(i64) -> Option<u32>) -> Option<u32> {
        match self.filled(c) {
            Some(s) => Some(s as u32),
            None => self.read_slow(c, load),
        }
    }

    #[cold]
    #[inline(never)]
    fn read_slow(&mut self, c: i64, load: impl FnOnce(i64) -> Option<u32>) -> Option<u32> {
        let slot = self.slot(c);
        if *slot & FULL != 0 {
            return Some(*slot as u32);
        }
        let v = load(c)?;
        *slot = FULL | u64::from(v);
        self.touched.push(c);
        Some(v)
    }

    /// Replaces cell `c`'s value `v` (read as [`Tape::read`] does) with `f(v)`: one lookup
    /// where a read and a write would take two.
    #[inline(always)]
    pub(super) fn update(
        &mut self,
        c: i64,
        load: impl FnOnce(i64) -> Option<u32>,
        f: impl FnOnce(u32) -> u32,
    ) -> Option<()> {
        if let Some(slot) = self.filled_mut(c) {
            *slot = FULL | WRITTEN | u64::from(f(*slot as u32));
            return Some(());
        }
        let v = self.read_slow(c, load)?;
        *self.slot(c) = FULL | WRITTEN | u64::from(f(v));
        Some(())
    }

    /// Sets cell `c` to `v`.
    #[inline(always)]
    pub(super) fn write(&mut self, c: i64, v: u32) {
        match self.filled_mut(c) {
            Some(slot) => *slot = FULL | WRITTEN | u64::from(v),
            None => self.write_slow(c, v),
        }
    }

    #[cold]
    #[inline(never)]
    fn write_slow(&mut self, c: i64, v: u32) {
        let slot = self.slot(c);
        let first = *slot & FULL == 0;
        *slot = FULL | WRITTEN | u64::from(v);
        if first {
            self.touched.push(c);
        }
    }

    /// The coordinate of the window's first cell, and the window, for a loop that reads
    /// and writes the slots that hold a value itself (see [`FULL`] and [`WRITTEN`]), and
    /// leaves the others to [`Tape::read`] and friends.
    #[inline(always)]
    pub(super) fn window(&mut self) -> (i64, &mut [u64]) {
        (self.base, &mut self.window)
    }

    /// The slot of cell `c` if it is in the window and holds a value.
    #[inline(always)]
    fn filled(&self, c: i64) -> Option<u64> {
        let i = c.wrapping_sub(self.base) as u64 as usize;
        self.window.get(i).copied().filter(|&s| s & FULL != 0)
    }

    /// [`Tape::filled`], to change.
    #[inline(always)]
    fn filled_mut(&mut self, c: i64) -> Option<&mut u64> {
        let i = c.wrapping_sub(self.base) as u64 as usize;
        self.window.get_mut(i).filter(|s| **s & FULL != 0)
    }

    /// The cells the run wrote, with their final values, by coordinate.
    pub(super) fn writes(&mut self) -> Vec<(i64, u32)> {
        let mut writes = Vec::new();
        for i in 0..self.touched.len() {
            let c = self.touched[i];
            let slot = *self.slot(c);
            if slot & WRITTEN != 0 {
                writes.push((c, slot as u32));
            }
        }
        writes.sort_unstable();
        writes
    }

    /// The slot of cell `c`, growing the window towards it if that keeps it small enough.
    #[inline]
    fn slot(&mut self, c: i64) -> &mut u64 {
        let i = c.wrapping_sub(self.base) as u64;
        if i < self.window.len() as u64 {
            return &mut self.window[i as usize];
        }
        self.grow_to(c)
    }

    #[cold]
    fn grow_to(&mut self, c: i64) -> &mut u64 {
        let end = self.base + self.window.len() as i64;
        let (lo, hi) = (self.base.min(c), end.max(c + 1));
        let mut len = self.window.len().max(1);
        while (len as i64) < hi - lo {
            len *= 2;
        }
        if len > WINDOW_MAX {
            return self.far.entry(c).or_insert(0);
        }
        // Keep the old cells in place relative to the new base: extend on the side of `c`.
        let base = if c < self.base {
            end - len as i64
        } else {
            self.base
        };
        let mut window = vec![0; len];
        let shift = (self.base - base) as usize;
        window[shift..shift + self.window.len()].copy_from_slice(&self.window);
        (self.base, self.window) = (base, window);
        let i = (c - self.base) as usize;
        &mut self.window[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_come_from_the_state_once_then_from_the_tape() {
        let mut tape = Tape::default();
        tape.reset(10);
        let mut loads = 0;
        let mut load = |c: i64| {
            loads += 1;
            Some(c as u32 * 2)
        };
        assert_eq!(tape.read(12, &mut load), Some(24));
        assert_eq!(tape.read(12, &mut load), Some(24));
        assert_eq!(loads, 1);
        assert_eq!(
            tape.read(13, |_| None),
            None,
            "an unknown cell ends the run"
        );
        tape.write(13, 7);
        assert_eq!(tape.read(13, |_| None), Some(7));
        assert_eq!(
            tape.writes(),
            vec![(13, 7)],
            "cells only read are not writes"
        );
    }

    #[test]
    fn an_update_loads_once_and_counts_as_a_write() {
        let mut tape = Tape::default();
        tape.reset(0);
        assert_eq!(
            tape.update(4, |_| None, |v| v + 1),
            None,
            "unknown: the run ends"
        );
        assert_eq!(tape.writes(), vec![]);
        assert_eq!(tape.update(4, |_| Some(10), |v| v + 1), Some(()));
        assert_eq!(tape.update(4, |_| Some(99), |v| v * 2), Some(()));
        assert_eq!(tape.read(4, |_| None), Some(22));
        assert_eq!(tape.read(5, |_| Some(7)), Some(7));
        assert_eq!(
            tape.update(5, |_| None, |v| v + 1),
            Some(()),
            "read before: no load"
        );
        assert_eq!(tape.writes(), vec![(4, 22), (5, 8)]);
    }

    #[test]
    fn cells_far_apart_on_both_sides_keep_their_values() {
        let mut tape = Tape::default();
        tape.reset(0);
        let coords = [
            0,
            -1,
            300,
            -300,
            5_000,
            -70_000,
            1 << 40,
            65_535,
            -(1 << 40),
        ];
        for (k, &c) in coords.iter().enumerate() {
            tape.write(c, k as u32);
        }
        for (k, &c) in coords.iter().enumerate() {
            assert_eq!(tape.read(c, |_| None), Some(k as u32), "cell {c}");
        }
        let mut want: Vec<(i64, u32)> = coords
            .iter()
            .enumerate()
            .map(|(k, &c)| (c, k as u32))
            .collect();
        want.sort_unstable();
        assert_eq!(tape.writes(), want);
    }

    #[test]
    fn a_reset_forgets_the_previous_run() {
        let mut tape = Tape::default();
        tape.reset(0);
        tape.write(3, 9);
        tape.write(-1 << 30, 4);
        assert_eq!(tape.read(5, |_| Some(1)), Some(1));
        tape.reset(100_000);
        assert_eq!(tape.read(3, |_| Some(0)), Some(0));
        assert_eq!(tape.read(-1 << 30, |_| None), None);
        assert_eq!(tape.read(5, |_| Some(2)), Some(2));
        assert_eq!(tape.writes(), vec![]);
    }
}
