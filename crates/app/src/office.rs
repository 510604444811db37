//! The workstation's use cases that the window and the CLI used to write each in their own way:
//! the office's vault (list, folders, move, rename, properties, delete, usage, proof, download),
//! saving a
//! file to a destination (one naming rule for the plain letter, proofs and downloads), the
//! outbox as shown, whether the outbox has something due, search with its in-page filter, and
//! the key's status. Each takes how it is authorised ([`Auth`]) instead of a PIN variant and a
//! session variant.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sceau_client::VaultClient;
use sceau_proto::{VaultEntry, VaultListing};
use sceau_store::{OutboxRow, OutboxState, Page, SearchCriteria, Service, PAGE_SIZE};
use sceau_token::{CertificateInfo, TokenInfo, TokenSelector};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::letter::Letter;
use crate::{App, Credentials};

/// How a use case reaching the vault is authorised.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// A PIN typed for this call (the CLI): the token's authentication key, logged in now.
    Pin(&'a Credentials),
    /// The window's open session (`app.not_connected` when there is none).
    Session,
}

/// Where a saved file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Into this folder, under the name the app's rule gives (created if missing).
    Folder(PathBuf),
    /// Exactly this file (the CLI's `--out`).
    File(PathBuf),
}

impl Destination {
    /// The file to write for a file whose rule-given name is `name`.
    pub(crate) fn file(&self, name: &str) -> Result<PathBuf> {
        match self {
            Destination::File(p) => Ok(p.clone()),
            Destination::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                    path: dir.clone(),
                    source,
                })?;
                Ok(dir.join(name))
            }
        }
    }
}

/// The file of a service's detail sheet to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceFile {
    /// The act's archive.
    Archive,
    /// The delivery notice.
    DeliveryNotice,
    /// The recipient's return.
    Return,
}

/// A file saved on the workstation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Saved {
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// The name of the plain letter of the service `reference`: `<reference>_LETTRE.pdf`, as the
/// manual names an act's companion files (`<act>_REMISE.pdf`). The window used to write
/// `lettre_simple_<reference>.pdf` while the CLI wrote this one; this rule is the app's.
pub fn letter_file_name(reference: &str) -> String {
    format!("{}_LETTRE.pdf", sceau_core::naming::sanitize(reference))
}

/// The name under which a file of the vault at `path` is saved: its last component, sanitised.
pub fn download_file_name(path: &str) -> String {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    sceau_core::naming::sanitize(name)
}

/// The name of the proof of integrity of the vault file at `path`: `<name>.preuve.json`.
pub fn proof_file_name(path: &str) -> String {
    format!("{}.preuve.json", download_file_name(path))
}

/// The path of `name` inside `folder` of the vault ("" = root).
pub fn vault_path_in(folder: &str, name: &str) -> String {
    let folder = folder.trim_matches('/');
    if folder.is_empty() {
        name.to_owned()
    } else {
        format!("{folder}/{name}")
    }
}

/// The rename rule: `path` renamed to `new_name` in the same folder. The name is trimmed and
/// must be neither empty nor contain `/` (moving is another use case).
pub fn renamed_path(path: &str, new_name: &str) -> Result<String> {
    let name = new_name.trim();
    if name.is_empty() || name.contains('/') {
        return Err(Error::Input {
            code: "app.bad_name",
            message: "Le nouveau nom ne peut pas être vide ni contenir « / ». Pour changer de \
                      dossier, déplacez l'élément."
                .into(),
        });
    }
    let parent = path
        .trim_matches('/')
        .rsplit_once('/')
        .map(|(p, _)| p)
        .unwrap_or("");
    Ok(vault_path_in(parent, name))
}

