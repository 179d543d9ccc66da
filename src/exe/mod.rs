//! `jitbf build`: a standalone executable from the JIT's own code (Linux x86-64).
//!
//! An executable is the JIT's machine code with a different runtime around it. The code
//! generator (`src/jit/codegen/`) is the same, called the same way; its output is
//! position independent and keeps everything it needs in the context block that `r14`
//! points at, so it runs unchanged at any address. What the JIT does in Rust around it
//! (map the tape between guard pages, catch `SIGSEGV`, flush, explain errors) is done by
//! start-up code that jitbf generates with dynasm and puts in front of it:
//!
//! * `start`: `_start`, the `SIGSEGV` handler and the final flush;
//! * `report`: the error messages, in machine code, word for word those of `jitbf`;
//! * `table`: the read-only data those messages need (which `<` or `>` a fault points
//!   at, the source lines, the `errno` texts);
//! * `elf`: the ELF file (with the `object` crate's writer): a static executable, no libc,
//!   no dynamic loader, and a symbol per loop;
//! * `object`: the same as a relocatable object (`jitbf --emit obj`), for `ld`;
//! * `dwarf`: with `-g`, DWARF line tables and entries (with `gimli`) that map the code
//!   to the Brainfuck source, for `gdb`, `addr2line` and `objdump -S`.
//!
//! # Memory of a running executable
//!
//! ```text
//!   0x400000  ELF header, program headers, .text   read+execute
//!             .rodata (the tables)                 read
//!             .bss: context block, scratch,        read+write, zero pages from the kernel
//!                   signal stack, output and input buffers
//!   mmap      guard | tape | guard                 as in the JIT
//! ```
//!
//! No segment is both writable and executable, and the stack is not executable.

mod dwarf;
mod elf;
mod object;
mod report;
mod start;
mod table;

use dynasmrt::{DynamicLabel, DynasmApi, VecAssembler, x64::X64Relocation};

use crate::ir::Op;
use crate::jit::codegen::{self, Code};
use crate::jit::runtime::{Ctx, page_size};
use crate::source::LineMap;
use crate::{Error, Program};

/// How to build an executable.
#[derive(Clone, Debug)]
pub struct Options {
    /// How error messages name the source (the path as given to `jitbf build`, as `jitbf
    /// PROG.bf` would name it).
    pub name: String,
    /// The source file for debuggers: its path, absolute or relative to `comp_dir`.
    pub source_path: String,
    /// The directory the build ran in (DWARF's compilation directory).
    pub comp_dir: String,
    /// Add DWARF debugging information (`-g`).
    pub debug_info: bool,
    /// Leave out the symbol table too (`--strip`).
    pub strip: bool,
}

/// Writes `program` as a static x86-64 Linux executable (the bytes of the file).
pub fn build(program: &Program, options: &Options) -> Result<Vec<u8>, Error> {
    let (mut asm, code) = assemble(program, options)?;
    let text = asm.finish(&code, false)?;
    let mut symbols = std::mem::take(&mut asm.symbols);
    let code_at = asm.code_at;
    program_symbols(program, &code, code_at, &mut symbols);
    let layout = elf::Layout::new(text.len() as u64, asm.table.bytes.len() as u64);
    let debug = if options.debug_info {
        let addresses = (
            layout.text_addr,
            layout.text_addr + code_at,
            code.data_start as u64,
        );
        Some(dwarf::sections(program, &code, addresses, options)?)
    } else {
        None
    };
    let file = elf::File {
        layout: &layout,
        text: &text,
        rodata: &asm.table.bytes,
        symbols: if options.strip { Vec::new() } else { symbols },
        debug,
    };
    file.write()
        .map_err(|e| Error::Compile(format!("cannot write the ELF file: {e}")))
}

/// Writes `program` as a relocatable ELF object (`jitbf --emit obj`): the same code and
/// tables in one `.text` section, with a `.bss` section and `_start`, so that
/// `ld prog.o -o prog` links the same executable (without debugging information).
pub fn build_object(program: &Program, options: &Options) -> Result<Vec<u8>, Error> {
    let (mut asm, code) = assemble(program, options)?;
    let text = asm.finish(&code, true)?;
    let mut symbols = std::mem::take(&mut asm.symbols);
    program_symbols(program, &code, asm.code_at, &mut symbols);
    object::write(&text, &symbols, &asm.bss_refs, options.strip)
        .map_err(|e| Error::Compile(format!("cannot write the object file: {e}")))
}

