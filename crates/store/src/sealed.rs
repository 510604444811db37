//! Files of the workstation kept encrypted beside the database: the outbox's packages and the
//! archives (signed acts, deposit attestations, delivery notices, returns) synchronised from
//! the vault. They are readable through the application only, like the database itself.
//!
//! The key is derived from the database key (HKDF-SHA256, its own label), so it lives in the
//! same OS credential store and is never written anywhere. Each file is sealed whole with
//! AES-256-GCM: `SCEAUF01` ‖ a random 96-bit nonce ‖ ciphertext ‖ tag, the magic bound as
//! associated data. A file changed on disk, or sealed under another key, does not open
//! ([`Error::SealedFile`]). Files are written durably (temporary file, fsync, rename, fsync of
//! the folder) and private to the user (0600 on Unix).

use std::io::Write;
use std::path::Path;

use rand_core::{OsRng, RngCore};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;

use crate::error::{Error, Result};
use crate::key::DbKey;

/// The first bytes of every sealed file (format version 1).
pub const MAGIC: &[u8; 8] = b"SCEAUF01";

/// HKDF salt and label of the file key: distinct from every other use of the database key.
const SALT: &[u8] = b"sceau-store";
const LABEL: &[u8] = b"sceau-store sealed files v1";

/// Seals and opens the workstation's files with the key of the local store.
pub struct FileSeal {
    key: LessSafeKey,
}

impl std::fmt::Debug for FileSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileSeal")
    }
}

struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        AES_256_GCM.key_len()
    }
}

impl FileSeal {
    /// The seal of the store whose database key is `db`.
    pub fn derive(db: &DbKey) -> FileSeal {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(db.as_bytes());
        let mut raw = zeroize::Zeroizing::new([0u8; 32]);
        // The output length is the key type's own: expansion cannot fail.
        #[allow(clippy::expect_used)]
        prk.expand(&[LABEL], KeyLen)
            .and_then(|okm| okm.fill(raw.as_mut()))
            .expect("HKDF-SHA256 expands to 32 bytes");
        #[allow(clippy::expect_used)]
        let key = UnboundKey::new(&AES_256_GCM, raw.as_ref()).expect("a 32-byte AES-256 key");
        FileSeal {
            key: LessSafeKey::new(key),
        }
    }

    /// Whether `bytes` are a sealed file (by their first bytes).
    pub fn is_sealed(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// `plain`, sealed.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + plain.len() + 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let body = MAGIC.len() + NONCE_LEN;
        let mut tail = out.split_off(body);
        // Sealing fails only for inputs over 64 GiB, far beyond any act.
        #[allow(clippy::expect_used)]
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(MAGIC),
                &mut tail,
            )
            .expect("AES-GCM seals less than 64 GiB");
        out.extend_from_slice(&tail);
        out
    }

    /// The plain bytes of `sealed` (`path` names it in the error).
    pub fn open(&self, sealed: &[u8], path: &Path) -> Result<Vec<u8>> {
        let refused = || Error::SealedFile {
            path: path.to_path_buf(),
        };
        let rest = sealed.strip_prefix(MAGIC.as_slice()).ok_or_else(refused)?;
        if rest.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut buf = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(MAGIC), &mut buf)
            .map_err(|_| refused())?;
        let len = plain.len();
        buf.truncate(len);
        Ok(buf)
    }

    /// Writes `plain` sealed to `path`, durably and privately.
    pub fn write(&self, path: &Path, plain: &[u8]) -> Result<()> {
        write_private(path, &self.seal(plain))
    }

    /// Reads and opens the sealed file at `path`.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>> {
        let bytes = std::fs::read(path).map_err(io(path))?;
        self.open(&bytes, path)
    }

    /// Seals in place a file written in clear by an earlier version; true if it was. A file
    /// already sealed is left as it is.
    pub fn seal_in_place(&self, path: &Path) -> Result<bool> {
        let bytes = std::fs::read(path).map_err(io(path))?;
        if Self::is_sealed(&bytes) {
            return Ok(false);
        }
        self.write(path, &bytes)?;
        Ok(true)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Temporary file (0600), fsync, rename over `path`, fsync of the folder.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    #[cfg(unix)]
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(folder)
            .and_then(|d| d.sync_all())
            .map_err(io(folder))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seal() -> FileSeal {
        FileSeal::derive(&DbKey::from_bytes(&[7u8; 32]).unwrap())
    }

    #[test]
    fn sealed_bytes_hide_the_content_and_open_again() {
        let s = seal();
        let plain = b"PK\x03\x04 acte signifie a MARTIN Claire".repeat(100);
        let sealed = s.seal(&plain);
        assert!(FileSeal::is_sealed(&sealed));
        assert_eq!(sealed.len(), MAGIC.len() + NONCE_LEN + plain.len() + 16);
        assert!(!sealed.windows(6).any(|w| w == b"MARTIN"), "no clear text");
        assert_eq!(s.open(&sealed, Path::new("a")).unwrap(), plain);
        // A fresh nonce each time: the same file never seals to the same bytes.
        assert_ne!(s.seal(&plain), sealed);
        assert_eq!(s.open(&s.seal(b""), Path::new("a")).unwrap(), b"");
    }

    #[test]
    fn a_changed_byte_a_cut_file_another_key_or_clear_bytes_do_not_open() {
        let s = seal();
        let sealed = s.seal(b"contenu de l'acte");
        for i in [0, 8, 20, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            let e = s.open(&bad, Path::new("x.zip")).unwrap_err();
            assert_eq!(e.code(), "store.sealed_file", "byte {i}");
        }
        assert!(s.open(&sealed[..sealed.len() - 1], Path::new("x")).is_err());
        assert!(s.open(&sealed[..10], Path::new("x")).is_err());
        let other = FileSeal::derive(&DbKey::from_bytes(&[8u8; 32]).unwrap());
        assert!(other.open(&sealed, Path::new("x")).is_err());
        assert!(s.open(b"PK\x03\x04 clear", Path::new("x")).is_err());
    }

    #[test]
    fn files_are_written_private_and_clear_files_sealed_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let s = seal();
        let p = dir.path().join("paquet.zip");
        s.write(&p, b"paquet").unwrap();
        assert!(FileSeal::is_sealed(&std::fs::read(&p).unwrap()));
        assert_eq!(s.read(&p).unwrap(), b"paquet");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!dir.path().join("paquet.part").exists());
        let old = dir.path().join("ancien.zip");
        std::fs::write(&old, b"ecrit en clair").unwrap();
        assert!(s.seal_in_place(&old).unwrap());
        assert!(!s.seal_in_place(&old).unwrap(), "already sealed");
        assert_eq!(s.read(&old).unwrap(), b"ecrit en clair");
    }
}
