//! The built-in PDF/A-1b checker (ISO 19005-1, level B): a pure function over bytes.
//!
//! It covers what our routes can get wrong and what the usual producers get wrong: file
//! structure, metadata and its synchronisation with the document information dictionary, the
//! output intent, device colours, embedded fonts, transparency and the forbidden features
//! (encryption, JavaScript and other actions, embedded files, optional content, ...). It does not
//! parse font programs; Apache PDFBox Preflight is the independent oracle in the tests.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object};
use serde::Serialize;

use crate::detect::find;
use crate::xmp;

/// One way in which a file is not PDF/A-1b.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Violation {
    /// Stable machine-readable code, e.g. `font_not_embedded`.
    pub code: &'static str,
    /// The clause of ISO 19005-1 that is violated, e.g. `6.3.4`.
    pub clause: &'static str,
    /// What is wrong, in French.
    pub message_fr: String,
}

/// The checker's answer for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// True when no violation was found.
    pub conformant: bool,
    /// Every distinct violation found, sorted.
    pub violations: Vec<Violation>,
}

impl Verdict {
    /// True when a violation with this code was found.
    pub fn has(&self, code: &str) -> bool {
        self.violations.iter().any(|v| v.code == code)
    }

    /// The codes found, for logs and messages.
    pub fn codes(&self) -> Vec<&'static str> {
        let set: BTreeSet<&'static str> = self.violations.iter().map(|v| v.code).collect();
        set.into_iter().collect()
    }
}

#[derive(Default)]
struct Found(BTreeSet<Violation>);

impl Found {
    fn add(&mut self, code: &'static str, clause: &'static str, message_fr: impl Into<String>) {
        self.0.insert(Violation {
            code,
            clause,
            message_fr: message_fr.into(),
        });
    }
}

/// Checks `bytes` against PDF/A-1b and returns every violation found.
pub fn check_pdfa1b(bytes: &[u8]) -> Verdict {
    let mut f = Found::default();
    check_raw(bytes, &mut f);
    match Document::load_mem(bytes) {
        Ok(doc) => check_document(&doc, &mut f),
        Err(e) => f.add(
            "syntax",
            "6.1",
            format!("le fichier n'est pas un PDF lisible ({e})"),
        ),
    }
    let violations: Vec<Violation> = f.0.into_iter().collect();
    Verdict {
        conformant: violations.is_empty(),
        violations,
    }
}

/// Checks of the file's bytes that a parsed document no longer shows.
fn check_raw(bytes: &[u8], f: &mut Found) {
    if !bytes.starts_with(b"%PDF-1.") {
        f.add(
            "header",
            "6.1.2",
            "l'en-tête %PDF-1.n doit se trouver au tout début du fichier",
        );
    }
    // Second line: a comment of at least four bytes above 127.
    let second = bytes
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map(|i| {
            let mut j = i;
            while j < bytes.len() && (bytes[j] == b'\n' || bytes[j] == b'\r') {
                j += 1;
            }
            &bytes[j..bytes.len().min(j + 5)]
        })
        .unwrap_or(&[]);
    if second.len() < 5 || second[0] != b'%' || second[1..].iter().any(|&b| b < 128) {
        f.add(
            "binary_comment",
            "6.1.2",
            "la deuxième ligne doit être un commentaire d'au moins quatre octets binaires",
        );
    }
    let tail = trim_eol(bytes);
    if !tail.ends_with(b"%%EOF") {
        f.add(
            "eof",
            "6.1.3",
            "le fichier doit se terminer par %%EOF (sans données après)",
        );
    }
    match last_startxref(bytes) {
        Some(off) if bytes.get(off..off + 4) == Some(b"xref") => {}
        Some(_) => f.add(
            "xref_stream",
            "6.1.4",
            "la table des références croisées doit être une table classique (pas de flux XRef)",
        ),
        None => f.add("syntax", "6.1.3", "mot-clé startxref introuvable"),
    }
}

fn trim_eol(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &bytes[..end]
}

fn last_startxref(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len().saturating_sub(1024);
    let tail = &bytes[from..];
    let mut pos = None;
    let mut start = 0;
    while let Some(i) = find(&tail[start..], b"startxref") {
        pos = Some(start + i);
        start += i + 9;
    }
    let rest = &tail[pos? + 9..];
    let digits: Vec<u8> = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// The colour space of the output intent's ICC profile, from its header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Icc {
    Rgb,
    Cmyk,
    Gray,
    Other,
}