/// Compiles `program` and assembles the start-up code for it (not yet placed).
fn assemble(program: &Program, options: &Options) -> Result<(Asm, Code), Error> {
    if options.name.len() > bss::MAX_NAME {
        return Err(Error::Compile(format!(
            "the program's name is longer than {} bytes",
            bss::MAX_NAME
        )));
    }
    let config = program.config();
    let code = codegen::compile(program.ir(), config, true, crate::jit::Options::default())
        .map_err(Error::Compile)?;
    let table = table::build(program, &code, &options.name);
    let cell_bytes = config.cell_bits.bytes();
    let used = config.tape_cells * cell_bytes;
    let tape = TapeLayout {
        cells: config.tape_cells as u64,
        cell_bytes: cell_bytes as i32,
        used: used as u64,
        data: used.next_multiple_of(page_size()) as u64,
    };
    let mut asm = Asm::new(table, tape, code.bias);
    asm.start();
    asm.reports();
    asm.symbols
        .push(elf::Symbol::local("jitbf.end", asm.here()));
    Ok((asm, code))
}

/// Symbols for the program's code: the entry (a function covering it all), the shared
/// subroutines, and each loop, `if` and scan, named after its line and column.
fn program_symbols(program: &Program, code: &Code, at: u64, symbols: &mut Vec<elf::Symbol>) {
    symbols.push(elf::Symbol {
        name: "bf.main".to_string(),
        offset: at,
        size: code.data_start as u64,
        function: true,
        global: false,
    });
    let map = LineMap::new(program.source());
    for (i, ins) in program.ir().code.iter().enumerate() {
        let kind = match ins.op {
            Op::Loop { .. } => "loop",
            Op::If { .. } => "if",
            Op::Scan { .. } => "scan",
            _ => continue,
        };
        let lc = map.line_col(ins.span.start);
        let off = code.instr_offsets[i];
        symbols.push(elf::Symbol::local(
            &format!("bf.{kind}_{}_{}", lc.line, lc.col),
            at + u64::from(off),
        ));
    }
    for &(off, name) in &code.symbols {
        symbols.push(elf::Symbol::local(
            &format!("bf.{}", name.replace(' ', "_")),
            at + u64::from(off),
        ));
    }
    symbols.push(elf::Symbol::local("bf.data", at + code.data_start as u64));
}

/// Where things are in `.bss` (offsets from its start).
mod bss {
    /// The context block, at the start.
    pub const CTX: usize = 0;
    /// Scratch space for `ioctl`.
    pub const SCRATCH: usize = 512;
    /// The signal stack.
    pub const ALTSTACK: usize = 4096;
    pub const ALTSTACK_SIZE: usize = 1 << 14;
    /// The output buffer.
    pub const OUT_BUF: usize = ALTSTACK + ALTSTACK_SIZE;
    /// The input buffer, which also holds an error message at the end.
    pub const IN_BUF: usize = OUT_BUF + crate::io::OUT_BUF;
    /// Size of `.bss`.
    pub const SIZE: usize = IN_BUF + crate::io::IN_BUF;
    /// Longest program name that fits in a message (twice, with a source line) in the
    /// input buffer.
    pub const MAX_NAME: usize = 16 << 10;

    const _: () = assert!(CTX + std::mem::size_of::<crate::jit::runtime::Ctx>() <= SCRATCH);
}

/// The tape as the start-up code maps it.
#[derive(Clone, Copy, Debug)]
struct TapeLayout {
    cells: u64,
    cell_bytes: i32,
    /// Bytes of cells.
    used: u64,
    /// Bytes of cells rounded up to whole pages.
    data: u64,
}

/// Labels of the start-up code, of the program code, and of the data it uses.
#[derive(Clone, Copy)]
struct Labels {
    bss: DynamicLabel,
    code: DynamicLabel,
    code_end: DynamicLabel,
    fault_stub: DynamicLabel,
    exit: DynamicLabel,
    final_flush: DynamicLabel,
    final_flush_failed: DynamicLabel,
    output_failed: DynamicLabel,
    input_failed: DynamicLabel,
    setup_failed: DynamicLabel,
    fault: DynamicLabel,
    internal: DynamicLabel,
    segv: DynamicLabel,
    restorer: DynamicLabel,
    dec: DynamicLabel,
    errno: DynamicLabel,
    fail: DynamicLabel,
}

