//! The addon's Windows libraries: a PE32+ DLL's machine and the names in its export
//! directory, read here because the host has no MinGW objdump.

/// What a DLL says of itself.
#[derive(Debug, PartialEq, Eq)]
pub struct Dll {
    pub machine: u16,
    pub exports: Vec<String>,
}

pub const MACHINE_X86_64: u16 = 0x8664;

/// Reads the machine and exported names of the PE32+ file `data`; an error says which
/// part is not where the format puts it.
pub fn read(data: &[u8]) -> Result<Dll, String> {
    let bytes = Bytes(data);
    if !data.starts_with(b"MZ") {
        return Err("not a PE file (no MZ)".to_string());
    }
    let pe = bytes.u32(0x3C)? as usize;
    if data.get(pe..pe + 4) != Some(b"PE\0\0") {
        return Err("no PE signature".to_string());
    }
    let machine = bytes.u16(pe + 4)?;
    let section_count = bytes.u16(pe + 6)?;
    let optional_size = bytes.u16(pe + 20)? as usize;
    let optional = pe + 24;
    if bytes.u16(optional)? != 0x20B {
        return Err("not PE32+ (a 64-bit image)".to_string());
    }
    // The export table is the first of the optional header's data directories.
    let export_rva = bytes.u32(optional + 112)?;
    let sections: Vec<Section> = (0..usize::from(section_count))
        .map(|index| {
            let entry = optional + optional_size + 40 * index;
            Ok(Section {
                virtual_size: bytes.u32(entry + 8)?,
                rva: bytes.u32(entry + 12)?,
                raw: bytes.u32(entry + 20)?,
            })
        })
        .collect::<Result<_, String>>()?;
    let offset = |rva: u32| {
        sections
            .iter()
            .find(|section| rva >= section.rva && rva - section.rva < section.virtual_size)
            .and_then(|section| section.raw.checked_add(rva - section.rva))
            .map(|at| at as usize)
            .ok_or(format!("RVA {rva:#x} is in no section"))
    };
    if export_rva == 0 {
        return Ok(Dll {
            machine,
            exports: Vec::new(),
        });
    }
    let directory = offset(export_rva)?;
    let name_count = bytes.u32(directory + 24)?;
    let names = offset(bytes.u32(directory + 32)?)?;
    let exports = (0..name_count as usize)
        .map(|index| bytes.c_string(offset(bytes.u32(names + 4 * index)?)?))
        .collect::<Result<_, String>>()?;
    Ok(Dll { machine, exports })
}

struct Section {
    virtual_size: u32,
    rva: u32,
    raw: u32,
}

/// Little-endian reads that fail, rather than panic, past the end.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn slice(&self, at: usize, len: usize) -> Result<&[u8], String> {
        self.0
            .get(at..at.checked_add(len).ok_or("an offset overflows")?)
            .ok_or_else(|| format!("offset {at:#x} is past the end ({:#x} bytes)", self.0.len()))
    }

    fn u16(&self, at: usize) -> Result<u16, String> {
        let b = self.slice(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&self, at: usize) -> Result<u32, String> {
        let b = self.slice(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn c_string(&self, at: usize) -> Result<String, String> {
        let rest = self
            .0
            .get(at..)
            .ok_or(format!("a name at {at:#x} is past the end"))?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(format!("the name at {at:#x} does not end"))?;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A minimal PE32+ DLL for `machine`, exporting `names`: headers, then one section
    /// at RVA 0x1000 (file offset 0x200) holding the export directory and its names.
    pub fn dll(machine: u16, names: &[&str]) -> Vec<u8> {
        fn put(data: &mut [u8], at: usize, bytes: &[u8]) {
            data[at..at + bytes.len()].copy_from_slice(bytes);
        }
        let mut data = vec![0u8; 0x200];
        put(&mut data, 0, b"MZ");
        put(&mut data, 0x3C, &0x40u32.to_le_bytes());
        put(&mut data, 0x40, b"PE\0\0");
        put(&mut data, 0x44, &machine.to_le_bytes());
        put(&mut data, 0x46, &1u16.to_le_bytes()); // one section
        put(&mut data, 0x54, &240u16.to_le_bytes()); // the optional header's size
        let optional = 0x58;
        put(&mut data, optional, &0x20Bu16.to_le_bytes());
        put(&mut data, optional + 112, &0x1000u32.to_le_bytes());
        let section = optional + 240;
        put(&mut data, section, b".edata\0\0");
        put(&mut data, section + 8, &0x1000u32.to_le_bytes()); // virtual size
        put(&mut data, section + 12, &0x1000u32.to_le_bytes()); // RVA
        put(&mut data, section + 20, &0x200u32.to_le_bytes()); // file offset
                                                               // The section: the directory (40 bytes), the name pointers, the names.
        let mut body = vec![0u8; 40];
        put(&mut body, 24, &(names.len() as u32).to_le_bytes());
        put(&mut body, 32, &(0x1000u32 + 40).to_le_bytes());
        let mut name_at = 0x1000 + 40 + 4 * names.len() as u32;
        let mut strings = Vec::new();
        for name in names {
            body.extend_from_slice(&name_at.to_le_bytes());
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            name_at += name.len() as u32 + 1;
        }
        body.extend_from_slice(&strings);
        data.extend_from_slice(&body);
        data
    }

    #[test]
    fn reads_the_machine_and_exports() {
        let found = read(&dll(MACHINE_X86_64, &["gdext_rust_init", "other"])).expect("it reads");
        assert_eq!(
            found,
            Dll {
                machine: MACHINE_X86_64,
                exports: vec!["gdext_rust_init".into(), "other".into()]
            }
        );
    }

    #[test]
    fn a_dll_without_an_export_table_exports_nothing() {
        let mut data = dll(MACHINE_X86_64, &[]);
        data[0x58 + 112..0x58 + 116].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(read(&data).expect("it reads").exports, Vec::<String>::new());
    }

    #[test]
    fn a_truncated_or_foreign_file_is_an_error_not_a_panic() {
        let whole = dll(MACHINE_X86_64, &["gdext_rust_init"]);
        for end in 0..whole.len() {
            assert!(read(&whole[..end]).is_err(), "cut at {end}");
        }
        assert!(read(b"\x7fELF").unwrap_err().contains("no MZ"));
        let mut pe32 = whole.clone();
        pe32[0x58] = 0x0B;
        pe32[0x59] = 0x01;
        assert!(read(&pe32).unwrap_err().contains("PE32+"));
    }
}
