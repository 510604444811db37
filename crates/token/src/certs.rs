//! Certificates found on a token: parsing, role, and how the user selects one.

use chrono::{DateTime, Utc};
use der::Decode;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::{Error, Result};

/// What a certificate is for, from its key usage and extended key usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Qualified electronic signature: keyUsage nonRepudiation (contentCommitment).
    Signature,
    /// Authentication to the vault: keyUsage digitalSignature with extendedKeyUsage clientAuth
    /// (or no extendedKeyUsage at all), without nonRepudiation.
    Authentication,
    /// Anything else (encryption, CA...): never offered for signing.
    Other,
}

impl Role {
    /// The French word shown next to a certificate.
    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Signature => "Signature",
            Role::Authentication => "Authentification",
            Role::Other => "Autre usage",
        }
    }
}

/// Whether the private key matching a certificate (same `CKA_ID`) was seen on the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPresence {
    /// The private key object is visible.
    PrivateKey,
    /// Only the public key is visible: private keys are hidden until the PIN is given.
    HiddenUntilLogin,
    /// Neither is visible: most tokens hide private keys before login, so this is not an error
    /// until a signature is asked after login.
    Unknown,
}

/// A certificate on the token, as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateInfo {
    /// Serial number of the token holding it.
    pub token_serial: String,
    /// `CKA_ID` shared by the certificate and its private key (hex).
    pub id_hex: String,
    /// `CKA_LABEL` of the certificate object.
    pub label: String,
    /// What the certificate is for.
    pub role: Role,
    /// Holder's name (common name, or given name and surname).
    pub holder: String,
    /// Holder's function (X.520 title), e.g. "Commissaire de justice".
    pub function: Option<String>,
    /// Organisation of the holder (the office).
    pub organization: Option<String>,
    /// Issuer's common name (or full name when it has none).
    pub issuer: String,
    /// Serial number, uppercase hexadecimal.
    pub serial: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the DER certificate (hex), to pin a certificate across sessions.
    pub sha256: String,
    /// Whether the matching private key was seen.
    pub key: KeyPresence,
    /// The DER certificate.
    #[serde(skip)]
    pub der: Vec<u8>,
}

impl CertificateInfo {
    /// Whether `serial` is this certificate's serial, written in any case, with or without
    /// colons, spaces and leading zeros.
    pub fn has_serial(&self, serial: &str) -> bool {
        normalise_serial(serial) == normalise_serial(&self.serial)
    }

    /// Parses a DER certificate read from the token.
    pub fn from_der(token_serial: &str, id: &[u8], label: &str, der: &[u8]) -> Result<Self> {
        let cert = Certificate::from_der(der).map_err(|e| Error::BadCertificate {
            detail: e.to_string(),
        })?;
        let s = sceau_cades::summarize(&cert);
        let holder = s
            .common_name
            .clone()
            .or_else(|| match (&s.given_name, &s.surname) {
                (Some(g), Some(n)) => Some(format!("{g} {n}")),
                (g, n) => g.clone().or(n.clone()),
            })
            .unwrap_or_else(|| s.subject.clone());
        Ok(CertificateInfo {
            token_serial: token_serial.to_string(),
            id_hex: hex::encode(id),
            label: label.to_string(),
            role: Role::of(&s),
            holder,
            function: s.title,
            organization: s.organization,
            issuer: s.issuer_common_name.unwrap_or(s.issuer),
            serial: s.serial_hex.to_ascii_uppercase(),
            not_before: s.not_before,
            not_after: s.not_after,
            sha256: hex::encode(Sha256::digest(der)),
            key: KeyPresence::Unknown,
            der: der.to_vec(),
        })
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> Result<Certificate> {
        Certificate::from_der(&self.der).map_err(|e| Error::BadCertificate {
            detail: e.to_string(),
        })
    }

    /// `CKA_ID` as bytes.
    pub fn id(&self) -> Vec<u8> {
        hex::decode(&self.id_hex).unwrap_or_default()
    }

    /// Refuses a certificate outside its validity at `now`.
    pub fn check_validity(&self, now: DateTime<Utc>) -> Result<()> {
        if now > self.not_after {
            return Err(Error::CertificateExpired {
                serial: self.serial.clone(),
                not_after: self.not_after,
            });
        }
        if now < self.not_before {
            return Err(Error::CertificateNotYetValid {
                serial: self.serial.clone(),
                not_before: self.not_before,
            });
        }
        Ok(())
    }
}

/// How the user designates a certificate. There is deliberately no "first key" choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSelector {
    /// The unique certificate with this role on the token (an error if there are several).
    Role(Role),
    /// Serial number (hex, case and leading zeros ignored) or `CKA_LABEL`.
    SerialOrLabel(String),
    /// SHA-256 fingerprint of the certificate (hex).
    Sha256(String),
}

