//! Plain French text documents (a title, paragraphs, label/value tables) rendered as PDF/A-1b:
//! the vault's delivery attestations and the workstation's plain letters.
//!
//! The page is written with the standard Helvetica (WinAnsiEncoding, widths of the
//! metric-compatible Liberation Sans), then goes through the native route, which embeds
//! Liberation Sans subset, writes XMP and the sRGB output intent; the result is checked with
//! [`crate::check_pdfa1b`] before it is returned.

use chrono::{DateTime, Utc};
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

use crate::error::Error;
use crate::fonts::winansi_char;

/// One block of a text document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section heading (bold).
    Heading(String),
    /// A paragraph, wrapped to the page width.
    Paragraph(String),
    /// Label/value lines (labels in bold, values wrapped in the right column).
    Table(Vec<(String, String)>),
}

/// A plain text document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDocument {
    /// Title, at the top of the first page and in the metadata.
    pub title: String,
    /// Author in the metadata (e.g. the vault's name).
    pub author: String,
    /// The body.
    pub blocks: Vec<Block>,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.5;
const LEADING: f32 = 14.0;
const LABEL_COL: f32 = 170.0;

/// Encodes `s` in WinAnsiEncoding; characters it lacks become `?`.
fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| {
            let direct = u32::from(c);
            if (0x20..=0x7E).contains(&direct) || (0xA0..=0xFF).contains(&direct) {
                return direct as u8;
            }
            (0x80u8..=0x9F)
                .find(|&code| winansi_char(code) == Some(c))
                .unwrap_or(b'?')
        })
        .collect()
}

/// Advance widths (1/1000 em) of the 256 WinAnsi codes for a face.
struct Metrics {
    widths: [f32; 256],
}

impl Metrics {
    fn of(data: &[u8]) -> Metrics {
        let mut widths = [500.0; 256];
        if let Ok(f) = ttf_parser::Face::parse(data, 0) {
            let upem = f32::from(f.units_per_em());
            for (code, w) in widths.iter_mut().enumerate() {
                let Ok(code) = u8::try_from(code) else {
                    continue;
                };
                if let Some(adv) = winansi_char(code)
                    .and_then(|c| f.glyph_index(c))
                    .and_then(|g| f.glyph_hor_advance(g))
                {
                    *w = f32::from(adv) * 1000.0 / upem;
                }
            }
        }
        Metrics { widths }
    }

    fn width(&self, bytes: &[u8], size: f32) -> f32 {
        bytes
            .iter()
            .map(|b| self.widths[usize::from(*b)])
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// Greedy word wrap of `text` (already encoded) into lines at most `max` wide.
    fn wrap(&self, text: &[u8], size: f32, max: f32) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for para in text.split(|b| *b == b'\n') {
            let mut line: Vec<u8> = Vec::new();
            for word in para.split(|b| *b == b' ').filter(|w| !w.is_empty()) {
                let mut candidate = line.clone();
                if !candidate.is_empty() {
                    candidate.push(b' ');
                }
                candidate.extend_from_slice(word);
                if self.width(&candidate, size) <= max || line.is_empty() {
                    line = candidate;
                } else {
                    lines.push(std::mem::take(&mut line));
                    line.extend_from_slice(word);
                }
            }
            lines.push(line);
        }
        lines
    }
}

const SANS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../resources/fonts/LiberationSans-Regular.ttf"
));
const SANS_BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../resources/fonts/LiberationSans-Bold.ttf"
));

/// Lays out pages: each page is a list of content operations.
struct Layout {
    pages: Vec<Vec<Operation>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![Vec::new()],
            y: PAGE_H - MARGIN,
        }
    }

    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(Vec::new());
            self.y = PAGE_H - MARGIN;
        }
    }

    fn text(&mut self, font: &str, size: f32, x: f32, line: Vec<u8>) {
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.extend([
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec![font.into(), size.into()]),
                Operation::new("Td", vec![x.into(), y.into()]),
                Operation::new("Tj", vec![Object::String(line, StringFormat::Literal)]),
                Operation::new("ET", vec![]),
            ]);
        }
    }
}

