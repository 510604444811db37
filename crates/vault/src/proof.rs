//! Offline check of a proof bundle (`GET /v1/vault/proof`): the file's digest, the journal lines
//! of its service (each chain hash recomputed from its canonical record with sceau-core), a
//! journal record naming the file's digest, and the RFC 3161 token over the digest (imprint,
//! token signature, TSA certificate issued by the vault CA). Needs nothing but the bundle.

use base64::Engine;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use sceau_core::evidence::chain_hash;
use sceau_proto::ProofBundle;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_tsp::TstInfo;

use crate::journal::decode_record;

/// What was established about a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofReport {
    /// Journal lines verified.
    pub journal_lines: usize,
    /// The time certified by the token (RFC 3339).
    pub timestamp: String,
}

/// Checks `bundle` (and `file`, when given, against its digest).
pub fn verify(bundle: &ProofBundle, file: Option<&[u8]>) -> Result<ProofReport, String> {
    let digest = hex::decode(&bundle.sha256).map_err(|_| "empreinte illisible".to_owned())?;
    if let Some(bytes) = file {
        if Sha256::digest(bytes).as_slice() != digest.as_slice() {
            return Err("le fichier ne correspond pas à l'empreinte de la preuve".into());
        }
    }
    let mut named = bundle.deposit_id.is_none();
    for (i, line) in bundle.journal.iter().enumerate() {
        let record = decode_record(&line.record)
            .ok_or_else(|| format!("entrée {} du journal illisible", line.seq))?;
        let prev: [u8; 32] = hex::decode(&line.prev_hash)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| format!("entrée {} : empreinte précédente illisible", line.seq))?;
        if hex::encode(chain_hash(&prev, &record)) != line.hash {
            return Err(format!("entrée {} du journal altérée", line.seq));
        }
        if let Some(next) = bundle.journal.get(i + 1) {
            if next.seq == line.seq + 1 && next.prev_hash != line.hash {
                return Err(format!("entrées {} et {} non chaînées", line.seq, next.seq));
            }
        }
        if Some(&record.deposit_id) != bundle.deposit_id.as_ref() {
            return Err(format!("entrée {} : autre signification", line.seq));
        }
        if record
            .digests
            .iter()
            .any(|(_, d)| d.as_slice() == digest.as_slice())
        {
            named = true;
        }
    }
    if !named {
        return Err("aucune entrée du journal ne porte l'empreinte du fichier".into());
    }
    let timestamp = verify_token(bundle, &digest)?;
    Ok(ProofReport {
        journal_lines: bundle.journal.len(),
        timestamp,
    })
}

fn p256_key(cert: &Certificate) -> Result<VerifyingKey, String> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|_| "clé du certificat non prise en charge (P-256 attendu)".to_owned())
}

fn verify_token(bundle: &ProofBundle, digest: &[u8]) -> Result<String, String> {
    let bad = |m: &str| format!("jeton d'horodatage : {m}");
    let der = base64::engine::general_purpose::STANDARD
        .decode(&bundle.timestamp_token)
        .map_err(|_| bad("base64"))?;
    let ci = ContentInfo::from_der(&der).map_err(|_| bad("structure"))?;
    let sd: SignedData = ci.content.decode_as().map_err(|_| bad("SignedData"))?;
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("sans contenu"))?;
    let tst_der = econtent
        .decode_as::<OctetString>()
        .map_err(|_| bad("contenu"))?
        .as_bytes()
        .to_vec();
    let tst = TstInfo::from_der(&tst_der).map_err(|_| bad("TSTInfo"))?;
    if tst.message_imprint.hashed_message.as_bytes() != digest {
        return Err(bad("il porte sur une autre empreinte"));
    }
    let (_, ca_der) =
        der::pem::decode_vec(bundle.vault_ca_pem.as_bytes()).map_err(|_| bad("AC du coffre"))?;
    let ca = Certificate::from_der(&ca_der).map_err(|_| bad("AC du coffre"))?;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| bad("sans signataire"))?;
    let SignerIdentifier::IssuerAndSerialNumber(ias) = &si.sid else {
        return Err(bad("identifiant de signataire"));
    };
    let tsa = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c)
                if c.tbs_certificate.serial_number == ias.serial_number
                    && c.tbs_certificate.issuer == ias.issuer =>
            {
                Some(c.clone())
            }
            _ => None,
        })
        .ok_or_else(|| bad("certificat de l'horodateur absent"))?;
    // The TSA certificate is issued by the vault CA.
    let tbs = tsa
        .tbs_certificate
        .to_der()
        .map_err(|_| bad("certificat"))?;
    let cert_sig =
        DerSignature::from_bytes(tsa.signature.raw_bytes()).map_err(|_| bad("certificat"))?;
    p256_key(&ca)?
        .verify(&tbs, &cert_sig)
        .map_err(|_| bad("horodateur non émis par l'AC du coffre"))?;
    // The signed attributes carry the TSTInfo's digest and are signed by the TSA key.
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("attributs signés"))?;
    let md = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("message-digest absent"))?;
    if md.as_bytes() != Sha256::digest(&tst_der).as_slice() {
        return Err(bad("TSTInfo modifié"));
    }
    let signed = attrs.to_der().map_err(|_| bad("attributs signés"))?;
    let sig = DerSignature::from_bytes(si.signature.as_bytes()).map_err(|_| bad("signature"))?;
    p256_key(&tsa)?
        .verify(&signed, &sig)
        .map_err(|_| bad("signature invalide"))?;
    let secs = tst.gen_time.to_unix_duration().as_secs();
    Ok(
        chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
    )
}
