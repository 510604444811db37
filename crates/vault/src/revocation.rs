//! Revocation lists (CRL files, `crl_files`) for every certificate the vault relies on: the
//! offices' authentication certificates at each request ([`crate::peer`]) and the signing
//! certificate of each act at each deposit ([`crate::acceptance`]), besides the serials listed
//! in `revoked_serials`. The files are reloaded without restart: every check looks at their
//! modification time and size (one `stat` each) and reads them again when either changed.
//!
//! A CRL is used only if its signature verifies with the key of a trusted CA of the same name
//! (`client_ca_files`, `bank_ca_files`). A file that cannot be read or verified is logged and the
//! lists read before stay in force (the vault never forgets a revocation because a new file is
//! being written).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::SystemTime;

use der::{Decode, Encode};
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

use crate::error::{config, ConfigError, Result};

/// What a file looked like when it was read: (modified, length).
type Stamp = Option<(SystemTime, u64)>;

#[derive(Default)]
struct Loaded {
    stamps: Vec<Stamp>,
    /// (issuer name RFC 4514, serial lower-case hex) of every revoked certificate.
    revoked: HashSet<(String, String)>,
}

/// The revocation lists in force.
pub struct Revocation {
    files: Vec<PathBuf>,
    cas: Vec<Certificate>,
    state: RwLock<Loaded>,
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocation")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

fn stamp(path: &std::path::Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Revocation {
    /// The lists of `files`, accepted when signed by one of `cas`; read now (a file that cannot
    /// be used at start is a configuration error naming it).
    pub fn new(files: Vec<PathBuf>, cas: Vec<Certificate>) -> Result<Revocation> {
        let mut r = Revocation {
            files,
            cas,
            state: RwLock::new(Loaded::default()),
        };
        let mut loaded = Loaded::default();
        for f in &r.files {
            loaded.stamps.push(stamp(f));
            for entry in r.read(f)? {
                loaded.revoked.insert(entry);
            }
        }
        r.state = RwLock::new(loaded);
        Ok(r)
    }

    /// Reads one CRL file (PEM or DER) and checks its signature.
    fn read(&self, path: &std::path::Path) -> Result<Vec<(String, String)>> {
        let cfg = |problem: &'static str| {
            config(ConfigError::Crl {
                path: path.to_owned(),
                problem,
            })
        };
        let bytes = std::fs::read(path).map_err(|source| {
            config(ConfigError::CrlUnreadable {
                path: path.to_owned(),
                source,
            })
        })?;
        let der = if bytes.starts_with(b"-----BEGIN") {
            der::pem::decode_vec(&bytes)
                .map_err(|_| cfg("n'est pas un PEM valide"))?
                .1
        } else {
            bytes
        };
        let crl = CertificateList::from_der(&der).map_err(|_| cfg("n'est pas une CRL"))?;
        let tbs = crl
            .tbs_cert_list
            .to_der()
            .map_err(|_| cfg("n'est pas une CRL"))?;
        let signed = self.cas.iter().any(|ca| {
            ca.tbs_certificate.subject == crl.tbs_cert_list.issuer
                && sceau_cades::signed_by(
                    ca,
                    &crl.signature_algorithm,
                    &tbs,
                    crl.signature.raw_bytes(),
                )
        });
        if !signed {
            return Err(cfg(
                "n'est pas signée par une autorité de confiance du coffre (client_ca_files, \
                 bank_ca_files)",
            ));
        }
        let issuer = crl.tbs_cert_list.issuer.to_string();
        Ok(crl
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .map(|rc| (issuer.clone(), hex::encode(rc.serial_number.as_bytes())))
            .collect())
    }

    /// Reads the files again if one changed since it was read.
    fn refresh(&self) {
        let stamps: Vec<Stamp> = self.files.iter().map(|f| stamp(f)).collect();
        let unchanged = self
            .state
            .read()
            .map(|s| s.stamps == stamps)
            .unwrap_or(false);
        if unchanged {
            return;
        }
        let Ok(mut state) = self.state.write() else {
            return;
        };
        if state.stamps == stamps {
            return;
        }
        let mut revoked = HashSet::new();
        for f in &self.files {
            match self.read(f) {
                Ok(entries) => revoked.extend(entries),
                Err(e) => {
                    // Keep the lists in force: a file being replaced must not drop revocations.
                    tracing::error!(file = %f.display(), error = %e, "revocation list not reloaded");
                    return;
                }
            }
        }
        tracing::info!(entries = revoked.len(), "revocation lists reloaded");
        state.revoked = revoked;
        state.stamps = stamps;
    }

    /// Whether the certificate of `issuer` (RFC 4514) and serial `serial_hex` (lower-case hex)
    /// is revoked by a list in force (reloaded first if a file changed).
    pub fn is_revoked(&self, issuer: &str, serial_hex: &str) -> bool {
        if self.files.is_empty() {
            return false;
        }
        self.refresh();
        self.state.read().is_ok_and(|s| {
            s.revoked
                .contains(&(issuer.to_owned(), serial_hex.to_lowercase()))
        })
    }

    /// Whether the DER certificate `der` is revoked.
    pub fn is_revoked_der(&self, der: &[u8]) -> bool {
        match Certificate::from_der(der) {
            Ok(c) => self.is_revoked(
                &c.tbs_certificate.issuer.to_string(),
                &hex::encode(c.tbs_certificate.serial_number.as_bytes()),
            ),
            Err(_) => false,
        }
    }
}
