//! `sceau vault` and `sceau letter`: the office's vault and the plain letter of a service
//! delivered "à domicile".

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sceau_app::{Auth, Destination};
use serde::Serialize;

use crate::engine::{app, credentials, progress, rt};
use crate::output::{when, CliError, Out};
use crate::Cli;

// ---------------------------------------------------------------- vault

/// `sceau vault ...`
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Lister un dossier de votre coffre.
    Ls {
        /// Dossier (vide : la racine).
        #[arg(default_value = "")]
        path: String,
    },
    /// Télécharger un fichier.
    Get {
        /// Fichier du coffre.
        path: String,
        /// Où l'écrire.
        #[arg(long)]
        out: PathBuf,
    },
    /// Transférer des fichiers du poste dans un dossier de votre coffre (« Transférer »).
    Put {
        /// Fichiers du poste.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Dossier du coffre où les déposer (vide : la racine).
        #[arg(long, default_value = "")]
        to: String,
    },
    /// Créer un dossier.
    Mkdir {
        /// Dossier à créer.
        path: String,
    },
    /// Déplacer un fichier ou un dossier.
    Mv {
        /// Chemin actuel.
        from: String,
        /// Nouveau chemin.
        to: String,
    },
    /// Renommer un fichier ou un dossier (même dossier).
    Rename {
        /// Chemin actuel.
        path: String,
        /// Nouveau nom.
        name: String,
    },
    /// Supprimer un fichier ou un dossier vide (jamais une archive avant la fin de sa durée de
    /// conservation).
    Rm {
        /// Chemin.
        path: String,
    },
    /// Propriétés d'un fichier ou d'un dossier : les afficher, ou fixer sa description et sa
    /// date de conservation (prolongée, jamais raccourcie).
    Props {
        /// Chemin.
        path: String,
        /// Description (500 caractères au plus ; vide : aucune).
        #[arg(long)]
        description: Option<String>,
        /// À conserver jusqu'au (AAAA-MM-JJ, fin de journée, heure de Paris) ; jamais plus tôt
        /// que la conservation en cours.
        #[arg(long, value_name = "AAAA-MM-JJ")]
        retain_until: Option<chrono::NaiveDate>,
    },
    /// Espace utilisé.
    Usage,
    /// Exporter la preuve d'intégrité d'un fichier.
    Proof {
        /// Fichier du coffre.
        path: String,
        /// Où écrire la preuve (JSON).
        #[arg(long)]
        out: PathBuf,
    },
}