/// Renders `doc` as PDF/A-1b, dated `at` (creation and modification dates, XMP).
pub fn render(doc: &TextDocument, at: DateTime<Utc>) -> Result<Vec<u8>, Error> {
    let regular = Metrics::of(SANS);
    let bold = Metrics::of(SANS_BOLD);
    let width = PAGE_W - 2.0 * MARGIN;
    let mut l = Layout::new();
    for line in bold.wrap(&winansi(&doc.title), 15.0, width) {
        l.need(20.0);
        l.text("F2", 15.0, MARGIN, line);
        l.y -= 20.0;
    }
    l.y -= 8.0;
    for block in &doc.blocks {
        match block {
            Block::Heading(h) => {
                l.y -= 6.0;
                for line in bold.wrap(&winansi(h), 12.0, width) {
                    l.need(LEADING + 4.0);
                    l.text("F2", 12.0, MARGIN, line);
                    l.y -= LEADING + 2.0;
                }
            }
            Block::Paragraph(p) => {
                for line in regular.wrap(&winansi(p), BODY, width) {
                    l.need(LEADING);
                    l.text("F1", BODY, MARGIN, line);
                    l.y -= LEADING;
                }
                l.y -= 6.0;
            }
            Block::Table(rows) => {
                for (label, value) in rows {
                    let labels = bold.wrap(&winansi(label), BODY, LABEL_COL - 8.0);
                    let values = regular.wrap(&winansi(value), BODY, width - LABEL_COL);
                    let n = labels.len().max(values.len());
                    l.need(LEADING * n as f32);
                    let mut labels = labels.into_iter();
                    let mut values = values.into_iter();
                    for _ in 0..n {
                        if let Some(t) = labels.next() {
                            l.text("F2", BODY, MARGIN, t);
                        }
                        if let Some(t) = values.next() {
                            l.text("F1", BODY, MARGIN + LABEL_COL, t);
                        }
                        l.y -= LEADING;
                    }
                    l.y -= 2.0;
                }
                l.y -= 6.0;
            }
        }
    }

    let mut pdf = Document::with_version("1.4");
    let pages_id = pdf.new_object_id();
    let f1 = pdf.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let f2 = pdf.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica-Bold",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources = pdf.add_object(dictionary! {
        "Font" => dictionary! { "F1" => f1, "F2" => f2 },
    });
    let mut kids = Vec::new();
    let count = l.pages.len();
    for ops in l.pages {
        let content = Content { operations: ops }
            .encode()
            .map_err(|e| Error::Corrupt {
                detail: e.to_string(),
            })?;
        let content_id = pdf.add_object(Stream::new(dictionary! {}, content));
        let page = pdf.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), PAGE_W.into(), PAGE_H.into()],
            "Contents" => content_id,
            "Resources" => resources,
        });
        kids.push(Object::Reference(page));
    }
    pdf.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count as i64,
        }),
    );
    let catalog = pdf.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    pdf.trailer.set("Root", catalog);
    let date = at.format("D:%Y%m%d%H%M%S+00'00'").to_string();
    let text = |s: &str| Object::String(crate::xmp::encode_text(s), StringFormat::Literal);
    let info = pdf.add_object(dictionary! {
        "Title" => text(&doc.title),
        "Author" => text(&doc.author),
        "Creator" => text("Sceau"),
        "Producer" => text("Sceau"),
        "CreationDate" => text(&date),
    });
    pdf.trailer.set("Info", info);
    let mut raw = Vec::new();
    pdf.save_to(&mut raw).map_err(|e| Error::Corrupt {
        detail: e.to_string(),
    })?;

    let loaded = crate::native::load(&raw)?;
    let out = match crate::native::convert(loaded.doc, &raw, (at.timestamp(), 0)) {
        crate::native::Outcome::Done(out) => out,
        crate::native::Outcome::Fallback(reasons) => {
            return Err(Error::NotConvertible {
                attempts: vec![format!("route native : {}", reasons.join(", "))],
            })
        }
    };
    let verdict = crate::check_pdfa1b(&out);
    if !verdict.conformant {
        return Err(Error::NotConvertible {
            attempts: vec![format!(
                "route native : non conforme ({})",
                verdict.codes().join(", ")
            )],
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn winansi_keeps_french_letters() {
        assert_eq!(winansi("é à ç Œ ’ €"), b"\xe9 \xe0 \xe7 \x8c \x92 \x80");
        assert_eq!(winansi("→"), b"?");
    }

    #[test]
    fn wrap_respects_the_width() {
        let m = Metrics::of(SANS);
        let text = winansi(&"mot ".repeat(200));
        let lines = m.wrap(&text, BODY, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| m.width(l, BODY) <= 200.0));
    }
}
