//! Who is on the other end: the client certificate of the TLS connection, checked, and the
//! office bound to it. Handlers take [`Peer`] (any valid certificate: first connection) or
//! [`Authed`] (a certificate bound to an office: everything else).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use der::Decode;
use rustls::pki_types::CertificateDer;
use sceau_cades::CertificateSummary;
use sceau_proto::CertificateInfo;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::error::{Error, Result};
use crate::store::meta::{self, OfficeRow};
use crate::Vault;

/// The client certificates of a connection (end entity first), put on every request by the
/// server loop (tests of the router insert it themselves).
#[derive(Debug, Clone, Default)]
pub struct PeerCerts(pub Arc<Vec<CertificateDer<'static>>>);

/// Serial number of a DER certificate, lower-case hex.
pub fn serial_hex(der: &[u8]) -> Result<String> {
    let cert =
        Certificate::from_der(der).map_err(|e| Error::CertificateUntrusted(e.to_string()))?;
    Ok(hex::encode(cert.tbs_certificate.serial_number.as_bytes()))
}

/// What identifies a holder across renewals and across their signature and authentication
/// certificates: the whole subject distinguished name (a renewed certificate keeps it; the
/// serial and the key change), compared as its RFC 4514 text with exact equality — no case
/// folding, trimming or substring. The text is unambiguous: `x509-cert` escapes `, + " \ < > ;`
/// and a leading `#` or space, so a common name such as `"DUPONT, O=Etude 9991"` never reads as
/// two attributes; attributes that are not strings are written as their DER in hex. The same
/// text in a PrintableString or a UTF8String compares equal (a CA may change the encoding at
/// renewal). A subject without a common name, or without an organization or a surname to go
/// with it, identifies nobody: `None`, and such a certificate is never matched.
pub fn holder_key(s: &CertificateSummary) -> Option<String> {
    let named = s
        .common_name
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let qualified = [&s.organization, &s.surname]
        .iter()
        .any(|a| a.as_deref().is_some_and(|v| !v.trim().is_empty()));
    (named && qualified).then(|| s.subject.clone())
}

/// A checked client certificate.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Facts shown to the user.
    pub info: CertificateInfo,
    /// Parsed summary (subject attributes).
    pub summary: CertificateSummary,
}

impl Peer {
    /// Builds from a DER certificate (already checked).
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert =
            Certificate::from_der(der).map_err(|e| Error::CertificateUntrusted(e.to_string()))?;
        let summary = CertificateSummary::of(&cert);
        let info = CertificateInfo {
            serial_hex: summary.serial_hex.clone(),
            holder: summary
                .common_name
                .clone()
                .unwrap_or_else(|| summary.subject.clone()),
            function: summary.title.clone(),
            organization: summary.organization.clone(),
            issuer: summary.issuer.clone(),
            not_before: summary.not_before,
            not_after: summary.not_after,
            fingerprint_sha256: hex::encode(Sha256::digest(der)),
        };
        Ok(Peer { info, summary })
    }

    /// The holder identity ([`holder_key`]), if the subject names one.
    pub fn holder(&self) -> Option<String> {
        holder_key(&self.summary)
    }
}

impl FromRequestParts<Arc<Vault>> for Peer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, vault: &Arc<Vault>) -> Result<Self> {
        let certs = parts
            .extensions
            .get::<PeerCerts>()
            .cloned()
            .unwrap_or_default();
        vault.checker.check(&certs.0, vault.clock.now())?;
        let ee = certs.0.first().ok_or(Error::CertificateMissing)?;
        if vault.revocation.is_revoked_der(ee.as_ref()) {
            return Err(Error::CertificateRevoked);
        }
        Peer::from_der(ee.as_ref())
    }
}

/// A checked client certificate bound to an office.
#[derive(Debug, Clone)]
pub struct Authed {
    /// The certificate.
    pub peer: Peer,
    /// The office.
    pub office: OfficeRow,
}

impl FromRequestParts<Arc<Vault>> for Authed {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, vault: &Arc<Vault>) -> Result<Self> {
        let peer = Peer::from_request_parts(parts, vault).await?;
        let fp = peer.info.fingerprint_sha256.clone();
        let office = vault
            .db_read(move |sql| meta::office_by_cert(sql, &fp))
            .await?
            .ok_or(Error::CertificateNotBound)?;
        Ok(Authed { peer, office })
    }
}
