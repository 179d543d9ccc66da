//! A loop whose first iteration is peeled off ([`Known::peeled_loop`]): the rest of the loop
//! goes inside the `if` of the first iteration.
//!
//! ```text
//! while p[c] { body }      becomes      if p[c] { body; while p[c] { body } }
//! ```
//!
//! The pass peels a loop's first iteration when that iteration leaves cells known that are
//! unknown on entry (long.b's scratch cells, cleared by the body): the loop after it then
//! runs knowing them. The loop can only run if the `if` was taken, so it is written inside
//! the `if`, where the pass knows everything the first iteration left: the values of all
//! the cells it wrote, and the bounds checks it passed (after a separate `if`, only what
//! holds whether or not it was taken would be known). The code is as large either way.

use super::Known;
use super::state::State;

impl Known<'_> {
    /// Writes the balanced loop `start..=end` (condition `p[off]`) as `if p[off] { body;
    /// while p[off] { body } }`, from the state `st` on entry; afterwards `st` holds what is
    /// true whether or not the loop ran.
    pub(super) fn peeled_loop(
        &mut self,
        start: usize,
        end: usize,
        off: i32,
        st: &mut State,
        depth: usize,
    ) {
        let summary = self.summary(start);
        let body = start + 1..end;
        let (lo_span, end_span) = (self.code[start].span, self.code[end].span);
        let mark = self.out.len();
        self.emit(crate::ir::Op::If { off }, lo_span);
        let save = st.save();
        // The first iteration, then the loop from what it leaves.
        self.block(body.clone(), st, depth + 1);
        self.loop_head(st, summary, off, body.clone(), depth, None, false, None);
        self.emit(crate::ir::Op::Loop { off }, lo_span);
        let in_loop = st.save();
        self.block(body, st, depth + 1);
        st.restore(in_loop);
        self.emit(crate::ir::Op::EndLoop { off }, end_span);
        // After the loop: its head state, with the condition 0.
        st.set(off, Some(0));
        let mut taken = std::mem::take(&mut self.changes);
        let known_changes = st.changed_since(save, &mut taken);
        st.restore(save);
        self.close_if(mark, end_span);
        // Not taken: the condition was 0. Taken: the loop's exit. Keep what agrees.
        st.set(off, Some(0));
        if known_changes {
            for &(c, v) in &taken {
                if st.at(c) != v {
                    st.set_at(c, None);
                }
            }
        } else {
            st.forget_cells();
            st.set(off, Some(0));
        }
        self.changes = taken;
    }
}
