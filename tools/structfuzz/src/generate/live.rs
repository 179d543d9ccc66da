//! The live-values shape, aimed at jitbf's register allocation: a few cells changed in
//! straight-line code (which the code generator keeps in registers and writes back late),
//! then something that needs the tape in memory to be right, or that reads or rewrites a
//! cell behind the registers' back, then a use of every changed cell. (The rest of the
//! shapes are in [`super::shapes`].)

use super::Gen;

impl Gen<'_> {
    /// Two to four cells near the pointer changed by small amounts (or given a new value),
    /// then one event:
    ///
    /// * output of one of them, or input into one of them;
    /// * a loop that does not move the pointer, counted down on one of them, adding to the
    ///   others, with output, a clear or an `if` inside now and then (the
    ///   kind the code generator runs with every cell in a register);
    /// * an `if` on one of them that changes the others;
    /// * a scan from one of them (which ends where it finds a zero: after it the generator
    ///   no longer knows where the pointer is);
    /// * output, then a move off the left end of the tape when it is near (the run ends
    ///   with an error, and the output before it must still arrive).
    ///
    /// Then the cells are the hot ones, and observers look at them.
    pub(super) fn live(&mut self) {
        let Some(p) = self.pos else {
            return;
        };
        let n = self.rng.usize(2..=4);
        let mut cells = vec![p];
        for _ in 0..n * 2 {
            let c = p + self.off(3);
            if cells.len() < n && !cells.contains(&c) {
                cells.push(c);
            }
        }
        for &c in &cells {
            self.goto(c);
            if self.chance(30) {
                self.value();
            } else {
                let k = self.rng.i64(1..=3);
                let k = if self.chance(50) { k } else { -k };
                self.add(k);
            }
        }
        let pick = |g: &mut Gen| *g.rng.choice(&cells).expect("not empty");
        match self.rng.u8(0..12) {
            0 | 1 => {
                let c = pick(self);
                self.goto(c);
                self.emit(b".");
            }
            2 => {
                let c = pick(self);
                self.goto(c);
                self.read();
            }
            3..=6 => self.live_loop(&cells),
            7 | 8 => {
                let c = pick(self);
                self.goto(c);
                self.emit(b"[");
                for &o in cells.iter().filter(|&&o| o != c) {
                    self.goto(o);
                    let k = self.rng.i64(-2..=2);
                    self.add(k);
                }
                self.goto(c);
                self.emit(b"[-]]");
            }
            9 | 10 => {
                let c = pick(self);
                self.goto(c);
                self.scan_then_print(3);
                return;
            }
            _ => {
                let c = pick(self);
                self.goto(c);
                self.emit(b".");
                // From cell `c`, one past the left end (when that is a short way).
                if c < 64 {
                    self.mv(-(c + 1));
                    self.pos = None;
                    return;
                }
            }
        }
        self.hot = cells;
        self.observers();
    }

    /// `[->+>--.<<]` and its kin: a loop on one of `cells` (the counter, given a count
    /// first, and taken 1 from at the start or the end of the body) that does not move the
    /// pointer, adding to the other cells.
    fn live_loop(&mut self, cells: &[i64]) {
        let c = *self.rng.choice(cells).expect("not empty");
        self.goto(c);
        self.counter();
        let first = self.chance(50);
        self.emit(if first { b"[-" } else { b"[" });
        self.depth += 1;
        for &o in cells.iter().filter(|&&o| o != c) {
            self.goto(o);
            let k = self.rng.i64(-3..=3);
            self.add(k);
            match self.rng.u8(0..8) {
                0 => self.emit(b"."),
                1 => self.emit(b"[-]"),
                2 => {
                    // An if on another cell: `[+++[-]]` (leaves it 0).
                    self.emit(b"[");
                    let k = self.rng.i64(1..=2);
                    self.add(k);
                    self.emit(b"[-]]");
                }
                _ => {}
            }
        }
        self.goto(c);
        self.depth -= 1;
        self.emit(if first { b"]" } else { b"-]" });
    }
}
