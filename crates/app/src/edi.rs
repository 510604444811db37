//! EDI batches: many services exported by the practice-management software, described by a
//! manifest (CSV) beside their files. Every line is checked before anything is signed, and every
//! bad line is reported with its line number; then the whole batch is converted, signed with
//! the one PIN the clerk typed (the key's context login is repeated per signature within this
//! call, and the PIN is dropped when it returns), queued in the outbox and uploaded — the uploads
//! start as soon as the first chunk is queued, while the later lines are being signed.
//!
//! The manifest (`resources/edi/exemple-lot.csv`): UTF-8 (a BOM is accepted), `;`-separated,
//! fields optionally in double quotes (`""` for a quote), a header line naming the columns in
//! any order:
//!
//! | column | content |
//! |---|---|
//! | `reference` | the office's reference, unique in the batch and on this workstation |
//! | `destinataire` | the recipient's SIRET or vault id |
//! | `nature` | code of the nature of the act (catalogue) |
//! | `requerant` | the party on whose behalf the act is served |
//! | `fichiers` | the documents, relative to the manifest's folder, separated by `|` |
//! | `autorisation_juge` | optional: reference of a judge's permission (outside legal hours) |
//!
//! A batch is identified by the SHA-256 of its manifest and files. Lines are queued in small
//! chunks, each in one transaction with its services; a rerun of the same batch (after a crash,
//! a removed key) skips the lines already queued and goes on, so each line is deposited once.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use sceau_core::draft::Draft;
use sceau_core::natures::Nature;
use sceau_token::{CertificateInfo, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{io, Error, Result};
use crate::pipeline::{Job, Run};
use crate::progress::{Progress, ProgressSink};
use crate::{App, Auth, Credentials, OutboxReport, RecipientView};

/// What the clerk asks: the manifest, and whether to upload now.
#[derive(Debug, Clone)]
pub struct EdiRequest {
    /// The manifest file (CSV).
    pub manifest: PathBuf,
    /// Prepare only: leave the packages in the outbox.
    pub offline: bool,
    /// Stamp the consent mention on acts that lack it instead of refusing their lines.
    pub stamp_consent: bool,
    /// Serial (hex) of the qualified signature certificate chosen by the clerk; `None`: the
    /// token's only signature certificate.
    pub signature_certificate: Option<String>,
}

/// A refused line of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdiLineError {
    /// Line number in the manifest file (the header is line 1).
    pub line: usize,
    /// Stable code, `edi.<what>`.
    pub code: String,
    /// What is wrong and what to do, in French.
    pub message: String,
}

/// Where a line of a batch is (progress events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum EdiStage {
    /// The line passed every check.
    Valid,
    /// The line is refused; nothing of the batch is signed.
    Invalid {
        /// Stable code.
        code: String,
        /// Why, in French.
        reason: String,
    },
    /// Already queued by an earlier run of the same batch.
    AlreadyPrepared,
    /// Its documents are PDF/A-1b.
    Converted,
    /// Signed and queued in the outbox.
    Queued,
}

/// One line of a manifest, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestLine {
    /// Line number in the file.
    pub line: usize,
    /// The office's reference.
    pub reference: String,
    /// Recipient: SIRET or vault id.
    pub recipient: String,
    /// Nature code.
    pub nature: String,
    /// Requesting party.
    pub requerant: String,
    /// Judge's permission, if any.
    pub judge_permission: Option<String>,
    /// Documents, as written (relative to the manifest's folder).
    pub files: Vec<String>,
}