fn check_document(doc: &Document, f: &mut Found) {
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() {
        f.add("encrypted", "6.1.3", "le chiffrement est interdit");
    }
    match doc.trailer.get(b"ID").and_then(Object::as_array) {
        Ok(a) if a.len() == 2 => {}
        _ => f.add(
            "file_id",
            "6.1.3",
            "l'identifiant de fichier (ID) manque dans le trailer",
        ),
    }
    let catalog = match doc.catalog() {
        Ok(c) => c,
        Err(_) => {
            f.add("syntax", "6.1", "catalogue du document introuvable");
            return;
        }
    };
    let icc = check_output_intent(doc, catalog, f);
    check_metadata(doc, catalog, f);
    if catalog.has(b"OCProperties") {
        f.add(
            "optional_content",
            "6.1.13",
            "le contenu optionnel (calques) est interdit",
        );
    }
    if let Ok(names) = catalog.get_deref(b"Names", doc).and_then(Object::as_dict) {
        if names.has(b"EmbeddedFiles") {
            f.add(
                "embedded_files",
                "6.1.11",
                "les fichiers joints sont interdits",
            );
        }
        if names.has(b"JavaScript") {
            f.add("javascript", "6.6.1", "le JavaScript est interdit");
        }
    }
    if let Ok(form) = catalog
        .get_deref(b"AcroForm", doc)
        .and_then(Object::as_dict)
    {
        if matches!(form.get(b"NeedAppearances"), Ok(Object::Boolean(true))) {
            f.add(
                "need_appearances",
                "6.9",
                "NeedAppearances doit être absent ou faux dans le formulaire",
            );
        }
        if form.has(b"XFA") {
            f.add("xfa", "6.9", "les formulaires XFA sont interdits");
        }
    }
    let mut device = DeviceUse::default();
    for object in doc.objects.values() {
        walk(doc, object, f, &mut device, 0);
    }
    for page in doc.page_iter() {
        for content in content_streams_of_page(doc, page) {
            device.scan_content(&content);
        }
    }
    // Form XObjects, patterns and Type 3 glyphs are content streams too.
    for object in doc.objects.values() {
        if let Object::Stream(s) = object {
            let is_form = s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form");
            let is_pattern = s.dict.has(b"PatternType");
            if is_form || is_pattern {
                if let Ok(data) = s.decompressed_content_with_limit(crate::MAX_STREAM) {
                    device.scan_content(&data);
                }
            }
        }
    }
    device.report(icc, f);
}

fn content_streams_of_page(doc: &Document, page: lopdf::ObjectId) -> Vec<Vec<u8>> {
    doc.get_page_contents(page)
        .into_iter()
        .filter_map(|id| doc.get_object(id).ok())
        .filter_map(|o| o.as_stream().ok())
        .filter_map(|s| s.decompressed_content_with_limit(crate::MAX_STREAM).ok())
        .collect()
}

fn check_output_intent(doc: &Document, catalog: &Dictionary, f: &mut Found) -> Option<Icc> {
    let intents = match catalog
        .get_deref(b"OutputIntents", doc)
        .and_then(Object::as_array)
    {
        Ok(a) => a,
        Err(_) => {
            f.add(
                "output_intent_missing",
                "6.2.2",
                "le profil de sortie (OutputIntent GTS_PDFA1) manque",
            );
            return None;
        }
    };
    let mut found = None;
    let mut profiles = BTreeSet::new();
    for intent in intents {
        let Ok(dict) = deref(doc, intent).as_dict() else {
            continue;
        };
        if dict.get(b"S").and_then(Object::as_name).ok() != Some(b"GTS_PDFA1") {
            continue;
        }
        let profile = dict.get(b"DestOutputProfile").ok();
        if let Some(Object::Reference(id)) = profile {
            profiles.insert(*id);
        }
        match profile.map(|p| deref(doc, p)).map(Object::as_stream) {
            Some(Ok(stream)) => {
                let data = stream
                    .decompressed_content_with_limit(crate::MAX_STREAM)
                    .unwrap_or_else(|_| stream.content.clone());
                let icc = match data.get(16..20) {
                    Some(b"RGB ") => Icc::Rgb,
                    Some(b"CMYK") => Icc::Cmyk,
                    Some(b"GRAY") => Icc::Gray,
                    _ => Icc::Other,
                };
                if icc == Icc::Other || data.len() < 128 {
                    f.add(
                        "output_intent_profile",
                        "6.2.2",
                        "le profil ICC du profil de sortie est invalide",
                    );
                }
                found = Some(icc);
            }
            _ => f.add(
                "output_intent_profile",
                "6.2.2",
                "le profil de sortie n'a pas de profil ICC (DestOutputProfile)",
            ),
        }
    }
    if profiles.len() > 1 {
        f.add(
            "output_intent_profile",
            "6.2.2",
            "plusieurs profils de sortie différents",
        );
    }
    if found.is_none() && !profiles.is_empty() {
        return None;
    }
    if found.is_none() {
        f.add(
            "output_intent_missing",
            "6.2.2",
            "le profil de sortie (OutputIntent GTS_PDFA1) manque",
        );
    }
    found
}