/// The assembler of `.text`: start-up code, then the program's code.
struct Asm {
    ops: VecAssembler<X64Relocation>,
    labels: Labels,
    table: table::Table,
    strings: table::Strings,
    tape: TapeLayout,
    bias: i32,
    /// Labels of places in the table, defined once the table's address is known.
    table_labels: Vec<(DynamicLabel, u32)>,
    symbols: Vec<elf::Symbol>,
    /// Offset of the program's code in `.text`.
    code_at: u64,
    /// Where the code holds the 32-bit displacement of `.bss` from the next instruction
    /// (an object file needs relocations there).
    bss_refs: Vec<u64>,
}

impl Asm {
    fn new(table: table::Table, tape: TapeLayout, bias: i32) -> Asm {
        let mut ops = VecAssembler::new(0);
        let mut l = || ops.new_dynamic_label();
        let labels = Labels {
            bss: l(),
            code: l(),
            code_end: l(),
            fault_stub: l(),
            exit: l(),
            final_flush: l(),
            final_flush_failed: l(),
            output_failed: l(),
            input_failed: l(),
            setup_failed: l(),
            fault: l(),
            internal: l(),
            segv: l(),
            restorer: l(),
            dec: l(),
            errno: l(),
            fail: l(),
        };
        Asm {
            ops,
            labels,
            strings: table.strings,
            table,
            tape,
            bias,
            table_labels: Vec::new(),
            symbols: Vec::new(),
            code_at: 0,
            bss_refs: Vec::new(),
        }
    }

    fn here(&self) -> u64 {
        self.ops.offset().0 as u64
    }

    /// Names the code that follows.
    fn symbol(&mut self, name: &str) {
        let at = self.here();
        self.symbols.push(elf::Symbol {
            name: name.to_string(),
            offset: at,
            size: 0,
            function: name == "_start",
            global: name == "_start",
        });
    }

    /// A label for offset `off` of the table.
    fn table_label(&mut self, off: u32) -> DynamicLabel {
        let label = self.ops.new_dynamic_label();
        self.table_labels.push((label, off));
        label
    }

    /// The displacement of `.bss` just emitted needs a relocation in an object file.
    fn bss_ref(&mut self) {
        let at = self.here() - 4;
        self.bss_refs.push(at);
    }

    /// Appends the program's code and resolves every label: `.text` is complete. In an
    /// `object`, the table follows the code in `.text` and `.bss` is left to the linker.
    fn finish(&mut self, code: &Code, object: bool) -> Result<Vec<u8>, Error> {
        let err = |e: dynasmrt::DynasmError| Error::Compile(e.to_string());
        // Loops are aligned to 16 bytes relative to the code's start.
        while !self.here().is_multiple_of(64) {
            self.ops.push(0xcc);
        }
        self.code_at = self.here();
        let at = self.code_at as usize;
        self.ops.extend(code.bytes.iter().copied());
        let text_len = self.here();
        let layout = elf::Layout::new(text_len, self.table.bytes.len() as u64);
        let (rodata, bss) = if object {
            while !self.here().is_multiple_of(16) {
                self.ops.push(0);
            }
            let at = self.here();
            self.ops.extend(self.table.bytes.iter().copied());
            // Any value: the relocations replace it.
            (at, 0)
        } else {
            (
                layout.rodata_addr - layout.text_addr,
                layout.bss_addr - layout.text_addr,
            )
        };
        let labels = self.ops.labels_mut();
        let mut define = |label, off: u64| {
            labels
                .define_dynamic(label, dynasmrt::AssemblyOffset(off as usize))
                .map_err(err)
        };
        let l = self.labels;
        define(l.code, self.code_at)?;
        define(l.code_end, text_len)?;
        define(l.fault_stub, (at + code.fault_stub) as u64)?;
        define(l.bss, bss)?;
        for &(label, off) in &self.table_labels {
            define(label, rodata + u64::from(off))?;
        }
        debug_assert_eq!(code.entry, 0, "the program's entry is its first byte");
        self.ops.commit().map_err(err)?;
        let ops = std::mem::replace(&mut self.ops, VecAssembler::new(0));
        ops.finalize().map_err(err)
    }
}

// The context block's address is what the signal handler needs; keep it first in .bss.
const _: () = assert!(bss::CTX == 0 && std::mem::align_of::<Ctx>() <= 64);

/// Writes an executable to `path` as a whole or not at all: into a temporary file beside
/// it (mode 0755 less the umask), renamed over `path` when complete. On failure nothing is
/// left behind, and an existing `path` is untouched.
pub fn write_executable(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path.is_dir() {
        return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
    }
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o755)
        .open(&temp)
        .and_then(|mut f| {
            let result = f.write_all(bytes);
            if result.is_err() {
                let _ = std::fs::remove_file(&temp);
            }
            result
        });
    written?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}
