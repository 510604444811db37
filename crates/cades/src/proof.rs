//! Offline check of a vault proof bundle (`GET /v1/vault/proof`, `sceau verify-proof`): the
//! file's digest, the journal lines of its service (each chain hash recomputed from its
//! canonical record with sceau-core), a journal record naming the file's digest, and the
//! RFC 3161 token over the digest (imprint, token signature, TSA certificate issued by the vault
//! CA). Needs nothing but the bundle (and the file): no server, no network.
//!
//! Shared by the vault (`sceau-vault verify-proof`) and the CLI, so both say the same thing.

use base64::Engine;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use sceau_core::evidence::{chain_hash, decode_canonical, EvidenceRecord};
use sceau_proto::ProofBundle;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_tsp::TstInfo;

/// What was established about a genuine bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofReport {
    /// Journal lines verified.
    pub journal_lines: usize,
    /// The time certified by the token (RFC 3339, UTC).
    pub timestamp: String,
}

/// Why a bundle does not prove what it claims. Like [`crate::Failure`], this is an outcome of
/// a check, not an error of the program: each kind has its own stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProofFailure {
    /// A field of the bundle cannot be read (digest, base64, PEM).
    Malformed {
        /// Which field.
        what: String,
    },
    /// The file given does not have the bundle's digest.
    FileMismatch,
    /// A journal line is not a canonical record in lower-case hex.
    JournalUnreadable {
        /// Journal position of the line.
        seq: i64,
    },
    /// A journal line's hash does not match its record and the hash before it.
    JournalAltered {
        /// Journal position of the line.
        seq: i64,
    },
    /// Two consecutive lines do not chain (the second does not start from the first's hash).
    ChainBroken {
        /// Journal position of the second line.
        seq: i64,
    },
    /// A journal line belongs to another service than the bundle's.
    OtherService {
        /// Journal position of the line.
        seq: i64,
    },
    /// No journal line names the file's digest.
    DigestNotInJournal,
    /// The time-stamp token cannot be read (not CMS, no TSTInfo, no signer).
    TimestampMalformed {
        /// What is wrong.
        detail: String,
    },
    /// The time-stamp token certifies another digest than the file's.
    TimestampOtherDigest,
    /// The time-stamp's signer certificate was not issued by the bundle's vault CA, or is not
    /// a P-256 certificate.
    TimestampUntrusted,
    /// The time-stamp's content or signature was changed: its signature does not verify.
    TimestampAltered,
}

impl ProofFailure {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProofFailure::Malformed { .. } => "malformed",
            ProofFailure::FileMismatch => "file_mismatch",
            ProofFailure::JournalUnreadable { .. } => "journal_unreadable",
            ProofFailure::JournalAltered { .. } => "journal_altered",
            ProofFailure::ChainBroken { .. } => "chain_broken",
            ProofFailure::OtherService { .. } => "other_service",
            ProofFailure::DigestNotInJournal => "digest_not_in_journal",
            ProofFailure::TimestampMalformed { .. } => "timestamp_malformed",
            ProofFailure::TimestampOtherDigest => "timestamp_other_digest",
            ProofFailure::TimestampUntrusted => "timestamp_untrusted",
            ProofFailure::TimestampAltered => "timestamp_altered",
        }
    }

    /// A French sentence: what is wrong and what to do.
    pub fn message_fr(&self) -> String {
        const KEEP: &str =
            "Conservez les fichiers en l'état et demandez une nouvelle preuve au coffre.";
        match self {
            ProofFailure::Malformed { what } => {
                format!("La preuve est illisible ({what}). {KEEP}")
            }
            ProofFailure::FileMismatch => "Le fichier ne correspond pas à l'empreinte de la \
                preuve : il a été modifié, ou ce n'est pas le fichier de cette preuve."
                .into(),
            ProofFailure::JournalUnreadable { seq } => {
                format!("L'entrée n° {seq} du journal de la preuve est illisible. {KEEP}")
            }
            ProofFailure::JournalAltered { seq } => format!(
                "L'entrée n° {seq} du journal de la preuve a été altérée : son empreinte ne \
                 correspond pas. {KEEP}"
            ),
            ProofFailure::ChainBroken { seq } => format!(
                "Les entrées n° {} et {seq} du journal de la preuve ne sont pas chaînées. {KEEP}",
                seq - 1
            ),
            ProofFailure::OtherService { seq } => format!(
                "L'entrée n° {seq} du journal concerne une autre signification que la preuve. \
                 {KEEP}"
            ),
            ProofFailure::DigestNotInJournal => "Aucune entrée du journal de la preuve ne porte \
                l'empreinte du fichier."
                .into(),
            ProofFailure::TimestampMalformed { detail } => {
                format!("Le jeton d'horodatage de la preuve est illisible ({detail}). {KEEP}")
            }
            ProofFailure::TimestampOtherDigest => "Le jeton d'horodatage porte sur une autre \
                empreinte que celle du fichier."
                .into(),
            ProofFailure::TimestampUntrusted => "Le jeton d'horodatage n'a pas été émis par \
                l'autorité du coffre jointe à la preuve."
                .into(),
            ProofFailure::TimestampAltered => format!(
                "Le jeton d'horodatage a été modifié : sa signature n'est pas valide. {KEEP}"
            ),
        }
    }
}

