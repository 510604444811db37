//! `sceau token list|certs`, and opening the module for the other commands.

use std::process::ExitCode;

use clap::Subcommand;
use sceau_token::module::ModuleSource;
use sceau_token::{CertificateInfo, TokenInfo, TokenSelector, Tokens};
use serde::Serialize;

use crate::output::{when, CliError, Out};
use crate::Cli;

/// `sceau token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Lister les clés branchées (libellé, fabricant, modèle, numéro de série, état du code PIN).
    List,
    /// Lister les certificats de la clé, avec leur usage (signature ou authentification).
    Certs,
}

/// Loads the module named by the flags, the environment, the configuration or the known paths.
pub fn open(cli: &Cli) -> Result<(Tokens, ModuleSource), CliError> {
    let resolved = cli.config()?;
    let source = resolved.module?;
    let path = resolved.config.module;
    let tokens = Tokens::open(&path).map_err(|e| match e {
        sceau_token::Error::NotAPkcs11Module { detail, .. } => {
            sceau_token::Error::NotAPkcs11Module {
                path: path.clone(),
                detail,
            }
        }
        other => other,
    })?;
    Ok((tokens, source))
}

/// The token selection from `--token` or the configuration.
pub fn selector(cli: &Cli) -> Result<TokenSelector, CliError> {
    Ok(TokenSelector::from_option(
        cli.config()?.config.token.as_deref(),
    ))
}

/// The selected token's description.
pub fn selected(tokens: &Tokens, sel: &TokenSelector) -> Result<TokenInfo, CliError> {
    let list = tokens.list().wait()?;
    match sel {
        TokenSelector::Any => match list.len() {
            0 => Err(sceau_token::Error::NoToken.into()),
            1 => Ok(list.into_iter().next().ok_or(sceau_token::Error::NoToken)?),
            _ => Err(sceau_token::Error::SeveralTokens {
                labels: list.into_iter().map(|t| t.label).collect(),
            }
            .into()),
        },
        TokenSelector::LabelOrSerial(want) => list
            .into_iter()
            .find(|t| t.label == *want || t.serial == *want)
            .ok_or_else(|| {
                sceau_token::Error::TokenNotFound {
                    wanted: want.clone(),
                }
                .into()
            }),
    }
}

#[derive(Serialize)]
struct ListOut<'a> {
    module: String,
    module_source: ModuleSource,
    tokens: &'a [TokenInfo],
}

/// Runs `sceau token ...`.
pub fn run(cli: &Cli, cmd: &TokenCommand, out: &Out) -> Result<ExitCode, CliError> {
    let (tokens, source) = open(cli)?;
    match cmd {
        TokenCommand::List => {
            let list = tokens.list().wait()?;
            let value = ListOut {
                module: tokens.module().display().to_string(),
                module_source: source,
                tokens: &list,
            };
            out.emit(&value, || {
                let mut s = format!("Pilote : {}\n", tokens.module().display());
                if list.is_empty() {
                    s.push_str("Aucune clé branchée.\n");
                }
                for t in &list {
                    s.push_str(&format!(
                        "Clé « {} » — {} {} — n° de série {}\n  Code PIN : {}\n",
                        t.label,
                        t.manufacturer,
                        t.model,
                        t.serial,
                        pin_state(t)
                    ));
                }
                s
            });
        }
        TokenCommand::Certs => {
            let sel = selector(cli)?;
            let certs = tokens.certificates(&sel).wait()?;
            out.emit(&certs, || certs_text(&certs));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn pin_state(t: &TokenInfo) -> String {
    let p = &t.pin;
    let mut parts = Vec::new();
    if p.locked {
        parts.push("BLOQUÉ");
    } else if p.final_try {
        parts.push("dernier essai avant blocage");
    } else if p.count_low {
        parts.push("peu d'essais restants");
    } else {
        parts.push("normal");
    }
    if p.pin_pad {
        parts.push("saisie sur le lecteur");
    }
    if p.to_be_changed {
        parts.push("à changer");
    }
    parts.join(", ")
}

fn certs_text(certs: &[CertificateInfo]) -> String {
    if certs.is_empty() {
        return "Aucun certificat sur la clé.\n".into();
    }
    let mut s = String::new();
    for c in certs {
        s.push_str(&format!(
            "[{}] {}{}\n  Titulaire : {}{}\n  Émetteur : {}\n  N° de série : {}\n  Validité : du {} au {}\n  Libellé : {} (identifiant {})\n",
            c.role.label_fr(),
            c.holder,
            c.organization.as_deref().map(|o| format!(" — {o}")).unwrap_or_default(),
            c.holder,
            c.function.as_deref().map(|f| format!(", {f}")).unwrap_or_default(),
            c.issuer,
            c.serial,
            when(&c.not_before),
            when(&c.not_after),
            c.label,
            c.id_hex,
        ));
    }
    s
}