/// The description typed in the window or given to the CLI, as the vault takes it: line ends
/// made line feeds (a pasted Windows text), ends trimmed, then the vault's own rule
/// ([`sceau_proto::check_description`]) checked here too, so that a refusal needs no PIN
/// and no round trip. Empty: no description.
pub fn vault_description(text: &str) -> Result<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    sceau_proto::check_description(text).map_err(|p| Error::Input {
        code: "app.description_invalid",
        message: format!("Description refusée : {}.", p.message_fr()),
    })?;
    Ok(text.to_owned())
}

/// A search: the store's criteria (with their sort) and "Filtrer dans les résultats", applied to
/// every match before the results are cut into pages.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the store selects (indexed).
    pub criteria: SearchCriteria,
    /// Words the visible columns (reference, recipient, first document, nature) must contain,
    /// case-insensitively; empty or blank = no filter.
    pub filter: Option<String>,
}

/// A row of the search results as both faces show it.
#[derive(Debug, Clone)]
pub struct SearchRow {
    /// The service.
    pub service: Service,
    /// Its first document's name ("" when it has none).
    pub first_document: String,
    /// The nature's label from the catalogue (its code when unknown).
    pub nature_label: String,
}

impl SearchRow {
    fn matches(&self, filter: &str) -> bool {
        format!(
            "{} {} {} {}",
            self.service.reference,
            self.service.recipient_name,
            self.first_document,
            self.nature_label
        )
        .to_lowercase()
        .contains(filter)
    }
}

/// With a filter, a search's total is counted only when its criteria select at most this many
/// services (each is read with its first document to be filtered).
const FILTERED_TOTAL_SCAN: usize = 1000;

/// The filter of `query`, trimmed and lower-cased; `None` when blank.
fn query_filter(query: &SearchQuery) -> Option<String> {
    query
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_lowercase)
}

/// The key as the connection screen shows it.
#[derive(Debug, Clone)]
pub struct TokenStatus {
    /// The PKCS#11 module configured or found (empty when none).
    pub module: PathBuf,
    /// Whether the module could be loaded.
    pub module_loaded: bool,
    /// The keys plugged in, with their certificates.
    pub tokens: Vec<(TokenInfo, Vec<CertificateInfo>)>,
}

/// The instants bounding the Paris days from `from` to `to`, both included (search dates are
/// Paris days): the first day's start and the start of the day after the last.
pub fn paris_days(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        from.map(sceau_core::paris_day_start),
        to.and_then(|d| d.succ_opt())
            .map(sceau_core::paris_day_start),
    )
}

/// The nature's label from the shipped catalogue, else its code.
pub fn nature_label(code: &str) -> String {
    sceau_core::natures::Catalogue::shipped()
        .ok()
        .and_then(|c| c.get(code).map(|n| n.label_fr.clone()))
        .unwrap_or_else(|| code.to_owned())
}

impl App {
    /// The vault client for `auth`.
    pub async fn vault_client(&self, auth: Auth<'_>) -> Result<VaultClient> {
        match auth {
            Auth::Pin(cred) => self.client(cred).await,
            Auth::Session => self.session_vault(),
        }
    }

