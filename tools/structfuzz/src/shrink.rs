//! Shrinking: a failing case is reduced to a small one that still fails the same way.
//!
//! Greedy and deterministic. The source is cut into tokens (a run of one command, a single
//! bracket, a comment byte); each round tries, in order, to delete balanced chunks of tokens
//! (halves, quarters, ... single tokens), to unwrap loops (drop a `[` and its `]`, keep the
//! body), to shorten runs (to 1, by half, by a quarter, ... by one; long runs, such as far
//! moves, shrink geometrically), then to drop and lower input bytes, then to simplify the
//! configuration (8-bit cells, EOF unchanged, a smaller tape). Any candidate for which the
//! predicate still holds replaces the case, and rounds repeat until none helps or the
//! budget of tries is spent. Candidates with unbalanced brackets are never tried.

use jitbf::{CellBits, Eof};

use crate::case::Case;

/// The result of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest failing case found.
    pub case: Case,
    /// Candidates tried.
    pub tries: usize,
}

/// Shrinks `case`, for which `fails` holds, trying at most `max_tries` candidates.
pub fn shrink(case: &Case, fails: impl FnMut(&Case) -> bool, max_tries: usize) -> Shrunk {
    let mut s = Shrinker {
        toks: tokens(&case.source),
        best: case.clone(),
        fails,
        tries: 0,
        max_tries,
    };
    loop {
        let before = s.best.clone();
        s.chunks();
        s.unwrap_loops();
        s.runs();
        s.cancel();
        s.input();
        s.config();
        if s.best == before || s.tries >= s.max_tries {
            break;
        }
    }
    Shrunk {
        case: s.best,
        tries: s.tries,
    }
}

struct Shrinker<F> {
    best: Case,
    /// `best.source` as tokens.
    toks: Vec<(u8, usize)>,
    fails: F,
    tries: usize,
    max_tries: usize,
}

/// The source cut into runs of one byte (brackets always alone).
fn tokens(src: &[u8]) -> Vec<(u8, usize)> {
    let mut out: Vec<(u8, usize)> = Vec::new();
    for &b in src {
        match out.last_mut() {
            Some((c, n)) if *c == b && !matches!(b, b'[' | b']') => *n += 1,
            _ => out.push((b, 1)),
        }
    }
    out
}