impl CertSelector {
    /// Picks exactly one certificate among `certs`.
    pub fn select<'a>(&self, certs: &'a [CertificateInfo]) -> Result<&'a CertificateInfo> {
        let matches: Vec<&CertificateInfo> = certs.iter().filter(|c| self.matches(c)).collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(match self {
                CertSelector::Role(Role::Signature) => Error::NoSignatureCertificate,
                CertSelector::Role(Role::Authentication) => Error::NoAuthenticationCertificate,
                other => Error::CertificateNotFound {
                    wanted: other.describe(),
                },
            }),
            many => Err(Error::SeveralCertificates {
                wanted: self.describe(),
                serials: many.iter().map(|c| c.serial.clone()).collect(),
            }),
        }
    }

    fn matches(&self, c: &CertificateInfo) -> bool {
        match self {
            CertSelector::Role(r) => c.role == *r,
            CertSelector::SerialOrLabel(s) => c.has_serial(s) || c.label == *s,
            CertSelector::Sha256(h) => h.eq_ignore_ascii_case(&c.sha256),
        }
    }

    fn describe(&self) -> String {
        match self {
            CertSelector::Role(r) => r.label_fr().to_string(),
            CertSelector::SerialOrLabel(s) | CertSelector::Sha256(s) => s.clone(),
        }
    }
}

fn normalise_serial(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    s.trim_start_matches('0').to_string()
}

impl Role {
    /// Role from the key usage and extended key usage, so that an authentication certificate is
    /// never used for a qualified signature and vice versa.
    fn of(s: &sceau_cades::CertificateSummary) -> Role {
        use sceau_cades::KeyRole;
        match s.role {
            KeyRole::NonRepudiation => Role::Signature,
            KeyRole::DigitalSignature if s.client_auth => Role::Authentication,
            _ => Role::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(serial: &str, label: &str, role: Role) -> CertificateInfo {
        CertificateInfo {
            token_serial: "T".into(),
            id_hex: "01".into(),
            label: label.into(),
            role,
            holder: "Jean DUPONT".into(),
            function: None,
            organization: None,
            issuer: "CA".into(),
            serial: serial.into(),
            not_before: Utc::now(),
            not_after: Utc::now(),
            sha256: "ab".into(),
            key: KeyPresence::Unknown,
            der: vec![],
        }
    }

    #[test]
    fn selection_is_by_certificate_never_the_first_one() {
        let certs = vec![
            info("0A1B", "auth", Role::Authentication),
            info("0C2D", "sig", Role::Signature),
        ];
        let sel = CertSelector::Role(Role::Signature).select(&certs).unwrap();
        assert_eq!(sel.serial, "0C2D");
        let sel = CertSelector::SerialOrLabel("a:1b".into())
            .select(&certs)
            .unwrap();
        assert_eq!(sel.label, "auth");
        let two = vec![
            info("01", "a", Role::Signature),
            info("02", "b", Role::Signature),
        ];
        assert!(matches!(
            CertSelector::Role(Role::Signature).select(&two),
            Err(Error::SeveralCertificates { .. })
        ));
        assert!(matches!(
            CertSelector::Role(Role::Signature).select(&[]),
            Err(Error::NoSignatureCertificate)
        ));
    }
}
