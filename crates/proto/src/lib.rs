//! Generated code for every package under `proto/xinfang`: messages, gRPC clients and servers,
//! and the encoded descriptor set that gRPC reflection serves.

#![allow(clippy::doc_lazy_continuation, clippy::large_enum_variant)]

include!(concat!(env!("OUT_DIR"), "/xinfang.rs"));

pub mod convert;

/// The encoded `FileDescriptorSet` of all packages, for tonic-reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xinfang_descriptor.bin"));
