//! The committed C header must be exactly what cbindgen generates from the sources.
//! Run with `HAMUSTRO_BLESS=1` to rewrite it after changing the C API.

use std::path::Path;

#[test]
#[cfg_attr(
    windows,
    ignore = "cbindgen runs `cargo metadata`, which a test under Wine cannot start; \
              the header is the same for every platform and checked on the host"
)]
fn committed_header_is_what_cbindgen_generates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen fails on the sources")
        .write(&mut generated);
    let path = root.join("include/hamustro.h");
    if std::env::var_os("HAMUSTRO_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/hamustro.h is stale: run `HAMUSTRO_BLESS=1 cargo test --test it header::` and commit it"
    );
}

/// The header's `HAMUSTRO_VERSION_*` macros are written in cbindgen.toml by hand; a
/// release that bumps Cargo.toml must bump them too.
#[test]
fn version_macros_are_cargo_tomls_version() {
    let header = include_str!("../../include/hamustro.h");
    let macro_value = |name: &str| -> String {
        let prefix = format!("#define {name} ");
        header
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("include/hamustro.h defines no {name}"))
            .trim()
            .to_string()
    };
    assert_eq!(
        macro_value("HAMUSTRO_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        macro_value("HAMUSTRO_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        macro_value("HAMUSTRO_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
}

/// Each handle kind is a type of its own: a configuration where a tracker is expected
/// is a compile error in C and in C++, not a run-time `HAMUSTRO_STATUS_INVALID_HANDLE`.
#[test]
#[cfg_attr(
    windows,
    ignore = "needs a host C compiler; scripts/windows-test.sh compiles the header with MinGW"
)]
fn a_handle_of_the_wrong_kind_does_not_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let compiles = |compiler: &str, flags: &[&str], call: &str| -> Option<bool> {
        let source = dir.path().join(format!("wrong_kind.{}", flags[0]));
        std::fs::write(
            &source,
            format!(
                "#include \"hamustro.h\"\n\
                 int use(hamustro_config config, hamustro_tracker tracker) {{\n\
                 (void)config; (void)tracker; return (int){call};\n}}\n"
            ),
        )
        .unwrap();
        let output = std::process::Command::new(compiler)
            .args(["-x", flags[0], flags[1], "-fsyntax-only", "-I"])
            .arg(root.join("include"))
            .arg(&source)
            .output()
            .ok()?;
        Some(output.status.success())
    };
    let mut checked = 0;
    for (compiler, flags) in [("cc", ["c", "-std=c11"]), ("c++", ["c++", "-std=c++17"])] {
        let Some(right) = compiles(compiler, &flags, "hamustro_tracker_flush(tracker, 0)") else {
            continue; // no such compiler here
        };
        assert!(right, "{compiler}: the right kind must compile");
        assert_eq!(
            compiles(compiler, &flags, "hamustro_tracker_flush(config, 0)"),
            Some(false),
            "{compiler}: a configuration passed as a tracker must not compile"
        );
        assert_eq!(
            compiles(compiler, &flags, "hamustro_config_free(tracker)"),
            Some(false),
            "{compiler}: a tracker passed as a configuration must not compile"
        );
        checked += 1;
    }
    assert!(checked > 0, "neither cc nor c++ could be run");
}
