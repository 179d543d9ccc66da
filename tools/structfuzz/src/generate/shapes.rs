//! The shapes programs are built from, and how often each is picked.
//!
//! | shape | weight (top level / nested) | what it aims at |
//! |---|---|---|
//! | [`Shape::Mul`] | 16 / 20 | multiply loops (1-3 targets, factors 1, 2-12, negative, >128), targets fresh (`MulSet`) or preset (`MulAdd`), then tests of the same and other cells |
//! | [`Shape::Copy`] | 4 / 3 | `[->+>+<<]>>[-<<+>>]`-style copies |
//! | [`Shape::Cross`] | 10 / 8 | a value pushed across 128, 256 or 65536 (input 0x80/0xFF/0x00 plus a run, or a multiply), then a zero test `[>+<[-]]` |
//! | [`Shape::If`] | 8 / 6 | nested ifs: `[` shapes `[-]]`, up to three deep |
//! | [`Shape::InputLoop`] | 8 / 3 | multiply loops inside a loop counted down from input, their targets printed |
//! | [`Shape::Scan`] | 14 / 5 | cells at stride 1..12 made nonzero (from input or constants, in wide cells also 256 and 65536, whose low byte or half is zero; with noise between), then `[>>>]`-style scans either way (some with bodies that reach behind, `[<>>]`); the strides jitbf vectorizes at each cell width are favoured |
//! | [`Shape::Edge`] | 6 / 0 | excursions and multiply targets just inside and just past either end of the tape |
//! | [`Shape::Far`] | 30 on tapes made for it (one program in a thousand), once / 0 | moves of millions of cells (across jitbf's explicit-compare threshold), mostly between setting a cell and testing it |
//! | [`Shape::Clear`] | 5 / 6 | `[-]`, `[+]`, `[-]+++` stores |
//! | [`Shape::Nest`] | 6 / 4 | counted loops (mostly constant counts, up to three deep) whose iterations settle (cells cleared and set again, inner counted loops) or not (a cell that grows or flips by 128 every iteration, a multiply from the counter's neighbour, output, a second update of the counter), counting down, up or by 3: the known-value pass skips settled loops to their end at compile time |
//! | [`Shape::Ladder`] | 5 / 2 | 2-12 loops nested on one cell (from input, a constant around the depth, or as it was), each taking 1 from it and adding the same to one or two other cells (now and then one level differs), a multiply, clear, output or nothing inside: jitbf's `ladder` pass (in [`super::ladder`]) |
//! | [`Shape::Live`] | 8 / 4 | two to four cells changed in straight-line code (kept in registers by jitbf), then output or input of one, a loop that does not move the pointer counted down on one and adding to the others (output, clears and ifs inside), an `if` on one, a scan from one, or output and a move off the tape; then observers of the cells (in [`super::live`]) |
//! | [`Shape::Observe`] | 8 / 10 | a test of a recently written cell: `.`, `[.[-]]`, `[>+<[-]]>.`, two nested tests, a scan |
//! | [`Shape::Soup`] | 8 / 2 | 3-20 random commands, brackets balanced |
//! | [`Shape::Move`] | 5 / 4 | the pointer moved a few cells |
//! | [`Shape::Scratch`] | 6 / 4 | scratch cells taken through other values and back inside a loop (long.b's `+++[->+++++<]>[-]<`, `+k ... -k`, `[-]+k ... [-]`), now and then read between: the known-value pass drops stores that only put a cell back (in [`super::scratch`]) |
//!
//! Scans, tape ends and far moves are in [`super::places`]. Observers follow most shapes, and
//! look at the cells the shape just wrote ("hot" cells) 85% of the time.

use super::{Gen, TapeKind, weighted};
use jitbf::CellBits;