fn check_metadata(doc: &Document, catalog: &Dictionary, f: &mut Found) {
    let stream = match catalog
        .get_deref(b"Metadata", doc)
        .and_then(Object::as_stream)
    {
        Ok(s) => s,
        Err(_) => {
            f.add(
                "metadata_missing",
                "6.7.2",
                "les métadonnées XMP du document manquent",
            );
            return;
        }
    };
    if stream.dict.has(b"Filter") {
        f.add(
            "metadata_filtered",
            "6.7.2",
            "le flux de métadonnées XMP ne doit pas être compressé",
        );
    }
    let data = stream
        .decompressed_content_with_limit(crate::MAX_STREAM)
        .unwrap_or_else(|_| stream.content.clone());
    let Ok(text) = std::str::from_utf8(&data) else {
        f.add(
            "metadata_invalid",
            "6.7.5",
            "les métadonnées XMP ne sont pas en UTF-8",
        );
        return;
    };
    let packet = xmp::Packet::parse(text);
    if packet.header_has_forbidden_attributes() {
        f.add(
            "metadata_invalid",
            "6.7.5",
            "l'en-tête xpacket ne doit pas porter d'attribut bytes ni encoding",
        );
    }
    match (
        packet.value("pdfaid:part"),
        packet.value("pdfaid:conformance"),
    ) {
        (Some(p), Some(c)) if p.trim() == "1" && matches!(c.trim(), "A" | "B") => {}
        _ => f.add(
            "pdfaid",
            "6.7.11",
            "l'identification PDF/A (pdfaid:part 1, conformance B) manque dans le XMP",
        ),
    }
    let info = doc
        .trailer
        .get(b"Info")
        .map(|o| deref(doc, o))
        .and_then(Object::as_dict)
        .ok();
    let Some(info) = info else { return };
    for (key, prop) in xmp::INFO_TO_XMP {
        let Ok(value) = info.get(key.as_bytes()).map(|o| deref(doc, o)) else {
            continue;
        };
        let Ok(raw) = value.as_str() else { continue };
        let xmp_value = packet.value(prop);
        let same = if key.ends_with("Date") {
            match xmp::pdf_date(raw) {
                Some(d) => xmp_value.and_then(|x| xmp::xmp_date(&x)) == Some(d),
                None => {
                    f.add(
                        "info_date",
                        "6.7.3",
                        format!("la date {key} du dictionnaire Info est mal formée"),
                    );
                    continue;
                }
            }
        } else {
            xmp_value.as_deref() == Some(xmp::decode_text(raw).as_str())
        };
        if !same {
            f.add(
                "metadata_mismatch",
                "6.7.3",
                format!("l'entrée Info {key} ne correspond pas à {prop} dans le XMP"),
            );
        }
    }
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(&Object::Null),
        other => other,
    }
}

/// Actions PDF/A-1 forbids (ISO 19005-1, 6.6.1); the native route strips them.
pub(crate) const FORBIDDEN_ACTIONS: &[&[u8]] = &[
    b"Launch",
    b"Sound",
    b"Movie",
    b"ResetForm",
    b"ImportData",
    b"JavaScript",
    b"SetState",
    b"NoOp",
    b"Hide",
    b"Rendition",
    b"Trans",
    b"GoTo3DView",
    b"SetOCGState",
];
/// The only named actions PDF/A-1 allows (6.6.1).
pub(crate) const NAMED_ACTIONS: &[&[u8]] = &[b"NextPage", b"PrevPage", b"FirstPage", b"LastPage"];
/// Annotation subtypes PDF/A-1 allows (ISO 19005-1 § 6.5.2); the native route keeps only these.
pub(crate) const ANNOTATIONS: &[&[u8]] = &[
    b"Text",
    b"Link",
    b"FreeText",
    b"Line",
    b"Square",
    b"Circle",
    b"Highlight",
    b"Underline",
    b"Squiggly",
    b"StrikeOut",
    b"Stamp",
    b"Ink",
    b"Popup",
    b"Widget",
    b"PrinterMark",
    b"TrapNet",
];
const FONT_SUBTYPES: &[&[u8]] = &[
    b"Type1",
    b"MMType1",
    b"TrueType",
    b"CIDFontType0",
    b"CIDFontType2",
];

