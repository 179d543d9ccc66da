//! The scratch shape: cells taken away from their value and brought back inside a loop, as
//! long.b's innermost loop does (`+++[->+++++<]>[-]<`): the known-value pass knows the
//! cells at the loop head and drops stores that only put a cell back, unless something read
//! it in between. (The rest of the shapes are in [`super::shapes`].)

use super::Gen;

impl Gen<'_> {
    /// A loop (counted from input or a constant, or now and then none) whose body takes one
    /// or two scratch cells near the counter through other values and back: `+k` then `-k`,
    /// a multiply into a neighbour then clears of both, or `[-]` then `+k`; in between, now
    /// and then, something that reads a scratch cell (output, a test, a multiply from it).
    /// Observers follow.
    pub(super) fn scratch(&mut self) {
        let (a, b) = (self.off(4), self.off(4));
        if a == 0 {
            return;
        }
        let c = self.pos;
        let looped = self.chance(85);
        if looped {
            self.counter();
            self.emit(b"[-");
            self.depth += 1;
        }
        // The scratch cell's neighbour, if it is not the counter.
        let b = if b == -a { 0 } else { b };
        let rounds = self.rng.usize(1..=3);
        for _ in 0..rounds {
            self.mv(a);
            let k = self.rng.i64(1..=5);
            match self.rng.u8(0..4) {
                // `+k [->+m<] > [-] <`: the long.b shape.
                0 if b != 0 => {
                    self.add(k);
                    self.mid_read(b);
                    let m = self.rng.i64(1..=6);
                    self.move_add(b, m);
                    self.mv(b);
                    self.emit(b"[-]");
                    self.mv(-b);
                }
                // `[-]+k ... [-]`
                1 => {
                    self.emit(b"[-]");
                    self.add(k);
                    self.mid_read(b);
                    self.emit(b"[-]");
                }
                // `+k ... -k` or `-k ... +k`
                r => {
                    let k = if r == 2 { k } else { -k };
                    self.add(k);
                    self.mid_read(b);
                    self.add(-k);
                }
            }
            self.mv(-a);
        }
        if looped {
            self.depth -= 1;
            self.emit(b"]");
        }
        if let Some(c) = c {
            self.hot = vec![c + a, c + b, c];
        }
        self.observers();
    }

    /// Now and then, something that reads the current (scratch) cell and leaves it as it
    /// was: `.`, or a move of it into the cell `d` away and back.
    fn mid_read(&mut self, d: i64) {
        match self.rng.u8(0..8) {
            0 => self.emit(b"."),
            1 if d != 0 => {
                self.move_add(d, 1);
                self.mv(d);
                self.move_add(-d, 1);
                self.mv(-d);
            }
            _ => {}
        }
    }
}