/// A kind of program fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A multiply loop and observers.
    Mul,
    /// A copy through a temporary.
    Copy,
    /// A value across a wrap-around boundary, then a zero test.
    Cross,
    /// An if: `[ ... [-]]`.
    If,
    /// Multiply loops inside a loop counted from input.
    InputLoop,
    /// Strided cells, then a scan.
    Scan,
    /// Near either end of the tape.
    Edge,
    /// Moves of millions of cells.
    Far,
    /// Clear loops and stores.
    Clear,
    /// Counted loops that settle, or nearly.
    Nest,
    /// Loops nested on one cell, each taking 1 from it.
    Ladder,
    /// Cells changed, then an event that needs them in memory, then their use.
    Live,
    /// A test of a hot cell.
    Observe,
    /// Random commands.
    Soup,
    /// A small move.
    Move,
    /// Scratch cells taken away from their value and back inside a loop.
    Scratch,
}

impl Gen<'_> {
    /// One shape, chosen by weight (fewer kinds inside loops).
    pub(super) fn block(&mut self) {
        use Shape::*;
        let far = match self.kind {
            TapeKind::Far if !self.far_done => 30,
            _ => 0,
        };
        let shape = if self.depth == 0 {
            weighted(
                self.rng,
                &[
                    (16, Mul),
                    (4, Copy),
                    (10, Cross),
                    (8, If),
                    (8, InputLoop),
                    (14, Scan),
                    (6, Edge),
                    (far, Far),
                    (5, Clear),
                    (6, Nest),
                    (5, Ladder),
                    (8, Live),
                    (8, Observe),
                    (8, Soup),
                    (5, Move),
                    (6, Scratch),
                ],
            )
        } else {
            let nest = if self.depth < 3 { 6 } else { 0 };
            weighted(
                self.rng,
                &[
                    (20, Mul),
                    (3, Copy),
                    (8, Cross),
                    (nest, If),
                    (if self.depth < 2 { 3 } else { 0 }, InputLoop),
                    (5, Scan),
                    (6, Clear),
                    (if self.depth < 3 { 4 } else { 0 }, Nest),
                    (2, Ladder),
                    (4, Live),
                    (10, Observe),
                    (2, Soup),
                    (4, Move),
                    (if self.depth < 2 { 4 } else { 0 }, Scratch),
                ],
            )
        };
        match shape {
            Mul => {
                self.mul(&[]);
                self.observers();
            }
            Copy => self.copy(),
            Cross => self.cross(),
            If => self.if_block(),
            InputLoop => self.input_loop(),
            Scan => self.scan(),
            Edge => self.edge(),
            Far => self.far(),
            Clear => self.clear(),
            Nest => self.nest(),
            Ladder => self.ladder(),
            Live => self.live(),
            Observe => self.observe(),
            Soup => self.soup(),
            Move => {
                let d = self.off(5);
                self.mv(d);
            }
            Scratch => self.scratch(),
        }
    }

    /// Input read into one to four neighbouring cells, so that later values are unknown to
    /// the optimizer.
    pub(super) fn reads(&mut self) {
        let n = self.rng.i64(1..=4);
        let start = self.pos;
        for i in 0..n {
            self.read();
            if self.chance(15) {
                let k = self.rng.i64(1..=2);
                let v = if self.chance(50) { k } else { -k };
                self.add(v);
            }
            self.hot.extend(self.pos);
            if i + 1 < n {
                let d = if self.chance(80) { 1 } else { 2 };
                self.mv(d);
            }
        }
        if let Some(s) = start
            && self.chance(70)
        {
            self.goto(s);
        }
    }

    /// A multiply loop with its counter at the current cell: `[->++>+++<<]` and its kin.
    /// Targets avoid the cells in `avoid`.
    pub(super) fn mul(&mut self, avoid: &[i64]) {
        let n = weighted(self.rng, &[(35, 1), (45, 2), (20, 3)]);
        let mut offs: Vec<i64> = Vec::new();
        for _ in 0..n * 3 {
            let d = self.off(4);
            let clash = self.pos.is_some_and(|p| avoid.contains(&(p + d)));
            if d != 0 && !clash && !offs.contains(&d) && offs.len() < n {
                offs.push(d);
            }
        }
        if offs.is_empty() {
            offs.push(1);
        }
        let c = self.pos;
        // Targets with a value already are multiply-adds; fresh ones (known 0) become
        // multiply-sets, another code path.
        if c.is_some() {
            for &d in &offs {
                if self.chance(45) {
                    self.mv(d);
                    self.value();
                    self.mv(-d);
                }
            }
        }
        // A counter known to the optimizer makes the loop constant: mostly give it a
        // value, usually from input.
        if self.chance(80) {
            self.counter();
        }
        let dec_first = self.chance(75);
        self.emit(b"[");
        if dec_first {
            self.emit(b"-");
        }
        let mut at = 0;
        for &d in &offs {
            self.mv(d - at);
            at = d;
            let k = self.factor();
            self.add(k);
        }
        self.mv(-at);
        if !dec_first {
            self.emit(b"-");
        }
        self.emit(b"]");
        if let Some(c) = c {
            self.hot = offs.iter().map(|d| c + d).collect();
            // The counter is 0 now; its targets are more interesting to test.
            if self.chance(40) {
                self.hot.push(c);
            }
        }
    }

    /// A multiply loop's factor: mostly small, sometimes negative, sometimes past 128.
    fn factor(&mut self) -> i64 {
        match self.rng.u8(0..20) {
            0..=5 => 1,
            6..=13 => self.rng.i64(2..=4),
            14 | 15 => self.rng.i64(5..=12),
            16 | 17 => -self.rng.i64(1..=3),
            _ => match self.cells {
                CellBits::U8 => self.rng.i64(120..=255),
                _ => *self
                    .rng
                    .choice(&[127, 128, 129, 255, 256, 257, 300])
                    .expect("not empty"),
            },
        }
    }

    /// One or two observers, most of the time.
    pub(super) fn observers(&mut self) {
        if self.chance(85) {
            self.observe();
        }
        if self.chance(30) {
            self.observe();
        }
    }

    /// A test of a hot cell (or one near the pointer).
    pub(super) fn observe(&mut self) {
        let x = self.pick_cell();
        if let Some(x) = x {
            self.goto(x);
        }
        match self.rng.u8(0..20) {
            0..=2 => self.emit(b"."),
            3..=5 => self.emit(b"[.[-]]"),
            6 | 7 => {
                self.emit(b"[");
                let n = self.rng.i64(1..=3);
                self.add(n);
                self.emit(b".[-]]");
            }
            8..=12 => {
                // `[>+<[-]]>.`: a flag set when the cell is not zero, at full width.
                let f = self.off(3);
                self.emit(b"[");
                self.mv(f);
                self.emit(b"+");
                self.mv(-f);
                self.emit(b"[-]]");
                self.mv(f);
                self.emit(b".");
            }
            13..=15 => {
                // Two nested tests.
                let d = self.off(3);
                self.emit(b"[");
                self.mv(d);
                self.emit(b"[.[-]]");
                self.mv(-d);
                self.emit(b"[-]]");
            }
            // A scan from the tested cell: `[<<<]`.
            16 | 17 => self.scan_then_print(4),
            _ => {
                // An if around a multiply loop on the same cell.
                self.emit(b"[");
                let hot = std::mem::take(&mut self.hot);
                self.depth += 1;
                self.mul(&[]);
                self.depth -= 1;
                self.hot.extend(hot);
                self.emit(b"]");
            }
        }
    }

    /// `[<<<].`: a scan by 1 to `max` cells either way from the current cell, then output.
    /// Where it stops depends on the tape, so the position is unknown after it.
    pub(super) fn scan_then_print(&mut self, max: i64) {
        let s = self.rng.i64(1..=max);
        self.emit(b"[");
        let v = if self.chance(50) { s } else { -s };
        self.mv(v);
        self.emit(b"]");
        self.pos = None;
        self.emit(b".");
    }

    /// `[->+>+<<]>>[-<<+>>]`: a copy through a temporary, with random distances.
    fn copy(&mut self) {
        let (a, b) = (self.off(3), self.off(3));
        if a == 0 || b == 0 || a == b {
            return self.clear();
        }
        let c = self.pos;
        self.counter();
        self.emit(b"[-");
        self.mv(a);
        self.emit(b"+");
        self.mv(b - a);
        self.emit(b"+");
        self.mv(-b);
        self.emit(b"]");
        self.mv(b);
        self.move_add(-b, 1);
        self.mv(-b);
        if let Some(c) = c {
            self.hot = vec![c, c + a, c + b];
        }
        self.observers();
    }

    /// A value pushed across 128, 256 or 65536 (where the generator knows the input byte,
    /// it aims at landing exactly on 0 or next to it), then a test at full width.
    fn cross(&mut self) {
        let known = self.next_input();
        let start = match self.rng.u8(0..10) {
            0..=5 => {
                self.read();
                known.map(i64::from)
            }
            6 | 7 => {
                self.emit(b"[-]");
                Some(0)
            }
            _ => None,
        };
        let bound: i64 = match self.cells {
            CellBits::U8 => *self.rng.choice(&[128, 256]).expect("not empty"),
            _ => weighted(self.rng, &[(3, 128), (4, 256), (1, 32768), (2, 65536)]),
        };
        // A run of 65536 `+` is a 64 KiB source, which costs a dozen small programs to
        // check: mostly cross by multiplying instead.
        let multiply = self.chance(25) || (bound > 256 && !self.chance(5));
        if multiply {
            // Across by multiplying: cell * k into a neighbour, with k aimed at the bound
            // when the cell's value is known.
            let d = self.off(2);
            let k = match start {
                Some(v) if v > 0 => (bound / v + self.rng.i64(0..=1)).min(bound),
                _ => (bound / 64).clamp(2, 5),
            };
            self.move_add(d, k);
            self.mv(d);
        } else {
            let j = self.rng.i64(-1..=1);
            let n = match start {
                Some(v) if self.chance(70) => bound - v + j,
                _ => bound + j,
            };
            let v = if self.chance(70) { n } else { -n };
            self.add(v);
        }
        if self.chance(40) {
            self.emit(b".");
        }
        self.hot = self.pos.into_iter().collect();
        let f = self.off(2);
        self.emit(b"[");
        self.mv(f);
        self.emit(b"+");
        self.mv(-f);
        self.emit(b"[-]]");
        self.mv(f);
        self.emit(b".");
    }

    /// `[` one to three shapes `[-]]`: runs at most once, nested up to three deep.
    fn if_block(&mut self) {
        let c = self.pos;
        if self.chance(50) {
            self.value();
        }
        self.emit(b"[");
        self.depth += 1;
        let n = self.rng.usize(1..=3);
        for _ in 0..n {
            self.block();
        }
        self.depth -= 1;
        if let Some(c) = c {
            self.goto(c);
        }
        self.emit(b"[-]]");
        // After the loop the pointer is where the body left it: known only if the body
        // ended where it started.
        if self.pos != c {
            self.pos = None;
        }
    }

    /// `,[ >+++[->++>+<<] ... <- ]` and its targets printed: multiply loops inside a loop
    /// counted down from input.
    fn input_loop(&mut self) {
        let Some(c) = self.pos else {
            return self.mul(&[]);
        };
        self.counter();
        self.emit(b"[");
        self.depth += 1;
        let n = self.rng.usize(1..=2);
        let mut targets = Vec::new();
        for _ in 0..n {
            let d = self.off(3);
            if d == 0 {
                continue;
            }
            self.goto(c + d);
            if self.chance(60) {
                let k = self.rng.i64(1..=4);
                self.add(k);
            } else {
                self.read();
            }
            self.mul(&[c]);
            targets.extend(self.hot.iter().copied().filter(|&t| t != c));
            if self.chance(30) {
                self.observe();
            }
            if self.pos.is_none() {
                break;
            }
        }
        self.depth -= 1;
        self.goto(c);
        self.emit(b"-]");
        if self.pos.is_none() {
            return;
        }
        targets.sort_unstable();
        targets.dedup();
        let tape = self.tape;
        for t in targets.iter().copied().filter(|t| (0..tape).contains(t)) {
            self.goto(t);
            let v: &[u8] = if self.chance(70) { b"." } else { b"[.[-]]" };
            self.emit(v);
        }
        self.hot = targets;
    }

    /// A counted loop: `[-]+++[ >[-]++< >>+<< ... - ]`, its body cells near the counter,
    /// then the counter and body cells become hot.
    fn nest(&mut self) {
        let Some(c) = self.pos else {
            return self.clear();
        };
        if self.chance(75) {
            // A constant count, which the optimizer can follow.
            self.emit(b"[-]");
            let n = self.rng.i64(1..=6);
            self.add(n);
        } else {
            self.counter();
        }
        self.emit(b"[");
        self.depth += 1;
        let mut extra = 0;
        let mut cells = vec![c];
        for _ in 0..self.rng.usize(1..=3) {
            let d = self.off(3);
            if d == 0 {
                continue;
            }
            self.goto(c + d);
            cells.push(c + d);
            match self.rng.u8(0..10) {
                // Settles: the cell is the same after every iteration.
                0..=3 => {
                    self.emit(b"[-]");
                    let k = self.rng.i64(1..=5);
                    self.add(k);
                }
                4 | 5 => self.nest(),
                // Does not settle (unless the additions wrap to nothing); half the
                // cell's range comes back every other iteration.
                6 => {
                    let flip = self.cells == CellBits::U8 && self.chance(30);
                    let k = if flip { 128 } else { self.rng.i64(1..=3) };
                    self.add(k);
                }
                7 => self.mul(&[c]),
                8 => self.emit(b"."),
                // A second update of the counter (the last one takes it back).
                _ => {
                    self.goto(c);
                    self.add(1);
                    extra += 1;
                }
            }
            if self.pos.is_none() {
                break;
            }
        }
        self.depth -= 1;
        self.goto(c);
        // Counting up or by 3 takes up to 255 iterations at 8 bits; wider, only down.
        let step = match self.rng.u8(0..10) {
            0 if self.cells == CellBits::U8 => 1,
            1 if self.cells == CellBits::U8 => -3,
            _ => -1,
        };
        self.add(step - extra);
        self.emit(b"]");
        if self.pos.is_none() {
            return;
        }
        self.hot = cells;
    }

    /// Clear loops and stores: `[-]`, `[+]`, `[-]+++`, on one or two cells.
    fn clear(&mut self) {
        let n = self.rng.usize(1..=2);
        for _ in 0..n {
            let d = self.off(2);
            self.mv(d);
            // `[+]` counts up to the wrap-around: 2^32 steps at 32 bits.
            let up = self.cells != CellBits::U32 && self.chance(25);
            let v = if up { b"[+]" } else { b"[-]" };
            self.emit(v);
            if self.chance(60) {
                let k = self.rng.i64(1..=6);
                let v = if self.chance(80) { k } else { -k };
                self.add(v);
            }
            self.hot.extend(self.pos);
        }
    }

    /// Random commands, brackets balanced.
    fn soup(&mut self) {
        let n = self.rng.usize(3..=20);
        let start = self.src.len();
        let mut open = 0;
        for _ in 0..n {
            let c = weighted(
                self.rng,
                &[
                    (4, b'+'),
                    (4, b'-'),
                    (4, b'>'),
                    (4, b'<'),
                    (2, b'.'),
                    (1, b','),
                    (1, b'['),
                    (1, b']'),
                ],
            );
            match c {
                b'[' if self.chance(50) => {
                    // Usually a counted loop, so that more soups end.
                    open += 1;
                    self.src.extend_from_slice(b"[-");
                    continue;
                }
                b'[' => open += 1,
                b']' if open == 0 => continue,
                b']' => open -= 1,
                _ => {}
            }
            self.src.push(c);
        }
        self.src.extend(std::iter::repeat_n(b']', open));
        // Without brackets the moves are known; with them, where the pointer ends is not.
        let soup = &self.src[start..];
        if soup.contains(&b'[') {
            self.pos = None;
        } else {
            let net: i64 = soup
                .iter()
                .map(|&c| i64::from(c == b'>') - i64::from(c == b'<'))
                .sum();
            self.pos = self.pos.map(|p| p + net);
        }
    }
}