fn walk(doc: &Document, object: &Object, f: &mut Found, device: &mut DeviceUse, depth: u32) {
    // Direct objects nest; a hostile file could nest them deeply.
    if depth > 64 {
        return;
    }
    match object {
        Object::Dictionary(d) => {
            check_dict(doc, d, false, f);
            for (k, v) in d.iter() {
                if k.as_slice() != b"Alternate" {
                    walk(doc, v, f, device, depth + 1);
                }
            }
        }
        Object::Stream(s) => {
            check_dict(doc, &s.dict, true, f);
            check_stream(s, f);
            for (k, v) in s.dict.iter() {
                if k.as_slice() != b"Alternate" {
                    walk(doc, v, f, device, depth + 1);
                }
            }
        }
        Object::Array(a) => {
            if a.len() > 8191 {
                f.add("limit", "6.1.12", "tableau de plus de 8191 éléments");
            }
            for v in a {
                walk(doc, v, f, device, depth + 1);
            }
        }
        Object::Name(n) => {
            if n.len() > 127 {
                f.add("limit", "6.1.12", "nom de plus de 127 octets");
            }
            device.name(n);
        }
        Object::String(s, _) if s.len() > 65535 => {
            f.add("limit", "6.1.12", "chaîne de plus de 65535 octets");
        }
        Object::Integer(i) if *i > i64::from(i32::MAX) || *i < i64::from(i32::MIN) => {
            f.add(
                "limit",
                "6.1.12",
                "entier hors des limites d'implémentation",
            );
        }
        Object::Real(r) if r.abs() > 32767.0 => {
            f.add("limit", "6.1.12", "réel hors des limites d'implémentation");
        }
        _ => {}
    }
}

fn name<'a>(d: &'a Dictionary, key: &[u8]) -> Option<&'a [u8]> {
    d.get(key).and_then(Object::as_name).ok()
}

