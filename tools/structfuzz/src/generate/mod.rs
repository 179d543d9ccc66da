//! The program generator: configurations, inputs, and *structured* programs.
//!
//! Random command soup almost never reaches the code that goes wrong: a miscompile after a
//! multiply loop needs a loop whose source cell comes from input (else the known-value pass
//! folds it away) followed directly by a test of another cell, which about one in a million
//! unstructured programs is. So programs here are built from *shapes*
//! ([`shapes`]), each aimed at something the optimizer or the code generator does: multiply
//! and copy loops followed by tests of their cells, values that cross 128, 256 and 65536
//! before a zero test, strided cells laid out for scans of every stride, nested ifs,
//! multiply loops inside input-driven loops, pointer excursions at both ends of the tape,
//! far moves, clear loops and stores, ladders of nested loops on one cell, and some soup. Most values come from input, which
//! the generator also chooses (0x00, 0x80, 0xFF and small counts are common).
//!
//! | part | distribution |
//! |---|---|
//! | cells | 8-bit 40%, 16-bit 30%, 32-bit 30% |
//! | EOF mode | unchanged, zero, max: a third each |
//! | tape | 1-64 cells 30%; 65-700 12%; 1-4 pages ±2 cells 15%; 256/1024/4096/65536 8%; 2^20 25%; 2^20 or 2^21 plus 1-4095 9%; just past the explicit-compare size (2-4 million cells, 16/32-bit) 0.1% |
//! | input | bytes 0x00/0x01/0x02/0x7F/0x80/0x81/0xFE/0xFF 30%, 1-9 35%, any 35%; long enough for every `,` outside loops plus 0-12 (75%), or shorter (25%) |
//! | program | input read into 1-4 cells (80%), 1-6 shapes, then the cells used printed (70%) |
//!
//! Everything follows from `(seed, index)`: [`case`] with the same pair gives the same case
//! on any machine and thread.
//!
//! The generator keeps track of where the pointer is (while it can tell: a scan or a
//! conditional move makes it lose track) so that shapes stay mostly on the tape, and
//! deliberately step off it now and then.

pub mod ladder;
pub mod live;
pub mod places;
pub mod scratch;
pub mod shapes;

use fastrand::Rng;
use jitbf::{CellBits, Eof};

use crate::case::Case;

/// jitbf's code generator compares a pointer move explicitly, instead of relying on its
/// guard pages, when the move spans at least this many bytes (half its 16 MiB guard). Far
/// moves straddle it.
pub const EXPLICIT_MOVE_BYTES: usize = 1 << 23;

/// What kind of tape a case has; the shapes near the ends of the tape depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TapeKind {
    /// 1 to 64 cells: moving off either end is common.
    Tiny,
    /// 65 to 700 cells.
    Small,
    /// A whole number of 4 KiB pages, give or take two cells (the right end is then found by
    /// the guard page alone, or needs an explicit compare).
    Pages,
    /// 256, 1024, 4096 or 65536 cells.
    Round,
    /// jitbf's default, 2^20 cells.
    Default,
    /// Just over 2^20 or 2^21 cells, not a page multiple.
    Large,
    /// Long enough for moves that need jitbf's explicit bounds compare.
    Far,
}

/// Mixes the seed and the index into the generator's seed (splitmix64's finalizer), so
/// that neighbouring indices give unrelated cases.
pub fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Case number `index` of `seed`.
pub fn case(seed: u64, index: u64) -> Case {
    let mut rng = Rng::with_seed(mix(seed, index));
    let (cells, eof, tape, kind) = config(&mut rng);
    // The input is drawn first so that shapes can aim at its bytes, and cut to length
    // after: usually long enough for every `,` outside loops (end of input on a loop
    // counter with 32-bit cells and `--eof max` means four billion iterations), sometimes
    // shorter, so that the EOF mode matters.
    let pool = input(&mut rng);
    let mut g = Gen::new(&mut rng, (cells, eof), tape, kind, &pool);
    g.program();
    let (source, reads) = (g.src, g.reads);
    let len = if rng.u8(0..4) == 0 {
        rng.usize(0..=reads)
    } else {
        reads + rng.usize(0..=12)
    };
    Case {
        cells,
        eof,
        tape,
        input: pool[..len.min(pool.len())].to_vec(),
        source,
    }
}

/// Picks one of `items` with probability proportional to its weight.
pub fn weighted<T: Copy>(rng: &mut Rng, items: &[(u32, T)]) -> T {
    let total: u32 = items.iter().map(|&(w, _)| w).sum();
    let mut r = rng.u32(0..total);
    for &(w, t) in items {
        if r < w {
            return t;
        }
        r -= w;
    }
    unreachable!("r < total")
}

