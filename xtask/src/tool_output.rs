//! What a check reads that a script made: a file it built, or the output of a tool it
//! ran. The scripts run the tools (objdump and gendef in the cross chroot, rustc,
//! auditwheel in the tools' venv) and hand over what they printed; the checks parse it.

use std::io::Read;
use std::path::Path;

/// The text of `path`, or of standard input when `path` is `-` (a tool piped in). A
/// file that cannot be read is an error naming it; bytes that are not UTF-8 are
/// replaced, since the tools' reports are ASCII and a check should not stop at one
/// odd byte.
pub fn read(path: &str) -> Result<String, String> {
    let bytes = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|error| format!("standard input: {error}"))?;
        bytes
    } else {
        std::fs::read(path).map_err(|error| format!("{path}: {error}"))?
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The text of the file at `path`, an error naming it if it cannot be read.
pub fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|error| format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = read("/nonexistent/objdump.txt").unwrap_err();
        assert!(error.starts_with("/nonexistent/objdump.txt: "), "{error}");
    }

    #[test]
    fn a_file_is_read_whole() {
        let dir = crate::scratch::Scratch::new("tool-output");
        let path = dir.join("objdump.txt");
        std::fs::write(&path, b"DLL Name: KERNEL32.dll\n\xff\n").unwrap();
        let text = read(path.to_str().unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(text.starts_with("DLL Name: KERNEL32.dll\n"), "{text:?}");
    }
}
