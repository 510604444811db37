//! Fonts of the native route: which glyphs a page shows, which fonts must be embedded,
//! replaced or given a CIDSet (ISO 19005-1, 6.3).

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::fonts::{self, Face};

/// True for a subset font name (`ABCDEF+Name`).
pub(crate) fn is_subset_name(name: &[u8]) -> bool {
    name.len() > 7 && name[6] == b'+' && name[..6].iter().all(u8::is_ascii_uppercase)
}

/// PDF/A-1 wants a CIDSet for every subset CIDFont (6.3.5); Chromium and others omit it. For a
/// TrueType CIDFont it is computed from the embedded program: every CID mapped to a glyph.
pub(super) fn add_cid_sets(doc: &mut Document) {
    let mut work = Vec::new();
    for (id, o) in &doc.objects {
        let Ok(d) = o.as_dict() else { continue };
        if d.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"CIDFontType2") {
            continue;
        }
        if !d
            .get(b"BaseFont")
            .and_then(Object::as_name)
            .is_ok_and(is_subset_name)
        {
            continue;
        }
        let Ok(Object::Reference(fd_id)) = d.get(b"FontDescriptor") else {
            continue;
        };
        let Ok(fd) = doc.get_dictionary(*fd_id) else {
            continue;
        };
        if fd.has(b"CIDSet") {
            continue;
        }
        let Some(program) = fd
            .get_deref(b"FontFile2", doc)
            .and_then(Object::as_stream)
            .ok()
            .and_then(content_of)
        else {
            continue;
        };
        let Ok(face) = ttf_parser::Face::parse(&program, 0) else {
            continue;
        };
        let glyphs = usize::from(face.number_of_glyphs());
        let map: Option<Vec<u8>> = match d.get(b"CIDToGIDMap") {
            Ok(Object::Reference(r)) => doc
                .get_object(*r)
                .and_then(Object::as_stream)
                .ok()
                .and_then(content_of),
            _ => None,
        };
        let cids: Vec<usize> = match &map {
            Some(m) => m
                .chunks_exact(2)
                .enumerate()
                .filter(|(cid, g)| {
                    let gid = usize::from(u16::from_be_bytes([g[0], g[1]]));
                    (gid != 0 || *cid == 0) && gid < glyphs
                })
                .map(|(cid, _)| cid)
                .collect(),
            None => (0..glyphs).collect(),
        };
        let Some(max) = cids.iter().max() else {
            continue;
        };
        let mut bits = vec![0u8; max / 8 + 1];
        for cid in cids {
            bits[cid / 8] |= 0x80 >> (cid % 8);
        }
        work.push((*id, *fd_id, bits));
    }
    for (_, fd_id, bits) in work {
        let mut stream = Stream::new(Dictionary::new(), bits);
        let _ = stream.compress();
        let set = doc.add_object(stream);
        if let Ok(fd) = doc.get_dictionary_mut(fd_id) {
            fd.set("CIDSet", set);
        }
    }
}

pub(super) enum FontAction {
    Keep,
    Replace(Face),
    Fallback(String),
}

