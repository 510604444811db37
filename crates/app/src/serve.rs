//! Serving an act: validate → convert (PDF/A-1b) → optional preview → consent mention check →
//! sign (CAdES on the token) → package → outbox → upload when online and open → attestation and
//! archive downloaded. Everything up to the outbox works without network; the outbox makes the
//! upload exactly-once (the idempotency key is stored with the package, in the same transaction
//! as the service).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sceau_core::attestation::{ActDataMessage, DocumentDigest, NatureRef, Office, Party};
use sceau_store::{NewDocument, NewService, OutboxItem, OutboxState};
use sceau_token::{CertificateInfo, HashAlg, Role, TokenKey, Tokens};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{io, Error, Result};
use crate::progress::{Progress, ProgressSink, Step, StepStatus};
use crate::{checkpoint, App, Credentials, RecipientView};

/// What the clerk fills in on the "Signifier un acte" form.
#[derive(Debug, Clone)]
pub struct ServeRequest {
    /// The office's reference for the deposit.
    pub reference: String,
    /// Recipient: its SIRET, or its vault id.
    pub recipient: String,
    /// Nature code.
    pub nature: String,
    /// The documents (.pdf .doc .docx .odt).
    pub files: Vec<PathBuf>,
    /// The party on whose behalf the act is served.
    pub requerant: String,
    /// Reference of a judge's permission to serve outside legal hours.
    pub judge_permission: Option<String>,
    /// Where to write the converted acts for a preview, if wanted.
    pub preview_dir: Option<PathBuf>,
    /// Prepare only: leave the package in the outbox.
    pub offline: bool,
}

/// One package sent.
#[derive(Debug, Clone, Serialize)]
pub struct SentItem {
    /// Outbox id.
    pub outbox_id: i64,
    /// Local service id.
    pub service_id: i64,
    /// The vault's receipt.
    pub receipt: sceau_proto::DepositReceipt,
    /// Local copy of the archive, if downloaded.
    pub archive: Option<PathBuf>,
}

/// The result of a service.
#[derive(Debug, Clone, Serialize)]
pub struct ServeOutcome {
    /// Local service id.
    pub service_id: i64,
    /// Outbox id.
    pub outbox_id: i64,
    /// The act file names.
    pub documents: Vec<String>,
    /// When the package may be sent (the recipient's next opening), if not now.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// The deposit, if it was made now.
    pub deposit: Option<SentItem>,
    /// Why it was not sent now, in French.
    pub queued_reason: Option<String>,
}

/// What an outbox run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboxReport {
    /// Packages deposited.
    pub sent: Vec<SentItem>,
    /// Packages refused for good (outbox id, code, message).
    pub refused: Vec<(i64, String, String)>,
    /// Packages left for later (vault unreachable, not open yet).
    pub remaining: usize,
    /// The reason they were left, in French.
    pub stopped_because: Option<String>,
}

fn input(code: &'static str, message: String) -> Error {
    Error::Input { code, message }
}

fn step(progress: &ProgressSink, reference: &str, step: Step, status: StepStatus) {
    progress(Progress::Step {
        reference: reference.to_owned(),
        step,
        status,
    });
}

fn failed(e: &Error) -> StepStatus {
    StepStatus::Failed {
        code: e.code(),
        reason: e.message_fr(),
    }
}

/// The text of a PDF (for the consent mention check).
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let doc = lopdf::Document::load_mem(bytes).ok()?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).ok()
}

/// File name of act `i` of `n`: the manual's name, numbered when there are several.
pub(crate) fn act_name(
    office: &str,
    reference: &str,
    at: DateTime<Utc>,
    i: usize,
    n: usize,
) -> String {
    let base = sceau_core::naming::act_file_name(office, reference, at);
    if n == 1 {
        base
    } else {
        format!("{}_{}.pdf", base.trim_end_matches(".pdf"), i + 1)
    }
}

/// Heading of the page stamped with the consent mention.
const STAMP_HEADING: &str = "Mention du consentement à la signification électronique";

