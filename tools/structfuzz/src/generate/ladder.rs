//! The ladder shape: loops nested on one cell, each taking 1 from it and adding to other
//! cells, which jitbf's `ladder` pass turns into `p[x] += min(p[c], K)*k` once the
//! known-value pass has made them `if`s. (The rest of the shapes are in [`super::shapes`].)

use super::Gen;

impl Gen<'_> {
    /// `[->+<[->+<[->+<]]]`: 2-12 levels on a cell that holds an input byte, a constant around
    /// the depth, or whatever it held. Each level adds to one or two other cells (by -3..=3
    /// and 1-2; a 0 makes it no ladder); now and then one level adds more than the others.
    /// Inside the last level: a multiply or a clear (which leave the cell 0, so the levels
    /// become `if`s), output then a clear, or nothing. Then observers of the cells.
    pub(super) fn ladder(&mut self) {
        let levels = self.rng.usize(2..=12);
        let t1 = self.off(3);
        if t1 == 0 {
            return;
        }
        let t2 = if self.chance(40) { self.off(3) } else { 0 };
        match self.rng.u8(0..3) {
            0 => {
                self.emit(b"[-]");
                self.read();
            }
            1 => {
                self.emit(b"[-]");
                let v = self.rng.i64(0..=levels as i64 + 3);
                self.add(v);
            }
            _ => {}
        }
        let (k1, k2) = (self.rng.i64(-3..=3), self.rng.i64(1..=2));
        let odd = self.chance(20).then(|| self.rng.usize(0..levels));
        for l in 0..levels {
            self.emit(b"[-");
            self.mv(t1);
            self.add(if odd == Some(l) { k1 + 1 } else { k1 });
            self.mv(-t1);
            if t2 != 0 && t2 != t1 {
                self.mv(t2);
                self.add(k2);
                self.mv(-t2);
            }
        }
        match self.rng.u8(0..4) {
            0 => self.move_add(t1, 2),
            1 => self.emit(b"[-]"),
            2 => self.emit(b".[-]"),
            _ => {}
        }
        self.emit(&b"]".repeat(levels));
        if let Some(c) = self.pos {
            self.hot = vec![c, c + t1];
            if t2 != 0 {
                self.hot.push(c + t2);
            }
        }
        self.observers();
    }
}