    /// `auth`, unless it names the window's session while none is open (a use case that can
    /// answer from the workstation's copy then does so, as without `auth`).
    pub(crate) fn reachable<'a>(&self, auth: Option<Auth<'a>>) -> Option<Auth<'a>> {
        auth.filter(|a| !matches!(a, Auth::Session) || self.session_open())
    }

    /// A folder of the office's vault ("" = root) and the space used.
    pub async fn vault_list(&self, auth: Auth<'_>, folder: &str) -> Result<VaultListing> {
        Ok(self.vault_client(auth).await?.vault_list(folder).await?)
    }

    /// The space the office's vault uses, in bytes.
    pub async fn vault_usage(&self, auth: Auth<'_>) -> Result<u64> {
        Ok(self.vault_list(auth, "").await?.space_used)
    }

    /// Creates a folder.
    pub async fn vault_mkdir(&self, auth: Auth<'_>, path: &str) -> Result<VaultEntry> {
        let e = self.vault_client(auth).await?.vault_mkdir(path).await?;
        self.log("Dossier créé dans le coffre-fort", &e.path);
        Ok(e)
    }

    /// Moves an entry to the path `to`.
    pub async fn vault_move(&self, auth: Auth<'_>, from: &str, to: &str) -> Result<VaultEntry> {
        let e = self.vault_client(auth).await?.vault_move(from, to).await?;
        self.log("Déplacement dans le coffre-fort", &e.path);
        Ok(e)
    }

    /// Moves an entry into `folder`, keeping its name.
    pub async fn vault_move_into(
        &self,
        auth: Auth<'_>,
        from: &str,
        folder: &str,
    ) -> Result<VaultEntry> {
        let name = from
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(from);
        self.vault_move(auth, from, &vault_path_in(folder, name))
            .await
    }

    /// Renames an entry in its folder ([`renamed_path`]; checked before the key is used).
    pub async fn vault_rename(
        &self,
        auth: Auth<'_>,
        path: &str,
        new_name: &str,
    ) -> Result<VaultEntry> {
        let to = renamed_path(path, new_name)?;
        self.vault_move(auth, path, &to).await
    }

    /// "Éditer propriétés": sets the description ([`vault_description`]; empty: none) and/or
    /// sets or extends the retention to the end of `retain_until` (the vault refuses a date
    /// in the past or earlier than the current retention); `None` leaves a field as it is.
    /// Answers the entry as it now is. The description is not written to the session log.
    pub async fn vault_set_properties(
        &self,
        auth: Auth<'_>,
        path: &str,
        description: Option<&str>,
        retain_until: Option<chrono::NaiveDate>,
    ) -> Result<VaultEntry> {
        let req = sceau_proto::VaultPropertiesRequest {
            path: path.to_owned(),
            description: description.map(vault_description).transpose()?,
            retain_until,
        };
        let e = self
            .vault_client(auth)
            .await?
            .vault_set_properties(&req)
            .await?;
        self.log("Propriétés modifiées dans le coffre-fort", &e.path);
        Ok(e)
    }

    /// Deletes an entry (the vault refuses archives under retention and non-empty folders).
    pub async fn vault_delete(&self, auth: Auth<'_>, path: &str) -> Result<()> {
        self.vault_client(auth).await?.vault_delete(path).await?;
        self.log("Suppression dans le coffre-fort", path);
        Ok(())
    }

    /// Saves a file of the office's vault ([`download_file_name`] in a folder).
    pub async fn vault_download(
        &self,
        auth: Auth<'_>,
        path: &str,
        to: &Destination,
    ) -> Result<Saved> {
        let file = to.file(&download_file_name(path))?;
        let size = self
            .vault_client(auth)
            .await?
            .vault_download(path, &file)
            .await?;
        Ok(Saved { path: file, size })
    }

    /// Saves the verifiable proof of integrity of a vault file (JSON, [`proof_file_name`] in a
    /// folder); returns where and the file's SHA-256 the proof covers.
    pub async fn vault_proof(
        &self,
        auth: Auth<'_>,
        path: &str,
        to: &Destination,
    ) -> Result<(Saved, String)> {
        let proof = self.vault_client(auth).await?.vault_proof(path).await?;
        let file = to.file(&proof_file_name(path))?;
        let json = serde_json::to_vec_pretty(&proof).map_err(|e| Error::Input {
            code: "app.proof_encoding",
            message: format!("La preuve reçue du coffre-fort n'a pas pu être écrite ({e})."),
        })?;
        write(&file, &json)?;
        Ok((
            Saved {
                path: file,
                size: json.len() as u64,
            },
            proof.sha256,
        ))
    }

    /// Writes the plain letter of service `key` (PDF/A-1b, [`letter_file_name`] in a folder).
    pub fn save_letter(&self, key: &str, to: &Destination) -> Result<(Letter, Saved)> {
        let (letter, pdf) = self.letter_pdf(key)?;
        let reference = self.service(key)?.reference;
        let file = to.file(&letter_file_name(&reference))?;
        write(&file, &pdf)?;
        Ok((
            letter,
            Saved {
                path: file,
                size: pdf.len() as u64,
            },
        ))
    }

    /// Saves a file of a service's detail sheet: the local copy kept by sync, else the
    /// vault's (which needs `auth`).
    pub async fn save_service_file(
        &self,
        auth: Auth<'_>,
        key: &str,
        which: ServiceFile,
        to: &Destination,
    ) -> Result<Saved> {
        let v = self.show(key, Some(auth)).await?;
        let local = match which {
            ServiceFile::Archive => v.archive.clone(),
            ServiceFile::DeliveryNotice => v.delivery_notice_file.clone(),
            ServiceFile::Return => v.return_file.clone(),
        };
        if let Some(p) = local {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = to.file(&name)?;
            let bytes = self.seal.read(&p)?;
            write(&file, &bytes)?;
            return Ok(Saved {
                path: file,
                size: bytes.len() as u64,
            });
        }
        let remote = v.vault.as_ref().and_then(|d| match which {
            ServiceFile::Archive => Some(d.attestation.archive_path.clone()),
            ServiceFile::DeliveryNotice => d.delivery_notice.as_ref().map(|f| f.path.clone()),
            ServiceFile::Return => d.act_return.as_ref().map(|f| f.path.clone()),
        });
        let Some(remote) = remote else {
            return Err(Error::Input {
                code: "app.file_not_available",
                message: "Ce document n'est pas encore disponible : synchronisez puis \
                          réessayez."
                    .into(),
            });
        };
        self.vault_download(auth, &remote, to).await
    }

    /// The outbox as shown: every package with its service (one query).
    pub fn outbox_view(&self) -> Result<Vec<OutboxRow>> {
        Ok(self.store().outbox_view()?)
    }

    /// Whether a package of the outbox is due at `now` (a deposit scheduled at the recipient's
    /// opening, or a retry): the background sync sends it then.
    pub fn outbox_due(&self, now: DateTime<Utc>) -> bool {
        self.outbox_view().is_ok_and(|rows| {
            rows.iter()
                .any(|r| r.state == OutboxState::Prepared && r.next_attempt_at <= now)
        })
    }

    /// One page (from 0) of services matching `query`; the in-page filter is applied to every
    /// match before pagination, so a page is full whenever more matches exist.
    pub fn search_services(&self, query: &SearchQuery, page: usize) -> Result<Page<SearchRow>> {
        let Some(filter) = query_filter(query) else {
            let found = self.store().search(&query.criteria, page)?;
            return Ok(Page {
                items: self.search_rows(found.items)?,
                page,
                has_more: found.has_more,
            });
        };
        let skip = page.saturating_mul(PAGE_SIZE);
        let wanted = skip + PAGE_SIZE + 1;
        let mut matched = Vec::new();
        let mut store_page = 0;
        loop {
            let found = self.store().search(&query.criteria, store_page)?;
            for row in self.search_rows(found.items)? {
                if row.matches(&filter) {
                    matched.push(row);
                }
            }
            if matched.len() >= wanted || !found.has_more {
                break;
            }
            store_page += 1;
        }
        let has_more = matched.len() >= wanted;
        Ok(Page {
            items: matched.into_iter().skip(skip).take(PAGE_SIZE).collect(),
            page,
            has_more,
        })
    }

    /// How many services match `query` ("124 significations trouvées"), when that is cheap to
    /// know: without a filter, the store's index count; with one, the matches among the first
    /// [`FILTERED_TOTAL_SCAN`] services of the criteria (`None` when more remain: the window then
    /// pages on without a total).
    pub fn search_total(&self, query: &SearchQuery) -> Result<Option<u64>> {
        let Some(filter) = query_filter(query) else {
            return Ok(Some(self.store().search_count(&query.criteria)?));
        };
        let mut n = 0u64;
        for store_page in 0..FILTERED_TOTAL_SCAN / PAGE_SIZE {
            let found = self.store().search(&query.criteria, store_page)?;
            n += self
                .search_rows(found.items)?
                .iter()
                .filter(|r| r.matches(&filter))
                .count() as u64;
            if !found.has_more {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    fn search_rows(&self, services: Vec<Service>) -> Result<Vec<SearchRow>> {
        services
            .into_iter()
            .map(|service| {
                Ok(SearchRow {
                    first_document: self
                        .service_documents(service.id.0)?
                        .into_iter()
                        .next()
                        .unwrap_or_default(),
                    nature_label: nature_label(&service.nature),
                    service,
                })
            })
            .collect()
    }

    /// The key's status: the module, and when it loads, each plugged key with its
    /// certificates. A missing or unloadable module is a status, not an error.
    pub async fn token_status(&self) -> Result<TokenStatus> {
        let module = self.config().module.clone();
        let missing = |module: PathBuf| TokenStatus {
            module,
            module_loaded: false,
            tokens: vec![],
        };
        if module.as_os_str().is_empty() || !module.is_file() {
            return Ok(missing(module));
        }
        // Loading a module can block for seconds (a card reader waking up): off the async
        // workers where the runtime allows it.
        let loaded = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| self.tokens())
            }
            _ => self.tokens(),
        };
        let tokens = match loaded {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(code = %e.code(), "PKCS#11 module not loaded");
                return Ok(missing(module));
            }
        };
        let mut out = Vec::new();
        for t in tokens.list().await? {
            let certs = tokens
                .certificates(&TokenSelector::LabelOrSerial(t.serial.clone()))
                .await?;
            out.push((t, certs));
        }
        Ok(TokenStatus {
            module,
            module_loaded: true,
            tokens: out,
        })
    }
}

