//! Storage: metadata ([`sql`], [`meta`]), blobs ([`blobs`]) and reusable scratch files
//! ([`pool`]).

pub mod blobs;
pub mod meta;
pub mod pool;
pub mod sql;
