//! `sceau-pdfa`: every act becomes a PDF/A-1b file (ISO 19005-1, level B) before it is signed.
//!
//! - [`detect`]: what an input is, by content (PDF, .doc, .docx, .odt); a lying name is refused.
//! - [`convert`]: the conversion. PDFs take the *native* route (a rewrite in Rust that keeps
//!   every page's content as it is), or Ghostscript when the native route cannot guarantee
//!   conformance (transparency, a font we cannot embed, CMYK colours...). Word and OpenDocument
//!   files go through LibreOffice. Whatever the route, the output is checked with
//!   [`check_pdfa1b`] and compared with the input (page count, extracted text) before it is
//!   accepted: a converter that rasterised or blanked a page has not converted it.
//! - [`check_pdfa1b`]: the built-in PDF/A-1b checker, a pure function over bytes that the vault
//!   server can call as well.
//!
//! Refusals ([`Error`]) say why in French ([`Error::message_fr`]) with a stable code.

mod check;
mod detect;
mod error;
mod fonts;
mod ghostscript;
mod native;
mod office;
mod process;
pub mod render;
mod subset;
mod text;
mod xmp;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use check::{check_pdfa1b, Verdict, Violation};
pub use detect::{detect, sniff, InputKind};
pub use error::Error;
pub use ghostscript::find_ghostscript;
pub use native::srgb_profile;
pub use office::find_soffice;
pub use text::{find_pdftotext, page_count, plain_text};

/// Upper bound on one decompressed stream (a defence against decompression bombs).
pub(crate) const MAX_STREAM: usize = 512 * 1024 * 1024;

/// How a file became PDF/A-1b.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// Rewritten in Rust, page content untouched.
    Native,
    /// Re-created by Ghostscript's PDF/A output, checked against the input.
    Ghostscript,
    /// Exported by LibreOffice (Word, OpenDocument).
    LibreOffice,
}

impl Route {
    /// The route's name as shown to a clerk.
    pub fn label(self) -> &'static str {
        match self {
            Route::Native => "native",
            Route::Ghostscript => "Ghostscript",
            Route::LibreOffice => "LibreOffice",
        }
    }
}

/// Conversion settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Allow the Ghostscript route when the native one cannot guarantee conformance.
    pub ghostscript: bool,
    /// Time limit for one external conversion.
    pub timeout: Duration,
    /// `soffice` to use (else searched: `SCEAU_SOFFICE`, `PATH`, usual install locations).
    pub soffice: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ghostscript: true,
            timeout: Duration::from_secs(120),
            soffice: None,
        }
    }
}

/// A successful conversion.
#[derive(Debug, Clone, Serialize)]
pub struct Conversion {
    /// What the input was.
    pub kind: InputKind,
    /// The PDF/A-1b file.
    #[serde(skip)]
    pub output: Vec<u8>,
    /// The route that produced it.
    pub route: Route,
    /// Time taken.
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
    /// The built-in checker's verdict on the output (always conformant here).
    pub verdict: Verdict,
    /// Number of pages of the output.
    pub pages: usize,
    /// Why the native route was not used, when another one was (French).
    pub notes: Vec<String>,
}

/// Converts the file at `path` (format detected by content).
pub fn convert_file(path: &Path, options: &Options) -> Result<Conversion, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    convert(path, &bytes, options)
}

/// Converts `bytes`, named `name` (the name is only compared with the content).
pub fn convert(name: &Path, bytes: &[u8], options: &Options) -> Result<Conversion, Error> {
    let kind = detect(name, bytes)?;
    match kind {
        InputKind::Pdf => convert_pdf(bytes, options),
        _ => office::convert_batch(&[(kind, bytes)], options)
            .pop()
            .unwrap_or_else(|| {
                Err(Error::ToolFailed {
                    tool: "LibreOffice".into(),
                    detail: "no result".into(),
                })
            }),
    }
}

