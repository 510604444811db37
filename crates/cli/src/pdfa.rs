//! `sceau convert FILE... --out-dir DIR` and `sceau check-pdfa FILE...`: PDF/A-1b conversion
//! and the built-in checker.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use sceau_pdfa::{Conversion, InputKind, Options, Verdict};
use serde::Serialize;

use crate::output::{CliError, Out, EXIT_INPUT, EXIT_INVALID};
use crate::sign::check_input_file;

/// Arguments of `sceau convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Les actes à convertir (PDF, .doc, .docx, .odt ; format reconnu au contenu).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Dossier où écrire les PDF/A (créé au besoin).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Ne pas recourir à Ghostscript quand la conversion native ne suffit pas.
    #[arg(long)]
    pub no_ghostscript: bool,
    /// Délai maximal d'une conversion externe (LibreOffice, Ghostscript), en secondes.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub timeout: u64,
}

/// Arguments of `sceau check-pdfa`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Les fichiers PDF à contrôler.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Serialize)]
struct ConvertReport {
    input: PathBuf,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversion: Option<Conversion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorOut>,
}

#[derive(Serialize)]
struct ErrorOut {
    code: String,
    message: String,
}

#[derive(Serialize)]
struct CheckReport {
    file: PathBuf,
    #[serde(flatten)]
    verdict: Verdict,
}

/// The output name: the input's stem with `.pdf`, never a path taken from the input's name.
fn output_name(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.');
    PathBuf::from(format!(
        "{}.pdf",
        if clean.is_empty() { "acte" } else { clean }
    ))
}

/// One distinct output name per input: `acte.docx` and `acte.odt` give `acte.pdf` and
/// `acte_odt.pdf`.
fn output_names(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut used = std::collections::BTreeSet::new();
    files
        .iter()
        .map(|f| {
            let mut name = output_name(f);
            if used.contains(&name) {
                let ext = f
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let stem = name.with_extension("");
                let mut n = 1;
                name = PathBuf::from(format!("{}_{ext}.pdf", stem.display()));
                while used.contains(&name) {
                    n += 1;
                    name = PathBuf::from(format!("{}_{ext}{n}.pdf", stem.display()));
                }
            }
            used.insert(name.clone());
            name
        })
        .collect()
}

fn error_out(code: &str, message: String) -> Option<ErrorOut> {
    Some(ErrorOut {
        code: code.into(),
        message,
    })
}

/// Runs `sceau convert`.
pub fn run_convert(args: &ConvertArgs, out: &Out) -> Result<ExitCode, CliError> {
    std::fs::create_dir_all(&args.out_dir).map_err(|e| {
        CliError::input(
            "output.unwritable",
            format!(
                "Impossible de créer le dossier {} ({e}).",
                args.out_dir.display()
            ),
        )
    })?;
    let options = Options {
        ghostscript: !args.no_ghostscript,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        ..Options::default()
    };
    let mut reports: Vec<Option<ConvertReport>> = args.files.iter().map(|_| None).collect();
    let names = output_names(&args.files);
    let mut office: Vec<(usize, InputKind, Vec<u8>)> = Vec::new();
    for (i, file) in args.files.iter().enumerate() {
        let fail = |code: &str, message: String| ConvertReport {
            input: file.clone(),
            ok: false,
            output: None,
            conversion: None,
            error: error_out(code, message),
        };
        if let Err(e) = check_input_file(file) {
            reports[i] = Some(fail(&e.code, e.message));
            continue;
        }
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                reports[i] = Some(fail(
                    "input.unreadable",
                    format!("Le fichier {} est illisible ({e}).", file.display()),
                ));
                continue;
            }
        };
        match sceau_pdfa::detect(file, &bytes) {
            Err(e) => reports[i] = Some(fail(e.code(), e.message_fr())),
            Ok(InputKind::Pdf) => {
                reports[i] = Some(finish(
                    file,
                    &args.out_dir.join(&names[i]),
                    sceau_pdfa::convert_pdf(&bytes, &options),
                ))
            }
            // Office documents are converted together: one LibreOffice start for all.
            Ok(kind) => office.push((i, kind, bytes)),
        }
    }
    if !office.is_empty() {
        let inputs: Vec<(InputKind, &[u8])> =
            office.iter().map(|(_, k, b)| (*k, b.as_slice())).collect();
        let results = sceau_pdfa::convert_office_batch(&inputs, &options);
        for ((i, _, _), result) in office.iter().zip(results) {
            reports[*i] = Some(finish(
                &args.files[*i],
                &args.out_dir.join(&names[*i]),
                result,
            ));
        }
    }
    let reports: Vec<ConvertReport> = reports.into_iter().flatten().collect();
    let seconds = |d: std::time::Duration| format!("{:.1}", d.as_secs_f64()).replace('.', ",");
    let failed = reports.iter().filter(|r| !r.ok).count();
    out.emit(&reports, || {
        let mut s = String::new();
        for r in &reports {
            match (&r.conversion, &r.output, &r.error) {
                (Some(c), Some(o), _) => {
                    s.push_str(&format!(
                        "{} → {} : converti en PDF/A-1b ({}, {} s, {} page{}), conforme\n",
                        r.input.display(),
                        o.display(),
                        c.route.label(),
                        seconds(c.duration),
                        c.pages,
                        if c.pages > 1 { "s" } else { "" }
                    ));
                    for n in &c.notes {
                        s.push_str(&format!("    note : {n}\n"));
                    }
                }
                (_, _, Some(e)) => {
                    s.push_str(&format!("{} : refusé — {}\n", r.input.display(), e.message))
                }
                _ => {}
            }
        }
        if failed > 0 {
            s.push_str(&format!(
                "{failed} fichier{} sur {} non converti{}.\n",
                if failed > 1 { "s" } else { "" },
                reports.len(),
                if failed > 1 { "s" } else { "" }
            ));
        }
        s
    });
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT)
    })
}