impl std::fmt::Display for ProofFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_fr())
    }
}

/// Decodes a journal record stored as hex; `None` unless the text is exactly the lower-case hex
/// of a canonical encoding (upper-case digits would decode to the same bytes: refusing them
/// makes every byte of the text count).
pub fn decode_record_hex(text: &str) -> Option<EvidenceRecord> {
    if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    decode_canonical(&hex::decode(text).ok()?).ok()
}

fn hash32(text: &str) -> Option<[u8; 32]> {
    if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    hex::decode(text).ok()?.try_into().ok()
}

/// Checks `bundle`, and `file` against its digest when given.
pub fn verify_bundle(
    bundle: &ProofBundle,
    file: Option<&[u8]>,
) -> Result<ProofReport, ProofFailure> {
    let digest = hash32(&bundle.sha256).ok_or(ProofFailure::Malformed {
        what: "empreinte du fichier".into(),
    })?;
    if let Some(bytes) = file {
        if Sha256::digest(bytes).as_slice() != digest.as_slice() {
            return Err(ProofFailure::FileMismatch);
        }
    }
    // A file outside any service (a folder the office filed itself) has no journal lines.
    let mut named = bundle.deposit_id.is_none();
    for (i, line) in bundle.journal.iter().enumerate() {
        let seq = line.seq;
        let record =
            decode_record_hex(&line.record).ok_or(ProofFailure::JournalUnreadable { seq })?;
        let prev = hash32(&line.prev_hash).ok_or(ProofFailure::JournalUnreadable { seq })?;
        if hex::encode(chain_hash(&prev, &record)) != line.hash {
            return Err(ProofFailure::JournalAltered { seq });
        }
        if let Some(next) = bundle.journal.get(i + 1) {
            if next.seq == seq + 1 && next.prev_hash != line.hash {
                return Err(ProofFailure::ChainBroken { seq: next.seq });
            }
        }
        if Some(&record.deposit_id) != bundle.deposit_id.as_ref() {
            return Err(ProofFailure::OtherService { seq });
        }
        if record.digests.iter().any(|(_, d)| *d == digest) {
            named = true;
        }
    }
    if !named {
        return Err(ProofFailure::DigestNotInJournal);
    }
    let timestamp = verify_token(bundle, &digest)?;
    Ok(ProofReport {
        journal_lines: bundle.journal.len(),
        timestamp,
    })
}

fn p256_key(cert: &Certificate) -> Result<VerifyingKey, ProofFailure> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|_| ProofFailure::TimestampUntrusted)
}

fn verify_token(bundle: &ProofBundle, digest: &[u8]) -> Result<String, ProofFailure> {
    let bad = |m: &str| ProofFailure::TimestampMalformed { detail: m.into() };
    let der = base64::engine::general_purpose::STANDARD
        .decode(&bundle.timestamp_token)
        .map_err(|_| bad("base64"))?;
    let ci = ContentInfo::from_der(&der).map_err(|_| bad("structure CMS"))?;
    let sd: SignedData = ci.content.decode_as().map_err(|_| bad("SignedData"))?;
    let tst_der = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("sans contenu"))?
        .decode_as::<OctetString>()
        .map_err(|_| bad("contenu"))?
        .as_bytes()
        .to_vec();
    let tst = TstInfo::from_der(&tst_der).map_err(|_| bad("TSTInfo"))?;
    if tst.message_imprint.hashed_message.as_bytes() != digest {
        return Err(ProofFailure::TimestampOtherDigest);
    }
    let (_, ca_der) = der::pem::decode_vec(bundle.vault_ca_pem.as_bytes()).map_err(|_| {
        ProofFailure::Malformed {
            what: "certificat de l'autorité du coffre".into(),
        }
    })?;
    let ca = Certificate::from_der(&ca_der).map_err(|_| ProofFailure::Malformed {
        what: "certificat de l'autorité du coffre".into(),
    })?;
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
                Some(c)
            }
            _ => None,
        })
        .ok_or_else(|| bad("certificat de l'horodateur absent"))?;
    // The TSA certificate is issued by the vault CA.
    let tbs = tsa
        .tbs_certificate
        .to_der()
        .map_err(|_| ProofFailure::TimestampUntrusted)?;
    let cert_sig = DerSignature::from_bytes(tsa.signature.raw_bytes())
        .map_err(|_| ProofFailure::TimestampUntrusted)?;
    p256_key(&ca)?
        .verify(&tbs, &cert_sig)
        .map_err(|_| ProofFailure::TimestampUntrusted)?;
    // The signed attributes carry the TSTInfo's digest and are signed by the TSA key.
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("attributs signés absents"))?;
    let md = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("message-digest absent"))?;
    if md.as_bytes() != Sha256::digest(&tst_der).as_slice() {
        return Err(ProofFailure::TimestampAltered);
    }
    let signed = attrs.to_der().map_err(|_| bad("attributs signés"))?;
    let sig = DerSignature::from_bytes(si.signature.as_bytes())
        .map_err(|_| ProofFailure::TimestampAltered)?;
    p256_key(tsa)?
        .verify(&signed, &sig)
        .map_err(|_| ProofFailure::TimestampAltered)?;
    let secs = i64::try_from(tst.gen_time.to_unix_duration().as_secs()).map_err(|_| bad("date"))?;
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339())
        .ok_or_else(|| bad("date"))
}
