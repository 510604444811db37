//! The office's vault ("Mon coffre-fort"): "Transférer" — files of the workstation into a
//! folder of the office's vault, for the window, the CLI and the tests alike.
//!
//! Every local file is checked before anything is sent (it exists, it is a regular file, its
//! name gives a vault name, no two files give the same name), so a typo never leaves half a
//! selection transferred. Files then go one by one, each streamed from disk; a refusal names
//! the file, keeps the vault's code and says which files were already transferred. Progress
//! (`Progress::VaultUpload`: bytes of the current file, files done) is reported when a file
//! starts, then every MiB (1 % above 100 MiB) and at its last byte. The manual
//! puts no restriction on the kinds of files an office keeps in its vault, so none is made
//! here; the vault bounds the size.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sceau_proto::VaultEntry;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::progress::{Progress, ProgressSink};
use crate::{App, Auth};

const MIB: u64 = 1024 * 1024;

/// Bytes between two progress reports of one file: 1 MiB, or 1 % of a file above 100 MiB (the
/// client reads 256 KiB chunks; a report per chunk would flood the window with events).
fn report_step(total: u64) -> u64 {
    (total / 100).max(MIB)
}

/// Whether `sent` bytes of `total` deserve a report when `last` was the last one reported.
fn report_due(sent: u64, total: u64, last: u64) -> bool {
    sent >= total || sent >= last.saturating_add(report_step(total))
}

/// One file transferred into the office's vault.
#[derive(Debug, Clone, Serialize)]
pub struct Transferred {
    /// The file of the workstation.
    pub local: PathBuf,
    /// Its entry in the vault (path, size, SHA-256, time).
    pub entry: VaultEntry,
}

