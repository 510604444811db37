//! `PUT /v1/deposits/{idempotency_key}`: the deposit of a package (steps 3, 5 and 6 of a
//! service).
//!
//! The body (a ZIP of stored entries: `manifest.json`, the signed PDF/A acts, their `.p7s`, the
//! XML data message) is streamed to a spool file while its SHA-256 and size are checked; nothing
//! is visible until the one metadata transaction that records the deposit, its files in the
//! recipient's vault, the archive in the office's vault and the journal lines. Blobs are written
//! before that transaction: if the process dies in between they are unreferenced, never partial,
//! and the next start collects them ([`crate::gc`]). The transaction is shared with the deposits
//! committing at the same moment ([`crate::group_commit`]).
//!
//! Checks, in this order, each refusal with its code: the package layout and the data message
//! (its XSD structure, then its documents against the package), the nature, the recipient, the
//! consent, the hours, each signature (valid, by a signature certificate of the bound holder) and
//! each act's PDF/A-1b conformance.
//!
//! Idempotency: a retry with the same key and the same content digest returns the first receipt;
//! the same key with another digest is refused (`idempotency_conflict`).

use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use futures_util::StreamExt;
use sceau_cades::KeyRole;
use sceau_core::attestation::{
    CertificateInfo as AttCert, DepositAttestation, DepositOffice, DocumentDigest, NatureRef, Party,
};
use sceau_core::delivery::DeliveryRule;
use sceau_core::evidence::EvidenceEvent;
use sceau_core::ids::RecipientId;
use sceau_proto::{
    Consent, DepositManifest, DepositReceipt, VaultEntry, ATTESTATION_NAME, CONTENT_SHA256_HEADER,
    MANIFEST_NAME,
};
use sha2::{Digest, Sha256};

use crate::config::DeliveryRuleConfig;
use crate::error::{storage, Error, Result};
use crate::journal::{self, Entry};
use crate::peer::{holder_key, Authed};
use crate::store::meta::{self, DepositRow, RecipientRow};
use crate::store::pool::PooledFile;
use crate::Vault;

/// Folder of the office's vault where archives are filed.
pub const ARCHIVE_FOLDER: &str = "Significations";

/// Environment variable of the crash tests: `POINT:FLAG_FILE` makes a deposit that reaches
/// `POINT` create `FLAG_FILE` and then wait as long as that file exists, so that the test kills
/// the process at a known step with SIGKILL, or lets the deposit go on by removing the file (no
/// timing involved). `POINT@KEY:FLAG_FILE` holds only the deposit of idempotency key `KEY`;
/// several holds are separated by `|`. Only in debug builds (the tests'): a release build
/// ignores the variable, the hook being removed as dead code.
pub const CRASH_POINT_ENV: &str = "SCEAU_VAULT_CRASH_POINT";