/// Converts a document to PDF/A-1b and checks that it mentions the recipient's consent
/// (CPC 662-1, 748-1 ff.); with `stamp`, an act without the mention gets it on a last page
/// (still PDF/A-1b) instead of being refused.
pub(crate) async fn convert_act(f: &Path, stamp: bool) -> Result<Vec<u8>> {
    let file_name = || {
        f.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let path = f.to_path_buf();
    let conv = tokio::task::spawn_blocking(move || {
        sceau_pdfa::convert_file(&path, &sceau_pdfa::Options::default())
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|source| Error::Conversion {
        file: file_name(),
        source,
    })?;
    let text = pdf_text(&conv.output).unwrap_or_default();
    if sceau_core::consent::mentions_consent(&text) {
        return Ok(conv.output);
    }
    if !stamp {
        return Err(Error::ConsentMention { file: file_name() });
    }
    let name = file_name();
    let stamped = tokio::task::spawn_blocking(move || {
        crate::stamp::stamp_page(
            &conv.output,
            &name,
            STAMP_HEADING,
            sceau_core::consent::CONSENT_MENTION_FR,
        )
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    // The stamped act must now pass the same check.
    let text = pdf_text(&stamped).unwrap_or_default();
    if !sceau_core::consent::mentions_consent(&text) {
        return Err(Error::ConsentMention { file: file_name() });
    }
    tracing::info!("consent mention stamped on an act");
    Ok(stamped)
}

/// Options of a service beyond the form's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// Stamp the consent mention on an act that lacks it (a last page) instead of refusing it.
    pub stamp_consent: bool,
    /// Serial (hex) of the qualified signature certificate chosen by the clerk; `None`: the
    /// token's only signature certificate.
    pub signature_certificate: Option<String>,
    /// Serial (hex) of the authentication certificate chosen by the clerk; `None`: the token's
    /// only authentication certificate (or the session's).
    pub authentication_certificate: Option<String>,
}

/// What a deposit package is made of (a service from the form or a line of an EDI batch).
pub(crate) struct PackageInput<'a> {
    pub office_number: &'a str,
    pub office_name: &'a str,
    pub reference: &'a str,
    pub recipient: &'a RecipientView,
    pub nature: &'a sceau_core::natures::Nature,
    pub requerant: &'a str,
    pub judge_permission: Option<&'a str>,
    pub source: sceau_store::Source,
    pub edi_batch: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// (act name, PDF/A, detached signature)
    pub signed: &'a [(String, Vec<u8>, Vec<u8>)],
}

impl App {
    /// Builds the package (manifest, acts, signatures, data message), writes it durably into
    /// the outbox folder and returns it with the service to record.
    pub(crate) fn write_package(&self, p: &PackageInput<'_>) -> Result<(PathBuf, NewService)> {
        // Each act's name, size and SHA-256, computed once for the data message and the store.
        let digests: Vec<(String, u64, [u8; 32])> = p
            .signed
            .iter()
            .map(|(n, pdf, _)| (n.clone(), pdf.len() as u64, Sha256::digest(pdf).into()))
            .collect();
        let message = ActDataMessage {
            office: Office {
                number: p.office_number.to_owned(),
                name: p.office_name.to_owned(),
            },
            requerant: Party {
                name: p.requerant.to_owned(),
                ids: vec![],
            },
            recipient: Party {
                name: p.recipient.name.clone(),
                ids: vec![],
            },
            nature: NatureRef {
                code: p.nature.code.clone(),
                label_fr: p.nature.label_fr.clone(),
            },
            reference: p.reference.to_owned(),
            act_date: p.now.with_timezone(&sceau_core::PARIS).date_naive(),
            prepared_at: p.now,
            documents: digests
                .iter()
                .map(|(name, size, sha256)| DocumentDigest {
                    name: name.clone(),
                    size: *size,
                    sha256: *sha256,
                })
                .collect(),
            judge_permission: p.judge_permission.map(str::to_owned),
        };
        let package = build_package(p, &message)?;
        let package_path = self
            .config
            .data_dir
            .join("outbox")
            .join(format!("{}.zip", uuid::Uuid::new_v4()));
        self.seal.write(&package_path, &package)?;
        let new = NewService {
            reference: p.reference.to_owned(),
            recipient_id: p.recipient.id.clone(),
            recipient_name: p.recipient.name.clone(),
            nature: p.nature.code.clone(),
            source: p.source,
            created_at: p.now,
            documents: digests
                .into_iter()
                .map(|(name, size, sha256)| NewDocument {
                    name,
                    size,
                    sha256,
                    local_path: package_path.clone(),
                })
                .collect(),
            requerant: Some(p.requerant.to_owned()),
            edi_batch: p.edi_batch.map(str::to_owned),
        };
        Ok((package_path, new))
    }

    /// Serves an act (see the module documentation). Each of the six steps is reported to
    /// `progress`; a failure before the outbox leaves nothing behind, one after it leaves the
    /// package queued.
    pub async fn serve(
        &self,
        req: &ServeRequest,
        cred: &Credentials,
        progress: ProgressSink,
    ) -> Result<ServeOutcome> {
        self.serve_with_options(req, ServeOptions::default(), cred, progress)
            .await
    }

    /// As [`App::serve`], with [`ServeOptions`] (e.g. stamping the consent mention).
    pub async fn serve_with_options(
        &self,
        req: &ServeRequest,
        options: ServeOptions,
        cred: &Credentials,
        progress: ProgressSink,
    ) -> Result<ServeOutcome> {
        // --- validate, before the key or the network is touched
        let reference = req.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > sceau_core::naming::MAX_COMPONENT {
            return Err(input(
                "app.bad_reference",
                "Indiquez une référence de dépôt (100 caractères au plus).".into(),
            ));
        }
        let catalogue = sceau_core::natures::Catalogue::shipped()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let nature = catalogue.get(&req.nature).cloned().ok_or_else(|| {
            input(
                "app.unknown_nature",
                format!(
                    "Nature d'acte inconnue : {}. Choisissez une nature du catalogue.",
                    req.nature
                ),
            )
        })?;
        if req.files.is_empty() {
            return Err(input(
                "app.no_document",
                "Ajoutez au moins un document à signifier (.pdf, .doc, .docx, .odt).".into(),
            ));
        }
        for f in &req.files {
            if !f.is_file() {
                return Err(input(
                    "app.document_missing",
                    format!("Le document {} est introuvable.", f.display()),
                ));
            }
        }
        if req.requerant.trim().is_empty() {
            return Err(input(
                "app.no_requerant",
                "Indiquez le requérant (la partie pour qui l'acte est signifié).".into(),
            ));
        }
        let (office_number, office_name) = self.office()?;
        {
            let st = self.store();
            if let Some(s) = st.service_by_reference(&reference)? {
                return Err(input(
                    "app.duplicate_reference",
                    format!(
                        "La référence « {reference} » est déjà utilisée (signification n° {}). Consultez la file d'envoi ou choisissez une autre référence.",
                        s.id
                    ),
                ));
            }
        }
        // The key first: a wrong or locked PIN stops here, with nothing done.
        self.login(cred).await?;
        // Then the chosen certificates: a serial not on the key, or of the wrong kind, stops
        // here too, before anything is converted or signed.
        let signature_cert = self
            .chosen_certificate(Role::Signature, options.signature_certificate.as_deref())
            .await?;
        if let Some(serial) = options.authentication_certificate.as_deref() {
            self.check_authentication_certificate(serial).await?;
        }
        let (recipient, online) = self
            .resolve_recipient(&req.recipient, cred, req.offline)
            .await?;
        // No service without a consent in force for this nature (CPC 748-2).
        if let Some(status) = self
            .consent_status(&recipient.id, &nature.code, cred, req.offline || !online)
            .await?
        {
            if status != sceau_core::consent::ConsentStatus::InForce {
                return Err(input(
                    "app.no_consent",
                    format!("{} : {}", recipient.name, status.message_fr()),
                ));
            }
        }
        let now = Utc::now();
        let not_before = self
            .next_opening(
                &recipient.id,
                &nature.code,
                req.judge_permission.as_deref(),
                cred,
                online,
            )
            .await?;

        // --- 1. convert
        step(&progress, &reference, Step::Convert, StepStatus::Running);
        checkpoint("convert");
        let mut converted = Vec::new();
        for (i, f) in req.files.iter().enumerate() {
            let pdf = match convert_act(f, options.stamp_consent).await {
                Ok(pdf) => pdf,
                Err(e) => {
                    step(&progress, &reference, Step::Convert, failed(&e));
                    return Err(e);
                }
            };
            let name = act_name(&office_number, &reference, now, i, req.files.len());
            converted.push((name, pdf));
        }
        step(&progress, &reference, Step::Convert, StepStatus::Done);
        if let Some(dir) = &req.preview_dir {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
            for (name, bytes) in &converted {
                let p = dir.join(name);
                std::fs::write(&p, bytes).map_err(io(&p))?;
            }
        }

        // --- 2. sign
        step(&progress, &reference, Step::Sign, StepStatus::Running);
        let signed = match self.sign_all(&converted, signature_cert, cred).await {
            Ok(s) => s,
            Err(e) => {
                step(&progress, &reference, Step::Sign, failed(&e));
                return Err(e);
            }
        };
        step(&progress, &reference, Step::Sign, StepStatus::Done);

        // --- package and outbox (one transaction with the service)
        let (package_path, new) = self.write_package(&PackageInput {
            office_number: &office_number,
            office_name: &office_name,
            reference: &reference,
            recipient: &recipient,
            nature: &nature,
            requerant: req.requerant.trim(),
            judge_permission: req.judge_permission.as_deref(),
            source: sceau_store::Source::Form,
            edi_batch: None,
            now,
            signed: &signed,
        })?;
        let item = self
            .store()
            .enqueue_service(&new, &package_path, not_before)?;
        self.log("Signification préparée", &reference);
        let mut outcome = ServeOutcome {
            service_id: item.service_id.0,
            outbox_id: item.id,
            documents: signed.iter().map(|(n, _, _)| n.clone()).collect(),
            scheduled_for: (not_before > Utc::now()).then_some(not_before),
            deposit: None,
            queued_reason: None,
        };
        let reason = if req.offline {
            Some(
                "Préparé hors ligne : l'acte attend dans la file d'envoi et partira à la prochaine synchronisation."
                    .to_owned(),
            )
        } else if !online {
            Some("Coffre-fort injoignable : l'acte attend dans la file d'envoi.".to_owned())
        } else {
            outcome.scheduled_for.map(|at| {
                format!(
                    "Hors des heures de réception : l'envoi est programmé pour le {}.",
                    sceau_core::naming::format_paris(at)
                )
            })
        };
        if let Some(reason) = reason {
            step(
                &progress,
                &reference,
                Step::Deposit,
                StepStatus::Queued {
                    reason: reason.clone(),
                },
            );
            outcome.queued_reason = Some(reason);
            return Ok(outcome);
        }
        // --- 3..6 upload now
        let report = self.send_outbox(cred, progress.clone()).await?;
        if let Some(s) = report.sent.into_iter().find(|s| s.outbox_id == item.id) {
            outcome.deposit = Some(s);
        } else if let Some((_, _, msg)) = report.refused.into_iter().find(|r| r.0 == item.id) {
            outcome.queued_reason = Some(msg);
        } else {
            outcome.queued_reason = report.stopped_because;
        }
        Ok(outcome)
    }

    /// The recipient by SIRET or id; `online` says whether the vault answered.
    pub(crate) async fn resolve_recipient(
        &self,
        key: &str,
        cred: &Credentials,
        offline: bool,
    ) -> Result<(RecipientView, bool)> {
        let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        let is_siret = compact.len() == 14 && compact.chars().all(|c| c.is_ascii_digit());
        if !offline {
            let lookup = async {
                if is_siret {
                    self.search_recipients(&compact, Some(cred)).await
                } else {
                    self.recipient_card(&compact, None, None, cred)
                        .await
                        .map(|c| vec![c.recipient])
                }
            };
            match lookup.await {
                Ok(list) => {
                    let online = list.iter().all(|r| !r.from_cache);
                    return match list.as_slice() {
                        [one] => Ok((one.clone(), online)),
                        [] => Err(not_found(key)),
                        _ => Err(input(
                            "app.ambiguous_recipient",
                            format!("Plusieurs destinataires correspondent à « {key} » : indiquez son identifiant."),
                        )),
                    };
                }
                Err(Error::Client(sceau_client::Error::Vault { code, .. }))
                    if code == "not_found" || code == "unknown_recipient" =>
                {
                    return Err(not_found(key))
                }
                Err(e) if !e.is_offline() => return Err(e),
                Err(_) => {}
            }
        }
        let st = self.store();
        let cached = if is_siret {
            st.search_recipients(&compact, 2)?
                .into_iter()
                .find(|r| r.siret.as_deref() == Some(compact.as_str()))
        } else {
            st.recipient(&compact)?
        };
        match cached {
            Some(r) => Ok((crate::view_of_cached(&r), false)),
            None => Err(input(
                "app.recipient_not_cached",
                format!("Le destinataire « {key} » n'est pas dans le cache local : recherchez-le une fois en ligne avant de préparer hors ligne."),
            )),
        }
    }

    /// When the package may be sent: now if open, else the next opening (from the vault when
    /// online, else the legal hours).
    pub(crate) async fn next_opening(
        &self,
        recipient: &str,
        nature: &str,
        judge_permission: Option<&str>,
        cred: &Credentials,
        online: bool,
    ) -> Result<DateTime<Utc>> {
        let now = Utc::now();
        if online {
            let client = self.client(cred).await?;
            match client
                .reception(
                    recipient,
                    nature,
                    judge_permission,
                    self.config.alsace_moselle,
                )
                .await
            {
                Ok(s) if s.open => return Ok(now),
                Ok(s) => return Ok(s.next_opening.unwrap_or(now + Duration::hours(1))),
                Err(sceau_client::Error::Unreachable { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(sceau_core::hours::try_next_opening(
            now,
            None,
            judge_permission,
            &self.config.calendar(),
        )
        .unwrap_or(now))
    }

    /// The certificate of `role` the clerk chose by its serial (hex, case, colons and leading
    /// zeros ignored), else the token's only certificate of that role. A serial that is not on
    /// the key, or whose certificate is not for `role` (a signature needs the non-repudiation
    /// certificate), is refused with a French message.
    pub(crate) async fn chosen_certificate(
        &self,
        role: Role,
        serial: Option<&str>,
    ) -> Result<CertificateInfo> {
        let Some(serial) = serial.map(str::trim).filter(|s| !s.is_empty()) else {
            return self.certificate(role).await;
        };
        let certs = self.tokens()?.certificates(&self.selector()).await?;
        let wanted = normalise_serial(serial);
        let found = certs
            .iter()
            .find(|c| normalise_serial(&c.serial) == wanted)
            .ok_or_else(|| {
                input(
                    "app.certificate_not_found",
                    format!(
                        "Le certificat n° {serial} n'est pas sur la clé branchée. Rechargez les certificats et choisissez-en un de la liste."
                    ),
                )
            })?;
        if found.role != role {
            let what = match role {
                Role::Signature => "de signature qualifiée (non-répudiation)",
                Role::Authentication => "d'authentification",
                Role::Other => "demandé",
            };
            return Err(input(
                "app.certificate_wrong_role",
                format!(
                    "Le certificat n° {serial} ({}) n'est pas un certificat {what} : choisissez le certificat {what} de la clé.",
                    found.role.label_fr()
                ),
            ));
        }
        Ok(found.clone())
    }

    /// Checks the authentication certificate the clerk chose: on the key, for authentication,
    /// and the one the vault channel is authenticated with (the open session's, else the token's
    /// only authentication certificate, which the app's client uses).
    pub(crate) async fn check_authentication_certificate(&self, serial: &str) -> Result<()> {
        let chosen = self
            .chosen_certificate(Role::Authentication, Some(serial))
            .await?;
        let used = match self.session_certificate() {
            Some(c) => c,
            None => self.certificate(Role::Authentication).await?,
        };
        if used.sha256 != chosen.sha256 {
            return Err(input(
                "app.certificate_not_session",
                format!(
                    "Le certificat d'authentification n° {} n'est pas celui de la connexion au coffre-fort (n° {}). Reconnectez-vous avec ce certificat.",
                    chosen.serial, used.serial
                ),
            ));
        }
        Ok(())
    }

    /// Runs `f` on a blocking thread with a [`Signer`] for the qualified signature certificate
    /// `cert` (checked valid now) and the PIN of `cred`.
    async fn with_signer<T: Send + 'static>(
        &self,
        cert: CertificateInfo,
        cred: &Credentials,
        f: impl FnOnce(&Signer) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        cert.check_validity(Utc::now())?;
        let certs = self.tokens()?.certificates(&self.selector()).await?;
        let tokens = self.tokens()?;
        let cred = cred.clone();
        tokio::task::spawn_blocking(move || f(&Signer::new(&tokens, &cert, &certs, &cred)?))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    }

    /// Signs every act with the qualified signature certificate; an error ends the batch.
    async fn sign_all(
        &self,
        acts: &[(String, Vec<u8>)],
        cert: CertificateInfo,
        cred: &Credentials,
    ) -> Result<Vec<(String, Vec<u8>, Vec<u8>)>> {
        let acts = acts.to_vec();
        self.with_signer(cert, cred, move |s| {
            let mut out = Vec::new();
            for (i, (name, pdf)) in acts.into_iter().enumerate() {
                let p7s = sceau_cades::sign_detached(
                    &s.key,
                    &sceau_cades::SignOptions {
                        content: &pdf,
                        signer_cert: &s.signer_cert,
                        chain: &s.chain,
                        digest: s.digest,
                        signing_time: Utc::now(),
                    },
                )
                .map_err(Error::Signature)?;
                out.push((name, pdf, p7s));
                if i == 0 {
                    checkpoint("sign");
                }
            }
            Ok(out)
        })
        .await
    }

    /// Signs `docs` with the qualified signature certificate `cert` (the clerk's choice, checked
    /// by [`App::chosen_certificate`]) as one pipelined batch
    /// (`sceau_cades::sign_detached_batch`): the PIN of `cred` serves every signature of the
    /// call (an always-authenticate key logs in per signature) and goes with `cred`. The first
    /// failure ends the batch with its error.
    pub(crate) async fn sign_batch(
        &self,
        docs: &[Vec<u8>],
        cert: CertificateInfo,
        cred: &Credentials,
    ) -> Result<Vec<Vec<u8>>> {
        let docs = docs.to_vec();
        self.with_signer(cert, cred, move |s| {
            let now = Utc::now();
            let items: Vec<sceau_cades::BatchItem<'_>> = docs
                .iter()
                .map(|d| sceau_cades::BatchItem {
                    content: d,
                    signing_time: now,
                })
                .collect();
            sceau_cades::sign_detached_batch(&s.key, &s.signer_cert, &s.chain, s.digest, &items)
                .into_iter()
                .map(|r| r.map_err(Error::Signature))
                .collect()
        })
        .await
    }

    /// Sends every package due now, oldest first, until the outbox is empty or the vault is
    /// out of reach (one sender at a time: a concurrent call waits for this one). A package refused by the vault is marked failed with the vault's reason;
    /// a transient failure leaves it prepared for later.
    pub async fn send_outbox(
        &self,
        cred: &Credentials,
        progress: ProgressSink,
    ) -> Result<OutboxReport> {
        let _turn = self.outbox_send.lock().await;
        let client = self.client(cred).await?;
        let mut report = OutboxReport::default();
        loop {
            let Some(item) = self.store().claim_next(Utc::now())? else {
                break;
            };
            match self.send_item(&client, &item, progress.clone()).await {
                Ok(sent) => report.sent.push(sent),
                Err(e) => {
                    let transient = match &e {
                        Error::Client(c) => c.is_transient(),
                        Error::Io { .. } | Error::Internal(_) => true,
                        _ => false,
                    };
                    let token = e.token_error().is_some();
                    if transient || token {
                        // Back to prepared, due now: the next run tries again with the same key.
                        self.store()
                            .fail_upload(item.id, &e.message_fr(), Some(Utc::now()))?;
                        if token {
                            return Err(e);
                        }
                        report.stopped_because = Some(e.message_fr());
                        break;
                    }
                    self.store().fail_upload(item.id, &e.message_fr(), None)?;
                    report.refused.push((item.id, e.code(), e.message_fr()));
                }
            }
        }
        report.remaining = self.store().outbox_list(Some(OutboxState::Prepared))?.len();
        Ok(report)
    }

    async fn send_item(
        &self,
        client: &sceau_client::VaultClient,
        item: &OutboxItem,
        progress: ProgressSink,
    ) -> Result<SentItem> {
        let service = self.store().service(item.service_id)?;
        let reference = service.reference.clone();
        step(&progress, &reference, Step::Deposit, StepStatus::Running);
        let paused = Arc::new(AtomicBool::new(false));
        let p = progress.clone();
        let r = reference.clone();
        let package = match self.seal.read(&item.package_path) {
            Ok(p) => p,
            Err(e) => {
                let e = Error::Store(e);
                step(&progress, &reference, Step::Deposit, failed(&e));
                return Err(e);
            }
        };
        let receipt = client
            .deposit(&item.idempotency_key, package, move |sent, total| {
                p(Progress::Upload {
                    reference: r.clone(),
                    sent,
                    total,
                });
                if !paused.swap(true, Ordering::SeqCst) {
                    checkpoint("upload");
                }
            })
            .await;
        let receipt = match receipt {
            Ok(r) => r,
            Err(e) => {
                let e = Error::Client(e);
                step(&progress, &reference, Step::Deposit, failed(&e));
                return Err(e);
            }
        };
        checkpoint("deposited");
        self.store()
            .complete_upload(item.id, &receipt.deposit_id, receipt.deposited_at)?;
        step(&progress, &reference, Step::Deposit, StepStatus::Done);
        self.log("Dépôt dans le coffre-fort", &reference);
        step(
            &progress,
            &reference,
            Step::Notify,
            StepStatus::Queued {
                reason: "Le coffre-fort notifie le destinataire (courriel et SMS).".into(),
            },
        );
        step(&progress, &reference, Step::Attestation, StepStatus::Done);
        let archive = match self
            .download_archive(
                client,
                &receipt.deposit_id,
                &receipt.archive_path,
                &receipt.archive_name,
                receipt.deposited_at,
            )
            .await
        {
            Ok(p) => {
                step(&progress, &reference, Step::Archive, StepStatus::Done);
                Some(p)
            }
            Err(e) => {
                tracing::warn!(error = %e, "archive not downloaded yet (sync will retry)");
                step(&progress, &reference, Step::Archive, StepStatus::Done);
                None
            }
        };
        // The package is in the vault and its archive kept: the outbox copy can go.
        let _ = std::fs::remove_file(&item.package_path);
        Ok(SentItem {
            outbox_id: item.id,
            service_id: item.service_id.0,
            receipt,
            archive,
        })
    }

    /// Downloads the archive (signed acts + deposit attestation) into the local archive folder.
    pub(crate) async fn download_archive(
        &self,
        client: &sceau_client::VaultClient,
        deposit_id: &str,
        archive_path: &str,
        archive_name: &str,
        vault_at: DateTime<Utc>,
    ) -> Result<PathBuf> {
        let dir = self.archive_dir(deposit_id);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = sceau_core::naming::sanitize(archive_name);
        let to = dir.join(if name.ends_with(".zip") {
            name
        } else {
            format!("{name}.zip")
        });
        let bytes = client.vault_bytes(archive_path).await?;
        self.seal.write(&to, &bytes)?;
        let service = self.store().service_by_deposit_id(deposit_id)?;
        if let Some(s) = service {
            self.store().add_history(
                s.id,
                crate::not_before_vault(vault_at),
                "Attestation de dépôt et archive téléchargées sur le poste",
            )?;
        }
        Ok(to)
    }

    /// The outbox, oldest first.
    pub fn outbox_list(&self) -> Result<Vec<OutboxItem>> {
        Ok(self.store().outbox_list(None)?)
    }

    /// Cancels a package not deposited yet; its service and package file are removed.
    pub fn outbox_cancel(&self, id: i64) -> Result<()> {
        let item = self.store().outbox_item(id)?;
        self.store().cancel(id)?;
        let _ = std::fs::remove_file(&item.package_path);
        self.log("Envoi annulé", &format!("file n° {id}"));
        Ok(())
    }

    /// A failed package is queued again.
    pub fn outbox_retry(&self, id: i64) -> Result<()> {
        Ok(self.store().retry_failed(id, Utc::now())?)
    }
}

fn not_found(key: &str) -> Error {
    input(
        "app.unknown_recipient",
        format!("Aucun destinataire ne correspond à « {key} » dans l'annuaire du coffre-fort."),
    )
}

/// The package ZIP (stored entries): manifest, acts, signatures, data message.
fn build_package(p: &PackageInput<'_>, message: &ActDataMessage) -> Result<Vec<u8>> {
    let signed = p.signed;
    let manifest = sceau_proto::DepositManifest {
        reference: p.reference.to_owned(),
        recipient_id: p.recipient.id.clone(),
        nature: p.nature.code.clone(),
        judge_permission: p.judge_permission.map(str::to_owned),
        source: match p.source {
            sceau_store::Source::Form => sceau_proto::Source::Form,
            sceau_store::Source::Edi => sceau_proto::Source::Edi,
        },
        documents: signed
            .iter()
            .map(|(n, _, _)| sceau_proto::ManifestDocument {
                file: n.clone(),
                signature: sceau_core::package::signature_name(n),
            })
            .collect(),
        data_message: sceau_core::package::DATA_MESSAGE_NAME.into(),
    };
    let zip_err = |e: zip::result::ZipError| Error::Internal(format!("package: {e}"));
    let io_err = |e: std::io::Error| Error::Internal(format!("package: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(sceau_proto::MANIFEST_NAME, opts)
        .map_err(zip_err)?;
    zip.write_all(&serde_json::to_vec(&manifest).map_err(|e| Error::Internal(e.to_string()))?)
        .map_err(io_err)?;
    for (n, pdf, sig) in signed {
        zip.start_file(n.as_str(), opts).map_err(zip_err)?;
        zip.write_all(pdf).map_err(io_err)?;
        zip.start_file(sceau_core::package::signature_name(n), opts)
            .map_err(zip_err)?;
        zip.write_all(sig).map_err(io_err)?;
    }
    zip.start_file(sceau_core::package::DATA_MESSAGE_NAME, opts)
        .map_err(zip_err)?;
    zip.write_all(message.to_xml().as_bytes()).map_err(io_err)?;
    Ok(zip.finish().map_err(zip_err)?.into_inner())
}

/// A certificate serial compared without case, separators or leading zeros.
fn normalise_serial(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_uppercase()
        .trim_start_matches('0')
        .to_owned()
}

/// What a CAdES signature on the token needs (built on a blocking thread: the token key's
/// login may wait on the token).
struct Signer {
    key: TokenKey,
    signer_cert: sceau_cades::Certificate,
    chain: Vec<sceau_cades::Certificate>,
    digest: sceau_cades::DigestAlgorithm,
}

impl Signer {
    fn new(
        tokens: &Tokens,
        cert: &CertificateInfo,
        certs: &[CertificateInfo],
        cred: &Credentials,
    ) -> Result<Signer> {
        let signer_cert = cert.certificate()?;
        let chain = certs
            .iter()
            .filter(|c| c.role == Role::Other && c.sha256 != cert.sha256)
            .filter_map(|c| c.certificate().ok())
            .filter(|c| c.tbs_certificate.subject == signer_cert.tbs_certificate.issuer)
            .collect();
        let key = TokenKey::new(tokens, cert, None, cred.pin.clone(), cred.final_try)?;
        let digest = match key.algorithm().hash() {
            HashAlg::Sha256 => sceau_cades::DigestAlgorithm::Sha256,
            HashAlg::Sha384 => sceau_cades::DigestAlgorithm::Sha384,
            HashAlg::Sha512 => sceau_cades::DigestAlgorithm::Sha512,
        };
        Ok(Signer {
            key,
            signer_cert,
            chain,
            digest,
        })
    }
}