/// A file of `paths` checked for transfer: where it is and its name in the vault.
#[derive(Debug)]
struct Planned {
    local: PathBuf,
    name: String,
    /// Its size when checked (the first progress report's total).
    size: u64,
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The vault's folder path without surrounding slashes ("" = root).
fn folder_path(folder: &str) -> String {
    folder.trim_matches('/').to_owned()
}

/// Checks every local file and gives each its vault name: the file name as sceau-core
/// sanitises it (accents transliterated, forbidden characters replaced), since the vault takes
/// only names that sanitising leaves unchanged.
fn plan(paths: &[PathBuf]) -> Result<Vec<Planned>> {
    if paths.is_empty() {
        return Err(Error::Input {
            code: "app.upload_none",
            message: "Aucun fichier à transférer : choisissez au moins un fichier du poste.".into(),
        });
    }
    let mut out: Vec<Planned> = Vec::with_capacity(paths.len());
    for p in paths {
        let shown = display_name(p);
        let meta = std::fs::metadata(p).map_err(|e| Error::Input {
            code: "app.upload_missing",
            message: format!(
                "Le fichier « {shown} » est introuvable ou illisible ({e}) : vérifiez qu'il \
                 existe toujours sur le poste, puis choisissez-le de nouveau."
            ),
        })?;
        if !meta.is_file() {
            return Err(Error::Input {
                code: "app.upload_not_file",
                message: format!(
                    "« {shown} » n'est pas un fichier (un dossier ?) : seuls des fichiers se \
                     transfèrent ; créez le dossier dans le coffre-fort puis transférez-y ses \
                     fichiers."
                ),
            });
        }
        let Some(raw) = p.file_name().and_then(|n| n.to_str()) else {
            return Err(Error::Input {
                code: "app.upload_name",
                message: format!(
                    "Le nom du fichier « {shown} » n'est pas lisible : renommez-le sur le poste \
                     avant de le transférer."
                ),
            });
        };
        let name = sceau_core::naming::sanitize(raw);
        if out.iter().any(|o| o.name == name) {
            return Err(Error::Input {
                code: "app.upload_duplicate",
                message: format!(
                    "Deux fichiers choisis porteraient le même nom « {name} » dans le \
                     coffre-fort : renommez l'un d'eux ou transférez-les dans des dossiers \
                     différents."
                ),
            });
        }
        out.push(Planned {
            local: p.clone(),
            name,
            size: meta.len(),
        });
    }
    Ok(out)
}

impl App {
    /// "Transférer": puts the files `paths` of the workstation into `folder` of the office's
    /// vault ("" = root), one by one, and returns what was transferred, in order. The local
    /// files are checked before the key is used.
    pub async fn vault_upload(
        &self,
        auth: Auth<'_>,
        folder: &str,
        paths: &[PathBuf],
        progress: ProgressSink,
    ) -> Result<Vec<Transferred>> {
        let planned = plan(paths)?;
        let client = self.vault_client(auth).await?;
        let folder = folder_path(folder);
        let files_total = planned.len();
        let mut done: Vec<Transferred> = Vec::with_capacity(files_total);
        for p in planned {
            let target = if folder.is_empty() {
                p.name.clone()
            } else {
                format!("{folder}/{}", p.name)
            };
            let name = display_name(&p.local);
            let files_done = done.len();
            let total = p.size;
            progress(Progress::VaultUpload {
                name: name.clone(),
                files_done,
                files_total,
                sent: 0,
                total,
            });
            let last = Arc::new(AtomicU64::new(0));
            let sink = progress.clone();
            let report = move |sent: u64, total: u64| {
                // The body stream calls this from one task at a time, in order.
                if report_due(sent, total, last.load(Ordering::Relaxed)) {
                    last.store(sent, Ordering::Relaxed);
                    sink(Progress::VaultUpload {
                        name: name.clone(),
                        files_done,
                        files_total,
                        sent,
                        total,
                    });
                }
            };
            match client.vault_upload(&target, &p.local, report).await {
                Ok(entry) => {
                    self.log("Transfert dans le coffre-fort", &entry.path);
                    done.push(Transferred {
                        local: p.local,
                        entry,
                    });
                }
                Err(source) => {
                    return Err(Error::Upload {
                        file: display_name(&p.local),
                        done: done.iter().map(|t| t.entry.path.clone()).collect(),
                        source: Box::new(Error::Client(source)),
                    })
                }
            }
        }
        tracing::info!(
            files = done.len(),
            "files transferred into the office vault"
        );
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_reported_each_mib_or_percent_and_at_the_end() {
        // A 5 MiB file read in 256 KiB chunks: a report at each MiB, the last at its size.
        let total = 5 * MIB;
        let mut last = 0;
        let mut reported = Vec::new();
        for sent in (1..=20).map(|i| i * 256 * 1024) {
            if report_due(sent, total, last) {
                last = sent;
                reported.push(sent / MIB);
            }
        }
        assert_eq!(reported, [1, 2, 3, 4, 5]);
        // A small file: only its end.
        assert!(!report_due(100, 1000, 0));
        assert!(report_due(1000, 1000, 0));
        // 1 % above 100 MiB: at most about a hundred reports per file.
        assert_eq!(report_step(1000 * MIB), 10 * MIB);
        assert_eq!(report_step(10 * MIB), MIB);
    }

    #[test]
    fn plan_checks_every_file_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("Relevé n°1.pdf");
        let b = dir.path().join("notes.txt");
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&b, b"b").unwrap();
        let p = plan(&[a.clone(), b.clone()]).unwrap();
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Releve n_1.pdf", "notes.txt"]);

        let missing = dir.path().join("absent.pdf");
        let e = plan(&[a.clone(), missing]).unwrap_err();
        assert_eq!(e.code(), "app.upload_missing");
        assert!(e.message_fr().contains("absent.pdf"));

        let e = plan(&[dir.path().to_path_buf()]).unwrap_err();
        assert_eq!(e.code(), "app.upload_not_file");

        let other = dir.path().join("sub");
        std::fs::create_dir(&other).unwrap();
        let twin = other.join("Releve n_1.pdf");
        std::fs::write(&twin, b"c").unwrap();
        let e = plan(&[a, twin]).unwrap_err();
        assert_eq!(e.code(), "app.upload_duplicate");

        assert_eq!(plan(&[]).unwrap_err().code(), "app.upload_none");
    }

    #[test]
    fn a_refusal_names_the_file_and_what_was_done() {
        let e = Error::Upload {
            file: "b.pdf".into(),
            done: vec!["Courriers/a.pdf".into()],
            source: Box::new(Error::Client(sceau_client::Error::Vault {
                status: 409,
                code: "path_exists".into(),
                message: "Un élément portant ce nom existe déjà.".into(),
            })),
        };
        assert_eq!(e.code(), "vault.path_exists");
        let m = e.message_fr();
        assert!(m.contains("« b.pdf »"), "{m}");
        assert!(m.contains("existe déjà"), "{m}");
        assert!(m.contains("Courriers/a.pdf"), "{m}");
    }
}
