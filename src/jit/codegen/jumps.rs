//! Forward jumps whose displacement is written when their target is placed.
//!
//! A jump to a dynasm label is a *relocation*: dynasm keeps a record of some 40 bytes for it
//! until the whole program is assembled, and only then writes the displacement. A program
//! with millions of loops would keep hundreds of megabytes of such records. The jumps of
//! loops and ifs ([`super::inst::Inst::Jump`], [`super::inst::Inst::JumpBack`]) are written
//! without one instead (see [`super::encode::jcc`]):
//!
//! * a backward jump knows its target, so its displacement is written at once;
//! * a forward jump is written with a displacement of 0 and recorded here; when its target
//!   is placed ([`Jumps::place`]), the displacement is known and written over the 0 in the
//!   code assembled so far (see [`patch`]). A jump costs memory only while its target is
//!   ahead: the table is as deep as the loops and ifs nest, whatever the program's size.
//!
//! Forward jumps and their targets nest like the loops and ifs they come from, so the jumps
//! to a target being placed are always the last ones recorded: a stack, not a map.
//!
//! For the same reason these jumps' targets are not dynasm labels (16 bytes each until the
//! end of assembly) but numbers, [`Target`]s, and a loop head is named by its code offset.

use dynasmrt::AssemblyOffset;

use super::encode::Ops;

/// The place a forward jump goes to, before it is placed: a number handed out by
/// [`Jumps::new_target`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Target(u32);

/// A forward jump waiting for its target to be placed.
#[derive(Clone, Copy)]
struct Forward {
    target: Target,
    /// Code offset just after the jump (its displacement counts from there).
    end: u32,
    /// The two-byte form (a one-byte displacement).
    short: bool,
}

/// The forward jumps of one compilation.
#[derive(Default)]
pub(crate) struct Jumps {
    /// Jumps whose target is not placed yet, innermost last.
    open: Vec<Forward>,
    /// A short jump turned out not to reach its target.
    too_far: bool,
    /// Targets handed out so far.
    targets: u32,
}

impl Jumps {
    /// An empty table, with room for jumps nested a few levels deep.
    pub(crate) fn new() -> Jumps {
        Jumps {
            open: Vec::with_capacity(64),
            ..Jumps::default()
        }
    }

    /// A new target, to place later with [`Jumps::place`].
    pub(crate) fn new_target(&mut self) -> Target {
        self.targets += 1;
        Target(self.targets - 1)
    }

    /// Records a jump to `target` just written, ending at code offset `end`.
    pub(crate) fn record(&mut self, target: Target, end: u32, short: bool) {
        self.open.push(Forward { target, end, short });
    }

    /// `target` is placed at code offset `here` of `ops`: the jumps to it get their
    /// displacement.
    pub(crate) fn place(&mut self, target: Target, here: u32, ops: &mut Ops) {
        while let Some(&jump) = self.open.last()
            && jump.target == target
        {
            self.open.pop();
            let rel = (here - jump.end) as i32;
            if jump.short {
                match i8::try_from(rel) {
                    Ok(rel) => patch(ops, jump.end - 1, &[rel as u8]),
                    Err(_) => self.too_far = true,
                }
            } else {
                patch(ops, jump.end - 4, &rel.to_le_bytes());
            }
        }
    }

    /// True if a short jump does not reach its target (the program must be compiled again
    /// with long jumps).
    pub(crate) fn too_far(&self) -> bool {
        self.too_far
    }

    /// True if every jump recorded has had its target placed.
    pub(crate) fn all_placed(&self) -> bool {
        self.open.is_empty()
    }
}

/// Writes `bytes` over the code already assembled in `ops`, from code offset `at`.
pub(crate) fn patch(ops: &mut Ops, at: u32, bytes: &[u8]) {
    let mut code = ops.alter();
    code.goto(AssemblyOffset(at as usize));
    code.extend(bytes.iter().copied());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::codegen::encode::{Ops, jcc};
    use crate::jit::codegen::inst::Cond;
    use dynasmrt::DynasmApi;

    #[test]
    fn nested_forward_jumps_get_their_displacements() {
        let mut ops = Ops::new(0);
        let mut jumps = Jumps::default();
        let (outer, inner) = (jumps.new_target(), jumps.new_target());
        // jz outer (six bytes), jnz inner (two bytes), two bytes of body, inner:, a byte,
        // outer:.
        jcc(&mut ops, Cond::Zero, false, 0);
        jumps.record(outer, ops.offset().0 as u32, false);
        jcc(&mut ops, Cond::NonZero, true, 0);
        jumps.record(inner, ops.offset().0 as u32, true);
        ops.extend([0x90, 0x90]);
        jumps.place(inner, ops.offset().0 as u32, &mut ops);
        assert!(!jumps.all_placed(), "the outer jump still waits");
        ops.push(0x90);
        jumps.place(outer, ops.offset().0 as u32, &mut ops);
        assert!(jumps.all_placed() && !jumps.too_far());
        let code = ops.finalize().unwrap();
        assert_eq!(
            code,
            [0x0f, 0x84, 5, 0, 0, 0, 0x75, 2, 0x90, 0x90, 0x90],
            "jz +5 (over the jnz, the body and the byte), jnz +2 (over the body)"
        );
    }

    #[test]
    fn a_short_jump_that_does_not_reach_is_reported() {
        let mut ops = Ops::new(0);
        let mut jumps = Jumps::default();
        let target = jumps.new_target();
        jcc(&mut ops, Cond::Zero, true, 0);
        jumps.record(target, ops.offset().0 as u32, true);
        ops.extend(std::iter::repeat_n(0x90, 200));
        jumps.place(target, ops.offset().0 as u32, &mut ops);
        assert!(jumps.too_far());
    }
}
