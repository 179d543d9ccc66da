//! What the known-value pass knows about the tape at a point of the program ([`State`]),
//! and how trial runs and the branches of an `if` undo their changes to it.

use rustc_hash::FxHashMap;

/// What the pass knows about the tape. Cells are addressed by *coordinates*: absolute cell
/// numbers while `abs` holds, otherwise relative to some earlier pointer position.
///
/// Trial runs and the branches of an `if` change the state in place and are undone with an
/// undo log ([`State::save`], [`State::restore`]): copying the state instead would cost its
/// size at every loop.
#[derive(Debug)]
pub(super) struct State {
    /// Cells that differ from `default`: `Some(v)` known to hold `v`, `None` unknown.
    cells: Cells,
    /// What every other cell holds (`Some(0)` on the untouched tape).
    default: Option<u32>,
    /// Coordinate of the pointer `p`.
    pub(super) pos: i64,
    /// Coordinates are absolute cell numbers.
    pub(super) abs: bool,
    /// Coordinates `lo..=hi` known to be on the tape (bounds checks of them have passed), so
    /// checks within them are redundant. (Not `pos` itself: `p` is only a base for offsets
    /// and may be off the tape.)
    pub(super) safe: Option<(i64, i64)>,
    /// Changes since the oldest open save point, to undo them.
    log: Vec<Undo>,
    /// The states replaced by the forgets in `log`, oldest first.
    forgotten: Vec<Forgotten>,
    /// Emptied cell maps kept for reuse, so that a forget during a trial run does not
    /// allocate a new map (and grow it again) each time.
    spare: Vec<Cells>,
    /// Number of open save points (changes are logged while there is one).
    saves: usize,
}

/// One entry of the undo log: a cell's coordinate and its raw entry in `cells` before a
/// change (see [`Cells::put_raw`]), or, with the coordinate [`ALL`], a forget, whose saved
/// state is the last of [`State::forgotten`]. (Two plain numbers rather than an enum that
/// holds a whole saved state: the log is written at every change during a trial run, and a
/// small entry is a small write.)
type Undo = (i64, u64);

/// The coordinate of an undo entry that stands for a forget. (No cell has it: coordinates
/// stay within a few times 2^32 of 0.)
const ALL: i64 = i64::MIN;

/// What a forget replaced, to put back when it is undone.
#[derive(Debug)]
struct Forgotten {
    cells: Cells,
    default: Option<u32>,
    pos: i64,
    abs: bool,
    safe: Option<(i64, i64)>,
}

/// A map from coordinates to `Option<u32>`: an array for the coordinates near the ones
/// used first (programs mostly work in a few hundred cells), a hash map beyond.
#[derive(Debug, Default)]
struct Cells {
    /// Coordinate of `dense[0]`.
    base: i64,
    /// `ABSENT`, `UNKNOWN`, or a known value.
    dense: Vec<u64>,
    far: FxHashMap<i64, Option<u32>>,
}

const ABSENT: u64 = u64::MAX;
const UNKNOWN: u64 = u64::MAX - 1;
/// Largest dense window.
const DENSE: i64 = 1 << 14;

impl Cells {
    fn decode(x: u64) -> Option<Option<u32>> {
        match x {
            ABSENT => None,
            UNKNOWN => Some(None),
            v => Some(Some(v as u32)),
        }
    }

    fn encode(v: Option<Option<u32>>) -> u64 {
        match v {
            None => ABSENT,
            Some(None) => UNKNOWN,
            Some(Some(v)) => u64::from(v),
        }
    }

