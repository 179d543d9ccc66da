//! The vocabulary in which instructions declare what they do: registers and sets of them,
//! what the flags hold, how the tape pointer moves, and the [`Effect`] and [`Requires`]
//! records that [`super::inst::Inst::effect`] and [`super::inst::Inst::requires`] fill in for
//! every instruction (the table itself is in [`super::inst`]; the code generator's memory of
//! registers and flags, which applies them, is [`super::state`]).

/// A general-purpose register, by its hardware number. `rbx`, `r12`-`r14` have fixed roles
/// (see the register table in [`super`]) and never appear here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reg {
    Rax = 0,
    Rcx = 1,
    Rdx = 2,
    Rbp = 5,
    Rsi = 6,
    Rdi = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R11 = 11,
    R15 = 15,
}

impl Reg {
    /// Every register the generated program code may use.
    pub(crate) const ALL: [Reg; 11] = [
        Reg::Rax,
        Reg::Rcx,
        Reg::Rdx,
        Reg::Rbp,
        Reg::Rsi,
        Reg::Rdi,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
        Reg::R15,
    ];

    /// The registers that may be the home of a cell. `rax` and `rdx` are left for values on
    /// their way (the byte `putc` writes, `getc`'s result, products).
    pub(crate) const HOMES: [Reg; 9] = [
        Reg::Rcx,
        Reg::Rsi,
        Reg::Rdi,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
        Reg::Rbp,
        Reg::R15,
    ];

    /// The hardware register number.
    pub(crate) fn num(self) -> u8 {
        self as u8
    }
}

/// A set of registers, one bit per hardware register number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Regs(pub(crate) u16);

impl Regs {
    /// No register.
    pub(crate) const NONE: Regs = Regs(0);

    /// The set of `regs`.
    pub(crate) const fn of(regs: &[Reg]) -> Regs {
        let mut bits = 0u16;
        let mut i = 0;
        while i < regs.len() {
            bits |= 1 << regs[i] as u8;
            i += 1;
        }
        Regs(bits)
    }

    /// True if `reg` is in the set.
    pub(crate) fn contains(self, reg: Reg) -> bool {
        self.0 & (1 << reg.num()) != 0
    }

    /// True if the register with hardware number `num` is in the set.
    pub(crate) fn contains_num(self, num: u8) -> bool {
        num < 16 && self.0 & (1 << num) != 0
    }
}

/// What the flags hold after an instruction, as far as the code generator cares: whether
/// ZF tells if some cell is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flags {
    /// Unchanged.
    Kept,
    /// Changed in a way the generator does not track (or left undefined).
    Lost,
    /// ZF is set exactly when the cell `p[off]` is 0: the instruction computed the flags
    /// from the cell's value at the cell width, in memory (`via: None`) or in a register.
    Cell { off: i32, via: Option<Reg> },
}

/// How an instruction moves the tape pointer register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Move {
    /// It does not.
    None,
    /// By this many cells: offsets known before are now that much smaller.
    By(i32),
    /// By an amount known only at run time (a scan).
    Unknown,
}

/// What an instruction (or a declared sequence) does to the state the generator tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Effect {
    /// Registers that may be overwritten (whatever they held is gone).
    pub regs: Regs,
    /// Afterwards this register holds the current value of the cell `p[off]`.
    pub holds: Option<(Reg, i32)>,
    /// The cell `p[off]` gets a new value: copies of the old one are stale.
    pub changes: Option<i32>,
    /// Afterwards the memory of the cell `p[off]` holds its current value.
    pub stores: Option<i32>,
    /// The memory of the cell `p[off]` is read or written, which proves it is on the tape.
    pub touches: Option<i32>,
    /// The flags afterwards.
    pub flags: Flags,
    /// The tape pointer register's movement.
    pub moves: Move,
    /// Control never continues after it (a call of the failure path).
    pub ends: bool,
    /// Writes a profile counter (`--profile`): memory outside the tape, through `rdx`.
    pub counter: bool,
    /// Writes the cell of `stores` through `rax`, which holds its address or the stack
    /// pointer's (a flat `if`'s write to a cell not known to be on the tape, see
    /// [`super::flat`]).
    pub redirected: bool,
}

impl Effect {
    /// Nothing tracked changes.
    pub(crate) const NONE: Effect = Effect {
        regs: Regs::NONE,
        holds: None,
        changes: None,
        stores: None,
        touches: None,
        flags: Flags::Kept,
        moves: Move::None,
        ends: false,
        counter: false,
        redirected: false,
    };

    /// A sequence that may overwrite `regs` and the flags, and otherwise leaves the tracked
    /// state alone.
    pub(crate) fn clobbers(regs: Regs) -> Effect {
        Effect {
            regs,
            flags: Flags::Lost,
            ..Effect::NONE
        }
    }
}

/// What must hold before an instruction runs (checked by [`super::Gen::emit`]; a violation
/// is a bug in the code generator, reported as a compile error).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Requires {
    /// This register holds the current value of this cell.
    pub holds: Option<(Reg, i32)>,
    /// The memory of this cell holds its current value.
    pub current: Option<i32>,
}
