//! Storage: metadata ([`sql`], [`meta`]) and blobs ([`blobs`]).

pub mod blobs;
pub mod meta;
pub mod sql;
