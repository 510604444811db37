//! `sceau sign FILE... --out-dir DIR`: one detached CAdES signature (`.p7s`) per file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sceau_cades::{DigestAlgorithm, HttpTimeStamper, SignOptions};
use sceau_token::{CertSelector, HashAlg, Role, SignatureAlgorithm, TokenKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::output::{when, CliError, Out};
use crate::{pin, token, Cli};

/// Arguments of `sceau sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Fichiers à signer.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Dossier où écrire les signatures `<nom du fichier>.p7s`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Certificat de signature (numéro de série ou libellé) ; par défaut, l'unique certificat de
    /// signature qualifiée de la clé.
    #[arg(long, value_name = "SERIAL|LABEL")]
    pub cert: Option<String>,
    /// Schéma de signature (par défaut : selon la clé, PKCS#1 v1.5 pour RSA, ECDSA pour EC).
    #[arg(long, value_enum)]
    pub scheme: Option<Scheme>,
    /// Fonction de hachage (par défaut : SHA-256, SHA-384 pour une clé P-384).
    #[arg(long, value_enum)]
    pub digest: Option<Hash>,
    /// Autorité d'horodatage RFC 3161 : ajoute un horodatage (CAdES-T).
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
}

/// Signature scheme names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scheme {
    /// RSA PKCS#1 v1.5.
    RsaPkcs1,
    /// RSA-PSS.
    RsaPss,
    /// ECDSA.
    Ecdsa,
}

/// Hash names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

#[derive(Serialize)]
struct Signed {
    file: PathBuf,
    signature: PathBuf,
    sha256: String,
    signing_time: chrono::DateTime<chrono::Utc>,
    timestamped: bool,
}

#[derive(Serialize)]
struct Report {
    certificate_serial: String,
    holder: String,
    algorithm: SignatureAlgorithm,
    signed: Vec<Signed>,
}

/// Refuses anything but readable regular files, before the token is even touched.
pub fn check_input_file(path: &Path) -> Result<(), CliError> {
    let meta = std::fs::metadata(path).map_err(|_| {
        CliError::input(
            "input.not_found",
            format!("Le fichier {} est introuvable.", path.display()),
        )
    })?;
    if meta.is_dir() {
        return Err(CliError::input(
            "input.is_directory",
            format!("{} est un dossier : indiquez un fichier.", path.display()),
        ));
    }
    if !meta.is_file() {
        return Err(CliError::input(
            "input.not_a_file",
            format!("{} n'est pas un fichier ordinaire.", path.display()),
        ));
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash never leaves a
/// half-written signature behind.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let failed = |e: std::io::Error| {
        CliError::input(
            "output.write",
            format!("Impossible d'écrire {} ({e}).", path.display()),
        )
    };
    let tmp = path.with_extension("p7s.tmp");
    std::fs::write(&tmp, bytes).map_err(failed)?;
    std::fs::rename(&tmp, path).map_err(failed)
}

