//! The Ghostscript route: PDF/A-1b re-created by Ghostscript's `pdfwrite` device.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{process, Error};

/// Ghostscript's command-line program, if installed (`SCEAU_GHOSTSCRIPT` overrides).
pub fn find_ghostscript() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCEAU_GHOSTSCRIPT") {
        let p = PathBuf::from(p);
        return process::is_executable(&p).then_some(p);
    }
    process::which(&["gs", "gswin64c.exe", "gswin32c.exe"])
}

/// A PostScript string literal holding `p`.
fn ps_string(p: &Path) -> String {
    let s = p.to_string_lossy();
    let mut out = String::from("(");
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(')');
    out
}

/// Converts `input` with Ghostscript into PDF/A-1b (sRGB output intent).
pub(crate) fn convert(gs: &Path, input: &[u8], timeout: Duration) -> Result<Vec<u8>, Error> {
    let dir = process::tempdir()?;
    let icc = dir.path().join("srgb.icc");
    let def = dir.path().join("pdfa_def.ps");
    let src = dir.path().join("in.pdf");
    let dst = dir.path().join("out.pdf");
    process::write(&icc, crate::srgb_profile())?;
    process::write(&src, input)?;
    let definition = format!(
        "%!\n\
/ICCProfile {} def\n\
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark\n\
[{{icc_PDFA}} <</N 3>> /PUT pdfmark\n\
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark\n\
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark\n\
[{{OutputIntent_PDFA}} <<\n\
  /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {{icc_PDFA}}\n\
  /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1)\n\
>> /PUT pdfmark\n\
[{{Catalog}} <</OutputIntents [ {{OutputIntent_PDFA}} ]>> /PUT pdfmark\n",
        ps_string(&icc)
    );
    process::write(&def, definition.as_bytes())?;
    let mut cmd = Command::new(gs);
    cmd.arg("-q")
        .arg("-dPDFA=1")
        .arg("-dBATCH")
        .arg("-dNOPAUSE")
        .arg("-dNOOUTERSAVE")
        .arg("-dSAFER")
        .arg("-dPDFACompatibilityPolicy=1")
        .arg("-sColorConversionStrategy=RGB")
        .arg("-sProcessColorModel=DeviceRGB")
        .arg("-sDEVICE=pdfwrite")
        .arg(format!("--permit-file-read={}", icc.display()))
        .arg(format!("-sOutputFile={}", dst.display()))
        .arg(&def)
        .arg(&src)
        // Under UTC, Ghostscript writes Info dates that Preflight rejects (7.2).
        .env("TZ", "Europe/Paris")
        .current_dir(dir.path());
    process::run(cmd, "Ghostscript", timeout)?;
    std::fs::read(&dst).map_err(|source| Error::Io { path: dst, source })
}