    /// The slot for `coord` in `dense`, growing the window if that keeps it small.
    fn slot(&mut self, coord: i64, grow: bool) -> Option<&mut u64> {
        if self.dense.is_empty() {
            if !grow {
                return None;
            }
            self.base = coord;
        }
        let end = self.base + self.dense.len() as i64;
        if coord < self.base {
            if !grow || end - coord > DENSE {
                return None;
            }
            // Grown at the front by at least its length (within the largest window): every
            // growth at the front moves the whole window, so growing one cell at a time as
            // the pointer walks left would cost the square of the window's size. (Slots
            // beyond `coord` are only `ABSENT`, as every slot the map has not been given.)
            let room = (DENSE - (end - self.base)).max(0) as usize;
            let extra = ((self.base - coord) as usize).max(self.dense.len().min(room));
            self.dense.splice(0..0, std::iter::repeat_n(ABSENT, extra));
            self.base -= extra as i64;
        } else if coord >= end {
            if !grow || coord - self.base >= DENSE {
                return None;
            }
            self.dense.resize((coord - self.base + 1) as usize, ABSENT);
        }
        self.dense.get_mut((coord - self.base) as usize)
    }

    fn get(&self, coord: i64) -> Option<Option<u32>> {
        let i = coord.wrapping_sub(self.base);
        match self.dense.get(usize::try_from(i).unwrap_or(usize::MAX)) {
            Some(&x) => Cells::decode(x),
            None => self.far.get(&coord).copied(),
        }
    }

    /// The cells known to hold a value, with it.
    fn known(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        let base = self.base;
        self.dense
            .iter()
            .enumerate()
            .filter(|&(_, &x)| x < UNKNOWN)
            .map(move |(i, &x)| (base + i as i64, x as u32))
            .chain(self.far.iter().filter_map(|(&c, &v)| Some((c, v?))))
    }

    /// Forgets every entry (keeping the memory of the table).
    fn clear(&mut self) {
        self.dense.clear();
        if !self.far.is_empty() {
            self.far.clear();
        }
    }

    /// Sets `coord` to `x`, an encoded entry (`ABSENT`: back to the default, `UNKNOWN`, or
    /// a known value); returns the entry it had.
    fn put_raw(&mut self, coord: i64, x: u64) -> u64 {
        // Most coordinates are inside the window: one lookup, as in `get`.
        let i = usize::try_from(coord.wrapping_sub(self.base)).unwrap_or(usize::MAX);
        if let Some(slot) = self.dense.get_mut(i) {
            return std::mem::replace(slot, x);
        }
        self.put_outside(coord, x)
    }

    /// [`Cells::put_raw`] for a coordinate outside the dense window.
    #[cold]
    fn put_outside(&mut self, coord: i64, x: u64) -> u64 {
        if let Some(slot) = self.slot(coord, x != ABSENT) {
            return std::mem::replace(slot, x);
        }
        let old = match Cells::decode(x) {
            Some(v) => self.far.insert(coord, v),
            None => self.far.remove(&coord),
        };
        Cells::encode(old)
    }
}

/// A point to which a [`State`] can be restored.
#[derive(Clone, Copy)]
pub(super) struct Save {
    log: usize,
    pos: i64,
    safe: Option<(i64, i64)>,
}

impl State {
    pub(super) fn start() -> State {
        State {
            cells: Cells::default(),
            default: Some(0),
            pos: 0,
            abs: true,
            safe: Some((0, 0)),
            log: Vec::new(),
            forgotten: Vec::new(),
            spare: Vec::new(),
            saves: 0,
        }
    }

    pub(super) fn at(&self, coord: i64) -> Option<u32> {
        self.cells.get(coord).unwrap_or(self.default)
    }

    /// The cells known to hold a value (other than the default), with it.
    pub(super) fn known(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.cells.known()
    }

    #[inline]
    pub(super) fn get(&self, off: i32) -> Option<u32> {
        self.at(self.pos + i64::from(off))
    }

    pub(super) fn set_at(&mut self, coord: i64, v: Option<u32>) {
        let old = self
            .cells
            .put_raw(coord, Cells::encode((v != self.default).then_some(v)));
        if self.saves > 0 {
            self.log.push((coord, old));
        }
    }

