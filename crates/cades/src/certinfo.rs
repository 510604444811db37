//! Describing a certificate: holder, function, issuer, validity, and what its key is for.
//!
//! Shared by signature verification and by the token crate's certificate listing, so that a
//! certificate reads the same everywhere.

use chrono::{DateTime, Utc};
use const_oid::db::rfc4519::{COMMON_NAME, GIVEN_NAME, ORGANIZATION_NAME, SURNAME, TITLE};
use const_oid::db::rfc5280::{ID_KP_CLIENT_AUTH, ID_KP_TIME_STAMPING};
use const_oid::db::rfc5912::ANY_EXTENDED_KEY_USAGE;
use der::asn1::{Ia5String, ObjectIdentifier};
use der::{Any, Encode};
use serde::Serialize;
use x509_cert::ext::pkix::name::DirectoryString;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage};
use x509_cert::name::Name;
use x509_cert::Certificate;

/// What a certificate's key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// keyUsage nonRepudiation (contentCommitment): a signature certificate.
    NonRepudiation,
    /// keyUsage digitalSignature without nonRepudiation: usually authentication.
    DigitalSignature,
    /// extKeyUsage timeStamping: a time-stamping unit.
    TimeStamping,
    /// keyUsage keyCertSign: a certification authority.
    CertificateAuthority,
    /// No keyUsage extension: any use.
    Unrestricted,
    /// Another usage (encipherment, ...).
    Other,
}

/// The facts about a certificate a clerk may need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// Full subject name (RFC 4514).
    pub subject: String,
    /// Subject common name.
    pub common_name: Option<String>,
    /// Subject given name.
    pub given_name: Option<String>,
    /// Subject surname.
    pub surname: Option<String>,
    /// Subject title (the holder's function, e.g. "Commissaire de justice").
    pub title: Option<String>,
    /// Subject organization.
    pub organization: Option<String>,
    /// Full issuer name (RFC 4514).
    pub issuer: String,
    /// Issuer common name.
    pub issuer_common_name: Option<String>,
    /// Serial number, lower-case hex.
    pub serial_hex: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// What the key is for.
    pub role: KeyRole,
    /// The extended key usage allows TLS client authentication (or there is none).
    pub client_auth: bool,
}

pub(crate) fn has_time_stamping_eku(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate.get::<ExtendedKeyUsage>(),
        Ok(Some((_, eku))) if eku.0.contains(&ID_KP_TIME_STAMPING)
    )
}

impl CertificateSummary {
    /// The summary of any certificate (e.g. a TLS client certificate to compare holders).
    pub fn of(cert: &Certificate) -> Self {
        summarize(cert)
    }
}

/// Describes `cert`.
pub fn summarize(cert: &Certificate) -> CertificateSummary {
    let tbs = &cert.tbs_certificate;
    let validity = &tbs.validity;
    CertificateSummary {
        subject: tbs.subject.to_string(),
        common_name: name_attr(&tbs.subject, COMMON_NAME),
        given_name: name_attr(&tbs.subject, GIVEN_NAME),
        surname: name_attr(&tbs.subject, SURNAME),
        title: name_attr(&tbs.subject, TITLE),
        organization: name_attr(&tbs.subject, ORGANIZATION_NAME),
        issuer: tbs.issuer.to_string(),
        issuer_common_name: name_attr(&tbs.issuer, COMMON_NAME),
        serial_hex: hex::encode(tbs.serial_number.as_bytes()),
        not_before: to_chrono(validity.not_before.to_unix_duration()).unwrap_or_default(),
        not_after: to_chrono(validity.not_after.to_unix_duration()).unwrap_or_default(),
        role: role(cert),
        client_auth: allows_client_auth(cert),
    }
}

fn role(cert: &Certificate) -> KeyRole {
    if has_time_stamping_eku(cert) {
        return KeyRole::TimeStamping;
    }
    match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, ku))) if ku.key_cert_sign() => KeyRole::CertificateAuthority,
        Ok(Some((_, ku))) if ku.non_repudiation() => KeyRole::NonRepudiation,
        Ok(Some((_, ku))) if ku.digital_signature() => KeyRole::DigitalSignature,
        Ok(None) => KeyRole::Unrestricted,
        _ => KeyRole::Other,
    }
}

/// The first value of attribute `oid` in a name, as text.
pub fn name_attr(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| {
            if let Some(ds) = decode_any::<DirectoryString>(&atv.value) {
                return Some(match ds {
                    DirectoryString::PrintableString(s) => s.to_string(),
                    DirectoryString::TeletexString(s) => s.to_string(),
                    DirectoryString::Utf8String(s) => s,
                });
            }
            atv.value
                .decode_as::<Ia5String>()
                .ok()
                .map(|s| s.to_string())
        })
}

/// Decodes an ANY (whole TLV) as `T`; works for CHOICE types, which `decode_as` cannot read.
pub(crate) fn decode_any<T: der::DecodeOwned>(value: &Any) -> Option<T> {
    T::from_der(&value.to_der().ok()?).ok()
}

pub(crate) fn to_chrono(d: std::time::Duration) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(d.as_secs()).ok()?, 0)
}

/// Whether the extended key usage, if present, allows TLS client authentication.
fn allows_client_auth(cert: &Certificate) -> bool {
    match cert.tbs_certificate.get::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) => eku
            .0
            .iter()
            .any(|o| *o == ID_KP_CLIENT_AUTH || *o == ANY_EXTENDED_KEY_USAGE),
        Ok(None) => true,
        Err(_) => false,
    }
}