/// Converts several office documents with one LibreOffice start (they share its start-up);
/// the results are in the order of `inputs`.
pub fn convert_office_batch(
    inputs: &[(InputKind, &[u8])],
    options: &Options,
) -> Vec<Result<Conversion, Error>> {
    office::convert_batch(inputs, options)
}

/// The native route alone with the built-in check of its output, without fallback or text
/// comparison (benchmarks, fuzzing).
pub fn convert_native(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let loaded = native::load(bytes)?;
    match native::convert(loaded.doc, bytes, now()) {
        native::Outcome::Done(out) => {
            let verdict = check_pdfa1b(&out);
            if verdict.conformant {
                Ok(out)
            } else {
                Err(Error::NotConvertible {
                    attempts: vec![format!(
                        "route native : non conforme ({})",
                        verdict.codes().join(", ")
                    )],
                })
            }
        }
        native::Outcome::Fallback(reasons) => Err(Error::NotConvertible {
            attempts: vec![format!("route native : {}", reasons.join(", "))],
        }),
    }
}

/// Ghostscript's PDF/A-1b conversion alone, without checks (benchmarks).
pub fn convert_ghostscript(bytes: &[u8], timeout: Duration) -> Result<Vec<u8>, Error> {
    let gs = find_ghostscript().ok_or_else(|| Error::NotConvertible {
        attempts: vec!["Ghostscript n'est pas installé".into()],
    })?;
    ghostscript::convert(&gs, bytes, timeout)
}

/// Converts a PDF: native route first, then Ghostscript; refuses if neither is faithful.
pub fn convert_pdf(bytes: &[u8], options: &Options) -> Result<Conversion, Error> {
    let start = Instant::now();
    let loaded = native::load(bytes)?;
    let pages = loaded.pages;
    let shape = text::Shape::of(&loaded.doc);
    let mut attempts = Vec::new();
    let mut input_text: Option<Option<String>> = None;
    let native_text = text::of_document(&loaded.doc);
    match native::convert(loaded.doc, bytes, now()) {
        native::Outcome::Done(out) => {
            let verdict = check_pdfa1b(&out);
            if verdict.conformant {
                match text::faithful(shape, native_text.as_deref(), &out, text::Reader::Lopdf) {
                    Ok(()) => {
                        return Ok(Conversion {
                            kind: InputKind::Pdf,
                            output: out,
                            route: Route::Native,
                            duration: start.elapsed(),
                            verdict,
                            pages,
                            notes: vec![],
                        })
                    }
                    Err(why) => attempts.push(format!("route native : {why}")),
                }
            } else {
                attempts.push(format!(
                    "route native : non conforme ({})",
                    verdict.codes().join(", ")
                ));
            }
        }
        native::Outcome::Fallback(reasons) => {
            attempts.push(format!("route native : {}", reasons.join(", ")));
        }
    }
    if !options.ghostscript {
        return Err(Error::NotConvertible { attempts });
    }
    let Some(gs) = find_ghostscript() else {
        attempts.push("Ghostscript n'est pas installé".into());
        return Err(Error::NotConvertible { attempts });
    };
    match ghostscript::convert(&gs, bytes, options.timeout) {
        Ok(out) => {
            let verdict = check_pdfa1b(&out);
            let text_in = input_text.get_or_insert_with(|| text::extract(bytes));
            if !verdict.conformant {
                attempts.push(format!(
                    "Ghostscript : non conforme ({})",
                    verdict.codes().join(", ")
                ));
            } else {
                match text::faithful(shape, text_in.as_deref(), &out, text::Reader::Poppler) {
                    Ok(()) => {
                        return Ok(Conversion {
                            kind: InputKind::Pdf,
                            output: out,
                            route: Route::Ghostscript,
                            duration: start.elapsed(),
                            verdict,
                            pages,
                            notes: attempts,
                        })
                    }
                    Err(why) => attempts.push(format!("Ghostscript : {why}")),
                }
            }
        }
        Err(e) => attempts.push(format!("Ghostscript : {}", e.message_fr())),
    }
    Err(Error::NotConvertible { attempts })
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn now() -> xmp::Instant {
    (chrono::Utc::now().timestamp(), 0)
}
