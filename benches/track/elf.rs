//! Just enough of the ELF format to tell whether a library is stripped.

/// Whether a 64-bit little-endian ELF file has neither a symbol table (`SHT_SYMTAB`)
/// nor `.debug*` sections; `None` when it is not such a file.
pub fn elf_is_stripped(elf: &[u8]) -> Option<bool> {
    const SHT_SYMTAB: u32 = 2;
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(elf.get(at..at + 8)?.try_into().ok()?));
    let section_table = u64_at(0x28)? as usize;
    let entry_size = u16_at(0x3a)? as usize;
    let count = u16_at(0x3c)? as usize;
    let names_index = u16_at(0x3e)? as usize;
    let section = |i: usize| section_table + i * entry_size;
    let names_at = u64_at(section(names_index) + 0x18)? as usize;
    let mut stripped = true;
    for i in 0..count {
        let name_at = names_at + u32_at(section(i))? as usize;
        let name = elf.get(name_at..)?.split(|&b| b == 0).next()?;
        if u32_at(section(i) + 4)? == SHT_SYMTAB || name.starts_with(b".debug") {
            stripped = false;
        }
    }
    Some(stripped)
}
