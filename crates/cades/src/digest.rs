//! Digest algorithms allowed in Sceau signatures, and streaming hashing of large files.

use std::fmt;
use std::io::Read;

use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::asn1::ObjectIdentifier;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::Error;

/// A SHA-2 digest algorithm (SHA-1 and weaker are not accepted for signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's object identifier (id-sha256, id-sha384, id-sha512).
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha256 => ID_SHA_256,
            DigestAlgorithm::Sha384 => ID_SHA_384,
            DigestAlgorithm::Sha512 => ID_SHA_512,
        }
    }

    /// The algorithm for an object identifier, if it is one of ours.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        [Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|a| a.oid() == *oid)
    }

    /// Length of a digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// Hashes `data` in one go.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            DigestAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
            DigestAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        })
    }
}

/// Hashes everything `reader` yields, 64 KiB at a time, so that large files never sit in memory.
pub fn digest_reader(alg: DigestAlgorithm, reader: impl Read) -> Result<Vec<u8>, Error> {
    match alg {
        DigestAlgorithm::Sha256 => hash_stream::<Sha256>(reader),
        DigestAlgorithm::Sha384 => hash_stream::<Sha384>(reader),
        DigestAlgorithm::Sha512 => hash_stream::<Sha512>(reader),
    }
}

fn hash_stream<D: Digest>(mut reader: impl Read) -> Result<Vec<u8>, Error> {
    let mut hasher = D::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reader_digest_equals_one_shot_digest() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for alg in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let streamed = digest_reader(alg, &data[..]).unwrap();
            assert_eq!(streamed, alg.hash(&data));
            assert_eq!(streamed.len(), alg.output_len());
            assert_eq!(DigestAlgorithm::from_oid(&alg.oid()), Some(alg));
        }
    }
}