/// Runs `sceau sign`.
pub fn run(cli: &Cli, args: &SignArgs, out: &Out) -> Result<ExitCode, CliError> {
    for f in &args.files {
        check_input_file(f)?;
    }
    if args.out_dir.exists() && !args.out_dir.is_dir() {
        return Err(CliError::input(
            "output.not_a_directory",
            format!("{} n'est pas un dossier.", args.out_dir.display()),
        ));
    }
    std::fs::create_dir_all(&args.out_dir).map_err(|e| {
        CliError::input(
            "output.create",
            format!(
                "Impossible de créer le dossier {} ({e}).",
                args.out_dir.display()
            ),
        )
    })?;
    let config = cli.config()?;
    let tsa_url = args.tsa.clone().or(config.settings.tsa_url.clone());

    let (tokens, _) = token::open(cli)?;
    let sel = token::selector(cli)?;
    let info = token::selected(&tokens, &sel)?;
    let certs = tokens.certificates(&sel).wait()?;
    let selector = match &args.cert {
        Some(s) => CertSelector::SerialOrLabel(s.clone()),
        None => CertSelector::Role(Role::Signature),
    };
    let cert_info = selector.select(&certs)?;
    if cert_info.role != Role::Signature {
        return Err(CliError::input(
            "sign.not_a_signature_certificate",
            format!(
                "Le certificat n° {} n'est pas un certificat de signature ({}). Choisissez le certificat de signature.",
                cert_info.serial,
                cert_info.role.label_fr()
            ),
        ));
    }
    let now = chrono::Utc::now();
    cert_info.check_validity(now)?;
    let signer_cert = cert_info.certificate()?;
    // Embed the issuing CA if the token carries it, so verifiers can build the chain.
    let chain: Vec<sceau_cades::Certificate> = certs
        .iter()
        .filter(|c| c.role == Role::Other && c.sha256 != cert_info.sha256)
        .filter_map(|c| c.certificate().ok())
        .filter(|c| c.tbs_certificate.subject == signer_cert.tbs_certificate.issuer)
        .collect();

    let (pin, final_try) = pin::obtain(cli, &info)?;
    // Fail fast on a wrong PIN, before any file is read.
    tokens.login(&sel, pin.clone(), final_try).wait()?;

    let hash = args.digest.map(|h| match h {
        Hash::Sha256 => HashAlg::Sha256,
        Hash::Sha384 => HashAlg::Sha384,
        Hash::Sha512 => HashAlg::Sha512,
    });
    let algorithm = match (args.scheme, hash) {
        (None, None) => None,
        (scheme, hash) => {
            let default =
                TokenKey::new(&tokens, cert_info, None, pin.clone(), final_try)?.algorithm();
            let h = hash.unwrap_or(default.hash());
            Some(match scheme {
                Some(Scheme::RsaPkcs1) => SignatureAlgorithm::RsaPkcs1v15(h),
                Some(Scheme::RsaPss) => SignatureAlgorithm::RsaPss(h),
                Some(Scheme::Ecdsa) => SignatureAlgorithm::Ecdsa(h),
                None => match default {
                    SignatureAlgorithm::RsaPkcs1v15(_) => SignatureAlgorithm::RsaPkcs1v15(h),
                    SignatureAlgorithm::RsaPss(_) => SignatureAlgorithm::RsaPss(h),
                    SignatureAlgorithm::Ecdsa(_) => SignatureAlgorithm::Ecdsa(h),
                },
            })
        }
    };
    let key = TokenKey::new(&tokens, cert_info, algorithm, pin, final_try)?;
    let digest = match key.algorithm().hash() {
        HashAlg::Sha256 => DigestAlgorithm::Sha256,
        HashAlg::Sha384 => DigestAlgorithm::Sha384,
        HashAlg::Sha512 => DigestAlgorithm::Sha512,
    };
    let tsa = tsa_url.map(HttpTimeStamper::new);

    let mut signed = Vec::new();
    for file in &args.files {
        let content = std::fs::read(file).map_err(|e| {
            CliError::input(
                "input.unreadable",
                format!("Le fichier {} est illisible ({e}).", file.display()),
            )
        })?;
        let signing_time = chrono::Utc::now();
        let mut p7s = sceau_cades::sign_detached(
            &key,
            &SignOptions {
                content: &content,
                signer_cert: &signer_cert,
                chain: &chain,
                digest,
                signing_time,
            },
        )?;
        if let Some(tsa) = &tsa {
            p7s = sceau_cades::add_timestamp(&p7s, tsa, digest)?;
        }
        let name = file
            .file_name()
            .map(|n| format!("{}.p7s", n.to_string_lossy()))
            .unwrap_or_else(|| "signature.p7s".into());
        let target = args.out_dir.join(name);
        write_atomically(&target, &p7s)?;
        signed.push(Signed {
            file: file.clone(),
            signature: target,
            sha256: hex::encode(Sha256::digest(&content)),
            signing_time,
            timestamped: tsa.is_some(),
        });
    }
    let report = Report {
        certificate_serial: cert_info.serial.clone(),
        holder: cert_info.holder.clone(),
        algorithm: key.algorithm(),
        signed,
    };
    out.emit(&report, || {
        let mut s = format!(
            "Signé avec le certificat n° {} ({}).\n",
            report.certificate_serial, report.holder
        );
        for f in &report.signed {
            s.push_str(&format!(
                "  {} → {} (le {}{})\n",
                f.file.display(),
                f.signature.display(),
                when(&f.signing_time),
                if f.timestamped { ", horodaté" } else { "" }
            ));
        }
        s
    });
    Ok(ExitCode::SUCCESS)
}
