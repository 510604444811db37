//! Cross-process tests: the real `sceau` CLI against the real `sceau-vault` binary, with the
//! office key on SoftHSM. Run with nextest (one process per test) or `cargo test`.
#![allow(clippy::unwrap_used, missing_docs)]

mod calendar;
mod consent;
mod edi;
mod faults;
mod gaps;
mod journal;
mod offline;
mod portal;
mod recipients;
mod service;
mod transfer;
