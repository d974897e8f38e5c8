//! Compiles the wire schema with prost (protox parses the .proto in pure Rust, so no
//! system `protoc` is needed on a fresh machine or in an Xcode build), and gives the
//! shared library its soname.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    set_soname();
    let schema = "proto/hamustro.proto";
    println!("cargo:rerun-if-changed={schema}");
    let descriptors = protox::compile([schema], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}

/// The shared library's soname on ELF systems, `libhamustro.so.<ABI>`: the ABI is the
/// major version, or `0.<minor>` before 1.0, since Cargo (and so the C API's promise)
/// treats 0.x and 0.y as incompatible. Programs record it, so an incompatible library
/// is never loaded in its place. Also given to the crate's own code and tests as
/// `HAMUSTRO_SONAME` (empty where there is none).
fn set_soname() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    );
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let abi = if major == "0" {
        format!("0.{}", env!("CARGO_PKG_VERSION_MINOR"))
    } else {
        major.to_string()
    };
    let soname = if elf {
        format!("libhamustro.so.{abi}")
    } else {
        String::new()
    };
    if elf {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rustc-env=HAMUSTRO_SONAME={soname}");
}