pub(crate) fn write(file: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(file, bytes).map_err(|source| Error::Io {
        path: file.to_path_buf(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_normalised_then_checked_before_the_vault_is_asked() {
        assert_eq!(
            vault_description("  Dossier Martin\r\nrelance\r ").unwrap(),
            "Dossier Martin\nrelance"
        );
        assert_eq!(vault_description(" ").unwrap(), "");
        let long = "é".repeat(sceau_proto::DESCRIPTION_MAX_CHARS);
        assert_eq!(vault_description(&long).unwrap(), long);
        for bad in [format!("{long}x"), "a\tb".into()] {
            match vault_description(&bad) {
                Err(Error::Input { code, message }) => {
                    assert_eq!(code, "app.description_invalid");
                    assert!(message.starts_with("Description refusée"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_rename_rule_keeps_the_folder_and_refuses_empty_names_and_slashes() {
        assert_eq!(renamed_path("a/b/c.pdf", " d.pdf ").unwrap(), "a/b/d.pdf");
        assert_eq!(renamed_path("c.pdf", "d.pdf").unwrap(), "d.pdf");
        // A folder given with a trailing slash stays in its parent (the CLI's old rule).
        assert_eq!(renamed_path("a/b/", "e").unwrap(), "a/e");
        for bad in ["", "   ", "x/y"] {
            let e = renamed_path("a/c.pdf", bad).unwrap_err();
            assert_eq!(e.code(), "app.bad_name");
            assert!(!e.message_fr().contains("sceau "), "{}", e.message_fr());
        }
    }

    #[test]
    fn saved_files_are_named_by_one_rule() {
        assert_eq!(letter_file_name("2024/0012"), "2024_0012_LETTRE.pdf");
        assert_eq!(proof_file_name("dossier/a b.zip"), "a b.zip.preuve.json");
        assert_eq!(download_file_name("x/y/acte.pdf"), "acte.pdf");
        assert_eq!(vault_path_in("/x/", "n"), "x/n");
        assert_eq!(vault_path_in("", "n"), "n");
    }
}