fn join(toks: &[(u8, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(c, n) in toks {
        out.extend(std::iter::repeat_n(c, n));
    }
    out
}

/// True if `toks` has as many `[` as `]` and never closes more than it opened.
fn balanced(toks: &[(u8, usize)]) -> bool {
    let mut depth = 0i64;
    for &(c, _) in toks {
        depth += i64::from(c == b'[') - i64::from(c == b']');
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

impl<F: FnMut(&Case) -> bool> Shrinker<F> {
    /// Tries `cand`; keeps it if it still fails.
    fn try_case(&mut self, cand: Case) -> bool {
        if self.tries >= self.max_tries || cand == self.best {
            return false;
        }
        self.tries += 1;
        if (self.fails)(&cand) {
            if cand.source != self.best.source {
                self.toks = tokens(&cand.source);
            }
            self.best = cand;
            true
        } else {
            false
        }
    }

    fn try_source(&mut self, source: Vec<u8>) -> bool {
        let cand = Case {
            source,
            ..self.best.clone()
        };
        self.try_case(cand)
    }

    /// Deletes balanced chunks of tokens, from halves down to single tokens.
    fn chunks(&mut self) {
        let mut size = self.toks.len().div_ceil(2).max(1);
        loop {
            let mut i = 0;
            loop {
                let toks = self.toks.clone();
                if i >= toks.len() {
                    break;
                }
                let end = (i + size).min(toks.len());
                let removed = balanced(&toks[i..end]);
                let kept = removed && {
                    let mut rest = toks[..i].to_vec();
                    rest.extend_from_slice(&toks[end..]);
                    self.try_source(join(&rest))
                };
                if !kept {
                    i += size;
                }
            }
            if size == 1 {
                break;
            }
            size = size.div_ceil(2);
        }
    }

    /// Replaces loops by their bodies.
    fn unwrap_loops(&mut self) {
        let mut i = 0;
        loop {
            let toks = self.toks.clone();
            if i >= toks.len() {
                break;
            }
            if toks[i].0 == b'[' {
                let mut depth = 0;
                let close = (i..toks.len()).find(|&j| {
                    depth += i64::from(toks[j].0 == b'[') - i64::from(toks[j].0 == b']');
                    depth == 0
                });
                if let Some(j) = close {
                    let mut rest = toks.clone();
                    rest.remove(j);
                    rest.remove(i);
                    if self.try_source(join(&rest)) {
                        continue;
                    }
                }
            }
            i += 1;
        }
    }

    /// Shortens runs of one command.
    fn runs(&mut self) {
        let mut i = 0;
        loop {
            let toks = self.toks.clone();
            let Some(&(c, n)) = toks.get(i) else {
                break;
            };
            let mut shorter = vec![1, n / 2, n - n / 4, n - n / 16, n - n / 256];
            if n <= 256 {
                shorter.push(n - 1);
            }
            shorter.retain(|&m| m >= 1 && m < n);
            shorter.dedup();
            let done = shorter.into_iter().any(|m| {
                let mut t = toks.clone();
                t[i] = (c, m);
                self.try_source(join(&t))
            });
            if !done {
                i += 1;
            }
        }
    }

    /// Merges neighbouring opposite runs (`>><<<` to `<`, `++-` to `+`) into what they add
    /// up to: a change no single deletion makes.
    fn cancel(&mut self) {
        let mut i = 0;
        while i + 1 < self.toks.len() {
            let toks = self.toks.clone();
            let ((a, m), (b, n)) = (toks[i], toks[i + 1]);
            let opposite = matches!(
                (a, b),
                (b'>', b'<') | (b'<', b'>') | (b'+', b'-') | (b'-', b'+')
            );
            if opposite {
                let mut t = toks.clone();
                match m.cmp(&n) {
                    std::cmp::Ordering::Greater => t[i] = (a, m - n),
                    std::cmp::Ordering::Less => t[i] = (b, n - m),
                    std::cmp::Ordering::Equal => {
                        t.remove(i);
                    }
                }
                if m != n {
                    t.remove(i + 1);
                } else {
                    t.remove(i);
                }
                if self.try_source(join(&t)) {
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Drops input bytes, then lowers them.
    fn input(&mut self) {
        let mut i = 0;
        while i < self.best.input.len() {
            let mut cand = self.best.clone();
            cand.input.truncate(i);
            if self.try_case(cand) {
                break;
            }
            let mut cand = self.best.clone();
            cand.input.remove(i);
            if !self.try_case(cand) {
                i += 1;
            }
        }
        for i in 0..self.best.input.len() {
            let v = self.best.input[i];
            for lower in [0, 1, v / 2, v.saturating_sub(1)] {
                if lower < self.best.input[i] {
                    let mut cand = self.best.clone();
                    cand.input[i] = lower;
                    self.try_case(cand);
                }
            }
        }
    }

    /// Narrower cells, the default EOF mode, a smaller tape.
    fn config(&mut self) {
        for cells in [CellBits::U8, CellBits::U16] {
            if cells.bytes() < self.best.cells.bytes() {
                let cand = Case {
                    cells,
                    ..self.best.clone()
                };
                self.try_case(cand);
            }
        }
        // Simpler means earlier in this list; never back and forth.
        let rank = |e: Eof| {
            [Eof::Unchanged, Eof::Zero, Eof::Max]
                .iter()
                .position(|&x| x == e)
        };
        for eof in [Eof::Unchanged, Eof::Zero] {
            if rank(eof) < rank(self.best.eof) {
                let cand = Case {
                    eof,
                    ..self.best.clone()
                };
                if self.try_case(cand) {
                    break;
                }
            }
        }
        loop {
            let t = self.best.tape;
            let smaller = [1, 16, 64, t / 2, t - t / 4, t - 1];
            let done = smaller.into_iter().any(|tape| {
                tape >= 1
                    && tape < t
                    && self.try_case(Case {
                        tape,
                        ..self.best.clone()
                    })
            });
            if !done {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(src: &str, input: &[u8]) -> Case {
        Case {
            cells: CellBits::U32,
            eof: Eof::Max,
            tape: 1000,
            input: input.to_vec(),
            source: src.as_bytes().to_vec(),
        }
    }

    #[test]
    fn shrinks_to_the_part_that_matters() {
        // "Fails" when the source has a multiply loop into the next cell followed, anywhere
        // later, by a test of that cell, and reads a byte of at least 3.
        let fails = |c: &Case| {
            let s = String::from_utf8_lossy(&c.source);
            let loop_at = s.find("[->+<]");
            let test_at = s.rfind(">[");
            matches!((loop_at, test_at), (Some(l), Some(t)) if t > l)
                && s.contains(',')
                && c.input.first().is_some_and(|&b| b >= 3)
                && c.tape >= 2
        };
        let start = case(
            "+++>, x<<>>[-]\n,[->+<]>>>+++++[-<++>]<<<[.[-]]>[>+<[-]]>.<<<<<",
            b"\x09\xff\x80",
        );
        assert!(fails(&start));
        let shrunk = shrink(&start, fails, 10_000);
        assert_eq!(String::from_utf8_lossy(&shrunk.case.source), ",[->+<]>[]");
        assert_eq!(shrunk.case.input, b"\x03");
        assert_eq!(
            (shrunk.case.cells, shrunk.case.eof, shrunk.case.tape),
            (CellBits::U8, Eof::Unchanged, 2)
        );
        assert!(shrunk.tries < 1000, "{} tries", shrunk.tries);
    }

    #[test]
    fn long_runs_shrink_geometrically_and_brackets_stay_balanced() {
        let big = format!(",-{}{}[.[-]]", ">".repeat(300_000), "<".repeat(300_000));
        // Fails while both runs are at least two hundred thousand long.
        let fails = |c: &Case| {
            let t = tokens(&c.source);
            assert!(balanced(&t), "unbalanced candidate");
            t.iter().filter(|t| t.1 >= 200_000).count() == 2
        };
        let shrunk = shrink(&case(&big, b""), fails, 2_000);
        let t = tokens(&shrunk.case.source);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(
            t.iter().all(|&(_, n)| (200_000..210_000).contains(&n)),
            "{t:?}"
        );
    }

    #[test]
    fn opposite_runs_cancel() {
        // Fails while the program moves to cell 2 and tests it.
        let fails = |c: &Case| {
            let s = String::from_utf8_lossy(&c.source).into_owned();
            s == ">>[]" || s.ends_with(">>><[]") || s.ends_with(">>>>><<<[]")
        };
        let shrunk = shrink(&case(">>>>><<<[]", b""), fails, 100);
        assert_eq!(String::from_utf8_lossy(&shrunk.case.source), ">>[]");
    }

    #[test]
    fn the_budget_is_respected() {
        let mut calls = 0;
        let shrunk = shrink(
            &case("+++++[->+<]>.", b"abc"),
            |_| {
                calls += 1;
                true
            },
            5,
        );
        assert_eq!((shrunk.tries, calls), (5, 5));
    }
}
