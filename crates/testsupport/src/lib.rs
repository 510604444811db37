//! Test and demo support for Sceau: isolated SoftHSM tokens, a test PKI made with rcgen, and an
//! RFC 3161 time-stamping authority backed by `openssl ts` on loopback.
//!
//! Nothing here is used by the product itself; the demo (`cargo xtask demo`) and the tests share
//! it so that both exercise the same real components.

pub mod corpus;
pub mod deposit;
pub mod garage;
pub mod oracle;
pub mod pdfcorpus;
pub mod pki;
pub mod portal;
pub mod postgres;
pub mod s3;
pub mod sinks;
pub mod softhsm;
pub mod tsa;

/// Debian's system `python3` (it has the Debian-packaged modules the sinks and the PDF corpus
/// use, which a pyenv `python3` may lack), else the `python3` on the PATH.
pub fn system_python() -> std::path::PathBuf {
    let system = std::path::PathBuf::from("/usr/bin/python3");
    if system.exists() {
        system
    } else {
        std::path::PathBuf::from("python3")
    }
}
