//! Compiles the repository's wire schema (`proto/hamustro.proto`) with prost, as the
//! library does, into this crate's own types.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = "../proto";
    let schema = format!("{dir}/hamustro.proto");
    println!("cargo:rerun-if-changed={schema}");
    let descriptors = protox::compile([schema], [dir])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