fn finish(
    input: &Path,
    target: &Path,
    result: Result<Conversion, sceau_pdfa::Error>,
) -> ConvertReport {
    let failed = |code: &str, message: String| ConvertReport {
        input: input.to_path_buf(),
        ok: false,
        output: None,
        conversion: None,
        error: error_out(code, message),
    };
    let conversion = match result {
        Ok(c) => c,
        Err(e) => return failed(e.code(), e.message_fr()),
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(input, target) {
        return failed(
            "output.would_overwrite_input",
            format!(
                "Le PDF/A remplacerait l'original {} : choisissez un autre dossier de sortie.",
                input.display()
            ),
        );
    }
    // Through a temporary file and a rename: never a half-written PDF/A.
    let tmp = target.with_extension("pdf.part");
    let written =
        std::fs::write(&tmp, &conversion.output).and_then(|()| std::fs::rename(&tmp, target));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return failed(
            "output.unwritable",
            format!("Impossible d'écrire {} ({e}).", target.display()),
        );
    }
    ConvertReport {
        input: input.to_path_buf(),
        ok: true,
        output: Some(target.to_path_buf()),
        conversion: Some(conversion),
        error: None,
    }
}

/// Runs `sceau check-pdfa`: exit 0 when every file is PDF/A-1b, 1 when one is not.
pub fn run_check(args: &CheckArgs, out: &Out) -> Result<ExitCode, CliError> {
    let mut reports = Vec::new();
    for file in &args.files {
        check_input_file(file)?;
        let bytes = std::fs::read(file).map_err(|e| {
            CliError::input(
                "input.unreadable",
                format!("Le fichier {} est illisible ({e}).", file.display()),
            )
        })?;
        reports.push(CheckReport {
            file: file.clone(),
            verdict: sceau_pdfa::check_pdfa1b(&bytes),
        });
    }
    let bad = reports.iter().filter(|r| !r.verdict.conformant).count();
    out.emit(&reports, || {
        let mut s = String::new();
        for r in &reports {
            if r.verdict.conformant {
                s.push_str(&format!("{} : conforme PDF/A-1b\n", r.file.display()));
            } else {
                s.push_str(&format!("{} : NON conforme PDF/A-1b\n", r.file.display()));
                for v in &r.verdict.violations {
                    s.push_str(&format!("  - [{}] {}\n", v.clause, v.message_fr));
                }
            }
        }
        s
    });
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_are_sanitised() {
        assert_eq!(
            output_name(Path::new("/x/acte.docx")),
            PathBuf::from("acte.pdf")
        );
        assert_eq!(
            output_name(Path::new("../../étude 9991.odt")),
            PathBuf::from("étude_9991.pdf")
        );
        assert_eq!(output_name(Path::new("..pdf")), PathBuf::from("acte.pdf"));
        let names = output_names(&[
            PathBuf::from("a/acte.docx"),
            PathBuf::from("b/acte.odt"),
            PathBuf::from("c/acte.odt"),
        ]);
        assert_eq!(
            names,
            vec![
                PathBuf::from("acte.pdf"),
                PathBuf::from("acte_odt.pdf"),
                PathBuf::from("acte_odt2.pdf")
            ]
        );
    }
}