/// `sceau vault`.
pub fn vault(cli: &Cli, cmd: &VaultCommand, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let cred = credentials(cli, &app)?;
    let rt = rt()?;
    let auth = Auth::Pin(&cred);
    match cmd {
        VaultCommand::Ls { path } => {
            let l = rt.block_on(app.vault_list(auth, path))?;
            out.emit(&l, || {
                let mut s = String::new();
                for e in &l.entries {
                    s.push_str(&format!(
                        "{}{}  {} octets  {}\n",
                        e.path,
                        if e.is_folder { "/" } else { "" },
                        e.size,
                        when(&e.modified)
                    ));
                }
                s.push_str(&format!("Espace utilisé : {} octets\n", l.space_used));
                s
            });
        }
        VaultCommand::Usage => {
            let used = rt.block_on(app.vault_usage(auth))?;
            out.emit(&serde_json::json!({"space_used": used}), || {
                format!("Espace utilisé : {used} octets\n")
            });
        }
        VaultCommand::Get { path, out: to } => {
            let saved =
                rt.block_on(app.vault_download(auth, path, &Destination::File(to.clone())))?;
            let size = saved.size;
            out.emit(
                &serde_json::json!({"path": path, "file": to, "size": size}),
                || format!("{path} → {} ({size} octets)\n", to.display()),
            );
        }
        VaultCommand::Put { files, to } => {
            let done = rt.block_on(app.vault_upload(auth, to, files, progress(out.is_json())))?;
            out.emit(&done, || {
                let mut s = String::new();
                for t in &done {
                    s.push_str(&format!(
                        "{} → {} ({} octets, SHA-256 {})\n",
                        t.local.display(),
                        t.entry.path,
                        t.entry.size,
                        t.entry.sha256.as_deref().unwrap_or("")
                    ));
                }
                s.push_str(&format!(
                    "{} fichier(s) transféré(s) dans le coffre-fort.\n",
                    done.len()
                ));
                s
            });
        }
        VaultCommand::Mkdir { path } => {
            let e = rt.block_on(app.vault_mkdir(auth, path))?;
            out.emit(&e, || format!("Dossier {} créé.\n", e.path));
        }
        VaultCommand::Mv { from, to } => {
            let e = rt.block_on(app.vault_move(auth, from, to))?;
            out.emit(&e, || format!("{from} → {}\n", e.path));
        }
        VaultCommand::Rename { path, name } => {
            let e = rt.block_on(app.vault_rename(auth, path, name))?;
            out.emit(&e, || format!("{path} renommé en {}\n", e.path));
        }
        VaultCommand::Props {
            path,
            description,
            retain_until,
        } => {
            let e = rt.block_on(app.vault_set_properties(
                auth,
                path,
                description.as_deref(),
                *retain_until,
            ))?;
            out.emit(&e, || props_text(&e));
        }
        VaultCommand::Rm { path } => {
            rt.block_on(app.vault_delete(auth, path))?;
            out.emit(&serde_json::json!({"deleted": path}), || {
                format!("{path} supprimé.\n")
            });
        }
        VaultCommand::Proof { path, out: to } => {
            let (_, sha256) =
                rt.block_on(app.vault_proof(auth, path, &Destination::File(to.clone())))?;
            out.emit(
                &serde_json::json!({"path": path, "proof": to, "sha256": sha256}),
                || {
                    format!(
                        "Preuve de {path} écrite dans {} (SHA-256 {sha256}).\n",
                        to.display()
                    )
                },
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The properties of a vault entry as `sceau vault props` prints them.
fn props_text(e: &sceau_app::VaultEntry) -> String {
    let mut s = format!(
        "{}{}\n  Modifié le : {}\n",
        e.path,
        if e.is_folder { "/" } else { "" },
        when(&e.modified)
    );
    match e.retained_until {
        Some(t) => s.push_str(&format!("  Conservé jusqu'au : {}\n", when(&t))),
        None => s.push_str("  Aucune durée de conservation.\n"),
    }
    match e.description.as_deref() {
        Some(d) => s.push_str(&format!("  Description : {}\n", d.replace('\n', "\n    "))),
        None => s.push_str("  Aucune description.\n"),
    }
    s
}

// ---------------------------------------------------------------- letter

/// Arguments of `sceau letter`.
#[derive(Debug, Args)]
pub struct LetterArgs {
    /// Référence, numéro local ou identifiant de dépôt.
    pub key: String,
    /// Fichier PDF/A-1b à écrire (par défaut : lettres/<référence>_LETTRE.pdf dans le dossier
    /// de données).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct LetterOut<'a> {
    date: chrono::NaiveDate,
    text: &'a str,
    pdf: PathBuf,
}

/// `sceau letter`: the plain letter of a service delivered "à domicile", written as PDF/A-1b.
pub fn letter(cli: &Cli, args: &LetterArgs, out: &Out) -> Result<ExitCode, CliError> {
    let app = app(cli)?;
    let to = match &args.out {
        Some(p) => Destination::File(p.clone()),
        None => Destination::Folder(app.config().data_dir.join("lettres")),
    };
    let (l, saved) = app.save_letter(&args.key, &to)?;
    let path = saved.path;
    let result = LetterOut {
        date: l.date,
        text: &l.text,
        pdf: path.clone(),
    };
    out.emit(&result, || {
        format!(
            "{}\nLettre simple (PDF/A-1b) datée du {} écrite dans {}\n",
            l.text,
            l.date.format("%d/%m/%Y"),
            path.display()
        )
    });
    Ok(ExitCode::SUCCESS)
}
