//! The one path of a service, from the form or a line of an EDI batch: convert (PDF/A-1b and the
//! consent mention, as many documents at once as the machine has cores) → sign (CAdES on the
//! token, one signer for the run) → package → queue in the outbox, a few services per
//! transaction. The form serves one job, an EDI batch many; both then upload the outbox.
//!
//! Converted acts wait for their signature sealed in a work folder, so a batch of thousands
//! holds a few documents in memory, not all of them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use sceau_core::attestation::{ActDataMessage, DocumentDigest, NatureRef, Office, Party};
use sceau_core::natures::Nature;
use sceau_store::{NewDocument, NewService};
use sha2::{Digest, Sha256};

use crate::error::{io, Error, Result};
use crate::signing::{sign_batch, Signer};
use crate::{checkpoint, App, Auth, Credentials, RecipientView};

/// Services signed and queued per transaction (a crash loses at most this many signatures,
/// never a queued service).
const CHUNK: usize = 4;

/// One service on its way: checked, its recipient found and its consent in force.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// Line of the EDI manifest (1 for the form).
    pub line: usize,
    /// The office's reference (trimmed).
    pub reference: String,
    /// The recipient (shared by the lines of a batch that name it).
    pub recipient: Arc<RecipientView>,
    /// Whether the vault answered when the recipient was looked up.
    pub online: bool,
    /// Nature of the act, from the shipped catalogue.
    pub nature: &'static Nature,
    /// Requesting party (trimmed).
    pub requerant: String,
    /// Judge's permission to serve outside legal hours.
    pub judge_permission: Option<String>,
    /// The documents.
    pub files: Vec<PathBuf>,
}

/// What every job of a run shares.
pub(crate) struct Run<'a> {
    /// Office number and name.
    pub office: (String, String),
    /// When the run started: the acts' names and the act date.
    pub now: DateTime<Utc>,
    /// Form or EDI.
    pub source: sceau_store::Source,
    /// The EDI batch's identifier.
    pub edi_batch: Option<&'a str>,
    /// Stamp the consent mention on acts that lack it instead of refusing them.
    pub stamp_consent: bool,
    /// Where converted acts wait, sealed, for their signature (removed by the caller).
    pub work: PathBuf,
}

/// A job's acts once converted: (act name, its sealed file in the work folder).
pub(crate) type Acts = Vec<(String, PathBuf)>;

/// A service queued by [`App::sign_and_queue`].
pub(crate) struct Queued {
    /// Manifest line (1 for the form).
    pub line: usize,
    /// The service's reference.
    pub reference: String,
    /// The local service id.
    pub service_id: i64,
    /// The outbox entry's id.
    pub outbox_id: i64,
    /// The acts' names.
    pub documents: Vec<String>,
    /// When the package may be sent.
    pub not_before: DateTime<Utc>,
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
    let text = sceau_pdfa::plain_text(&conv.output).unwrap_or_default();
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
    let text = sceau_pdfa::plain_text(&stamped).unwrap_or_default();
    if !sceau_core::consent::mentions_consent(&text) {
        return Err(Error::ConsentMention { file: file_name() });
    }
    tracing::info!("consent mention stamped on an act");
    Ok(stamped)
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
    /// The office's calendar is Alsace-Moselle's (told to the vault in the manifest).
    pub office_alsace_moselle: bool,
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

