//! The C API as `include/hamustro.h` declares it: the functions every built library
//! must define and export.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository's root (the xtask crate is one level below it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is inside the repository")
        .to_path_buf()
}

/// The names of the functions the committed header declares (`HAMUSTRO_API … name(`).
pub fn functions() -> Result<BTreeSet<String>, String> {
    let path = repo().join("include/hamustro.h");
    let text =
        std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let names = declared_functions(&text);
    if names.is_empty() {
        return Err(format!(
            "{}: no HAMUSTRO_API function found",
            path.display()
        ));
    }
    Ok(names)
}

fn declared_functions(header: &str) -> BTreeSet<String> {
    header
        .lines()
        .filter_map(|line| line.strip_prefix("HAMUSTRO_API "))
        .filter_map(|declaration| {
            // HAMUSTRO_DEPRECATED("note") comes first; its note may hold parentheses.
            let declaration = match declaration.find("HAMUSTRO_DEPRECATED(\"") {
                Some(start) => &declaration[start + declaration[start..].find("\")")? + 2..],
                None => declaration,
            };
            let head = &declaration[..declaration.find('(')?];
            let name = head.rsplit([' ', '*']).next()?;
            name.starts_with("hamustro_").then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_declared_function_and_nothing_else() {
        let header = "typedef struct hamustro_config { uint64_t id; } hamustro_config;\n\
            HAMUSTRO_API hamustro_status hamustro_config_new(hamustro_config *out);\n\
            HAMUSTRO_API const char *hamustro_version(void);\n\
            HAMUSTRO_API HAMUSTRO_DEPRECATED(\"use x (or y)\") void hamustro_old(int a);\n\
            /* HAMUSTRO_API hamustro_commented(void); */\n";
        let names: Vec<String> = declared_functions(header).into_iter().collect();
        assert_eq!(
            names,
            ["hamustro_config_new", "hamustro_old", "hamustro_version"]
        );
    }

    #[test]
    fn the_committed_header_declares_the_c_api() {
        let names = functions().expect("include/hamustro.h reads");
        assert!(names.contains("hamustro_tracker_track_event"), "{names:?}");
        assert!(names.contains("hamustro_last_error_message"), "{names:?}");
    }
}