async fn crash_point(point: &str, key: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Ok(spec) = std::env::var(CRASH_POINT_ENV) else {
        return;
    };
    for hold in spec.split('|') {
        let Some((at, flag)) = hold.split_once(':') else {
            continue;
        };
        let (p, only) = match at.split_once('@') {
            Some((p, k)) => (p, Some(k)),
            None => (at, None),
        };
        if p == point && only.is_none_or(|k| k == key) {
            let flag = std::path::Path::new(flag);
            if std::fs::write(flag, point).is_err() {
                continue;
            }
            while flag.exists() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

fn valid_key(key: &str) -> bool {
    (8..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The handler.
pub async fn deposit(
    State(vault): State<Arc<Vault>>,
    who: Authed,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<DepositReceipt>> {
    if !valid_key(&key) {
        return Err(Error::BadRequest(
            "clé d'idempotence invalide (8 à 128 caractères)".into(),
        ));
    }
    let announced = super::announced_sha256(&headers)?
        .ok_or_else(|| Error::BadRequest(format!("en-tête {CONTENT_SHA256_HEADER} manquant")))?;
    // The body is always read in full (and its digest checked) before answering, also for a
    // retry: the client is not cut off mid-upload, and a replay is proven to be the same content.
    let spool = receive(&vault, body, &announced).await?;
    if let Some(existing) = find(&vault, &who.office.office.id, &key).await? {
        return replay(existing, &announced);
    }
    let package = {
        let max_doc = vault.config.max_document_bytes;
        tokio::task::spawn_blocking(move || Package::read(spool, max_doc))
            .await
            .map_err(storage)??
    };
    match accept(&vault, &who, &key, &announced, package).await {
        Ok(receipt) => Ok(Json(receipt)),
        Err(e) => {
            reject(&vault, &who, &e).await;
            Err(e)
        }
    }
}

async fn find(vault: &Vault, office_id: &str, key: &str) -> Result<Option<DepositRow>> {
    let (o, k) = (office_id.to_owned(), key.to_owned());
    vault
        .db_read(move |sql| meta::deposit_by_key(sql, &o, &k))
        .await
}

fn replay(existing: DepositRow, announced: &str) -> Result<Json<DepositReceipt>> {
    if existing.content_sha256 != announced {
        return Err(Error::IdempotencyConflict);
    }
    Ok(Json(
        serde_json::from_str(&existing.receipt).map_err(storage)?,
    ))
}

/// Streams the body to a spool file, checking size and digest.
async fn receive(vault: &Vault, body: Body, announced: &str) -> Result<PooledFile> {
    let max = vault.config.max_package_bytes;
    let spool = vault.spools.take()?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(spool.path())
        .await
        .map_err(storage)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("envoi interrompu : {e}")))?;
        size += chunk.len() as u64;
        if size > max {
            return Err(Error::TooLarge(format!("paquet de plus de {max} octets")));
        }
        hasher.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(storage)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(storage)?;
    if hex::encode(hasher.finalize()) != announced {
        return Err(Error::DigestMismatch);
    }
    Ok(spool)
}

/// One act of a package.
struct Act {
    name: String,
    pdf: Vec<u8>,
    /// SHA-256 of `pdf`, computed once.
    sha256: [u8; 32],
    p7s: Vec<u8>,
    p7s_name: String,
}

/// The refusal of a compressed entry: a package stores its entries as they are.
fn compressed(name: &str) -> Error {
    Error::BadPackage(format!(
        "élément {name} compressé : un paquet de dépôt contient ses éléments stockés sans \
         compression (préparez-le avec Sceau)"
    ))
}

/// Why entry `name` of a package cannot be opened, in the office's words.
fn entry_error(name: &str, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::FileNotFound => Error::BadPackage(format!("élément {name} absent")),
        zip::result::ZipError::UnsupportedArchive(_) => compressed(name),
        other => Error::BadPackage(format!("élément {name} illisible ({other})")),
    }
}

/// Refuses entry `name` unless it is stored (whatever compression this build could read).
fn must_be_stored(name: &str, method: zip::CompressionMethod) -> Result<()> {
    if method == zip::CompressionMethod::Stored {
        Ok(())
    } else {
        Err(compressed(name))
    }
}

/// A package read from its spool file.
struct Package {
    manifest: DepositManifest,
    acts: Vec<Act>,
    data_message: Vec<u8>,
    /// What the data message says.
    message: crate::data_message::DataMessage,
}

impl Package {
    fn read(spool: PooledFile, max_doc: u64) -> Result<Package> {
        let bad = |m: String| Error::BadPackage(m);
        let file = std::fs::File::open(spool.path()).map_err(storage)?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| bad(format!("ZIP illisible ({e})")))?;
        let mut raw = Vec::new();
        let manifest_entry = zip
            .by_name(MANIFEST_NAME)
            .map_err(|e| entry_error(MANIFEST_NAME, e))?;
        must_be_stored(MANIFEST_NAME, manifest_entry.compression())?;
        manifest_entry
            .take(1024 * 1024)
            .read_to_end(&mut raw)
            .map_err(|e| bad(format!("{MANIFEST_NAME} illisible ({e})")))?;
        let manifest: DepositManifest = serde_json::from_slice(&raw)
            .map_err(|e| bad(format!("{MANIFEST_NAME} invalide ({e})")))?;
        // sceau-core's layout: flat sanitised names, one .p7s per act, one data message.
        let names: Vec<String> = zip
            .file_names()
            .filter(|n| *n != MANIFEST_NAME)
            .map(str::to_owned)
            .collect();
        let layout = sceau_core::package::check_layout(names.iter().map(String::as_str))
            .map_err(|e| bad(e.message_fr()))?;
        let mut entry = |name: &str| -> Result<Vec<u8>> {
            let mut f = zip.by_name(name).map_err(|e| entry_error(name, e))?;
            must_be_stored(name, f.compression())?;
            if f.size() > max_doc {
                return Err(Error::TooLarge(format!("{name} dépasse {max_doc} octets")));
            }
            let mut out = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0));
            f.by_ref()
                .take(max_doc + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("{name} illisible ({e})")))?;
            Ok(out)
        };
        let listed: Vec<&str> = manifest.documents.iter().map(|d| d.file.as_str()).collect();
        if listed.len() != layout.len() || layout.iter().any(|a| !listed.contains(&a.as_str())) {
            return Err(bad(
                "le manifeste ne liste pas exactement les actes du paquet".into(),
            ));
        }
        if manifest.data_message != sceau_core::package::DATA_MESSAGE_NAME {
            return Err(bad("nom du message de données inattendu".into()));
        }
        let mut acts = Vec::new();
        for d in &manifest.documents {
            if d.signature != sceau_core::package::signature_name(&d.file) {
                return Err(bad(format!("signature inattendue pour {}", d.file)));
            }
            let pdf = entry(&d.file)?;
            acts.push(Act {
                name: d.file.clone(),
                sha256: sha(&pdf),
                pdf,
                p7s: entry(&d.signature)?,
                p7s_name: d.signature.clone(),
            });
        }
        if manifest.reference.trim().is_empty() || manifest.reference.len() > 200 {
            return Err(bad("référence de dépôt manquante ou trop longue".into()));
        }
        // The data message: the structure of its XSD, then the package it describes.
        let data_message = entry(&manifest.data_message)?;
        let message = crate::data_message::validate(&data_message)?;
        let described: Vec<(String, u64, String)> = acts
            .iter()
            .map(|a| (a.name.clone(), a.pdf.len() as u64, hex::encode(a.sha256)))
            .collect();
        crate::data_message::cross_check(
            &message,
            &described,
            &manifest.nature,
            &manifest.reference,
        )?;
        Ok(Package {
            manifest,
            acts,
            data_message,
            message,
        })
    }
}

