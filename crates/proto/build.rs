//! Generates the platform's protobuf and gRPC code with a vendored protoc, so a fresh machine
//! needs no system protoc.

use std::path::PathBuf;

const PACKAGES: &[&str] = &[
    "petition/v1/petition.proto",
    "intake/v1/intake.proto",
    "dispatch/v1/dispatch.proto",
    "supervision/v1/supervision.proto",
    "jointmeeting/v1/jointmeeting.proto",
    "evaluation/v1/evaluation.proto",
    "exchange/v1/exchange.proto",
    "events/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time: a build script compiled for one checkout may be reused by another.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let protos: Vec<PathBuf> = PACKAGES
        .iter()
        .map(|p| root.join("xinfang").join(p))
        .collect();
    let includes = vec![root.clone(), protoc_bin_vendored::include_path()?];

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("xinfang_descriptor.bin"))
        .include_file("xinfang.rs")
        .compile_with_config(config, &protos, &includes)?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