/// What to do with a dictionary if it is a font. A font without its program is replaced by
/// its Liberation twin under WinAnsiEncoding when every byte the document shows decodes to the
/// same character under the font's own encoding and under WinAnsiEncoding.
pub(super) fn font_action(
    doc: &Document,
    d: &Dictionary,
    used: Option<&[bool; 256]>,
) -> FontAction {
    let Ok(subtype) = d.get(b"Subtype").and_then(Object::as_name) else {
        return FontAction::Keep;
    };
    if !matches!(subtype, b"Type1" | b"MMType1" | b"TrueType") || !d.has(b"BaseFont") {
        return FontAction::Keep;
    }
    let embedded = d
        .get_deref(b"FontDescriptor", doc)
        .and_then(Object::as_dict)
        .is_ok_and(|fd| {
            [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"]
                .iter()
                .any(|k| fd.has(k))
        });
    if embedded {
        // Checked on the rewritten file by the checker (encodings of TrueType fonts, ...).
        return FontAction::Keep;
    }
    let base = d.get(b"BaseFont").and_then(Object::as_name).unwrap_or(b"?");
    let Some(face) = Face::for_base_font(base) else {
        return FontAction::Fallback(format!(
            "police {} non incorporée et sans équivalent libre",
            String::from_utf8_lossy(base)
        ));
    };
    if matches!(d.get(b"Encoding"), Ok(Object::Name(n)) if n == b"WinAnsiEncoding") {
        return FontAction::Replace(face);
    }
    let same = used.is_some_and(|used| {
        let mut font = d.clone();
        font.set("Type", Object::Name(b"Font".to_vec()));
        let Ok(encoding) = font.get_font_encoding(doc) else {
            return false;
        };
        (0u8..=255).filter(|b| used[usize::from(*b)]).all(|b| {
            let ours = Document::decode_text(&encoding, &[b]).ok();
            let winansi = fonts::winansi_char(b).map(String::from);
            ours.is_some() && ours == winansi
        })
    });
    if same {
        FontAction::Replace(face)
    } else {
        FontAction::Fallback(format!(
            "police {} non incorporée avec un codage particulier",
            String::from_utf8_lossy(base)
        ))
    }
}

/// A font whose descriptor is a reference: handled in a second pass below.
pub(super) fn has_direct_descendant_font_problem(d: &Dictionary) -> bool {
    d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0")
        && d.get(b"DescendantFonts")
            .and_then(Object::as_array)
            .is_ok_and(|a| {
                a.iter()
                    .any(|f| f.as_dict().is_ok_and(|f| f.get(b"FontDescriptor").is_err()))
            })
}

/// The bytes each font (by object id) shows, in page content and form XObjects; `None` when a
/// content stream cannot be read.
pub(super) fn used_bytes(doc: &Document) -> Option<HashMap<ObjectId, [bool; 256]>> {
    let mut used: HashMap<ObjectId, [bool; 256]> = HashMap::new();
    for page in doc.page_iter() {
        let mut fonts = HashMap::new();
        if let Ok((own, inherited)) = doc.get_page_resources(page) {
            let dicts = own.into_iter().chain(
                inherited
                    .iter()
                    .filter_map(|id| doc.get_dictionary(*id).ok()),
            );
            for res in dicts {
                font_names(doc, res, &mut fonts);
            }
        }
        let mut data = Vec::new();
        for id in doc.get_page_contents(page) {
            let s = doc.get_object(id).and_then(Object::as_stream).ok()?;
            data.extend(content_of(s)?);
            data.push(b'\n');
        }
        shown_bytes(&data, &fonts, &mut used)?;
    }
    for object in doc.objects.values() {
        let Object::Stream(s) = object else { continue };
        if s.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            continue;
        }
        let mut fonts = HashMap::new();
        if let Ok(res) = s
            .dict
            .get_deref(b"Resources", doc)
            .and_then(Object::as_dict)
        {
            font_names(doc, res, &mut fonts);
        }
        shown_bytes(&content_of(s)?, &fonts, &mut used)?;
    }
    Some(used)
}

fn content_of(s: &Stream) -> Option<Vec<u8>> {
    if s.dict.has(b"Filter") {
        s.decompressed_content_with_limit(crate::MAX_STREAM).ok()
    } else {
        Some(s.content.clone())
    }
}

fn font_names(doc: &Document, resources: &Dictionary, out: &mut HashMap<Vec<u8>, ObjectId>) {
    if let Ok(fonts) = resources.get_deref(b"Font", doc).and_then(Object::as_dict) {
        for (name, f) in fonts.iter() {
            if let Object::Reference(id) = f {
                out.entry(name.clone()).or_insert(*id);
            }
        }
    }
}

fn shown_bytes(
    data: &[u8],
    fonts: &HashMap<Vec<u8>, ObjectId>,
    used: &mut HashMap<ObjectId, [bool; 256]>,
) -> Option<()> {
    let mut current: Option<ObjectId> = None;
    for op in lopdf::content::Content::decode_iter(data) {
        let op = op.ok()?;
        match op.operator.as_str() {
            "Tf" => {
                current = op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .and_then(|n| fonts.get(n))
                    .copied();
            }
            "Tj" | "TJ" | "'" | "\"" => {
                let Some(font) = current else { continue };
                let set = used.entry(font).or_insert([false; 256]);
                let mut visit = |o: &Object| {
                    if let Object::String(bytes, _) = o {
                        for &b in bytes {
                            set[usize::from(b)] = true;
                        }
                    }
                };
                for o in &op.operands {
                    match o {
                        Object::Array(a) => a.iter().for_each(&mut visit),
                        other => visit(other),
                    }
                }
            }
            _ => {}
        }
    }
    Some(())
}