/// A line queued by this run.
#[derive(Debug, Clone, Serialize)]
pub struct EdiPrepared {
    /// Line number.
    pub line: usize,
    /// Reference.
    pub reference: String,
    /// Local service id.
    pub service_id: i64,
    /// Outbox id.
    pub outbox_id: i64,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct EdiReport {
    /// The batch's identifier (SHA-256 of the manifest and files, hex).
    pub batch_id: String,
    /// Lines in the manifest.
    pub lines: usize,
    /// Lines queued by this run.
    pub prepared: Vec<EdiPrepared>,
    /// References queued by an earlier run of the same batch.
    pub already_prepared: Vec<String>,
    /// The upload that followed (none offline).
    pub outbox: Option<OutboxReport>,
    /// Why nothing was uploaded now, in French.
    pub queued_reason: Option<String>,
}

fn line_error(line: usize, code: &str, message: String) -> EdiLineError {
    EdiLineError {
        line,
        code: format!("edi.{code}"),
        message,
    }
}

/// Column names, compared without case or accents.
fn column_key(name: &str) -> String {
    name.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            ' ' | '-' => '_',
            c => c,
        })
        .collect()
}

/// Splits CSV text into records (`;`, double quotes), each with the line it starts on.
fn records(text: &str) -> std::result::Result<Vec<(usize, Vec<String>)>, EdiLineError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let (mut line, mut start) = (1usize, 1usize);
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    let end_record = |fields: &mut Vec<String>, start: usize, out: &mut Vec<_>| {
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            out.push((start, std::mem::take(fields)));
        }
        fields.clear();
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            ';' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                end_record(&mut fields, start, &mut out);
                line += 1;
                start = line;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(line_error(
            start,
            "unclosed_quote",
            format!(
                "Ligne {start} : guillemet ouvert jamais fermé. Corrigez le fichier d'échange."
            ),
        ));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        end_record(&mut fields, start, &mut out);
    }
    Ok(out)
}

