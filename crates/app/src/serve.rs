//! Serving an act from the form: validate → the shared pipeline (convert to PDF/A-1b and check
//! the consent mention → optional preview → sign on the token → package → outbox, see
//! `pipeline.rs`) → upload when online and open → attestation and archive downloaded.
//! Everything up to the outbox works without network; the outbox makes the upload exactly-once
//! (the idempotency key is stored with the package, in the same transaction as the service).

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use sceau_core::draft::Draft;
use sceau_token::Role;
use serde::Serialize;

use crate::error::{input, io, Error, Result};
use crate::pipeline::{Acts, Job, Run};
use crate::progress::{failed, step, ProgressSink, Step, StepStatus};
use crate::{App, Auth, Credentials, RecipientView, SentItem};

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

impl App {
    /// Serves an act (see the module documentation). Each of the six steps is reported to
    /// `progress`; a failure before the outbox leaves nothing behind, one after it leaves the
    /// package queued.
    /// [`ServeOptions`] say what the form adds (a stamp of the consent mention, the chosen
    /// certificates).
    pub async fn serve(
        &self,
        req: &ServeRequest,
        options: &ServeOptions,
        cred: &Credentials,
        progress: ProgressSink,
    ) -> Result<ServeOutcome> {
        let office = self.office()?;
        let (job, signature_cert) = self.service_job(req, options, cred).await?;
        let reference = job.reference.clone();
        let online = job.online;
        let run = Run {
            office,
            now: Utc::now(),
            source: sceau_store::Source::Form,
            edi_batch: None,
            stamp_consent: options.stamp_consent,
            work: self
                .config
                .data_dir
                .join("edi")
                .join(format!("form-{}", uuid::Uuid::new_v4())),
        };
        let queued = self
            .convert_and_queue(job, req, &run, signature_cert, cred, &progress)
            .await;
        let _ = std::fs::remove_dir_all(&run.work);
        let queued = queued?;
        self.log("Signification préparée", &reference);
        let mut outcome = ServeOutcome {
            service_id: queued.service_id,
            outbox_id: queued.outbox_id,
            documents: queued.documents,
            scheduled_for: (queued.not_before > Utc::now()).then_some(queued.not_before),
            deposit: None,
            queued_reason: None,
        };
        if let Err(reason) = may_send_now(req, online, &outcome) {
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
        let report = self.send_outbox(Auth::Pin(cred), progress.clone()).await?;
        if let Some(s) = report
            .sent
            .into_iter()
            .find(|s| s.outbox_id == outcome.outbox_id)
        {
            outcome.deposit = Some(s);
        } else if let Some((_, code, msg)) = report
            .refused
            .into_iter()
            .find(|r| r.0 == outcome.outbox_id)
        {
            return Err(Error::DepositRefused {
                vault_code: code,
                reason: msg,
            });
        } else {
            outcome.queued_reason = report.stopped_because;
        }
        Ok(outcome)
    }

    /// The service the form describes, checked before anything is converted: the draft (the
    /// rule of `sceau_core::draft`), its files, a reference not used yet, the key (a wrong or
    /// locked PIN stops here), the chosen authentication certificate, the recipient and a
    /// consent in force for the nature (CPC 748-2).
    async fn service_job(
        &self,
        req: &ServeRequest,
        options: &ServeOptions,
        cred: &Credentials,
    ) -> Result<(Job, sceau_token::CertificateInfo)> {
        let catalogue = sceau_core::natures::Catalogue::shipped()?;
        let draft = Draft {
            reference: &req.reference,
            recipient: &req.recipient,
            requerant: &req.requerant,
            nature: &req.nature,
            documents: req.files.len(),
        };
        let (problems, nature) = draft.check(catalogue);
        if let Some(p) = problems.into_iter().next() {
            return Err(sceau_core::CoreError::Draft(p).into());
        }
        let nature = nature.ok_or_else(|| Error::Internal("nature".into()))?;
        for f in &req.files {
            if !f.is_file() {
                return Err(input(
                    "app.document_missing",
                    format!("Le document {} est introuvable.", f.display()),
                ));
            }
        }
        let reference = req.reference.trim().to_owned();
        if let Some(s) = self.store().service_by_reference(&reference)? {
            return Err(input(
                "app.duplicate_reference",
                format!(
                    "La référence « {reference} » est déjà utilisée (signification n° {}). Consultez la file d'envoi ou choisissez une autre référence.",
                    s.id
                ),
            ));
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
        if let Some(why) = self
            .consent_refusal(
                &recipient.id,
                &nature.code,
                Auth::Pin(cred),
                req.offline || !online,
            )
            .await?
        {
            return Err(input(
                "app.no_consent",
                format!("{} : {why}", recipient.name),
            ));
        }
        let job = Job {
            line: 1,
            reference,
            recipient: std::sync::Arc::new(recipient),
            online,
            nature,
            requerant: req.requerant.trim().to_owned(),
            judge_permission: req.judge_permission.clone(),
            files: req.files.clone(),
        };
        Ok((job, signature_cert))
    }

    /// Steps 1 and 2 of the form's service through the shared pipeline, reported to
    /// `progress`; the converted acts go to the preview folder if one is asked.
    async fn convert_and_queue(
        &self,
        job: Job,
        req: &ServeRequest,
        run: &Run<'_>,
        signature_cert: sceau_token::CertificateInfo,
        cred: &Credentials,
        progress: &ProgressSink,
    ) -> Result<crate::pipeline::Queued> {
        let reference = job.reference.clone();
        step(progress, &reference, Step::Convert, StepStatus::Running);
        let converted = self
            .convert_jobs(std::slice::from_ref(&job), run, |_, _| {})
            .await
            .and_then(|mut v| {
                v.pop()
                    .unwrap_or_else(|| Err(Error::Internal("conversion".into())))
            });
        let acts: Acts = match converted {
            Ok(acts) => acts,
            Err(e) => {
                step(progress, &reference, Step::Convert, failed(&e));
                return Err(e);
            }
        };
        step(progress, &reference, Step::Convert, StepStatus::Done);
        if let Some(dir) = &req.preview_dir {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
            for (name, sealed) in &acts {
                let p = dir.join(name);
                std::fs::write(&p, self.seal.read(sealed)?).map_err(io(&p))?;
            }
        }
        step(progress, &reference, Step::Sign, StepStatus::Running);
        let signed = async {
            let signer = self.signer(signature_cert, cred).await?;
            self.sign_and_queue(vec![(job, acts)], run, &signer, cred, |_| {})
                .await
        }
        .await;
        match signed.map(|mut q| q.pop()) {
            Ok(Some(q)) => {
                step(progress, &reference, Step::Sign, StepStatus::Done);
                Ok(q)
            }
            Ok(None) => Err(Error::Internal("queue".into())),
            Err(e) => {
                step(progress, &reference, Step::Sign, failed(&e));
                Err(e)
            }
        }
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
                    self.search_recipients(&compact, Some(Auth::Pin(cred)))
                        .await
                } else {
                    self.recipient_card(&compact, None, None, Auth::Pin(cred))
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
        auth: Auth<'_>,
        online: bool,
    ) -> Result<DateTime<Utc>> {
        let now = Utc::now();
        if online {
            let client = self.vault_client(auth).await?;
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
                Err(e) if e.is_out_of_reach() => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Offline: the recipient's place as the vault gave it and the cache keeps it.
        let place = self.store().recipient(recipient)?.and_then(|r| r.region);
        Ok(offline_next_opening(
            now,
            place.as_ref(),
            self.config.office_region().as_ref(),
            judge_permission,
        ))
    }
}

/// When a service prepared without the vault may be sent: CPC 664 in the governing place
/// (`sceau_core::place::governing_place`: the recipient's when known, else the office's, else
/// Paris) — its calendar and its local 6:00–21:00 — `now` when open. The vault decides again
/// at the deposit, with its trusted time and the places it knows.
pub(crate) fn offline_next_opening(
    now: DateTime<Utc>,
    recipient: Option<&sceau_core::region::Region>,
    office: Option<&sceau_core::region::Region>,
    judge_permission: Option<&str>,
) -> DateTime<Utc> {
    let place = sceau_core::place::governing_place(recipient, office);
    sceau_core::hours::try_next_opening_in(now, None, judge_permission, &place).unwrap_or(now)
}

/// Why a service just queued is not sent now, in French; `Ok` when it may go.
fn may_send_now(
    req: &ServeRequest,
    online: bool,
    outcome: &ServeOutcome,
) -> std::result::Result<(), String> {
    if req.offline {
        return Err("Préparé hors ligne : l'acte attend dans la file d'envoi et partira à la prochaine synchronisation.".to_owned());
    }
    if !online {
        return Err("Coffre-fort injoignable : l'acte attend dans la file d'envoi.".to_owned());
    }
    match outcome.scheduled_for {
        Some(at) => Err(format!(
            "Hors des heures de réception : l'envoi est programmé pour le {}.",
            sceau_core::naming::format_paris(at)
        )),
        None => Ok(()),
    }
}

fn not_found(key: &str) -> Error {
    input(
        "app.unknown_recipient",
        format!("Aucun destinataire ne correspond à « {key} » dans l'annuaire du coffre-fort."),
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use chrono_tz::Tz;
    use sceau_core::region::Region;

    use super::offline_next_opening;

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn code(c: &str) -> Region {
        Region::from_code(c).unwrap()
    }

    /// The workstation's offline pre-check follows the recipient's place as the vault does:
    /// Martinique's own 21:00, Alsace-Moselle's 26 December only for an Alsatian place.
    #[test]
    fn offline_the_recipient_s_place_governs() {
        let mq = chrono_tz::America::Martinique;
        let martinique = code("972");
        // Tuesday 12 January 2027, 20:30 in Fort-de-France (01:30 in Paris): open.
        let now = at(mq, 2027, 1, 12, 20, 30);
        assert_eq!(
            offline_next_opening(now, Some(&martinique), None, None),
            now
        );
        // The office's place does not matter when the recipient's is known.
        assert_eq!(
            offline_next_opening(now, Some(&martinique), Some(&code("67")), None),
            now
        );
        // Without the recipient's place, Paris's 01:30 (on the 13th) is closed until 06:00.
        assert_eq!(
            offline_next_opening(now, None, None, None),
            at(chrono_tz::Europe::Paris, 2027, 1, 13, 6, 0)
        );
        // 21:30 in Fort-de-France: closed until 06:00 there the next day.
        let late = at(mq, 2027, 1, 12, 21, 30);
        assert_eq!(
            offline_next_opening(late, Some(&martinique), None, None),
            at(mq, 2027, 1, 13, 6, 0)
        );
        // Saturday 26 December 2026, 10:00: Saint-Étienne for an Alsatian recipient (and for
        // an Alsatian office's recipient of unknown place), a working Saturday in Paris.
        let paris = chrono_tz::Europe::Paris;
        let boxing_day = at(paris, 2026, 12, 26, 10, 0);
        let monday = at(paris, 2026, 12, 28, 6, 0);
        assert_eq!(
            offline_next_opening(boxing_day, Some(&code("67")), None, None),
            monday
        );
        assert_eq!(
            offline_next_opening(boxing_day, None, Some(&code("67")), None),
            monday
        );
        assert_eq!(
            offline_next_opening(boxing_day, Some(&code("75")), Some(&code("67")), None),
            boxing_day
        );
        // La Réunion (UTC+4): 21:30 local is 18:30 in Paris, yet closed there; and its own
        // 20 December (abolition of slavery) is a holiday.
        let re = chrono_tz::Indian::Reunion;
        let reunion = code("974");
        assert_eq!(
            offline_next_opening(at(re, 2027, 1, 12, 21, 30), Some(&reunion), None, None),
            at(re, 2027, 1, 13, 6, 0)
        );
        assert_eq!(
            offline_next_opening(at(re, 2027, 12, 20, 10, 0), Some(&reunion), None, None),
            at(re, 2027, 12, 21, 6, 0)
        );
    }
}
