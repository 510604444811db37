//! The office route: Word and OpenDocument files exported to PDF/A-1 by LibreOffice headless.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{check_pdfa1b, native, process, Conversion, Error, InputKind, Options, Route};

/// Where LibreOffice's `soffice` is: `explicit`, then `SCEAU_SOFFICE`, `PATH`, and the usual
/// install locations on Linux, macOS and Windows.
pub fn find_soffice(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return process::is_executable(p).then(|| p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("SCEAU_SOFFICE") {
        let p = PathBuf::from(p);
        return process::is_executable(&p).then_some(p);
    }
    if let Some(p) = process::which(&["soffice", "libreoffice", "soffice.exe"]) {
        return Some(p);
    }
    let mut known: Vec<PathBuf> = vec![
        "/usr/lib/libreoffice/program/soffice".into(),
        "/opt/libreoffice/program/soffice".into(),
        "/snap/bin/libreoffice".into(),
        "/Applications/LibreOffice.app/Contents/MacOS/soffice".into(),
    ];
    for var in ["ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"] {
        if let Some(base) = std::env::var_os(var) {
            known.push(
                PathBuf::from(base)
                    .join("LibreOffice")
                    .join("program")
                    .join("soffice.exe"),
            );
        }
    }
    // /opt/libreofficeX.Y/ from the upstream packages.
    if let Ok(entries) = std::fs::read_dir("/opt") {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("libreoffice") {
                known.push(e.path().join("program").join("soffice"));
            }
        }
    }
    known.into_iter().find(|p| process::is_executable(p))
}

fn extension(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Doc => "doc",
        InputKind::Docx => "docx",
        InputKind::Odt => "odt",
        InputKind::Pdf => "pdf",
    }
}

/// The LibreOffice filter that writes PDF/A-1 (JSON filter options, LibreOffice 7.4+).
const PDFA1_FILTER: &str =
    r#"pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"1"}}"#;

/// Converts `inputs` with one LibreOffice process and its own, fresh user profile (so that
/// several conversions can run at the same time).
pub(crate) fn convert_batch(
    inputs: &[(InputKind, &[u8])],
    options: &Options,
) -> Vec<Result<Conversion, Error>> {
    let start = Instant::now();
    let fail_all = |e: &dyn Fn() -> Error| inputs.iter().map(|_| Err(e())).collect::<Vec<_>>();
    let Some(soffice) = find_soffice(options.soffice.as_deref()) else {
        return fail_all(&|| Error::OfficeMissing);
    };
    let dir = match process::tempdir() {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            return fail_all(&|| Error::ToolFailed {
                tool: "LibreOffice".into(),
                detail: msg.clone(),
            });
        }
    };
    let profile = dir.path().join("profile");
    let out_dir = dir.path().join("out");
    let mut files = Vec::new();
    for (i, (kind, bytes)) in inputs.iter().enumerate() {
        // Our own names: a document's name is never trusted as a path.
        let p = dir.path().join(format!("acte{i}.{}", extension(*kind)));
        if let Err(e) = process::write(&p, bytes) {
            let msg = e.to_string();
            return fail_all(&|| Error::ToolFailed {
                tool: "LibreOffice".into(),
                detail: msg.clone(),
            });
        }
        files.push(p);
    }
    let mut cmd = Command::new(&soffice);
    cmd.arg("--headless")
        .arg("--norestore")
        .arg("--nolockcheck")
        .arg(format!("-env:UserInstallation={}", file_url(&profile)))
        .arg("--convert-to")
        .arg(PDFA1_FILTER)
        .arg("--outdir")
        .arg(&out_dir)
        .args(&files)
        .current_dir(dir.path());
    let timeout = options.timeout * u32::try_from(inputs.len().max(1)).unwrap_or(1);
    if let Err(e) = process::run(cmd, "LibreOffice", timeout) {
        let msg = e.message_fr();
        let code = e.code();
        return inputs
            .iter()
            .map(|_| {
                Err(match code {
                    "pdfa.timeout" => Error::Timeout {
                        tool: "LibreOffice".into(),
                        seconds: timeout.as_secs(),
                    },
                    _ => Error::ToolFailed {
                        tool: "LibreOffice".into(),
                        detail: msg.clone(),
                    },
                })
            })
            .collect();
    }
    let per_doc = start.elapsed() / u32::try_from(inputs.len().max(1)).unwrap_or(1);
    (0..inputs.len())
        .map(|i| {
            let pdf = out_dir.join(format!("acte{i}.pdf"));
            let output = std::fs::read(&pdf).map_err(|_| Error::ToolFailed {
                tool: "LibreOffice".into(),
                detail: "le document n'a pas pu être ouvert (fichier endommagé ?)".into(),
            })?;
            finish(inputs[i].0, output, per_doc)
        })
        .collect()
}

/// Checks LibreOffice's output; if it misses something PDF/A-1b requires, the native route
/// completes it (page content untouched).
fn finish(
    kind: InputKind,
    output: Vec<u8>,
    duration: std::time::Duration,
) -> Result<Conversion, Error> {
    let mut verdict = check_pdfa1b(&output);
    let mut output = output;
    let mut notes = Vec::new();
    if !verdict.conformant {
        notes.push(format!(
            "sortie LibreOffice complétée ({})",
            verdict.codes().join(", ")
        ));
        let loaded = native::load(&output)?;
        if let native::Outcome::Done(fixed) =
            native::convert(loaded.doc, &output, (chrono::Utc::now().timestamp(), 0))
        {
            output = fixed;
            verdict = check_pdfa1b(&output);
        }
    }
    if !verdict.conformant {
        return Err(Error::NotConvertible {
            attempts: vec![format!(
                "LibreOffice : non conforme ({})",
                verdict.codes().join(", ")
            )],
        });
    }
    let pages = lopdf::Document::load_mem(&output)
        .map(|d| d.get_pages().len())
        .unwrap_or(0);
    if pages == 0 {
        return Err(Error::NotConvertible {
            attempts: vec!["LibreOffice : document sans page".into()],
        });
    }
    Ok(Conversion {
        kind,
        output,
        route: Route::LibreOffice,
        duration,
        verdict,
        pages,
        notes,
    })
}

/// `p` as a file URL, as LibreOffice wants for `-env:UserInstallation`.
fn file_url(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(char::from(b))
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls() {
        assert_eq!(file_url(Path::new("/tmp/a b")), "file:///tmp/a%20b");
        assert_eq!(
            file_url(Path::new("C:\\Users\\é")),
            "file:///C:/Users/%C3%A9"
        );
    }
}