fn number(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<f32> {
    d.get(key)
        .ok()
        .map(|o| deref(doc, o))
        .and_then(|o| match o {
            Object::Integer(i) => Some(*i as f32),
            Object::Real(r) => Some(*r),
            _ => None,
        })
}

fn check_dict(doc: &Document, d: &Dictionary, is_stream: bool, f: &mut Found) {
    if d.len() > 4095 {
        f.add("limit", "6.1.12", "dictionnaire de plus de 4095 entrées");
    }
    let subtype = name(d, b"Subtype");
    // Actions.
    if let Some(s) = name(d, b"S") {
        if FORBIDDEN_ACTIONS.contains(&s) {
            let code = if s == b"JavaScript" {
                "javascript"
            } else {
                "action_forbidden"
            };
            f.add(
                code,
                "6.6.1",
                format!("action interdite : {}", String::from_utf8_lossy(s)),
            );
        }
        if s == b"Named" {
            let n = name(d, b"N").unwrap_or_default();
            if !NAMED_ACTIONS.contains(&n) {
                f.add(
                    "action_forbidden",
                    "6.6.1",
                    format!("action nommée interdite : {}", String::from_utf8_lossy(n)),
                );
            }
        }
        if s == b"Transparency" {
            f.add(
                "transparency",
                "6.4",
                "groupe de transparence (Group /S /Transparency) interdit",
            );
        }
    }
    if d.has(b"AA") {
        f.add(
            "additional_actions",
            "6.6.2",
            "les actions automatiques (AA) sont interdites",
        );
    }
    if d.has(b"JS") && name(d, b"S").is_none() {
        f.add("javascript", "6.6.1", "le JavaScript est interdit");
    }
    // Transparency.
    if let Ok(mask) = d.get(b"SMask") {
        if !matches!(mask, Object::Name(n) if n == b"None") {
            f.add(
                "transparency",
                "6.4",
                "masque de transparence (SMask) interdit",
            );
        }
    }
    if let Some(bm) = d.get(b"BM").ok().map(|o| deref(doc, o)) {
        let ok = match bm {
            Object::Name(n) => n == b"Normal" || n == b"Compatible",
            Object::Array(a) => a
                .iter()
                .all(|o| matches!(o, Object::Name(n) if n == b"Normal" || n == b"Compatible")),
            _ => false,
        };
        if !ok {
            f.add("transparency", "6.4", "mode de fusion (BM) interdit");
        }
    }
    for key in [b"CA".as_slice(), b"ca"] {
        if let Some(v) = number(doc, d, key) {
            if (v - 1.0).abs() > f32::EPSILON {
                f.add(
                    "transparency",
                    "6.4",
                    "opacité (CA/ca) différente de 1 interdite",
                );
            }
        }
    }
    // Images and XObjects.
    if is_stream && subtype == Some(b"Image") {
        if matches!(d.get(b"Interpolate"), Ok(Object::Boolean(true))) {
            f.add(
                "image",
                "6.2.4",
                "interpolation d'image (Interpolate) interdite",
            );
        }
        if d.has(b"Alternates") {
            f.add(
                "image",
                "6.2.4",
                "images alternatives (Alternates) interdites",
            );
        }
    }
    if is_stream && d.has(b"OPI") {
        f.add("image", "6.2.4", "les références OPI sont interdites");
    }
    if is_stream && (subtype == Some(b"PS") || name(d, b"Subtype2") == Some(b"PS")) {
        f.add(
            "postscript",
            "6.2.6",
            "les XObjects PostScript sont interdits",
        );
    }
    if is_stream && subtype == Some(b"Form") && d.has(b"Ref") {
        f.add(
            "postscript",
            "6.2.5",
            "les XObjects de référence sont interdits",
        );
    }
    // Annotations.
    let is_annot = d.has_type(b"Annot") || (d.has(b"Rect") && subtype.is_some() && !is_stream);
    if is_annot {
        check_annotation(doc, d, subtype, f);
    }
    // Fonts.
    if let Some(st) = subtype {
        if FONT_SUBTYPES.contains(&st) && !is_stream && (d.has(b"BaseFont") || d.has_type(b"Font"))
        {
            check_font(doc, d, st, f);
        }
    }
    if is_stream && (d.has_type(b"ObjStm") || d.has_type(b"XRef")) {
        f.add(
            "object_stream",
            "6.1.4",
            "les flux d'objets et de références croisées (PDF 1.5) sont interdits",
        );
    }
}

fn check_annotation(doc: &Document, d: &Dictionary, subtype: Option<&[u8]>, f: &mut Found) {
    let st = subtype.unwrap_or_default();
    if !ANNOTATIONS.contains(&st) {
        let code = if st == b"FileAttachment" {
            "embedded_files"
        } else {
            "annotation_subtype"
        };
        f.add(
            code,
            "6.5.2",
            format!(
                "annotation de type {} interdite",
                String::from_utf8_lossy(st)
            ),
        );
    }
    let flags = d
        .get(b"F")
        .ok()
        .map(|o| deref(doc, o))
        .and_then(|o| o.as_i64().ok());
    // Print (4) set; Invisible (1), Hidden (2), NoView (32) clear.
    match flags {
        Some(fl) if fl & 4 != 0 && fl & (1 | 2 | 32) == 0 => {}
        _ if st == b"Popup" && flags.is_none() => {}
        _ => f.add(
            "annotation_flags",
            "6.5.3",
            "une annotation doit être imprimable et visible (drapeaux F)",
        ),
    }
    if let Ok(ap) = d.get_deref(b"AP", doc).and_then(Object::as_dict) {
        if ap.iter().any(|(k, _)| k.as_slice() != b"N") {
            f.add(
                "annotation_appearance",
                "6.5.3",
                "l'apparence d'une annotation ne doit contenir que l'entrée N",
            );
        }
    }
}

fn check_font(doc: &Document, d: &Dictionary, subtype: &[u8], f: &mut Found) {
    let base = String::from_utf8_lossy(name(d, b"BaseFont").unwrap_or(b"?")).into_owned();
    let descriptor = d
        .get_deref(b"FontDescriptor", doc)
        .and_then(Object::as_dict)
        .ok();
    let embedded = descriptor.is_some_and(|fd| {
        [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"]
            .iter()
            .any(|k| fd.get_deref(k, doc).and_then(Object::as_stream).is_ok())
    });
    if !embedded {
        f.add(
            "font_not_embedded",
            "6.3.4",
            format!("la police {base} n'est pas incorporée"),
        );
        return;
    }
    if subtype == b"TrueType" {
        let flags = descriptor
            .and_then(|fd| fd.get(b"Flags").ok())
            .and_then(|o| deref(doc, o).as_i64().ok())
            .unwrap_or(0);
        let symbolic = flags & 4 != 0;
        let encoding = d.get(b"Encoding").ok().map(|o| deref(doc, o));
        let ok = if symbolic {
            encoding.is_none()
        } else {
            matches!(encoding, Some(Object::Name(n))
                if n == b"WinAnsiEncoding" || n == b"MacRomanEncoding")
        };
        if !ok {
            f.add(
                "font_encoding",
                "6.3.7",
                format!("le codage de la police TrueType {base} n'est pas admis"),
            );
        }
    }
    let subset = name(d, b"BaseFont").is_some_and(crate::native::is_subset_name);
    if matches!(subtype, b"CIDFontType0" | b"CIDFontType2")
        && subset
        && !descriptor.is_some_and(|fd| fd.has(b"CIDSet"))
    {
        f.add(
            "font_cidset",
            "6.3.5",
            format!("la police sous-ensemble {base} n'a pas de CIDSet"),
        );
    }
    if subtype == b"CIDFontType2" && !d.has(b"CIDToGIDMap") {
        f.add(
            "font_cidtogid",
            "6.3.3",
            format!("la police {base} n'a pas de CIDToGIDMap"),
        );
    }
}

fn check_stream(s: &lopdf::Stream, f: &mut Found) {
    if s.dict.has(b"F") || s.dict.has(b"FFilter") || s.dict.has(b"FDecodeParms") {
        f.add(
            "external_stream",
            "6.1.7",
            "un flux ne doit pas désigner de fichier externe (F, FFilter, FDecodeParms)",
        );
    }
    if let Ok(filters) = s.filters() {
        if filters
            .iter()
            .any(|fl| *fl == b"LZWDecode" || *fl == b"LZW")
        {
            f.add("lzw", "6.1.10", "la compression LZW est interdite");
        }
    }
}

/// Which device-dependent colour spaces a document uses.
#[derive(Default)]
struct DeviceUse {
    rgb: bool,
    cmyk: bool,
    gray: bool,
}

impl DeviceUse {
    fn name(&mut self, n: &[u8]) {
        match n {
            b"DeviceRGB" | b"RGB" => self.rgb = true,
            b"DeviceCMYK" | b"CMYK" => self.cmyk = true,
            b"DeviceGray" | b"G" => self.gray = true,
            _ => {}
        }
    }

    fn scan_content(&mut self, data: &[u8]) {
        for op in lopdf::content::Content::decode_iter(data) {
            let Ok(op) = op else { break };
            match op.operator.as_str() {
                "rg" | "RG" => self.rgb = true,
                "k" | "K" => self.cmyk = true,
                "g" | "G" => self.gray = true,
                _ => {}
            }
            for o in &op.operands {
                if let Object::Name(n) = o {
                    self.name(n);
                }
                if let Object::Stream(s) = o {
                    // Inline image.
                    for (_, v) in s.dict.iter() {
                        if let Object::Name(n) = v {
                            self.name(n);
                        }
                    }
                }
            }
        }
    }

    fn report(&self, icc: Option<Icc>, f: &mut Found) {
        let Some(icc) = icc else { return };
        let bad = match icc {
            Icc::Rgb => self.cmyk,
            Icc::Cmyk => self.rgb,
            Icc::Gray => self.rgb || self.cmyk,
            Icc::Other => false,
        };
        if bad {
            f.add(
                "device_color",
                "6.2.3.3",
                "un espace colorimétrique dépendant du périphérique ne correspond pas au profil de sortie",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn garbage_is_not_conformant() {
        let v = check_pdfa1b(b"hello");
        assert!(!v.conformant);
        assert!(v.has("header"));
        assert!(v.has("syntax"));
    }

    #[test]
    fn startxref_is_found() {
        let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nxref\n0 1\ntrailer<<>>\nstartxref\n15\n%%EOF\n";
        assert_eq!(last_startxref(pdf), Some(15));
        let mut f = Found::default();
        check_raw(pdf, &mut f);
        assert!(f.0.is_empty(), "{:?}", f.0);
    }
}
