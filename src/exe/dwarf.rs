//! DWARF debugging information (`jitbf build -g`), written with `gimli`.
//!
//! Debuggers and binutils only need a little to show Brainfuck source:
//!
//! * `.debug_line`: a row at the start of each IR instruction's code with the line and
//!   column of its source (the rows say where a statement starts, so `break PROG.bf:12`
//!   stops at the first instruction of line 12). The prologue maps to the first
//!   instruction's line; the shared subroutines after the program map to line 0 ("no
//!   source"), as does the start-up code, which is outside the sequence;
//! * `.debug_info`: one compilation unit (the source file's name, the build directory,
//!   the address range and the line table) holding one function, `bf.main`, the whole
//!   program. Brainfuck has no DWARF language code; the unit says assembler, which gdb
//!   shows without trying to parse expressions as C.
//!
//! With these, `objdump -dl` and `objdump -S` interleave the source with the code,
//! `addr2line -e OUT ADDR` names the line, and gdb can `break PROG.bf:LINE`, `list`, `step`
//! by source line (`stepi` by instruction) and `info line`.

use gimli::write::{Address, AttributeValue, DwarfUnit, EndianVec, LineProgram, LineString};
use gimli::{Encoding, Format, LineEncoding, LittleEndian, constants};

use super::Options;
use crate::jit::codegen::Code;
use crate::source::LineMap;
use crate::{Error, Program};

/// The DWARF sections for `code`, which is at address `at` and whose program part (before
/// its constant data) is `len` bytes long.
pub(super) fn sections(
    program: &Program,
    code: &Code,
    at: u64,
    len: u64,
    options: &Options,
) -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
    let err = |e: gimli::write::Error| Error::Compile(format!("cannot write DWARF: {e}"));
    let encoding = Encoding {
        format: Format::Dwarf32,
        version: 4,
        address_size: 8,
    };
    let text = |s: &str| LineString::String(s.as_bytes().to_vec());
    let comp_dir = if options.comp_dir.is_empty() {
        "/"
    } else {
        &options.comp_dir
    };
    let mut lines = LineProgram::new(
        encoding,
        LineEncoding::default(),
        text(comp_dir),
        None,
        text(&options.source_path),
        None,
    );
    let dir = lines.default_directory();
    let file = lines.add_file(text(&options.source_path), dir, None);

    let map = LineMap::new(program.source());
    let ir = program.ir();
    let offsets = &code.instr_offsets;
    lines.begin_sequence(Some(Address::Constant(at)));
    let row = |lines: &mut LineProgram, offset: u32, line: u32, column: u32| {
        let r = lines.row();
        r.address_offset = u64::from(offset);
        r.file = file;
        r.line = u64::from(line);
        r.column = u64::from(column);
        r.is_statement = line != 0;
        lines.generate_row();
    };
    // A row where each instruction's code starts; an instruction without code of its own
    // (a check decided by the accesses after it, a move fused into the loop end after it)
    // leaves the address to the next one. The prologue belongs to the first instruction.
    let mut first = true;
    for (i, ins) in ir.code.iter().enumerate() {
        if offsets[i] == offsets[i + 1] {
            continue;
        }
        let lc = map.line_col(ins.span.start);
        row(
            &mut lines,
            if first { 0 } else { offsets[i] },
            lc.line,
            lc.col,
        );
        first = false;
    }
    let end = offsets[ir.code.len()];
    if u64::from(end) < len {
        row(&mut lines, end, 0, 0);
    }
    lines.end_sequence(len);

    let mut dwarf = DwarfUnit::new(encoding);
    dwarf.unit.line_program = lines;
    let unit = &mut dwarf.unit;
    let root = unit.root();
    let name = AttributeValue::String(options.source_path.as_bytes().to_vec());
    let cu = unit.get_mut(root);
    cu.set(constants::DW_AT_name, name.clone());
    cu.set(
        constants::DW_AT_comp_dir,
        AttributeValue::String(comp_dir.as_bytes().to_vec()),
    );
    cu.set(
        constants::DW_AT_producer,
        AttributeValue::String(format!("jitbf {}", env!("CARGO_PKG_VERSION")).into_bytes()),
    );
    cu.set(
        constants::DW_AT_language,
        AttributeValue::Language(constants::DW_LANG_Mips_Assembler),
    );
    cu.set(
        constants::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(at)),
    );
    cu.set(constants::DW_AT_high_pc, AttributeValue::Udata(len));
    let main = unit.add(root, constants::DW_TAG_subprogram);
    let f = unit.get_mut(main);
    f.set(
        constants::DW_AT_name,
        AttributeValue::String(b"bf.main".to_vec()),
    );
    f.set(constants::DW_AT_external, AttributeValue::Flag(true));
    f.set(
        constants::DW_AT_decl_file,
        AttributeValue::FileIndex(Some(file)),
    );
    f.set(constants::DW_AT_decl_line, AttributeValue::Udata(1));
    f.set(
        constants::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(at)),
    );
    f.set(constants::DW_AT_high_pc, AttributeValue::Udata(len));

    let mut sections = gimli::write::Sections::new(EndianVec::new(LittleEndian));
    dwarf.write(&mut sections).map_err(err)?;
    let mut out = Vec::new();
    sections
        .for_each(|id, data| {
            if !data.slice().is_empty() {
                out.push((id.name(), data.slice().to_vec()));
            }
            Ok::<(), gimli::write::Error>(())
        })
        .map_err(err)?;
    Ok(out)
}
