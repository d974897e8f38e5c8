//! The committed C header must be exactly what cbindgen generates from the sources.
//! Run with HAMUSTRO_BLESS=1 to rewrite it after changing the C API.

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
        "include/hamustro.h is stale: run `HAMUSTRO_BLESS=1 cargo test --test header` and commit it"
    );
}