fn config(rng: &mut Rng) -> (CellBits, Eof, usize, TapeKind) {
    use TapeKind::*;
    let mut cells = weighted(
        rng,
        &[(40, CellBits::U8), (30, CellBits::U16), (30, CellBits::U32)],
    );
    let eof = weighted(rng, &[(1, Eof::Unchanged), (1, Eof::Zero), (1, Eof::Max)]);
    let kind = weighted(
        rng,
        &[
            (3000, Tiny),
            (1200, Small),
            (1500, Pages),
            (800, Round),
            (2500, Default),
            (900, Large),
            // A far move is a source of megabytes, which costs as much to check as a few
            // hundred small programs: one program in a thousand.
            (10, Far),
        ],
    );
    if kind == Far && cells != CellBits::U16 {
        // 8-bit cells would need 8-million-byte sources; the explicit compare is the same
        // code at every width, so use 32-bit cells (2 million) and sometimes 16-bit.
        cells = CellBits::U32;
    }
    let cs = cells.bytes();
    let tape = match kind {
        Tiny => rng.usize(1..=64),
        Small => rng.usize(65..=700),
        Pages => (rng.usize(1..=4) * 4096 / cs + rng.usize(0..=4))
            .saturating_sub(2)
            .max(1),
        Round => *rng.choice(&[256, 1024, 4096, 65536]).expect("not empty"),
        Default => jitbf::DEFAULT_TAPE_CELLS,
        Large => (1usize << rng.usize(20..=21)) + rng.usize(1..=4095),
        Far => EXPLICIT_MOVE_BYTES / cs + rng.usize(0..=8192),
    };
    (cells, eof, tape, kind)
}

/// Input bytes: 0x00, 0x80, 0xFF and their neighbours are common, as are small counts.
fn input(rng: &mut Rng) -> Vec<u8> {
    (0..32)
        .map(|_| match rng.u8(0..20) {
            0..=5 => *rng
                .choice(&[0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff])
                .expect("not empty"),
            6..=12 => rng.u8(1..=9),
            _ => rng.u8(..),
        })
        .collect()
}

/// The state of the generator while it writes one program.
pub struct Gen<'a> {
    rng: &'a mut Rng,
    cells: CellBits,
    eof: Eof,
    tape: i64,
    kind: TapeKind,
    input: &'a [u8],
    /// The source so far.
    pub src: Vec<u8>,
    /// Where the pointer is, while the generator can tell.
    pos: Option<i64>,
    /// Loops open around the code being written.
    depth: u32,
    /// `,` executed so far on the straight path (while not inside a loop): which input
    /// byte the next top-level `,` reads.
    reads: usize,
    /// Cells worth looking at: targets of the last multiply loop, the last value set.
    hot: Vec<i64>,
    /// A far move was made (one per program is enough, and each costs).
    far_done: bool,
}

