//! A corpus of acts made by third-party producers (LibreOffice, Ghostscript, cairo, reportlab,
//! matplotlib, Chromium, qpdf), generated on demand for the PDF/A tests and benchmarks, plus
//! Apache PDFBox Preflight as the independent PDF/A-1b oracle.
//!
//! Nothing is committed: every file is produced by the real tool in a temporary directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

const PRODUCERS: &str = include_str!("pdfcorpus_producers.py");

/// The French sentence every office document and several PDFs contain.
pub const FRENCH: &str = "Commandement de payer : la société débitrice, à Paris, doit 1 234,56 €";

/// What the conversion of a corpus file must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Converted, by any route; the output must contain these words (in `pdftotext`).
    Convert {
        /// Words that must appear in the output's text.
        words: Vec<String>,
    },
    /// Refused with this error code (`sceau_pdfa::Error::code`).
    Refuse(&'static str),
}

/// One corpus file.
#[derive(Debug, Clone)]
pub struct Item {
    /// File name (unique in the corpus).
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// What must happen to it.
    pub expect: Expect,
    /// A born-digital PDF (benchmarked against Ghostscript).
    pub born_digital: bool,
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("starting {what} (run `cargo xtask setup`)"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn words(w: &[&str]) -> Expect {
    Expect::Convert {
        words: w.iter().map(|s| s.to_string()).collect(),
    }
}

/// Builds the whole corpus into `dir` (about 15 s: LibreOffice starts four times).
pub fn build(dir: &Path) -> Result<Vec<Item>> {
    let script = dir.join("producers.py");
    std::fs::write(&script, PRODUCERS)?;
    run(
        Command::new(crate::system_python()).arg(&script).arg(dir),
        "python3 producers (reportlab, cairo, matplotlib)",
    )?;
    ghostscript_ps(dir)?;
    chromium(dir)?;
    office(dir)?;
    let std14 = dir.join("reportlab-std14.pdf");
    run(
        Command::new("qpdf")
            .args(["--encrypt", "", "owner-secret", "256", "--"])
            .arg(&std14)
            .arg(dir.join("qpdf-owner-password.pdf")),
        "qpdf --encrypt",
    )?;
    run(
        Command::new("qpdf")
            .args(["--encrypt", "user-secret", "owner-secret", "256", "--"])
            .arg(&std14)
            .arg(dir.join("qpdf-user-password.pdf")),
        "qpdf --encrypt",
    )?;
    let long = std::fs::read(dir.join("reportlab-320-pages.pdf"))?;
    std::fs::write(dir.join("truncated.pdf"), &long[..long.len() / 2])?;
    form_with_javascript(dir)?;
    fake_signed(dir)?;
    nonstandard_font(dir)?;

    let item = |name: &str, expect: Expect, born_digital: bool| Item {
        name: name.to_string(),
        path: dir.join(name),
        expect,
        born_digital,
    };
    Ok(vec![
        item(
            "libreoffice-tables-images.pdf",
            words(&["Procès-verbal", "Intérêts", "émoluments"]),
            true,
        ),
        item(
            "ghostscript-postscript.pdf",
            words(&["Assignation", "Seconde"]),
            true,
        ),
        item("cairo.pdf", words(&["Procès-verbal", "société"]), true),
        item(
            "reportlab-std14.pdf",
            words(&["société", "Référence", "élection"]),
            true,
        ),
        // Transparency: the native route cannot flatten it and Ghostscript rasterises the
        // page (text lost), so no faithful PDF/A-1 exists: refused with that reason.
        item(
            "matplotlib-alpha.pdf",
            Expect::Refuse("pdfa.not_convertible"),
            true,
        ),
        item(
            "chromium.pdf",
            words(&["Signification", "électronique", "Requérant"]),
            true,
        ),
        item(
            "qpdf-owner-password.pdf",
            words(&["société", "Référence"]),
            false,
        ),
        item(
            "qpdf-user-password.pdf",
            Expect::Refuse("pdfa.password_protected"),
            false,
        ),
        item(
            "form-javascript.pdf",
            words(&["Formulaire", "réponse"]),
            true,
        ),
        // CMYK colours and a non-embedded font we have no free twin for: Ghostscript's route.
        item(
            "reportlab-cmyk.pdf",
            words(&["quadrichromie", "société"]),
            true,
        ),
        item(
            "font-not-embedded-garamond.pdf",
            words(&["société", "Référence"]),
            false,
        ),
        item("reportlab-320-pages.pdf", words(&["Page 320"]), true),
        item("scan-image-only.pdf", words(&[]), true),
        item("truncated.pdf", Expect::Refuse("pdfa.corrupt"), false),
        item(
            "archive-named.pdf",
            Expect::Refuse("pdfa.misleading_name"),
            false,
        ),
        item("signed.pdf", Expect::Refuse("pdfa.already_signed"), false),
        item(
            "acte.docx",
            words(&["Procès-verbal", "Intérêts", "émoluments", "1 234,56 €"]),
            false,
        ),
        item(
            "acte.odt",
            words(&["Procès-verbal", "Intérêts", "émoluments", "1 234,56 €"]),
            false,
        ),
        item(
            "acte.doc",
            words(&["Procès-verbal", "Intérêts", "émoluments", "1 234,56 €"]),
            false,
        ),
    ])
}

fn ghostscript_ps(dir: &Path) -> Result<()> {
    let ps = dir.join("acte.ps");
    std::fs::write(
        &ps,
        "%!PS-Adobe-3.0\n\
/Times-Roman findfont 14 scalefont setfont\n\
72 720 moveto (Assignation devant le tribunal judiciaire) show\n\
/Helvetica-Bold findfont 12 scalefont setfont\n\
72 690 moveto (Produit par Ghostscript depuis PostScript) show\n\
0 0 1 setrgbcolor 72 600 moveto 300 600 lineto stroke\n\
showpage\n\
/Times-Roman findfont 14 scalefont setfont\n\
72 720 moveto (Seconde page) show\n\
showpage\n",
    )?;
    run(
        Command::new("gs")
            .args(["-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite"])
            .arg(format!(
                "-sOutputFile={}",
                dir.join("ghostscript-postscript.pdf").display()
            ))
            .arg(&ps),
        "gs (PostScript to PDF)",
    )
}

fn chromium(dir: &Path) -> Result<()> {
    let html = dir.join("page.html");
    std::fs::write(
        &html,
        r#"<!doctype html><html lang="fr"><meta charset="utf-8"><style>
body{font-family:"DejaVu Serif",serif;margin:2cm;color:#222}
h1{color:#fff;background:#1a3c6e;padding:8px;border-radius:6px}
table{border-collapse:collapse} td{border:1px solid #888;padding:4px}
.note{background:#f3e9c6;border-left:4px solid #c90;padding:6px}
</style><h1>Signification électronique</h1>
<p class="note">Acte déposé par l'étude 9991, à Paris.</p>
<table><tr><td>Requérant</td><td>Société Générale des Eaux</td></tr>
<tr><td>Montant</td><td>1 234,56 €</td></tr></table></html>"#,
    )?;
    let profile = dir.join("chromium-profile");
    run(
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!(
                "--print-to-pdf={}",
                dir.join("chromium.pdf").display()
            ))
            .arg(&html),
        "chromium --print-to-pdf",
    )
}

/// The office document (flat ODT with a table, an image, accents and two pages), converted by
/// LibreOffice into .odt, .docx, .doc and a plain PDF.
fn office(dir: &Path) -> Result<()> {
    let png = std::fs::read(dir.join("logo.png"))?;
    let fodt = dir.join("acte.fodt");
    std::fs::write(&fodt, fodt_document(&base64(&png)))?;
    let profile = dir.join("lo-profile");
    for format in ["odt", "docx", "doc:MS Word 97", "pdf"] {
        run(
            Command::new("soffice")
                .args(["--headless", "--norestore"])
                .arg(format!(
                    "-env:UserInstallation=file://{}",
                    profile.display()
                ))
                .args(["--convert-to", format, "--outdir"])
                .arg(dir)
                .arg(&fodt),
            "soffice --convert-to",
        )?;
    }
    std::fs::rename(
        dir.join("acte.pdf"),
        dir.join("libreoffice-tables-images.pdf"),
    )?;
    Ok(())
}

fn fodt_document(png_base64: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
<office:automatic-styles><style:style style:name="PB" style:family="paragraph"><style:paragraph-properties fo:break-before="page"/></style:style></office:automatic-styles>
<office:body><office:text>
<text:h text:outline-level="1">Procès-verbal de signification</text:h>
<text:p>L'an deux mille vingt-six, le vingt-deux novembre, à la requête de la société Générale des Eaux, élisant domicile en l'étude.</text:p>
<table:table table:name="Montants"><table:table-column table:number-columns-repeated="2"/>
<table:table-row><table:table-cell><text:p>Principal</text:p></table:table-cell><table:table-cell><text:p>1 234,56 €</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>Intérêts échus</text:p></table:table-cell><table:table-cell><text:p>78,90 €</text:p></table:table-cell></table:table-row>
</table:table>
<text:p><draw:frame draw:name="logo" text:anchor-type="as-char" svg:width="3cm" svg:height="1.5cm"><draw:image><office:binary-data>{png_base64}</office:binary-data></draw:image></draw:frame></text:p>
<text:p text:style-name="PB">Seconde page : coût de l'acte, déboursés et émoluments.</text:p>
</office:text></office:body></office:document>
"#
    )
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// reportlab's form, plus JavaScript: a document-level script, an open action and a field's
/// additional action.
fn form_with_javascript(dir: &Path) -> Result<()> {
    use lopdf::{dictionary, Object};
    let mut doc = lopdf::Document::load(dir.join("form-base.pdf"))?;
    let js = doc.add_object(dictionary! {
        "S" => "JavaScript",
        "JS" => Object::string_literal("app.alert('Acte ouvert');"),
    });
    let names_tree = doc.add_object(dictionary! {
        "Names" => vec![Object::string_literal("init"), Object::Reference(js)],
    });
    let catalog = doc.catalog_mut()?;
    catalog.set("OpenAction", Object::Reference(js));
    catalog.set(
        "Names",
        dictionary! { "JavaScript" => Object::Reference(names_tree) },
    );
    let widget = doc
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_dict()
                .is_ok_and(|d| d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Tx"))
        })
        .map(|(id, _)| *id)
        .context("no text field in reportlab's form")?;
    doc.get_dictionary_mut(widget)?
        .set("AA", dictionary! { "K" => Object::Reference(js) });
    doc.save(dir.join("form-javascript.pdf"))?;
    Ok(())
}

/// reportlab's standard-font act with its fonts renamed to one we have no twin for.
fn nonstandard_font(dir: &Path) -> Result<()> {
    use lopdf::Object;
    let mut doc = lopdf::Document::load(dir.join("reportlab-std14.pdf"))?;
    for o in doc.objects.values_mut() {
        if let Ok(d) = o.as_dict_mut() {
            if d.has_type(b"Font") && d.get(b"BaseFont").is_ok() {
                d.set("BaseFont", Object::Name(b"Garamond".to_vec()));
            }
        }
    }
    doc.save(dir.join("font-not-embedded-garamond.pdf"))?;
    Ok(())
}

/// A PDF with a signature dictionary and byte range, as a signing tool leaves it (the
/// signature value itself is not checked by the converter, only its presence).
fn fake_signed(dir: &Path) -> Result<()> {
    use lopdf::{dictionary, Object, StringFormat};
    let mut doc = lopdf::Document::load(dir.join("reportlab-std14.pdf"))?;
    let sig = doc.add_object(dictionary! {
        "Type" => "Sig",
        "Filter" => "Adobe.PPKLite",
        "SubFilter" => "adbe.pkcs7.detached",
        "ByteRange" => vec![0.into(), 100.into(), 200.into(), 300.into()],
        "Contents" => Object::String(vec![0; 64], StringFormat::Hexadecimal),
    });
    let page = *doc.get_pages().get(&1).context("no page")?;
    let field = doc.add_object(dictionary! {
        "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig", "T" => Object::string_literal("Signature1"),
        "V" => Object::Reference(sig), "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        "F" => 132, "P" => Object::Reference(page),
    });
    doc.get_dictionary_mut(page)?
        .set("Annots", vec![Object::Reference(field)]);
    doc.catalog_mut()?.set(
        "AcroForm",
        dictionary! { "Fields" => vec![Object::Reference(field)], "SigFlags" => 3 },
    );
    doc.save(dir.join("signed.pdf"))?;
    Ok(())
}

/// A PDF of about 50 MB (20 pages of incompressible scanned images), for the memory benchmark.
pub fn big_pdf(dir: &Path) -> Result<PathBuf> {
    let script = dir.join("producers.py");
    std::fs::write(&script, PRODUCERS)?;
    run(
        Command::new(crate::system_python())
            .arg(&script)
            .arg(dir)
            .arg("big"),
        "python3 producers (big PDF)",
    )?;
    Ok(dir.join("big-50mb.pdf"))
}

/// Apache PDFBox Preflight's classpath (Debian `libpdfbox2-java` and its Java 17 companions).
fn preflight_classpath() -> String {
    [
        "preflight.jar",
        "pdfbox2.jar",
        "fontbox2.jar",
        "xmpbox.jar",
        "commons-logging.jar",
        "javax.activation.jar",
        "jaxb-api.jar",
        "bcprov.jar",
    ]
    .iter()
    .map(|j| format!("/usr/share/java/{j}"))
    .collect::<Vec<_>>()
    .join(":")
}

/// Preflight's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightResult {
    /// Valid PDF/A-1b.
    pub valid: bool,
    /// The error codes it reported (e.g. `3.1.3`).
    pub errors: Vec<String>,
}

/// Runs Apache PDFBox Preflight (PDF/A-1b) on `files` in one JVM. File names must be unique:
/// the report names files by their base name.
pub fn preflight(files: &[PathBuf]) -> Result<BTreeMap<String, PreflightResult>> {
    let dir = tempfile::tempdir()?;
    let list = dir.path().join("files.txt");
    let text: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    std::fs::write(&list, text)?;
    let out = Command::new("java")
        .arg("-cp")
        .arg(preflight_classpath())
        .arg("org.apache.pdfbox.preflight.Validator_A1b")
        .args(["xml", "group"])
        .arg(&list)
        .current_dir(dir.path())
        .output()
        .context("starting java (run `cargo xtask setup`)")?;
    let report_path = dir.path().join("files.txt.preflight.xml");
    let report = std::fs::read_to_string(&report_path).with_context(|| {
        format!(
            "Preflight wrote no report ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let mut results = BTreeMap::new();
    for block in report.split("<preflight name=\"").skip(1) {
        let name = block.split('"').next().unwrap_or_default().to_string();
        let valid = block.contains(">true</isValid>");
        let errors = block
            .split("<code>")
            .skip(1)
            .filter_map(|c| c.split("</code>").next())
            .map(str::to_string)
            .collect();
        results.insert(name, PreflightResult { valid, errors });
    }
    if results.len() != files.len() {
        bail!(
            "Preflight reported on {} files out of {}",
            results.len(),
            files.len()
        );
    }
    Ok(results)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A minimal OpenDocument text (stored ZIP, `mimetype` first) whose body is `paragraphs`.
pub fn minimal_odt(paragraphs: &[&str]) -> Vec<u8> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<text:p>{}</text:p>", escape(p)))
        .collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let files: [(&str, &[u8]); 3] = [
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
        ("META-INF/manifest.xml", manifest.as_bytes()),
    ];
    let mut zip = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = zip.len() as u32;
        let crc = crc32(data);
        let len = data.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u32.to_le_bytes()); // time, date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&len.to_le_bytes());
            h.extend_from_slice(&len.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        zip.extend(header(0x0403_4b50, false));
        zip.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = zip.len() as u32;
    let cd_len = central.len() as u32;
    zip.extend(central);
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&3u16.to_le_bytes());
    zip.extend_from_slice(&3u16.to_le_bytes());
    zip.extend_from_slice(&cd_len.to_le_bytes());
    zip.extend_from_slice(&cd_offset.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
