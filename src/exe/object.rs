//! A relocatable object file (`jitbf --emit obj`), written with the `object` crate.
//!
//! The object holds what the executable holds, arranged for a linker: `.text` with the
//! start-up code, the program's code and, after it, the fault and message tables (so that
//! the code reaches them at a fixed distance, as in the executable), and an empty `.bss` of
//! the executable's size. The only addresses the linker must fill in are the three
//! `rip`-relative references to `.bss` (the context block): `R_X86_64_PC32` relocations.
//! `_start` is global, so `ld prog.o -o prog` makes a static executable that behaves like
//! `jitbf build`'s. There is no debugging information (its addresses would need
//! relocations too).

use object::write::{Object, Relocation, StandardSection, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationEncoding, RelocationFlags, RelocationKind,
    SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

use super::{bss, elf};

/// The object file: `text` (code and tables), `symbols` at offsets in it, and the offsets
/// of the 32-bit displacements of `.bss`.
pub(super) fn write(
    text: &[u8],
    symbols: &[elf::Symbol],
    bss_refs: &[u64],
    strip: bool,
) -> object::write::Result<Vec<u8>> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text_id = obj.section_id(StandardSection::Text);
    obj.append_section_data(text_id, text, 64);
    let bss_id = obj.section_id(StandardSection::UninitializedData);
    obj.append_section_bss(bss_id, bss::SIZE as u64, 64);
    // Without this note, linkers assume the code needs an executable stack.
    obj.add_section(Vec::new(), b".note.GNU-stack".to_vec(), SectionKind::Other);
    for s in symbols {
        if strip && !s.global {
            continue;
        }
        obj.add_symbol(Symbol {
            name: s.name.as_bytes().to_vec(),
            value: s.offset,
            size: s.size,
            kind: if s.function {
                SymbolKind::Text
            } else {
                SymbolKind::Label
            },
            scope: if s.global {
                SymbolScope::Linkage
            } else {
                SymbolScope::Compilation
            },
            weak: false,
            section: SymbolSection::Section(text_id),
            flags: SymbolFlags::None,
        });
    }
    let bss_symbol = obj.section_symbol(bss_id);
    for &offset in bss_refs {
        obj.add_relocation(
            text_id,
            Relocation {
                offset,
                symbol: bss_symbol,
                // The displacement counts from the end of the 4-byte field.
                addend: -4,
                flags: RelocationFlags::Generic {
                    kind: RelocationKind::Relative,
                    encoding: RelocationEncoding::Generic,
                    size: 32,
                },
            },
        )?;
    }
    obj.write()
}
