//! Shapes that lay cells out on the tape: strided cells and scans over them, excursions at
//! the ends of the tape, moves of millions of cells. (The rest are in [`super::shapes`].)

use jitbf::CellBits;

use super::{EXPLICIT_MOVE_BYTES, Gen, weighted};

impl Gen<'_> {
    /// Cells at a stride made nonzero, then a scan over them.
    pub(super) fn scan(&mut self) {
        let cs = self.cells.bytes() as i64;
        let stride = if self.chance(50) {
            // Strides whose width in bytes divides 32: jitbf scans those with SSE2.
            let vector: Vec<i64> = [1, 2, 4, 8, 16, 32]
                .into_iter()
                .filter(|s| 32 % (s * cs) == 0)
                .collect();
            self.rng.choice(vector).expect("stride 1 always")
        } else {
            self.rng.i64(1..=12)
        };
        let right = self.chance(60);
        let Some(p) = self.pos else {
            self.emit(b"[");
            self.mv(if right { stride } else { -stride });
            self.emit(b"]");
            return;
        };
        let (lo, hi) = weighted(self.rng, &[(50, (1, 6)), (40, (7, 40)), (10, (41, 100))]);
        let mut m = self.rng.i64(lo..=hi);
        let base = p + self.rng.i64(0..=6);
        while m > 1 && base + (m - 1) * stride >= self.tape {
            m -= 1;
        }
        let last = base + (m - 1) * stride;
        // What each strided cell gets: a constant, input, or the largest value.
        let style = self.rng.u8(0..4);
        let noise = self.chance(35);
        let mut exact = true;
        for c in base..=last.min(self.tape - 1) {
            let on_stride = (c - base) % stride == 0;
            if on_stride {
                self.goto(c);
                match (style, self.rng.u8(0..3)) {
                    (0, _) | (3, 0) => {
                        let k = self.rng.i64(1..=3);
                        self.add(k);
                    }
                    (1, _) | (3, 1) => {
                        self.read();
                        exact = false;
                    }
                    // Wide cells: now and then a value whose low byte or low half is zero.
                    _ if self.cells != CellBits::U8 && c + 1 < self.tape && self.chance(40) => {
                        self.add_low_zero(c);
                    }
                    _ => self.emit(b"-"),
                }
            } else if noise && self.chance(40) {
                self.goto(c);
                self.emit(b"+");
            }
        }
        let (from, step) = if right {
            (base, stride)
        } else {
            (last, -stride)
        };
        // Start at the first cell, or somewhere in the middle of the run.
        let from = if self.chance(25) && m > 2 {
            from + step * self.rng.i64(1..m - 1)
        } else {
            from
        };
        self.goto(from);
        self.emit(b"[");
        if self.chance(15) {
            // A body that reaches behind the cell it tests before moving on (`[<>>]`):
            // jitbf scans those one cell at a time, probing the cell behind for the bounds
            // check (from cell 0, the first step leaves the tape).
            let j = self.rng.i64(1..=2) * step.signum();
            self.mv(-j);
            self.mv(step + j);
        } else {
            self.mv(step);
        }
        self.emit(b"]");
        let land = if right { last + stride } else { base - stride };
        // The landing cell could hold a value from earlier shapes, and input may be 0:
        // the generator then no longer knows where the pointer is.
        self.pos = if exact && !noise && self.hot.iter().all(|&h| h < base) {
            Some(land)
        } else {
            None
        };
        self.hot = self.pos.into_iter().collect();
        match self.rng.u8(0..4) {
            0 => self.emit(b"."),
            1 => self.emit(b"+."),
            2 => {
                self.mv(-step);
                self.emit(b".");
            }
            _ => self.emit(b"[.[-]]"),
        }
    }

    /// Adds 256 or (32-bit cells) 65536 to cell `c`, by a loop counted down in `c + 1`
    /// (which ends at 0): a nonzero cell whose low byte or low 16 bits are zero, which a scan
    /// that compared only part of each cell would take for a zero cell.
    fn add_low_zero(&mut self, c: i64) {
        let k = if self.cells == CellBits::U32 && self.chance(60) {
            256
        } else {
            16
        };
        self.goto(c + 1);
        self.emit(b"[-]");
        self.add(k);
        self.move_add(-1, k);
        self.goto(c);
    }

    /// Just inside and just past either end of the tape: moves, multiply targets, scans.
    pub(super) fn edge(&mut self) {
        let Some(_) = self.pos else {
            return self.observe();
        };
        // The right end of a large tape is a move of a million cells away: a source of a
        // megabyte, which costs a hundred small programs to check. Go there rarely.
        let right = self.chance(45) && (self.tape <= 4096 || self.chance(2));
        // The cell j cells in from the end, and the direction "outwards".
        let j = self.rng.i64(0..=3).min(self.tape - 1);
        let (cell, out) = if right {
            (self.tape - 1 - j, 1)
        } else {
            (j, -1)
        };
        self.goto(cell);
        // How far past the end: `e` = 0 reaches the last cell, 1 leaves the tape.
        let e = self.rng.i64(-1..=1);
        let reach = (j + e).max(1);
        match self.rng.u8(0..4) {
            0 => {
                self.mv(out * reach);
                let v: &[u8] = if self.chance(50) { b"+." } else { b"." };
                self.emit(v);
                self.mv(-out * reach);
            }
            1 => {
                // A multiply loop whose target may be off the tape: an error only when the
                // loop runs.
                self.counter();
                self.move_add(out * reach, 1);
                self.hot = vec![cell];
            }
            2 => {
                // Cells out to the end made nonzero, then a scan towards it.
                for _ in 0..=j {
                    self.emit(b"+");
                    self.mv(-out);
                }
                self.goto(cell);
                self.emit(b"[");
                self.mv(out);
                self.emit(b"]");
                self.pos = None;
                self.emit(b".");
            }
            _ => {
                // There and back at once: no access out there, still an error.
                self.mv(out * reach);
                self.mv(-out * reach);
                self.emit(b".");
            }
        }
    }

    /// Moves of millions of cells: to the far end, or across jitbf's threshold for an
    /// explicit bounds compare, between a cell test and another test of the same cell (the
    /// flags of the compare must not be taken for the cell's).
    pub(super) fn far(&mut self) {
        let Some(p) = self.pos else {
            return self.observe();
        };
        self.far_done = true;
        let cs = self.cells.bytes() as i64;
        let threshold = EXPLICIT_MOVE_BYTES as i64 / cs;
        let n = match self.rng.u8(0..4) {
            0 | 1 => threshold + self.rng.i64(-2..=2),
            2 => self.tape - 1 - p - self.rng.i64(-1..=3),
            _ => self
                .rng
                .i64(self.tape / 2..=(self.tape - 1 - p).max(self.tape / 2)),
        }
        .max(1);
        match self.rng.u8(0..5) {
            0..=2 => {
                // A cell set (flags now reflect it), there and back, then tested.
                self.value();
                let v = if self.chance(50) { b"-" } else { b"+" };
                self.emit(v);
                self.mv(n);
                if self.chance(25) {
                    self.emit(b"+.");
                }
                self.mv(-n);
                self.emit(b"[.[-]]");
            }
            3 => {
                // Far out, a few shapes there, and back.
                self.mv(n);
                self.hot.clear();
                self.value();
                self.observe();
                if let Some(q) = self.pos {
                    self.mv(p - q);
                }
                self.emit(b".");
            }
            _ => {
                // Far out, and stay: later shapes work at the far end.
                self.mv(n);
                self.hot.clear();
                self.emit(b".");
            }
        }
    }
}