/// Reads a manifest's text: every line, or every problem found with its line number.
pub fn parse_manifest(text: &str) -> std::result::Result<Vec<ManifestLine>, Vec<EdiLineError>> {
    const REQUIRED: [&str; 5] = [
        "reference",
        "destinataire",
        "nature",
        "requerant",
        "fichiers",
    ];
    const OPTIONAL: [&str; 1] = ["autorisation_juge"];
    let recs = records(text).map_err(|e| vec![e])?;
    let Some(((hline, header), rows)) = recs.split_first() else {
        return Err(vec![line_error(
            1,
            "empty",
            "Le fichier d'échange est vide : il faut une ligne d'en-tête puis une ligne par acte."
                .into(),
        )]);
    };
    let mut cols: HashMap<String, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let k = column_key(name);
        if !REQUIRED.contains(&k.as_str()) && !OPTIONAL.contains(&k.as_str()) {
            errors.push(line_error(
                *hline,
                "unknown_column",
                format!(
                    "Ligne {hline} : colonne inconnue « {} ». Colonnes attendues : {} ; facultative : {}.",
                    name.trim(),
                    REQUIRED.join(", "),
                    OPTIONAL.join(", ")
                ),
            ));
        } else if cols.insert(k, i).is_some() {
            errors.push(line_error(
                *hline,
                "duplicate_column",
                format!(
                    "Ligne {hline} : la colonne « {} » apparaît deux fois.",
                    name.trim()
                ),
            ));
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !cols.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        errors.push(line_error(
            *hline,
            "missing_column",
            format!(
                "Ligne {hline} : colonne(s) manquante(s) dans l'en-tête : {}.",
                missing.join(", ")
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![line_error(
            *hline,
            "no_line",
            "Le fichier d'échange ne contient aucun acte (seulement l'en-tête).".into(),
        )]);
    }
    let mut lines = Vec::new();
    for (n, row) in rows {
        if row.len() != header.len() {
            errors.push(line_error(
                *n,
                "column_count",
                format!(
                    "Ligne {n} : {} colonne(s) au lieu de {} (séparateur « ; »).",
                    row.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let get = |c: &str| {
            cols.get(c)
                .and_then(|i| row.get(*i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        lines.push(ManifestLine {
            line: *n,
            reference: get("reference"),
            recipient: get("destinataire"),
            nature: get("nature"),
            requerant: get("requerant"),
            judge_permission: Some(get("autorisation_juge")).filter(|s| !s.is_empty()),
            files: get("fichiers")
                .split('|')
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .collect(),
        });
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// A document path of a line, resolved inside the manifest's folder (`dir`, canonical), or why
/// it is refused.
fn resolve_file(dir: &Path, line: usize, f: &str) -> std::result::Result<PathBuf, EdiLineError> {
    let rel = Path::new(f);
    let escapes = rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    let escape = || {
        line_error(
            line,
            "path_outside",
            format!(
                "Ligne {line} : le fichier « {f} » sort du dossier du fichier d'échange. Indiquez un chemin relatif à ce dossier, sans « .. »."
            ),
        )
    };
    if escapes {
        return Err(escape());
    }
    let path = dir.join(rel);
    let canonical = std::fs::canonicalize(&path).map_err(|_| {
        line_error(
            line,
            "file_missing",
            format!("Ligne {line} : le fichier « {f} » est introuvable dans le dossier du lot."),
        )
    })?;
    // A symbolic link may point elsewhere: the target must be inside the folder too.
    if !canonical.starts_with(dir) {
        return Err(escape());
    }
    if !canonical.is_file() {
        return Err(line_error(
            line,
            "file_missing",
            format!("Ligne {line} : « {f} » n'est pas un fichier."),
        ));
    }
    Ok(canonical)
}

/// A batch read and checked line by line, before the key or the network is touched.
struct Batch {
    /// The batch's identifier (SHA-256 of the manifest and files, hex).
    id: String,
    /// Every line of the manifest.
    /// Every line of the manifest: its number and reference (for the report of refused lines).
    references: Vec<(usize, String)>,
    /// Lines that passed the checks, with their files and nature.
    checked: Vec<(ManifestLine, Vec<PathBuf>, &'static Nature)>,
    /// Lines refused so far.
    errors: Vec<EdiLineError>,
}

impl App {
    /// Imports an EDI batch (see the module documentation): checks every line, then converts,
    /// signs (one PIN for the whole batch), queues and uploads through the pipeline a service
    /// of the form takes. Progress is reported per line (`Progress::EdiLine`) and per service
    /// step. A batch with a bad line queues nothing and fails with [`Error::EdiInvalid`], which
    /// lists every bad line.
    pub async fn edi_import(
        &self,
        req: &EdiRequest,
        cred: &Credentials,
        progress: ProgressSink,
    ) -> Result<EdiReport> {
        let mut batch = read_batch(&req.manifest)?;
        let office = self.office()?;
        let _cache = BatchCache::new(self)?;
        // The key (a wrong PIN stops here), then the chosen signature certificate, as a service
        // does: a serial not on the key, or not a signature certificate, refuses the whole batch
        // before any line is converted. Lines already refused are reported rather than a key
        // error: they need fixing first.
        let key = async {
            self.login(cred).await?;
            self.chosen_certificate(Role::Signature, req.signature_certificate.as_deref())
                .await
        };
        let signature_cert = match key.await {
            Ok(c) => c,
            Err(e) if batch.errors.is_empty() => return Err(e),
            Err(_) => return Err(self.refuse(batch.errors, &progress, &batch.references)),
        };
        let (jobs, already) = self.batch_jobs(&mut batch, req, cred, &progress).await?;
        if !batch.errors.is_empty() {
            return Err(self.refuse(batch.errors, &progress, &batch.references));
        }
        for job in &jobs {
            line_progress(&progress, job, EdiStage::Valid);
        }
        let run = Run {
            office,
            now: Utc::now(),
            source: sceau_store::Source::Edi,
            edi_batch: Some(&batch.id),
            stamp_consent: req.stamp_consent,
            work: self.config.data_dir.join("edi").join(&batch.id[..16]),
        };
        let prepared = self
            .prepare_and_send(jobs, &run, signature_cert, req, cred, &progress)
            .await;
        let _ = std::fs::remove_dir_all(&run.work);
        let (prepared, outbox) = match prepared {
            Ok(p) => p,
            Err(Refused::Lines(errors)) => {
                return Err(self.refuse(errors, &progress, &batch.references))
            }
            Err(Refused::Batch(e)) => return Err(e),
        };
        let queued_reason = match &outbox {
            None => Some(
                "Préparé hors ligne : les actes attendent dans la file d'envoi et partiront à la prochaine synchronisation."
                    .into(),
            ),
            Some(o) => o.stopped_because.clone(),
        };
        Ok(EdiReport {
            lines: batch.references.len(),
            batch_id: batch.id,
            prepared,
            already_prepared: already,
            outbox,
            queued_reason,
        })
    }

    /// The checked lines as jobs of the pipeline: each recipient looked up once, its consent
    /// register fetched once, lines already queued by an earlier run of the same batch set
    /// aside (returned by reference), references used by other services refused.
    async fn batch_jobs(
        &self,
        batch: &mut Batch,
        req: &EdiRequest,
        cred: &Credentials,
        progress: &ProgressSink,
    ) -> Result<(Vec<Job>, Vec<String>)> {
        let mut recipients: HashMap<
            String,
            std::result::Result<(Arc<RecipientView>, bool), Error>,
        > = HashMap::new();
        for (line, _, _) in &batch.checked {
            if !recipients.contains_key(&line.recipient) {
                let r = self
                    .resolve_recipient(&line.recipient, cred, req.offline)
                    .await;
                match r {
                    Err(e) if !matches!(e, Error::Input { .. }) => return Err(e),
                    r => {
                        let r = r.map(|(view, online)| (Arc::new(view), online));
                        recipients.insert(line.recipient.clone(), r);
                    }
                }
            }
        }
        let mut jobs = Vec::new();
        let mut already = Vec::new();
        let mut consents_fetched = HashSet::new();
        for (line, files, nature) in std::mem::take(&mut batch.checked) {
            let n = line.line;
            let (recipient, online) = match recipients.get(&line.recipient) {
                Some(Ok(r)) => r.clone(),
                Some(Err(e)) => {
                    batch.errors.push(line_error(
                        n,
                        "unknown_recipient",
                        format!("Ligne {n} : {}", e.message_fr()),
                    ));
                    continue;
                }
                None => continue,
            };
            // The register is fetched once per recipient of the batch, then read from the cache.
            if !req.offline && consents_fetched.insert(recipient.id.clone()) {
                self.refresh_consents(&recipient.id, Auth::Pin(cred)).await;
            }
            if let Some(why) = self
                .consent_refusal(&recipient.id, &nature.code, Auth::Pin(cred), true)
                .await?
            {
                batch.errors.push(line_error(
                    n,
                    "no_consent",
                    format!("Ligne {n} ({}) : {why}", recipient.name),
                ));
                continue;
            }
            match self.store().service_by_reference(&line.reference)? {
                Some(s) if s.edi_batch.as_deref() == Some(batch.id.as_str()) => {
                    progress(Progress::EdiLine {
                        line: n,
                        reference: line.reference.clone(),
                        stage: EdiStage::AlreadyPrepared,
                    });
                    already.push(line.reference);
                }
                Some(s) => batch.errors.push(line_error(
                    n,
                    "reference_used",
                    format!(
                        "Ligne {n} : la référence « {} » est déjà utilisée sur ce poste (signification n° {}). Choisissez une autre référence.",
                        line.reference, s.id
                    ),
                )),
                None => jobs.push(Job {
                    line: n,
                    reference: line.reference,
                    recipient,
                    online,
                    nature,
                    requerant: line.requerant,
                    judge_permission: line.judge_permission,
                    files,
                }),
            }
        }
        Ok((jobs, already))
    }

    /// Converts every line before signing any (the consent mention is checked here: a line
    /// refused refuses the batch), then signs and queues them a chunk per transaction; online,
    /// the outbox is sent as the chunks are queued, so deposits overlap signatures (the
    /// outbox's report comes back; `None` offline).
    async fn prepare_and_send(
        &self,
        jobs: Vec<Job>,
        run: &Run<'_>,
        signature_cert: CertificateInfo,
        req: &EdiRequest,
        cred: &Credentials,
        progress: &ProgressSink,
    ) -> std::result::Result<(Vec<EdiPrepared>, Option<OutboxReport>), Refused> {
        let converted = self
            .convert_jobs(&jobs, run, |job, r| {
                if r.is_ok() {
                    line_progress(progress, job, EdiStage::Converted);
                }
            })
            .await?;
        let mut errors = Vec::new();
        let mut ready = Vec::with_capacity(jobs.len());
        for (job, r) in jobs.into_iter().zip(converted) {
            let n = job.line;
            match r {
                // The sources are not needed once converted.
                Ok(acts) => ready.push((
                    Job {
                        files: Vec::new(),
                        ..job
                    },
                    acts,
                )),
                Err(e) => errors.push(line_error(
                    n,
                    if matches!(e, Error::ConsentMention { .. }) {
                        "consent_mention"
                    } else {
                        "conversion"
                    },
                    format!("Ligne {n} : {}", e.message_fr()),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(Refused::Lines(errors));
        }
        let signer = self.signer(signature_cert, cred).await?;
        let more = tokio::sync::Notify::new();
        let queuing = self.sign_and_queue(ready, run, &signer, cred, |q| {
            progress(Progress::EdiLine {
                line: q.line,
                reference: q.reference.clone(),
                stage: EdiStage::Queued,
            });
            more.notify_one();
        });
        let (queued, outbox) = if req.offline {
            (queuing.await, None)
        } else {
            let (queued, outbox) = self
                .send_as_queued(Auth::Pin(cred), progress.clone(), &more, queuing)
                .await;
            (queued, Some(outbox))
        };
        let prepared: Vec<EdiPrepared> = queued?
            .into_iter()
            .map(|q| EdiPrepared {
                line: q.line,
                reference: q.reference,
                service_id: q.service_id,
                outbox_id: q.outbox_id,
            })
            .collect();
        self.log(
            "Import EDI",
            &format!(
                "{} acte(s) préparé(s), lot {}",
                prepared.len(),
                run.edi_batch.and_then(|b| b.get(..12)).unwrap_or_default()
            ),
        );
        Ok((prepared, outbox.transpose()?))
    }

    /// Reports every refused line and makes the error.
    fn refuse(
        &self,
        mut errors: Vec<EdiLineError>,
        progress: &ProgressSink,
        references: &[(usize, String)],
    ) -> Error {
        errors.sort_by_key(|e| e.line);
        for e in &errors {
            let reference = references
                .iter()
                .find(|(line, _)| *line == e.line)
                .map(|(_, r)| r.clone())
                .unwrap_or_default();
            progress(Progress::EdiLine {
                line: e.line,
                reference,
                stage: EdiStage::Invalid {
                    code: e.code.clone(),
                    reason: e.message.clone(),
                },
            });
        }
        self.log(
            "Import EDI refusé",
            &format!("{} ligne(s) en erreur", errors.len()),
        );
        Error::EdiInvalid { lines: errors }
    }
}

/// The store's small page cache for the time of a batch (`sceau_store::BATCH_CACHE_KIB`),
/// the usual one again when the batch ends, however it ends.
struct BatchCache<'a>(&'a App);

impl<'a> BatchCache<'a> {
    fn new(app: &'a App) -> Result<Self> {
        app.store().set_cache_kib(sceau_store::BATCH_CACHE_KIB)?;
        Ok(BatchCache(app))
    }
}

impl Drop for BatchCache<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.store().set_cache_kib(sceau_store::CACHE_KIB) {
            tracing::warn!(code = %e.code(), "page cache not restored after a batch");
        }
    }
}

/// Why a batch stops after its lines were checked: lines to fix, or an error of the whole batch
/// (the key, the store...).
enum Refused {
    Lines(Vec<EdiLineError>),
    Batch(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Batch(e)
    }
}

fn line_progress(progress: &ProgressSink, job: &Job, stage: EdiStage) {
    progress(Progress::EdiLine {
        line: job.line,
        reference: job.reference.clone(),
        stage,
    });
}

/// A sentence as it reads after a colon, in French: its first letter in lower case, unless the
/// word is an acronym ("SIRET").
fn after_colon(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => first
            .to_lowercase()
            .chain(sentence[first.len_utf8()..].chars())
            .collect(),
        _ => sentence.to_owned(),
    }
}

/// Reads the manifest and checks every line that needs neither the key nor the network: the
/// draft's rule (`sceau_core::draft`), a reference used once in the batch, files inside the
/// manifest's folder and of an accepted type. The batch's identifier covers the manifest and
/// every file's name and content.
fn read_batch(manifest: &Path) -> Result<Batch> {
    let manifest_bytes = std::fs::read(manifest).map_err(io(manifest))?;
    let dir = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).map_err(io(dir))?;
    let text = String::from_utf8(manifest_bytes.clone()).map_err(|_| {
        Error::EdiInvalid {
            lines: vec![line_error(
                1,
                "not_utf8",
                "Le fichier d'échange n'est pas en UTF-8 : exportez-le en UTF-8 depuis le logiciel de l'étude.".into(),
            )],
        }
    })?;
    let lines = parse_manifest(&text).map_err(|lines| Error::EdiInvalid { lines })?;
    let catalogue = sceau_core::natures::Catalogue::shipped()?;
    let mut errors = Vec::new();
    let mut hash = Sha256::new();
    hash.update(&manifest_bytes);
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut checked = Vec::new();
    let references = lines
        .iter()
        .map(|l| (l.line, l.reference.clone()))
        .collect();
    for l in lines {
        let before = errors.len();
        let n = l.line;
        let draft = Draft {
            reference: &l.reference,
            recipient: &l.recipient,
            requerant: &l.requerant,
            nature: &l.nature,
            documents: l.files.len(),
        };
        let (problems, nature) = draft.check(catalogue);
        for p in problems {
            errors.push(EdiLineError {
                line: n,
                code: p.code().to_owned(),
                message: format!("Ligne {n} : {}", after_colon(&p.message_fr())),
            });
        }
        if let Some(first) = first_line_of.get(&l.reference) {
            errors.push(line_error(
                n,
                "duplicate_reference",
                format!(
                    "Ligne {n} : la référence « {} » est déjà celle de la ligne {first}. Chaque acte du lot doit avoir sa propre référence.",
                    l.reference
                ),
            ));
        } else if !l.reference.is_empty() {
            first_line_of.insert(l.reference.clone(), n);
        }
        let mut files = Vec::new();
        for f in &l.files {
            match resolve_file(&dir, n, f) {
                Ok(p) => {
                    let bytes = std::fs::read(&p).map_err(io(&p))?;
                    if let Err(e) = sceau_pdfa::detect(&p, &bytes) {
                        errors.push(line_error(
                            n,
                            "file_type",
                            format!(
                                "Ligne {n} : « {f} » n'est pas un document accepté (.pdf, .doc, .docx, .odt) : {}",
                                e.message_fr()
                            ),
                        ));
                    }
                    hash.update((f.len() as u64).to_be_bytes());
                    hash.update(f.as_bytes());
                    hash.update(Sha256::digest(&bytes));
                    files.push(p);
                }
                Err(e) => errors.push(e),
            }
        }
        if let (Some(nature), true) = (nature, errors.len() == before) {
            checked.push((l, files, nature));
        }
    }
    Ok(Batch {
        id: hex::encode(hash.finalize()),
        references,
        checked,
        errors,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HEADER: &str = "reference;destinataire;nature;requerant;fichiers\n";

    #[test]
    fn manifest_lines_are_read_with_their_numbers() {
        let text = format!(
            "\u{feff}{HEADER}R-1;73282932000074;SAISIE_ATTRIBUTION;SA CREANCIER;a.pdf\r\n\n\"R;2\";x;N;\"SCI \"\"Les Lilas\"\"\";a.pdf| b.docx\n"
        );
        let lines = parse_manifest(&text).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].line, lines[0].reference.as_str()), (2, "R-1"));
        assert_eq!(lines[1].line, 4);
        assert_eq!(lines[1].reference, "R;2");
        assert_eq!(lines[1].requerant, "SCI \"Les Lilas\"");
        assert_eq!(lines[1].files, vec!["a.pdf", "b.docx"]);
        assert_eq!(lines[1].judge_permission, None);
        // Columns in another order, accents and case in the header, the optional column.
        let lines = parse_manifest(
            "Fichiers;Référence;Destinataire;Nature;Requérant;Autorisation_juge\na.pdf;R;D;N;Q;Ord. 1\n",
        )
        .unwrap();
        assert_eq!(lines[0].reference, "R");
        assert_eq!(lines[0].judge_permission.as_deref(), Some("Ord. 1"));
    }

    #[test]
    fn a_sentence_after_a_colon_starts_in_lower_case_unless_an_acronym() {
        assert_eq!(
            after_colon("Nature d'acte inconnue."),
            "nature d'acte inconnue."
        );
        assert_eq!(after_colon("Écrivez-la."), "écrivez-la.");
        assert_eq!(after_colon("SIRET faux."), "SIRET faux.");
        assert_eq!(after_colon(""), "");
    }

    #[test]
    fn the_shipped_sample_manifest_reads() {
        let lines = parse_manifest(include_str!("../../../resources/edi/exemple-lot.csv")).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].requerant, "SCI \"Les Lilas\"");
        assert_eq!(lines[1].files.len(), 2);
        assert!(lines.iter().all(|l| l.judge_permission.is_none()));
    }

    #[test]
    fn manifest_problems_name_their_lines() {
        let e = parse_manifest("reference;destinataire;nature;fichiers;couleur\n").unwrap_err();
        let codes: Vec<_> = e.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, vec!["edi.unknown_column", "edi.missing_column"]);
        assert!(e[1].message.contains("requerant"), "{}", e[1].message);
        let e = parse_manifest(&format!(
            "{HEADER}R;D;N;Q;a.pdf\nR2;D;N\nR3;D;N;Q;a.pdf\nR4;D;N;Q\n"
        ))
        .unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 5],
            "{e:?}"
        );
        assert!(e[0].message.starts_with("Ligne 3 "), "{}", e[0].message);
        let e = parse_manifest(&format!("{HEADER}\"R;D;N;Q;a.pdf\n")).unwrap_err();
        assert_eq!(e[0].code, "edi.unclosed_quote");
        assert_eq!(parse_manifest("").unwrap_err()[0].code, "edi.empty");
        assert_eq!(parse_manifest(HEADER).unwrap_err()[0].code, "edi.no_line");
    }

    #[test]
    fn files_stay_inside_the_manifest_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("lot");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.pdf"), b"%PDF-1.4").unwrap();
        std::fs::write(root.path().join("secret.pdf"), b"%PDF-1.4").unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        assert!(resolve_file(&dir, 2, "sub/a.pdf").is_ok());
        assert!(resolve_file(&dir, 2, "./sub/a.pdf").is_ok());
        for bad in ["../secret.pdf", "sub/../../secret.pdf", "/etc/passwd"] {
            let e = resolve_file(&dir, 7, bad).unwrap_err();
            assert_eq!((e.line, e.code.as_str()), (7, "edi.path_outside"), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.path().join("secret.pdf"), dir.join("link.pdf"))
                .unwrap();
            assert_eq!(
                resolve_file(&dir, 3, "link.pdf").unwrap_err().code,
                "edi.path_outside"
            );
        }
        assert_eq!(
            resolve_file(&dir, 3, "none.pdf").unwrap_err().code,
            "edi.file_missing"
        );
    }
}