fn recipient_ids(r: &RecipientRow) -> Vec<RecipientId> {
    let mut ids = Vec::new();
    for s in [&r.siret, &r.siren, &r.nir].into_iter().flatten() {
        if let Ok(id) = RecipientId::parse(s) {
            ids.push(id);
        }
    }
    ids
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Every check, then the commit.
async fn accept(
    vault: &Arc<Vault>,
    who: &Authed,
    key: &str,
    announced: &str,
    pkg: Package,
) -> Result<DepositReceipt> {
    let manifest = pkg.manifest.clone();
    let m = &manifest;
    let now = vault.clock.now();
    let nature = vault
        .natures
        .get(&m.nature)
        .ok_or_else(|| Error::UnknownNature(m.nature.clone()))?
        .clone();
    // The recipient, the consent in force today (Paris calendar day) and the reception rule,
    // in one read.
    let (rid, ncode) = (m.recipient_id.clone(), m.nature.clone());
    let today = now.with_timezone(&sceau_core::PARIS).date_naive();
    let (recipient, consent, rule) = vault
        .db_read(move |sql| {
            let recipient = meta::recipient(sql, &rid)?;
            let consent = match &recipient {
                Some(_) => meta::consent_in_force(sql, &rid, &ncode, today)?,
                None => None,
            };
            Ok((recipient, consent, meta::rule(sql, &rid, &ncode)?))
        })
        .await?;
    let recipient = recipient.ok_or(Error::UnknownRecipient)?;
    let consent: Consent = consent.ok_or(Error::NoConsent)?;
    // Legal hours and the recipient's reception windows.
    let judge = m
        .judge_permission
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty());
    let rule: Option<sceau_core::hours::ReceptionRule> = rule
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?;
    if let Err(closed) =
        sceau_core::hours::service_allowed(now, rule.as_ref(), judge, &vault.calendar)
    {
        return Err(Error::Closed {
            reason: closed.reason.code().to_owned(),
            message_fr: closed.message_fr,
        });
    }
    // Signatures and PDF/A, off the async threads.
    let pkg = {
        let vault = vault.clone();
        // The holder is compared with the office's binding, not only with this connection's
        // certificate: both were checked equal when the certificate was bound.
        let holder = who
            .peer
            .holder()
            .filter(|h| *h == who.office.holder)
            .ok_or(Error::HolderUnidentified)?;
        tokio::task::spawn_blocking(move || -> Result<Package> {
            for act in &pkg.acts {
                let report =
                    sceau_cades::verify_detached(&act.pdf, &act.p7s, &vault.trust_anchors, now)
                        .map_err(|e| Error::BadSignature {
                            file: act.name.clone(),
                            detail: e.to_string(),
                        })?;
                if !report.is_valid() {
                    return Err(Error::BadSignature {
                        file: act.name.clone(),
                        detail: format!("{:?}", report.failures()),
                    });
                }
                let signer_ok = report.signer.as_ref().is_some_and(|s| {
                    s.role == KeyRole::NonRepudiation
                        && holder_key(s).as_deref() == Some(holder.as_str())
                });
                if !signer_ok {
                    return Err(Error::SignerMismatch {
                        file: act.name.clone(),
                    });
                }
                // The signing certificate, revoked since it signed? (lists reloaded if changed)
                if let Some(s) = &report.signer {
                    let listed = vault
                        .config
                        .revoked_serials
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(&s.serial_hex));
                    if listed || vault.revocation.is_revoked(&s.issuer, &s.serial_hex) {
                        return Err(Error::SignerRevoked {
                            file: act.name.clone(),
                        });
                    }
                }
                if let Err(reason) = vault.pdfa.check(&act.pdf) {
                    tracing::info!(%reason, "act is not PDF/A-1b");
                    return Err(Error::NotPdfA {
                        file: act.name.clone(),
                    });
                }
            }
            Ok(pkg)
        })
        .await
        .map_err(storage)??
    };

    // The data message, sent with the acts the holder signed, speaks of this office and of this
    // recipient (after the signatures: a foreign signer is named as such first).
    let ids: Vec<String> = [&recipient.siret, &recipient.siren, &recipient.nir]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    crate::data_message::cross_check_parties(
        &pkg.message,
        &who.office.office.number,
        &recipient.name,
        &ids,
    )?;

    // The attestation, sealed and time-stamped.
    let deposit_id = uuid::Uuid::new_v4().to_string();
    let documents: Vec<DocumentDigest> = pkg
        .acts
        .iter()
        .map(|a| DocumentDigest {
            name: a.name.clone(),
            size: a.pdf.len() as u64,
            sha256: a.sha256,
        })
        .collect();
    let cert = &who.peer.info;
    let attestation = DepositAttestation {
        deposit_id: deposit_id.clone(),
        office: DepositOffice {
            number: who.office.office.number.clone(),
            name: who.office.office.name.clone(),
            certificate: AttCert {
                serial: cert.serial_hex.clone(),
                holder: cert.holder.clone(),
                issuer: cert.issuer.clone(),
            },
        },
        recipient: Party {
            name: recipient.name.clone(),
            ids: recipient_ids(&recipient),
        },
        nature: NatureRef {
            code: nature.code.clone(),
            label_fr: nature.label_fr.clone(),
        },
        reference: m.reference.clone(),
        documents: documents.clone(),
        deposited_at: now,
        // The register's days as instants, read as everywhere else: in force up to the end
        // of its last day (a deposit at 23:59 that day is covered and says so).
        consent: sceau_core::consent::Consent::from_register(
            &consent.id,
            &consent.natures,
            &vault.natures,
            consent.given_on,
            consent.expires_on,
            consent.revoked_on,
        )
        .snapshot(),
        delivery_rule: match vault.config.delivery_rule {
            DeliveryRuleConfig::SameDay => DeliveryRule::SameCalendarDay,
            DeliveryRuleConfig::Within24Hours => DeliveryRule::Hours24,
        },
        judge_permission: judge.map(str::to_owned),
    };
    let xml = attestation.to_xml().into_bytes();
    let archive_name = sceau_core::naming::archive_name(&recipient.name, &m.reference, now);
    // Sealing, time-stamping and building the archive are CPU work: off the async threads.
    // Blobs come first (content-addressed), named beforehand in a pending note so that a crash
    // before the commit leaves blobs the next start collects (`crate::gc`). The acts are stored
    // alone (the recipient's files); their signatures and the data message live in the archive,
    // which is the office's record of the deposit.
    let (pkg, xml, archive, archive_digest, note) = {
        let vault = vault.clone();
        tokio::task::spawn_blocking(move || -> Result<_> {
            let seal = vault.seal.seal(&xml, now)?;
            let tst = vault.tsa.timestamp_data(&xml, now)?;
            let archive = build_archive(&pkg, &xml, &seal, &tst)?;
            let archive_digest = sha(&archive);
            let mut names: Vec<String> = pkg.acts.iter().map(|a| hex::encode(a.sha256)).collect();
            names.push(hex::encode(archive_digest));
            let note = crate::gc::PendingNote::write(&vault.notes, &names)?;
            Ok((pkg, xml, archive, archive_digest, note))
        })
        .await
        .map_err(storage)??
    };
    let files: Vec<String> = pkg.acts.iter().map(|a| a.name.clone()).collect();
    let archive_sha = hex::encode(archive_digest);
    let archive_len = archive.len() as u64;
    crash_point("blobs-before", key).await;
    let act_blobs: Vec<(String, Vec<u8>)> = pkg
        .acts
        .iter()
        .map(|a| (hex::encode(a.sha256), a.pdf.clone()))
        .collect();
    let mut puts: Vec<futures_util::future::BoxFuture<'static, Result<()>>> =
        Vec::with_capacity(act_blobs.len() + 1);
    let blobs = vault.blobs.clone();
    let name = archive_sha.clone();
    puts.push(Box::pin(
        async move { blobs.put_named(&name, archive).await },
    ));
    for (name, pdf) in act_blobs {
        let blobs = vault.blobs.clone();
        puts.push(Box::pin(async move { blobs.put_named(&name, pdf).await }));
    }
    futures_util::future::try_join_all(puts).await?;
    crash_point("blobs-written", key).await;

    let archive_path = format!("{ARCHIVE_FOLDER}/{archive_name}");
    let receipt = DepositReceipt {
        deposit_id: deposit_id.clone(),
        deposited_at: now,
        archive_name: archive_name.clone(),
        archive_path: archive_path.clone(),
        attestation_sha256: hex::encode(sha(&xml)),
        documents: files.clone(),
    };
    let row = DepositRow {
        id: deposit_id.clone(),
        office_id: who.office.office.id.clone(),
        idem_key: key.to_owned(),
        content_sha256: announced.to_owned(),
        recipient_id: recipient.id.clone(),
        recipient_name: recipient.name.clone(),
        nature: nature.code.clone(),
        reference: m.reference.clone(),
        source: match m.source {
            sceau_proto::Source::Form => "form".into(),
            sceau_proto::Source::Edi => "edi".into(),
        },
        state: "awaiting_consultation".into(),
        deposited_at: now,
        files: files.clone(),
        receipt: serde_json::to_string(&receipt).map_err(storage)?,
    };
    let sender = format!("etude:{}", who.office.office.number);
    let digests: Vec<(String, [u8; 32])> = documents
        .iter()
        .map(|d| (d.name.clone(), d.sha256))
        .collect();
    let entries = vec![
        Entry {
            record: journal::record(
                EvidenceEvent::SubmissionAcceptance,
                now,
                &sender,
                &recipient.id,
                &deposit_id,
                digests.clone(),
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!("Dépôt {} accepté", m.reference),
        },
        Entry {
            record: journal::record(
                EvidenceEvent::ContentConsignment,
                now,
                &sender,
                &recipient.id,
                &deposit_id,
                digests,
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!(
                "Fichier {} ({}) déposé dans le coffre destinataire {}",
                files.join(", "),
                nature.label_fr,
                recipient.name
            ),
        },
        Entry {
            record: journal::record(
                EvidenceEvent::DepositAttestationCreated,
                now,
                &sender,
                &recipient.id,
                &deposit_id,
                vec![(ATTESTATION_NAME.to_owned(), sha(&xml))],
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!("Création de l'attestation de dépôt {ATTESTATION_NAME}"),
        },
        Entry {
            record: journal::record(
                EvidenceEvent::ArchiveFiled,
                now,
                &sender,
                &recipient.id,
                &deposit_id,
                vec![(archive_name.clone(), archive_digest)],
                None,
            ),
            office_id: Some(who.office.office.id.clone()),
            message: format!(
                "Fichier {archive_name} ({}) déposé dans votre coffre pour archivage",
                nature.label_fr
            ),
        },
    ];
    let retained_until = now
        .checked_add_months(chrono::Months::new(12 * vault.config.retention_years))
        .unwrap_or(now);
    let archive_entry = VaultEntry {
        path: archive_path,
        is_folder: false,
        size: archive_len,
        modified: now,
        sha256: Some(archive_sha),
        retained_until: Some(retained_until),
        deposit_id: Some(deposit_id.clone()),
    };
    let acts: Vec<(String, String, i64)> = pkg
        .acts
        .iter()
        .map(|a| (a.name.clone(), hex::encode(a.sha256), a.pdf.len() as i64))
        .collect();

    let office_id = who.office.office.id.clone();
    let key = key.to_owned();
    let announced = announced.to_owned();
    let outcome = crate::group_commit::commit(
        vault,
        &vault.group_commit,
        Box::new(move |sql| {
            // A concurrent request with the same key may have committed first.
            if let Some(existing) = meta::deposit_by_key(sql, &office_id, &key)? {
                if existing.content_sha256 != announced {
                    return Err(Error::IdempotencyConflict);
                }
                return serde_json::from_str(&existing.receipt).map_err(storage);
            }
            meta::insert_deposit(sql, &row)?;
            for (name, digest, size) in &acts {
                meta::insert_recipient_file(sql, &row.recipient_id, &row.id, name, digest, *size)?;
            }
            meta::ensure_folder(sql, &office_id, ARCHIVE_FOLDER, now)?;
            let mut entry = archive_entry.clone();
            // Two deposits with the same reference in the same second: keep both archives,
            // numbered _2, _3, ... Count the numbered ones (an index range) rather than probe
            // each: probing made a burst of same-named deposits quadratic under the commit lock.
            if meta::entry(sql, &office_id, &entry.path)?.is_some() {
                let stem = archive_entry.path.trim_end_matches(".zip");
                // '`' follows '_' in byte order: [stem_, stem`) is every "stem_..." path.
                let numbered = sql
                    .query(
                        "SELECT count(*) FROM vault_entries \
                         WHERE office_id = $1 AND path >= $2 AND path < $3",
                        &[
                            (&office_id).into(),
                            format!("{stem}_").into(),
                            format!("{stem}`").into(),
                        ],
                    )?
                    .first()
                    .map_or(0, |r| r[0].int());
                let mut n = numbered + 2;
                loop {
                    entry.path = format!("{stem}_{n}.zip");
                    if meta::entry(sql, &office_id, &entry.path)?.is_none() {
                        break;
                    }
                    n += 1;
                }
            }
            meta::insert_entry(sql, &office_id, &entry)?;
            journal::append(sql, &entries)?;
            let mut r = receipt.clone();
            r.archive_path = entry.path.clone();
            if entry.path != archive_entry.path {
                sql.exec(
                    "UPDATE deposits SET receipt = $1 WHERE id = $2",
                    &[
                        serde_json::to_string(&r).map_err(storage)?.into(),
                        (&row.id).into(),
                    ],
                )?;
            }
            Ok(r)
        }),
    )
    .await;
    let receipt = outcome?;
    if receipt.deposit_id == deposit_id {
        note.committed();
    }
    // Otherwise a concurrent request with the same key committed first: this request's archive
    // is referenced by nothing and its note stays for the next collection.
    vault.feed.notify_waiters();
    tracing::info!(deposit = %receipt.deposit_id, "deposit accepted");
    Ok(receipt)
}

/// The archive ZIP: acts, signatures, data message, attestation, its seal and time-stamp.
fn build_archive(pkg: &Package, xml: &[u8], seal: &[u8], tst: &[u8]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, bytes: &[u8]| -> Result<()> {
        zip.start_file(name, opts).map_err(storage)?;
        zip.write_all(bytes).map_err(storage)
    };
    for a in &pkg.acts {
        add(&a.name, &a.pdf)?;
        add(&a.p7s_name, &a.p7s)?;
    }
    add(&pkg.manifest.data_message, &pkg.data_message)?;
    add(ATTESTATION_NAME, xml)?;
    add(&format!("{ATTESTATION_NAME}.p7s"), seal)?;
    add(&format!("{ATTESTATION_NAME}.tst"), tst)?;
    Ok(zip.finish().map_err(storage)?.into_inner())
}

/// Records a refused submission in the journal (the code only: no personal data).
async fn reject(vault: &Vault, who: &Authed, e: &Error) {
    if e.status().is_server_error() {
        return;
    }
    let record = journal::record(
        EvidenceEvent::SubmissionRejection,
        vault.clock.now(),
        &format!("etude:{}", who.office.office.number),
        "",
        "",
        Vec::new(),
        Some(e.code().to_owned()),
    );
    let entry = Entry {
        record,
        office_id: Some(who.office.office.id.clone()),
        message: format!("Dépôt refusé : {}", e.message_fr()),
    };
    let _guard = vault.commit_lock.lock().await;
    if let Err(err) = vault
        .db(move |sql| journal::append(sql, std::slice::from_ref(&entry)))
        .await
    {
        tracing::error!(error = %err, "journal append failed");
    }
}
