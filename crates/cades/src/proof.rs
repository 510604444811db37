//! Offline check of a vault proof bundle (`GET /v1/vault/proof`, `sceau verify-proof`): the
//! file's digest, the journal lines of its service (each chain hash recomputed from its
//! canonical record with sceau-core), a journal record naming the file's digest, and the
//! RFC 3161 token over the digest (imprint, token signature, TSA certificate issued by the vault
//! CA). Needs nothing but the bundle (and the file): no server, no network.
//!
//! Every journal line of a bundle must also be covered by a **checkpoint**: a statement naming a
//! range of journal lines, the chain hash at its end and the Merkle root (RFC 9162 §2.1) of the
//! range's line hashes, sealed by the vault's seal key and time-stamped by its TSA when it was
//! made. The line's inclusion path leads to that root only if the line's hash is the one that
//! was sealed: a history rewritten afterwards — even with the whole hash chain recomputed —
//! gives other hashes and fails here (`journal_rewritten`).
//!
//! Shared by the vault (`sceau-vault verify-proof`, `verify-journal`) and the CLI, so both say
//! the same thing.

use base64::Engine;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use sceau_core::evidence::{chain_hash, decode_canonical, EvidenceRecord};
use sceau_proto::{JournalCheckpoint, ProofBundle};
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
    /// Checkpoints checked (seal, time-stamp, and every line's inclusion).
    pub checkpoints: usize,
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
    /// A journal line is covered by no checkpoint of the bundle.
    CheckpointMissing {
        /// Journal position of the line.
        seq: i64,
    },
    /// A checkpoint cannot be read (statement, base64, CMS).
    CheckpointMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A checkpoint's seal is not the vault's (signer not issued by the vault CA, signature or
    /// content changed).
    CheckpointSealInvalid,
    /// A checkpoint's time-stamp is not the vault TSA's over the statement.
    CheckpointTimestampInvalid,
    /// A journal line is not the one the vault sealed in its checkpoint: the journal was
    /// rewritten after the checkpoint (even if its chain was recomputed).
    JournalRewritten {
        /// Journal position of the line.
        seq: i64,
    },
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
            ProofFailure::CheckpointMissing { .. } => "checkpoint_missing",
            ProofFailure::CheckpointMalformed { .. } => "checkpoint_malformed",
            ProofFailure::CheckpointSealInvalid => "checkpoint_seal_invalid",
            ProofFailure::CheckpointTimestampInvalid => "checkpoint_timestamp_invalid",
            ProofFailure::JournalRewritten { .. } => "journal_rewritten",
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
            ProofFailure::CheckpointMissing { seq } => format!(
                "L'entrée n° {seq} du journal n'est couverte par aucun point de contrôle scellé \
                 de la preuve. {KEEP}"
            ),
            ProofFailure::CheckpointMalformed { detail } => {
                format!("Un point de contrôle du journal est illisible ({detail}). {KEEP}")
            }
            ProofFailure::CheckpointSealInvalid => format!(
                "Le cachet d'un point de contrôle du journal n'est pas celui du coffre, ou il a \
                 été modifié. {KEEP}"
            ),
            ProofFailure::CheckpointTimestampInvalid => format!(
                "L'horodatage d'un point de contrôle du journal n'est pas celui du coffre, ou il \
                 a été modifié. {KEEP}"
            ),
            ProofFailure::JournalRewritten { seq } => format!(
                "L'entrée n° {seq} du journal n'est pas celle que le coffre a scellée : \
                 l'historique a été réécrit après le point de contrôle. Conservez les fichiers \
                 et la preuve en l'état et signalez-le à l'administrateur du coffre."
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
    let ca = vault_ca(bundle)?;
    let timestamp = verify_token(bundle, &digest, &ca)?;
    verify_coverage(bundle, &ca)?;
    Ok(ProofReport {
        journal_lines: bundle.journal.len(),
        timestamp,
        checkpoints: bundle.checkpoints.len(),
    })
}

fn vault_ca(bundle: &ProofBundle) -> Result<Certificate, ProofFailure> {
    let malformed = || ProofFailure::Malformed {
        what: "certificat de l'autorité du coffre".into(),
    };
    let (_, ca_der) =
        der::pem::decode_vec(bundle.vault_ca_pem.as_bytes()).map_err(|_| malformed())?;
    Certificate::from_der(&ca_der).map_err(|_| malformed())
}

/// Every journal line of `bundle` is in a checkpoint that the vault sealed and time-stamped.
fn verify_coverage(bundle: &ProofBundle, ca: &Certificate) -> Result<(), ProofFailure> {
    let mut statements = Vec::with_capacity(bundle.checkpoints.len());
    for c in &bundle.checkpoints {
        statements.push(verify_checkpoint(&c.checkpoint, ca)?);
    }
    for line in &bundle.journal {
        let seq = line.seq;
        let (st, inc) = bundle
            .checkpoints
            .iter()
            .zip(&statements)
            .filter(|(_, st)| st.first <= seq && seq <= st.last)
            .find_map(|(c, st)| c.inclusions.iter().find(|i| i.seq == seq).map(|i| (st, i)))
            .ok_or(ProofFailure::CheckpointMissing { seq })?;
        let hash = hash32(&line.hash).ok_or(ProofFailure::JournalUnreadable { seq })?;
        let path = inc
            .path
            .iter()
            .map(|h| hash32(h))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ProofFailure::CheckpointMalformed {
                detail: format!("chemin de l'entrée n° {seq}"),
            })?;
        let index = u64::try_from(seq - st.first).unwrap_or(u64::MAX);
        let size = u64::try_from(st.last - st.first + 1).unwrap_or(0);
        if merkle_root_from_path(index, size, &merkle_leaf(&hash), &path) != Some(st.root) {
            return Err(ProofFailure::JournalRewritten { seq });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/// First line of a checkpoint statement.
pub const CHECKPOINT_MAGIC: &str = "sceau-journal-checkpoint/1";

/// What a checkpoint's statement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointStatement {
    /// First journal line covered.
    pub first: i64,
    /// Last journal line covered.
    pub last: i64,
    /// Chain hash after line `last`.
    pub head: [u8; 32],
    /// Merkle root of the hashes of lines `first..=last` (leaves: [`merkle_leaf`]).
    pub root: [u8; 32],
    /// When the vault made it (UTC, whole seconds).
    pub at: chrono::DateTime<chrono::Utc>,
}

impl CheckpointStatement {
    /// The statement's text, as sealed (the only accepted spelling).
    pub fn text(&self) -> String {
        format!(
            "{CHECKPOINT_MAGIC}\nfirst={}\nlast={}\nhead={}\nroot={}\nat={}\n",
            self.first,
            self.last,
            hex::encode(self.head),
            hex::encode(self.root),
            self.at.format("%Y-%m-%dT%H:%M:%SZ")
        )
    }

    /// Parses a statement; `None` unless `text` is exactly what [`Self::text`] writes.
    pub fn parse(text: &str) -> Option<CheckpointStatement> {
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != CHECKPOINT_MAGIC {
            return None;
        }
        let mut field = |k: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(k))
                .and_then(|l| l.strip_prefix('='))
                .map(str::to_owned)
        };
        let first = field("first")?.parse().ok()?;
        let last = field("last")?.parse().ok()?;
        let head = hash32(&field("head")?)?;
        let root = hash32(&field("root")?)?;
        let at = chrono::DateTime::parse_from_rfc3339(&field("at")?)
            .ok()?
            .with_timezone(&chrono::Utc);
        let st = CheckpointStatement {
            first,
            last,
            head,
            root,
            at,
        };
        (first >= 1 && last >= first && st.text() == text).then_some(st)
    }
}