    /// Converts every job's documents (see [`convert_act`]), as many at once as the machine
    /// has cores, each act sealed into `run.work` as soon as it is converted. Returns, in the
    /// order of `jobs`, each job's acts or its first error; `done` hears of each job as it ends.
    pub(crate) async fn convert_jobs(
        &self,
        jobs: &[Job],
        run: &Run<'_>,
        mut done: impl FnMut(&Job, &Result<Acts>),
    ) -> Result<Vec<Result<Acts>>> {
        checkpoint("convert");
        std::fs::create_dir_all(&run.work).map_err(io(&run.work))?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        // One task per document, so that a job of three documents uses three cores; tasks are
        // made as cores free up, so a batch of thousands holds `cores` of them, not thousands.
        let mut docs = jobs
            .iter()
            .enumerate()
            .flat_map(|(j, job)| (0..job.files.len()).map(move |i| (j, i, job)));
        let mut converted = FuturesUnordered::new();
        let mut acts: Vec<Vec<Option<(String, PathBuf)>>> =
            jobs.iter().map(|j| vec![None; j.files.len()]).collect();
        let mut errors: Vec<Option<(usize, Error)>> = jobs.iter().map(|_| None).collect();
        let mut left: Vec<usize> = jobs.iter().map(|j| j.files.len()).collect();
        let mut out: Vec<Option<Result<Acts>>> = jobs.iter().map(|_| None).collect();
        loop {
            while converted.len() < cores {
                let Some((j, i, job)) = docs.next() else {
                    break;
                };
                converted.push(self.convert_document(job, run, j, i));
            }
            let Some((j, i, r)) = converted.next().await else {
                break;
            };
            match r {
                Ok(act) => acts[j][i] = Some(act),
                // The error of the job's first failing document, in the order of its files.
                Err(e) => {
                    if errors[j].as_ref().is_none_or(|(k, _)| i < *k) {
                        errors[j] = Some((i, e));
                    }
                }
            }
            left[j] -= 1;
            if left[j] == 0 {
                let r = match errors[j].take() {
                    Some((_, e)) => Err(e),
                    None => Ok(acts[j].drain(..).flatten().collect()),
                };
                done(&jobs[j], &r);
                out[j] = Some(r);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Converts document `i` of `job` (the `j`-th job) and seals it into the work folder.
    async fn convert_document(
        &self,
        job: &Job,
        run: &Run<'_>,
        j: usize,
        i: usize,
    ) -> (usize, usize, Result<(String, PathBuf)>) {
        let converted = async {
            let pdf = convert_act(&job.files[i], run.stamp_consent).await?;
            let p = run.work.join(format!("{}_{i}.pdf", job.line));
            self.seal.write(&p, &pdf)?;
            let name = act_name(&run.office.0, &job.reference, run.now, i, job.files.len());
            Ok((name, p))
        };
        (j, i, converted.await)
    }

    /// Signs and queues converted jobs, [`CHUNK`] at a time: one pipelined signature batch
    /// with one signer for the whole run, then the packages written and the services queued
    /// in one transaction per chunk. Each job's sending time is the recipient's next opening,
    /// asked once per recipient, nature and permission when its turn comes.
    pub(crate) async fn sign_and_queue(
        &self,
        jobs: Vec<(Job, Acts)>,
        run: &Run<'_>,
        signer: &Arc<Signer>,
        cred: &Credentials,
        mut queued: impl FnMut(&Queued),
    ) -> Result<Vec<Queued>> {
        let mut openings: BTreeMap<(String, String, Option<String>), DateTime<Utc>> =
            BTreeMap::new();
        let mut all = Vec::with_capacity(jobs.len());
        // Taken a chunk at a time, so that each line's data goes once it is queued.
        let mut jobs = jobs.into_iter();
        for n in 0.. {
            let chunk: Vec<(Job, Acts)> = jobs.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            if n == 0 {
                checkpoint("sign");
            }
            let mut docs = Vec::new();
            for (_, acts) in &chunk {
                for (_, p) in acts {
                    docs.push(self.seal.read(p)?);
                }
            }
            let (docs, sigs) = sign_batch(signer, docs).await?;
            let mut signed_docs = docs.into_iter().zip(sigs);
            let mut packages = Vec::with_capacity(chunk.len());
            for (job, acts) in &chunk {
                let signed: Vec<(String, Vec<u8>, Vec<u8>)> = acts
                    .iter()
                    .filter_map(|(name, _)| {
                        signed_docs
                            .next()
                            .map(|(pdf, sig)| (name.clone(), pdf, sig))
                    })
                    .collect();
                let key = (
                    job.recipient.id.clone(),
                    job.nature.code.clone(),
                    job.judge_permission.clone(),
                );
                let not_before = match openings.get(&key) {
                    Some(t) => *t,
                    None => {
                        let t = self
                            .next_opening(
                                &job.recipient.id,
                                &job.nature.code,
                                job.judge_permission.as_deref(),
                                Auth::Pin(cred),
                                job.online,
                            )
                            .await?;
                        *openings.entry(key).or_insert(t)
                    }
                };
                let (path, new) = self.write_package(&PackageInput {
                    office_number: &run.office.0,
                    office_name: &run.office.1,
                    reference: &job.reference,
                    recipient: &job.recipient,
                    nature: job.nature,
                    requerant: &job.requerant,
                    judge_permission: job.judge_permission.as_deref(),
                    source: run.source,
                    edi_batch: run.edi_batch,
                    now: run.now,
                    signed: &signed,
                    office_alsace_moselle: self.config.alsace_moselle,
                })?;
                let documents: Vec<String> = signed.into_iter().map(|(n, _, _)| n).collect();
                packages.push((job.line, new, path, not_before, documents));
            }
            let done = self.store().batch(|b| {
                let mut out = Vec::with_capacity(packages.len());
                for (line, new, path, not_before, documents) in &packages {
                    let item = b.enqueue_service(new, path, *not_before)?;
                    out.push(Queued {
                        line: *line,
                        reference: new.reference.clone(),
                        service_id: item.service_id.0,
                        outbox_id: item.id,
                        documents: documents.clone(),
                        not_before: *not_before,
                    });
                }
                Ok(out)
            })?;
            for q in &done {
                queued(q);
            }
            all.extend(done);
            checkpoint("queued");
        }
        Ok(all)
    }
}

/// The package ZIP (stored entries): manifest, acts, signatures, data message, single flow.
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
        office_alsace_moselle: p.office_alsace_moselle,
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
    let message = message.to_xml();
    zip.start_file(sceau_core::package::DATA_MESSAGE_NAME, opts)
        .map_err(zip_err)?;
    zip.write_all(message.as_bytes()).map_err(io_err)?;
    // The single XML flow the recipient is offered (arrêté of 2012, art. 8).
    let names: Vec<String> = signed
        .iter()
        .map(|(n, _, _)| sceau_core::package::signature_name(n))
        .collect();
    let acts: Vec<sceau_core::flow::FlowAct<'_>> = signed
        .iter()
        .zip(&names)
        .map(|((n, pdf, sig), sig_name)| sceau_core::flow::FlowAct {
            name: n,
            pdf,
            signature_name: sig_name,
            signature: sig,
        })
        .collect();
    zip.start_file(sceau_core::flow::FLOW_NAME, opts)
        .map_err(zip_err)?;
    zip.write_all(&sceau_core::flow::build(&message, &acts))
        .map_err(io_err)?;
    Ok(zip.finish().map_err(zip_err)?.into_inner())
}