impl<'a> Gen<'a> {
    fn new(
        rng: &'a mut Rng,
        (cells, eof): (CellBits, Eof),
        tape: usize,
        kind: TapeKind,
        input: &'a [u8],
    ) -> Gen<'a> {
        Gen {
            rng,
            cells,
            eof,
            tape: tape as i64,
            kind,
            input,
            src: Vec::new(),
            pos: Some(0),
            depth: 0,
            reads: 0,
            hot: Vec::new(),
            far_done: false,
        }
    }

    /// A whole program: usually input read into a few cells, then a few shapes, then
    /// usually a dump of the cells used.
    fn program(&mut self) {
        if self.chance(80) {
            self.reads();
        }
        let blocks = self.rng.usize(1..=6);
        for _ in 0..blocks {
            self.block();
            if self.chance(8) {
                let c = *self.rng.choice(b" \nx#").expect("not empty");
                self.src.push(c);
            }
        }
        if self.chance(70) {
            self.dump();
        }
    }

    /// True with probability `percent`%.
    fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(0..100) < percent
    }

    /// Appends source text.
    fn emit(&mut self, s: &[u8]) {
        self.src.extend_from_slice(s);
    }

    /// `>` or `<` `|d|` times.
    fn mv(&mut self, d: i64) {
        let c = if d > 0 { b'>' } else { b'<' };
        self.src
            .extend(std::iter::repeat_n(c, d.unsigned_abs() as usize));
        self.pos = self.pos.map(|p| p + d);
    }

    /// Moves to cell `to` (when the position is known; else stays).
    fn goto(&mut self, to: i64) {
        if let Some(p) = self.pos {
            self.mv(to - p);
        }
    }

    /// `+` or `-` `|n|` times.
    fn add(&mut self, n: i64) {
        let c = if n > 0 { b'+' } else { b'-' };
        self.src
            .extend(std::iter::repeat_n(c, n.unsigned_abs() as usize));
    }

    /// `[->+++<]`: a loop that moves the current cell, times `k`, onto the cell `d` away,
    /// and comes back (the pointer ends where it started).
    fn move_add(&mut self, d: i64, k: i64) {
        self.emit(b"[-");
        self.mv(d);
        self.add(k);
        self.mv(-d);
        self.emit(b"]");
    }

    /// `,`, counting top-level reads.
    fn read(&mut self) {
        self.emit(b",");
        if self.depth == 0 {
            self.reads += 1;
        }
    }

    /// The input byte the next top-level `,` will read, if known.
    fn next_input(&self) -> Option<u8> {
        if self.depth == 0 {
            self.input.get(self.reads).copied()
        } else {
            None
        }
    }

    /// A random offset in `-max..=max`, not 0, that keeps the pointer on the tape when the
    /// position is known (except now and then, on purpose); 0 if there is none.
    fn off(&mut self, max: i64) -> i64 {
        let wild = self.chance(3);
        let ok = |d: i64, g: &Gen| match g.pos {
            Some(p) if !wild => (0..g.tape).contains(&(p + d)),
            _ => true,
        };
        let cands: Vec<i64> = (-max..=max).filter(|&d| d != 0 && ok(d, self)).collect();
        self.rng.choice(cands).unwrap_or(0)
    }

    /// A cell to look at: a hot one, or one near the pointer.
    fn pick_cell(&mut self) -> Option<i64> {
        let p = self.pos?;
        if !self.hot.is_empty() && self.chance(85) {
            return self.rng.choice(self.hot.clone());
        }
        let d = self.off(4);
        Some(p + d)
    }

    /// Sets the current cell to something worth testing: usually input (so the known-value
    /// pass cannot fold it), else a constant, or the largest value.
    fn value(&mut self) {
        self.value_for(false);
    }

    /// [`Gen::value`] for a loop counter: at 16 and 32 bits, nothing that wraps below 0
    /// (a loop counted down from 65535 or 2^32 - 1 runs past the model's budget).
    fn counter(&mut self) {
        let wide = self.cells != CellBits::U8;
        if wide && self.depth > 0 && self.eof == Eof::Max {
            // Inside a loop input may run out, and then `,` gives 65535 or 2^32 - 1.
            let n = self.rng.i64(1..=5);
            return self.add(n);
        }
        self.value_for(wide);
    }

    fn value_for(&mut self, counter: bool) {
        // Inside loops input soon runs out (the input covers the reads outside loops), and
        // every `,` after that costs jitbf's interpreter a 64 KiB refill: read less there.
        let reads = if self.depth == 0 { 5 } else { 2 };
        match self.rng.u8(0..10) {
            r if r < reads => self.read(),
            5 => {
                self.read();
                let n = self.rng.i64(1..=3);
                let v = if counter || self.chance(50) { n } else { -n };
                self.add(v);
            }
            6 | 7 => {
                self.emit(b"[-]");
                let n = self.rng.i64(1..=5);
                self.add(n);
            }
            // The largest value; not at 32 bits, where clearing it takes 2^32 steps.
            8 if !counter && self.cells != CellBits::U32 => self.emit(b"[-]-"),
            _ => {
                let n = self.rng.i64(1..=3);
                self.add(n);
            }
        }
    }

    /// The cells the program used, printed: `.` or `[.[-]]` (which also tells 256 from 0).
    fn dump(&mut self) {
        let Some(p) = self.pos else {
            let n = self.rng.i64(1..=4);
            for _ in 0..n {
                self.emit(b".>");
            }
            return;
        };
        let lo = self
            .hot
            .iter()
            .copied()
            .chain([p])
            .min()
            .unwrap_or(p)
            .max(0);
        let hi = self.hot.iter().copied().chain([p]).max().unwrap_or(p);
        let hi = hi.min(self.tape - 1).min(lo + 12);
        self.goto(lo);
        for c in lo..=hi {
            self.goto(c);
            if self.chance(70) {
                self.emit(b".");
            } else {
                self.emit(b"[.[-]]");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, Run};

    #[test]
    fn cases_are_deterministic_and_differ_by_index() {
        assert_eq!(case(7, 12345), case(7, 12345));
        assert_ne!(case(7, 12345), case(7, 12346));
        assert_ne!(case(7, 12345), case(8, 12345));
    }

    #[test]
    fn programs_balance_and_mostly_finish() {
        let (mut done, mut errors, mut lines) = (0, 0, 0);
        for i in 0..2000 {
            let c = case(1, i);
            match model::run(&c, crate::check::FUEL) {
                Run::Done(o) => {
                    done += 1;
                    if o.ending != model::Ending::Ok {
                        errors += 1;
                    }
                }
                Run::OutOfFuel => {}
                Run::Unbalanced => panic!("unbalanced: {c}"),
            }
            lines += usize::from(c.source.contains(&b'\n'));
        }
        // Most finish; some leave the tape, most do not.
        assert!(done > 1800, "{done} of 2000 finished");
        assert!(errors > 100 && errors < done / 2, "{errors} errors");
        assert!(lines > 0);
    }

    #[test]
    fn configurations_cover_every_width_mode_and_kind_of_tape() {
        let mut seen = std::collections::HashSet::new();
        let mut far = 0;
        let mut rng = Rng::with_seed(3);
        for _ in 0..20_000 {
            let (cells, eof, tape, kind) = config(&mut rng);
            seen.insert((cells.bytes(), eof as u8));
            if kind == TapeKind::Far {
                far += 1;
                assert!(tape * cells.bytes() >= EXPLICIT_MOVE_BYTES);
                assert_ne!(cells, CellBits::U8);
            }
            assert!(tape >= 1);
            if kind == TapeKind::Tiny {
                assert!(tape <= 64);
            }
        }
        assert_eq!(seen.len(), 9);
        // One in a thousand.
        assert!((5..=50).contains(&far), "{far}");
    }
}