/// Checks a checkpoint: its statement, its seal (signer issued by `ca`) and its time-stamp
/// (over the statement, by a TSA issued by `ca`). Returns what it states.
pub fn verify_checkpoint(
    cp: &JournalCheckpoint,
    ca: &Certificate,
) -> Result<CheckpointStatement, ProofFailure> {
    let bad = |m: &str| ProofFailure::CheckpointMalformed { detail: m.into() };
    let st = CheckpointStatement::parse(&cp.statement).ok_or_else(|| bad("déclaration"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let seal = b64.decode(&cp.seal).map_err(|_| bad("cachet en base64"))?;
    let sd = signed_data(&seal).ok_or_else(|| bad("cachet"))?;
    check_signer(&sd, ca, &Sha256::digest(cp.statement.as_bytes()))
        .map_err(|_| ProofFailure::CheckpointSealInvalid)?;
    let token = b64
        .decode(&cp.timestamp_token)
        .map_err(|_| bad("horodatage en base64"))?;
    let sd = signed_data(&token).ok_or_else(|| bad("horodatage"))?;
    let (tst, tst_der) = tst_info(&sd).ok_or_else(|| bad("horodatage"))?;
    if tst.message_imprint.hashed_message.as_bytes()
        != Sha256::digest(cp.statement.as_bytes()).as_slice()
    {
        return Err(ProofFailure::CheckpointTimestampInvalid);
    }
    check_signer(&sd, ca, &Sha256::digest(&tst_der))
        .map_err(|_| ProofFailure::CheckpointTimestampInvalid)?;
    Ok(st)
}

/// The leaf hash of a journal line's chain hash (RFC 9162: SHA-256(0x00 ‖ data)).
pub fn merkle_leaf(line_hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(line_hash);
    h.finalize().into()
}

fn merkle_node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The Merkle tree hash (RFC 9162 §2.1.1) of `leaves` (already leaf hashes).
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            merkle_node(&merkle_root(&leaves[..k]), &merkle_root(&leaves[k..]))
        }
    }
}

