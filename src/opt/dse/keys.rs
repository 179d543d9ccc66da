//! The set of cell keys that [`super::Live`] keeps: a handful inline, a hash set beyond.
//!
//! Between two loops the pass rarely tracks more than a few cells, and it copies its set at
//! every `if` and merges two at every `if`'s start. A hash set would allocate for each copy
//! and merge, and hash for each lookup; here up to [`FEW`] keys sit in an array that is
//! searched in order and copied for free, and only a set that grows beyond them moves to a
//! hash set (so a long run of stores to different cells stays linear).

use rustc_hash::FxHashSet;

/// Most keys kept inline.
pub(super) const FEW: usize = 8;

/// A set of `i64` keys.
#[derive(Debug, Default)]
pub(super) struct Keys {
    /// The keys while there are at most [`FEW`]: `few[..len]`.
    few: [i64; FEW],
    len: usize,
    /// The keys once they outgrew `few` (`spilled`); otherwise empty, its memory kept for
    /// the next time.
    many: FxHashSet<i64>,
    spilled: bool,
}

impl Clone for Keys {
    /// A copy; a set that fits inline copies without allocating.
    fn clone(&self) -> Keys {
        Keys {
            few: self.few,
            len: self.len,
            many: if self.spilled {
                self.many.clone()
            } else {
                FxHashSet::default()
            },
            spilled: self.spilled,
        }
    }
}

impl Keys {
    /// True if the set holds `key`.
    #[inline]
    pub(super) fn contains(&self, key: i64) -> bool {
        if self.spilled {
            self.many.contains(&key)
        } else {
            self.few[..self.len].contains(&key)
        }
    }

    /// Adds `key`.
    #[inline]
    pub(super) fn insert(&mut self, key: i64) {
        if self.spilled {
            self.many.insert(key);
        } else if !self.few[..self.len].contains(&key) {
            if self.len < FEW {
                self.few[self.len] = key;
                self.len += 1;
            } else {
                self.spill();
                self.many.insert(key);
            }
        }
    }

    /// Moves the inline keys to the hash set.
    #[cold]
    fn spill(&mut self) {
        self.many.extend(&self.few[..self.len]);
        self.len = 0;
        self.spilled = true;
    }

    /// Removes `key`.
    #[inline]
    pub(super) fn remove(&mut self, key: i64) {
        if self.spilled {
            self.many.remove(&key);
        } else if let Some(i) = self.few[..self.len].iter().position(|&k| k == key) {
            self.len -= 1;
            self.few[i] = self.few[self.len];
        }
    }

    /// Empties the set, keeping the hash set's memory.
    pub(super) fn clear(&mut self) {
        self.len = 0;
        if self.spilled {
            // (Clearing a hash set costs its capacity, so only one that was used.)
            self.many.clear();
            self.spilled = false;
        }
    }

    /// The keys, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let (few, many) = if self.spilled {
            (&[][..], Some(&self.many))
        } else {
            (&self.few[..self.len], None)
        };
        few.iter().chain(many.into_iter().flatten()).copied()
    }
}

impl FromIterator<i64> for Keys {
    fn from_iter<I: IntoIterator<Item = i64>>(keys: I) -> Keys {
        let mut set = Keys::default();
        for k in keys {
            set.insert(k);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_behave_as_a_set_inline_and_spilled() {
        let mut keys = Keys::default();
        let mut model = std::collections::BTreeSet::new();
        // Grow past FEW, shrink, clear and grow again, checking against a model.
        let steps = (0..40i64)
            .map(|i| (i % 13 - 6, true))
            .chain((0..30).map(|i| (i % 7 - 3, false)));
        for (k, add) in steps {
            if add {
                keys.insert(k);
                model.insert(k);
            } else {
                keys.remove(k);
                model.remove(&k);
            }
            for probe in -8..8 {
                assert_eq!(keys.contains(probe), model.contains(&probe), "{probe}");
            }
            let mut got: Vec<i64> = keys.iter().collect();
            got.sort_unstable();
            assert_eq!(got, model.iter().copied().collect::<Vec<_>>());
            assert_eq!(keys.clone().iter().count(), model.len());
        }
        keys.clear();
        assert_eq!(keys.iter().count(), 0);
        assert!(!keys.contains(0));
        let back: Keys = [5, 5, 6].into_iter().collect();
        assert!(back.contains(5) && back.contains(6) && back.iter().count() == 2);
    }
}
