//! Compiles the wire schema with prost. protox parses the .proto in pure Rust, so no
//! system `protoc` is needed on a fresh machine or in an Xcode build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = "proto/hamustro.proto";
    println!("cargo:rerun-if-changed={schema}");
    let descriptors = protox::compile([schema], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