    pub(super) fn set(&mut self, off: i32, v: Option<u32>) {
        self.set_at(self.pos + i64::from(off), v);
    }

    /// Makes `p[off]` known to hold `val`, returning what was known of it before, or `None`
    /// if it was known to hold `val` already (then nothing changes): [`State::get`] and
    /// [`State::set`] in one lookup, for the stores the pass works out.
    #[inline]
    pub(super) fn store(&mut self, off: i32, val: u32) -> Option<Option<u32>> {
        let coord = self.pos + i64::from(off);
        let i = usize::try_from(coord.wrapping_sub(self.cells.base)).unwrap_or(usize::MAX);
        let Some(slot) = self.cells.dense.get_mut(i) else {
            let before = self.at(coord);
            if before == Some(val) {
                return None;
            }
            self.set_at(coord, Some(val));
            return Some(before);
        };
        let old = *slot;
        let before = Cells::decode(old).unwrap_or(self.default);
        if before == Some(val) {
            return None;
        }
        *slot = Cells::encode((Some(val) != self.default).then_some(Some(val)));
        if self.saves > 0 {
            self.log.push((coord, old));
        }
        Some(before)
    }

    /// Forgets everything, as after a move by an unknown distance (the pointer gets a new
    /// coordinate system).
    pub(super) fn forget(&mut self) {
        if self.saves > 0 {
            let fresh = self.spare.pop().unwrap_or_default();
            let cells = std::mem::replace(&mut self.cells, fresh);
            self.forgotten.push(Forgotten {
                cells,
                default: self.default,
                pos: self.pos,
                abs: self.abs,
                safe: self.safe,
            });
            self.log.push((ALL, 0));
        } else {
            // Nothing can be undone: emptied in place, keeping the memory.
            self.cells.clear();
        }
        self.default = None;
        self.abs = false;
        self.safe = None;
    }

    /// Forgets every cell but keeps the pointer's coordinates.
    pub(super) fn forget_cells(&mut self) {
        let (pos, abs) = (self.pos, self.abs);
        self.forget();
        (self.pos, self.abs) = (pos, abs);
    }

    pub(super) fn save(&mut self) -> Save {
        self.saves += 1;
        Save {
            log: self.log.len(),
            pos: self.pos,
            safe: self.safe,
        }
    }

    /// Undoes every change since `save` (which must be the most recent open one).
    pub(super) fn restore(&mut self, save: Save) {
        while self.log.len() > save.log {
            let (coord, old) = self.log.pop().expect("nonempty");
            if coord != ALL {
                self.cells.put_raw(coord, old);
                continue;
            }
            let f = self
                .forgotten
                .pop()
                .expect("a forget is logged with its state");
            let mut cells = std::mem::replace(&mut self.cells, f.cells);
            cells.clear();
            self.spare.push(cells);
            (self.default, self.pos, self.abs, self.safe) = (f.default, f.pos, f.abs, f.safe);
        }
        self.pos = save.pos;
        self.safe = save.safe;
        self.close(save);
    }

    /// Keeps the changes since `save` (which must be the most recent open one).
    pub(super) fn close(&mut self, save: Save) {
        self.saves -= 1;
        if self.saves == 0 {
            self.log.clear();
            self.spare.extend(self.forgotten.drain(..).map(|mut f| {
                f.cells.clear();
                f.cells
            }));
        }
        debug_assert!(self.log.len() >= save.log || self.saves == 0);
    }

    /// The coordinates changed since `save` and their values now, into `out` (emptied
    /// first); false if the state was forgotten since.
    pub(super) fn changed_since(&self, save: Save, out: &mut Vec<(i64, Option<u32>)>) -> bool {
        out.clear();
        for &(c, _) in &self.log[save.log..] {
            if c == ALL {
                return false;
            }
            out.push((c, self.at(c)));
        }
        true
    }
}
