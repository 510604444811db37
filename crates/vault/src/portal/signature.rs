//! The acts' signatures as the recipient sees them: who signed, when, with what certificate,
//! read from the deposit's sealed archive (the `.p7s` beside each act) and checked again as the
//! vault checked them at the deposit; and each `.p7s` downloadable, to check it independently.

use std::io::Read;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};

use super::acts::own_deposit;
use super::html::{internal, login_needed, not_found, security_headers};
use super::session::session;
use super::AuditLog;
use crate::store::meta::{self, DepositRow};
use crate::Vault;

/// One act's signature, as verified again at the time of the deposit.
#[derive(Debug, Clone)]
pub(super) struct Signed {
    /// The signer's name (common name of the certificate's subject).
    pub signer: String,
    /// The certificate's whole subject.
    pub subject: String,
    /// The holder's function written in the certificate (X.520 title), if any.
    pub title: Option<String>,
    /// The signing time the signer claimed.
    pub signed_at: Option<DateTime<Utc>>,
    /// The issuing authority (its common name, else its whole name).
    pub issuer: String,
    /// Whether the certificate declares itself qualified (ETSI QcCompliance statement).
    pub qualified: bool,
}

/// `id-pe-qcStatements` (1.3.6.1.5.5.7.1.3).
const QC_STATEMENTS: &str = "1.3.6.1.5.5.7.1.3";
/// DER of the OID `id-etsi-qcs-QcCompliance` (0.4.0.1862.1.1).
const QC_COMPLIANCE_DER: [u8; 8] = [0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01];

/// Whether the certificate with serial `serial_hex` in the CMS `p7s` carries the
/// QcCompliance statement.
fn qualified(p7s: &[u8], serial_hex: &str) -> bool {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::Decode;
    let Ok(ci) = ContentInfo::from_der(p7s) else {
        return false;
    };
    let Ok(sd) = ci.content.decode_as::<SignedData>() else {
        return false;
    };
    let Some(certs) = sd.certificates else {
        return false;
    };
    certs.0.iter().any(|c| {
        let cms::cert::CertificateChoices::Certificate(cert) = c else {
            return false;
        };
        let tbs = &cert.tbs_certificate;
        if !hex::encode(tbs.serial_number.as_bytes()).eq_ignore_ascii_case(serial_hex) {
            return false;
        }
        tbs.extensions.iter().flatten().any(|e| {
            e.extn_id.to_string() == QC_STATEMENTS
                && e.extn_value
                    .as_bytes()
                    .windows(QC_COMPLIANCE_DER.len())
                    .any(|w| w == QC_COMPLIANCE_DER)
        })
    })
}

/// The archive of deposit `d` (its ZIP in the office's vault), whole.
async fn archive(vault: &Vault, d: &DepositRow) -> Option<Vec<u8>> {
    let id = d.id.clone();
    let sha = vault
        .db_read(move |sql| meta::deposit_archive_sha(sql, &id))
        .await
        .ok()
        .flatten()?;
    vault.blobs.get(&sha).await.ok().flatten()
}

fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Option<Vec<u8>> {
    let mut f = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    f.read_to_end(&mut out).ok()?;
    Some(out)
}

/// Each act of `d` with its signature verified again at the time of the deposit (`None` for
/// an act whose signature cannot be read back or does not verify any more).
pub(super) async fn signatures(
    vault: &Arc<Vault>,
    d: &DepositRow,
) -> Vec<(String, Option<Signed>)> {
    let unknown = || d.files.iter().map(|f| (f.clone(), None)).collect();
    let Some(bytes) = archive(vault, d).await else {
        return unknown();
    };
    let (v, files, at) = (vault.clone(), d.files.clone(), d.deposited_at);
    tokio::task::spawn_blocking(move || {
        let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
            return files.into_iter().map(|f| (f, None)).collect();
        };
        files
            .into_iter()
            .map(|f| {
                let pdf = entry(&mut zip, &f);
                let p7s = entry(&mut zip, &sceau_core::package::signature_name(&f));
                let signed = pdf.zip(p7s).and_then(|(pdf, p7s)| {
                    let report =
                        sceau_cades::verify_detached(&pdf, &p7s, &v.trust_anchors, at).ok()?;
                    let s = report.signer.as_ref().filter(|_| report.is_valid())?;
                    Some(Signed {
                        signer: s.common_name.clone().unwrap_or_else(|| s.subject.clone()),
                        subject: s.subject.clone(),
                        title: s.title.clone(),
                        signed_at: report.signing_time,
                        issuer: s
                            .issuer_common_name
                            .clone()
                            .unwrap_or_else(|| s.issuer.clone()),
                        qualified: qualified(&p7s, &s.serial_hex),
                    })
                });
                (f, signed)
            })
            .collect()
    })
    .await
    .unwrap_or_else(|_| unknown())
}

/// `GET /portail/actes/{id}/signature/{name}`: the act's detached signature (`.p7s`), to check
/// it independently. Not a consultation: the signature does not carry the act's text.
pub(super) async fn signature_file(
    State(vault): State<Arc<Vault>>,
    Extension(log): Extension<AuditLog>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let Some(s) = session(&vault, &headers).await else {
        log.record(&vault, None, "signature_refused", Some(&id), false);
        return login_needed();
    };
    let Some(d) = own_deposit(&vault, &s, &id)
        .await
        .filter(|d| d.files.contains(&name))
    else {
        log.record(
            &vault,
            Some(&s.recipient_id),
            "signature_refused",
            Some(&id),
            false,
        );
        return not_found();
    };
    let Some(bytes) = archive(&vault, &d).await else {
        return internal();
    };
    let p7s_name = sceau_core::package::signature_name(&name);
    let n = p7s_name.clone();
    let found = tokio::task::spawn_blocking(move || {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
        entry(&mut zip, &n)
    })
    .await
    .ok()
    .flatten();
    let Some(p7s) = found else {
        return not_found();
    };
    log.record(
        &vault,
        Some(&s.recipient_id),
        "signature",
        Some(&d.id),
        true,
    );
    let mut r = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pkcs7-signature"),
            ),
            (
                header::CONTENT_DISPOSITION,
                super::downloads::disposition(&p7s_name, true),
            ),
        ],
        p7s,
    )
        .into_response();
    security_headers(r.headers_mut());
    r
}