/// The inclusion path of leaf `m` (RFC 9162 §2.1.3.1), from the leaf up.
pub fn merkle_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if n <= 1 || m >= n {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = merkle_path(m, &leaves[..k]);
        p.push(merkle_root(&leaves[k..]));
        p
    } else {
        let mut p = merkle_path(m - k, &leaves[k..]);
        p.push(merkle_root(&leaves[..k]));
        p
    }
}

/// The root that `path` leads to from `leaf` at `index` in a tree of `size` leaves
/// (RFC 9162 §2.1.3.2); `None` if the path does not fit the position.
pub fn merkle_root_from_path(
    index: u64,
    size: u64,
    leaf: &[u8; 32],
    path: &[[u8; 32]],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = merkle_node(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = merkle_node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

fn signed_data(der: &[u8]) -> Option<SignedData> {
    ContentInfo::from_der(der).ok()?.content.decode_as().ok()
}

fn tst_info(sd: &SignedData) -> Option<(TstInfo, Vec<u8>)> {
    let tst_der = sd
        .encap_content_info
        .econtent
        .as_ref()?
        .decode_as::<OctetString>()
        .ok()?
        .as_bytes()
        .to_vec();
    Some((TstInfo::from_der(&tst_der).ok()?, tst_der))
}

/// Why a CMS signer does not hold.
enum SignerFault {
    Malformed(&'static str),
    Untrusted,
    Altered,
}

/// `sd`'s first signer: its certificate is in `sd` and issued by `ca` (P-256), its signed
/// attributes carry `content_digest` and its signature over them verifies.
fn check_signer(
    sd: &SignedData,
    ca: &Certificate,
    content_digest: &[u8],
) -> Result<(), SignerFault> {
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or(SignerFault::Malformed("sans signataire"))?;
    let SignerIdentifier::IssuerAndSerialNumber(ias) = &si.sid else {
        return Err(SignerFault::Malformed("identifiant de signataire"));
    };
    let signer = sd
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
        .ok_or(SignerFault::Malformed("certificat du signataire absent"))?;
    let tbs = signer
        .tbs_certificate
        .to_der()
        .map_err(|_| SignerFault::Untrusted)?;
    let cert_sig = DerSignature::from_bytes(signer.signature.raw_bytes())
        .map_err(|_| SignerFault::Untrusted)?;
    p256_key(ca)
        .map_err(|_| SignerFault::Untrusted)?
        .verify(&tbs, &cert_sig)
        .map_err(|_| SignerFault::Untrusted)?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(SignerFault::Malformed("attributs signés absents"))?;
    let md = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or(SignerFault::Malformed("message-digest absent"))?;
    if md.as_bytes() != content_digest {
        return Err(SignerFault::Altered);
    }
    let signed = attrs
        .to_der()
        .map_err(|_| SignerFault::Malformed("attributs signés"))?;
    let sig =
        DerSignature::from_bytes(si.signature.as_bytes()).map_err(|_| SignerFault::Altered)?;
    p256_key(signer)
        .map_err(|_| SignerFault::Untrusted)?
        .verify(&signed, &sig)
        .map_err(|_| SignerFault::Altered)
}

fn p256_key(cert: &Certificate) -> Result<VerifyingKey, ProofFailure> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|_| ProofFailure::TimestampUntrusted)
}

fn verify_token(
    bundle: &ProofBundle,
    digest: &[u8],
    ca: &Certificate,
) -> Result<String, ProofFailure> {
    let bad = |m: &str| ProofFailure::TimestampMalformed { detail: m.into() };
    let der = base64::engine::general_purpose::STANDARD
        .decode(&bundle.timestamp_token)
        .map_err(|_| bad("base64"))?;
    let ci = ContentInfo::from_der(&der).map_err(|_| bad("structure CMS"))?;
    let sd: SignedData = ci.content.decode_as().map_err(|_| bad("SignedData"))?;
    let (tst, tst_der) = tst_info(&sd).ok_or_else(|| bad("TSTInfo"))?;
    if tst.message_imprint.hashed_message.as_bytes() != digest {
        return Err(ProofFailure::TimestampOtherDigest);
    }
    check_signer(&sd, ca, &Sha256::digest(&tst_der)).map_err(|f| match f {
        SignerFault::Malformed(m) => bad(m),
        SignerFault::Untrusted => ProofFailure::TimestampUntrusted,
        SignerFault::Altered => ProofFailure::TimestampAltered,
    })?;
    let secs = i64::try_from(tst.gen_time.to_unix_duration().as_secs()).map_err(|_| bad("date"))?;
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339())
        .ok_or_else(|| bad("date"))
}
