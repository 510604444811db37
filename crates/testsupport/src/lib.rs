//! Test and demo support for Sceau: isolated SoftHSM tokens, a test PKI made with rcgen, and an
//! RFC 3161 time-stamping authority backed by `openssl ts` on loopback.
//!
//! Nothing here is used by the product itself; the demo (`cargo xtask demo`) and the tests share
//! it so that both exercise the same real components.

pub mod corpus;
pub mod deposit;
pub mod oracle;
pub mod pdfcorpus;
pub mod pki;
pub mod postgres;
pub mod s3;
pub mod sinks;
pub mod softhsm;
pub mod tsa;
