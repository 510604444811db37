//! The native route: a PDF rewritten into PDF/A-1b in Rust, without touching page content.

use std::collections::{BTreeSet, HashMap};

use lopdf::{
    dictionary, Dictionary, Document, Object, ObjectId, SaveOptions, Stream, StringFormat,
};
use sha2::{Digest, Sha256};

use crate::check::{FORBIDDEN_ACTIONS, NAMED_ACTIONS};
use crate::fonts::{self, Face};
use crate::xmp;

mod fonts_used;
use crate::Error;
pub(crate) use fonts_used::is_subset_name;
use fonts_used::{
    add_cid_sets, font_action, has_direct_descendant_font_problem, used_bytes, FontAction,
};

const ICC: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../resources/icc/sRGB.icc"
));

/// The sRGB ICC profile written as output intent (shipped under `resources/icc/`).
pub fn srgb_profile() -> &'static [u8] {
    ICC
}

/// A PDF as read for conversion.
pub(crate) struct Loaded {
    pub doc: Document,
    pub pages: usize,
}

/// Reads a PDF, refusing what must never be rewritten: a user password, damage, a signature.
pub(crate) fn load(bytes: &[u8]) -> Result<Loaded, Error> {
    let doc = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => Error::PasswordProtected,
        other => Error::Corrupt {
            detail: other.to_string(),
        },
    })?;
    if doc.trailer.has(b"Encrypt") {
        return Err(Error::PasswordProtected);
    }
    if doc.catalog().is_err() {
        return Err(Error::Corrupt {
            detail: "no document catalog".into(),
        });
    }
    if is_signed(&doc) {
        return Err(Error::AlreadySigned);
    }
    let pages = doc.get_pages().len();
    if pages == 0 {
        return Err(Error::Corrupt {
            detail: "no page".into(),
        });
    }
    // Every page's content must decode: a damaged stream would silently lose content.
    for page in doc.page_iter() {
        for id in doc.get_page_contents(page) {
            let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
                return Err(Error::Corrupt {
                    detail: format!("missing content stream {} {} R", id.0, id.1),
                });
            };
            if stream.dict.has(b"Filter")
                && stream
                    .decompressed_content_with_limit(crate::MAX_STREAM)
                    .is_err()
            {
                return Err(Error::Corrupt {
                    detail: format!("content stream {} {} R does not decode", id.0, id.1),
                });
            }
        }
    }
    Ok(Loaded { doc, pages })
}

/// True when the document carries a digital signature (a signature dictionary with a byte
/// range, or a signed field).
pub(crate) fn is_signed(doc: &Document) -> bool {
    doc.objects.values().any(|o| {
        let d = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => return false,
        };
        d.has_type(b"Sig")
            || d.has_type(b"DocTimeStamp")
            || (d.has(b"ByteRange") && d.has(b"Contents"))
            || (d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig") && d.has(b"V"))
    })
}

/// What the native route did, or why it cannot guarantee conformance.
pub(crate) enum Outcome {
    /// The rewritten file.
    Done(Vec<u8>),
    /// Reasons (French) for which another route must be tried.
    Fallback(Vec<String>),
}

/// Rewrites `doc` into PDF/A-1b. `original` is the input (for the file identifier); `now` the
/// modification time written into the metadata.
pub(crate) fn convert(mut doc: Document, original: &[u8], now: xmp::Instant) -> Outcome {
    let mut reasons = BTreeSet::new();
    // Decrypted on load (owner password only): write it in the clear.
    doc.encryption_state = None;
    doc.trailer.remove(b"Encrypt");

    let transparency = uses_transparency(&doc);
    if transparency {
        reasons.insert("transparence à aplatir".to_string());
    }
    strip_forbidden_actions(&mut doc);
    let ids: Vec<ObjectId> = doc.objects.keys().copied().collect();
    let used = used_bytes(&doc);
    let font_actions: HashMap<ObjectId, FontAction> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| {
            let d = o.as_dict().ok()?;
            let shown = used
                .as_ref()
                .map(|u| u.get(id).copied().unwrap_or([false; 256]));
            Some((*id, font_action(&doc, d, shown.as_ref())))
        })
        .collect();
    let mut font_files: HashMap<Face, (ObjectId, String)> = HashMap::new();
    let mut replaced_fonts: Vec<(ObjectId, Face)> = Vec::new();
    let mut direct_fonts: Vec<ObjectId> = Vec::new();
    for id in &ids {
        let Some(object) = doc.objects.get_mut(id) else {
            continue;
        };
        match object {
            Object::Stream(s) => {
                if s.dict.has_type(b"ObjStm") || s.dict.has_type(b"XRef") {
                    continue;
                }
                if s.dict.has(b"F") || s.dict.has(b"FFilter") || s.dict.has(b"FDecodeParms") {
                    reasons.insert("flux dont les données sont dans un fichier externe".into());
                }
                fix_lzw(s, &mut reasons);
                neutralise_dict(&mut s.dict, true);
            }
            Object::Dictionary(d) => {
                neutralise_dict(d, false);
                match font_actions.get(id) {
                    None | Some(FontAction::Keep) => {}
                    Some(FontAction::Replace(face)) => replaced_fonts.push((*id, *face)),
                    Some(FontAction::Fallback(why)) => {
                        reasons.insert(why.clone());
                    }
                }
                if has_direct_descendant_font_problem(d) {
                    direct_fonts.push(*id);
                }
            }
            _ => {}
        }
    }
    if !direct_fonts.is_empty() {
        reasons.insert("police composite non incorporée".into());
    }
    // One subset program per face, covering what every font using that face shows.
    let mut shown_by_face: HashMap<Face, [bool; 256]> = HashMap::new();
    for (id, face) in &replaced_fonts {
        let shown = used
            .as_ref()
            .and_then(|u| u.get(id).copied())
            .unwrap_or([true; 256]);
        let set = shown_by_face.entry(*face).or_insert([false; 256]);
        for (a, b) in set.iter_mut().zip(shown) {
            *a |= b;
        }
    }
    for (id, face) in replaced_fonts {
        let (file, tag) = match font_files.get(&face) {
            Some(f) => f.clone(),
            None => {
                let shown = shown_by_face.get(&face).copied().unwrap_or([true; 256]);
                let (stream, tag) = fonts::font_file(face, &shown);
                let file = doc.add_object(stream);
                font_files.insert(face, (file, tag.clone()));
                (file, tag)
            }
        };
        match fonts::font_dict(face, file, &tag) {
            Some(dict) => {
                doc.objects.insert(id, Object::Dictionary(dict));
            }
            None => {
                reasons.insert("police de remplacement illisible".into());
            }
        }
    }
    add_cid_sets(&mut doc);
    for page in doc.page_iter().collect::<Vec<_>>() {
        fix_annotations(&mut doc, page);
    }
    fix_catalog(&mut doc, &mut reasons);
    if !reasons.is_empty() {
        return Outcome::Fallback(reasons.into_iter().collect());
    }
    if transparency {
        return Outcome::Fallback(vec!["transparence à aplatir".into()]);
    }
    set_metadata(&mut doc, now);
    set_output_intent(&mut doc);
    set_trailer(&mut doc, original);
    doc.prune_objects();
    doc.version = "1.4".into();
    doc.binary_mark = vec![0xE2, 0xE3, 0xCF, 0xD3];
    doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let mut out = Vec::with_capacity(original.len() + 512 * 1024);
    let options = SaveOptions::builder()
        .use_object_streams(false)
        .use_xref_streams(false)
        .build();
    match doc.save_with_options(&mut out, options) {
        Ok(()) => Outcome::Done(out),
        Err(e) => Outcome::Fallback(vec![format!("écriture impossible ({e})")]),
    }
}

fn fix_lzw(s: &mut Stream, reasons: &mut BTreeSet<String>) {
    let Ok(filters) = s.filters() else { return };
    if !filters.iter().any(|f| *f == b"LZWDecode" || *f == b"LZW") {
        return;
    }
    match s.decompressed_content_with_limit(crate::MAX_STREAM) {
        Ok(data) => {
            s.dict.remove(b"Filter");
            s.dict.remove(b"DecodeParms");
            s.set_plain_content(data);
            let _ = s.compress();
        }
        Err(_) => {
            // Only the LZW stage may be undecodable by us (e.g. LZW over DCT): let another
            // route try.
            reasons.insert("flux compressé en LZW non décodable".into());
        }
    }
}

fn is_forbidden_action(d: &Dictionary) -> bool {
    match d.get(b"S").and_then(Object::as_name) {
        Ok(b"Named") => !d
            .get(b"N")
            .and_then(Object::as_name)
            .is_ok_and(|n| NAMED_ACTIONS.contains(&n)),
        Ok(s) => FORBIDDEN_ACTIONS.contains(&s),
        Err(_) => false,
    }
}

/// Removes every link to a forbidden action (`A`, `OpenAction`, `Next`); the actions become
/// unreachable and are pruned before saving.
fn strip_forbidden_actions(doc: &mut Document) {
    let forbidden: BTreeSet<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| o.as_dict().is_ok_and(is_forbidden_action))
        .map(|(id, _)| *id)
        .collect();
    for o in doc.objects.values_mut() {
        strip_actions_in(o, &forbidden, 0);
    }
}

fn strip_actions_in(o: &mut Object, forbidden: &BTreeSet<ObjectId>, depth: u32) {
    if depth > 64 {
        return;
    }
    let d = match o {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &mut s.dict,
        Object::Array(a) => {
            for v in a {
                strip_actions_in(v, forbidden, depth + 1);
            }
            return;
        }
        _ => return,
    };
    for key in [b"A".as_slice(), b"OpenAction", b"Next"] {
        let bad = match d.get(key) {
            Ok(Object::Reference(r)) => forbidden.contains(r),
            Ok(Object::Dictionary(a)) => is_forbidden_action(a),
            Ok(Object::Array(items)) => items.iter().any(|i| match i {
                Object::Reference(r) => forbidden.contains(r),
                Object::Dictionary(a) => is_forbidden_action(a),
                _ => false,
            }),
            _ => false,
        };
        if bad {
            d.remove(key);
        }
    }
    for (_, v) in d.iter_mut() {
        strip_actions_in(v, forbidden, depth + 1);
    }
}

/// Removes or neutralises what PDF/A-1 forbids in one dictionary, where that does not change
/// what a page shows.
fn neutralise_dict(d: &mut Dictionary, is_stream: bool) {
    d.remove(b"AA");
    if is_stream && d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image") {
        if matches!(d.get(b"Interpolate"), Ok(Object::Boolean(true))) {
            d.set("Interpolate", false);
        }
        d.remove(b"Alternates");
    }
    if is_stream {
        d.remove(b"OPI");
    }
    // CIDToGIDMap defaults to Identity: saying so explicitly changes nothing.
    if d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"CIDFontType2")
        && !d.has(b"CIDToGIDMap")
    {
        d.set("CIDToGIDMap", Object::Name(b"Identity".to_vec()));
    }
}

/// True when the document really uses transparency (a page group alone does not count).
fn uses_transparency(doc: &Document) -> bool {
    doc.objects.values().any(|o| transparent(o, 0))
}

fn transparent(o: &Object, depth: u32) -> bool {
    if depth > 64 {
        return false;
    }
    let d = match o {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        Object::Array(a) => return a.iter().any(|v| transparent(v, depth + 1)),
        _ => return false,
    };
    let smask = d
        .get(b"SMask")
        .is_ok_and(|m| !matches!(m, Object::Name(n) if n == b"None"));
    let bm = d
        .get(b"BM")
        .is_ok_and(|b| !matches!(b, Object::Name(n) if n == b"Normal" || n == b"Compatible"));
    let alpha = [b"CA".as_slice(), b"ca"].iter().any(|k| {
        d.get(k).is_ok_and(|v| match v {
            Object::Integer(i) => *i != 1,
            Object::Real(r) => (*r - 1.0).abs() > f32::EPSILON,
            _ => false,
        })
    });
    // An annotation's CA is reset to 1 by fix_annotation.
    let annot = d.has_type(b"Annot") || (d.has(b"Rect") && d.has(b"Subtype"));
    smask || bm || (alpha && !annot) || d.iter().any(|(_, v)| transparent(v, depth + 1))
}

/// Removes transparency groups, which only matter when transparency is used.
fn drop_groups(doc: &mut Document) {
    for o in doc.objects.values_mut() {
        let d = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        let is_transparency_group = d
            .get(b"Group")
            .and_then(Object::as_dict)
            .is_ok_and(|g| g.get(b"S").and_then(Object::as_name).ok() == Some(b"Transparency"));
        if is_transparency_group {
            d.remove(b"Group");
        }
        if d.has_type(b"Group")
            && d.get(b"S").and_then(Object::as_name).ok() == Some(b"Transparency")
        {
            // A group held indirectly: neutralised by removing the reference above when direct.
        }
    }
    let referenced_groups: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| {
            let d = o.as_dict().ok()?;
            (d.get(b"S").and_then(Object::as_name).ok() == Some(b"Transparency")).then_some(*id)
        })
        .collect();
    if referenced_groups.is_empty() {
        return;
    }
    for o in doc.objects.values_mut() {
        let d = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        if let Ok(Object::Reference(r)) = d.get(b"Group") {
            if referenced_groups.contains(r) {
                d.remove(b"Group");
            }
        }
    }
}

fn fix_annotations(doc: &mut Document, page: ObjectId) {
    let annots: Vec<Object> = match doc
        .get_dictionary(page)
        .ok()
        .and_then(|p| p.get(b"Annots").ok())
        .cloned()
    {
        Some(Object::Array(a)) => a,
        Some(Object::Reference(r)) => match doc.get_object(r).and_then(Object::as_array) {
            Ok(a) => a.clone(),
            Err(_) => return,
        },
        _ => return,
    };
    let mut kept = Vec::with_capacity(annots.len());
    for a in annots {
        let keep = {
            let dict = match &a {
                Object::Reference(r) => doc.get_dictionary_mut(*r).ok(),
                _ => None,
            };
            match dict {
                Some(d) => fix_annotation(d),
                None => matches!(&a, Object::Dictionary(_)),
            }
        };
        if keep {
            kept.push(a);
        }
    }
    let kept: Vec<Object> = kept
        .into_iter()
        .map(|mut a| {
            if let Object::Dictionary(d) = &mut a {
                fix_annotation(d);
            }
            a
        })
        .collect();
    if let Ok(p) = doc.get_dictionary_mut(page) {
        if kept.is_empty() {
            p.remove(b"Annots");
        } else {
            p.set("Annots", kept);
        }
    }
}

/// Makes one annotation PDF/A-1 conformant; false when it must be removed (forbidden type, or
/// not shown anyway).
fn fix_annotation(d: &mut Dictionary) -> bool {
    let subtype = d.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
    if !crate::check::ANNOTATIONS.contains(&subtype) {
        return false;
    }
    let flags = d.get(b"F").and_then(Object::as_i64).unwrap_or(0);
    if flags & (1 | 2 | 32) != 0 {
        return false;
    }
    d.set("F", (flags | 4) & !(1 | 2 | 32 | 256));
    d.remove(b"CA");
    if let Ok(ap) = d.get_mut(b"AP").and_then(Object::as_dict_mut) {
        ap.remove(b"D");
        ap.remove(b"R");
    }
    true
}

fn fix_catalog(doc: &mut Document, reasons: &mut BTreeSet<String>) {
    let catalog_id = match doc.trailer.get(b"Root").and_then(Object::as_reference) {
        Ok(id) => id,
        Err(_) => return,
    };
    // Resolve what we need before borrowing the catalog mutably.
    let names_ref = doc
        .get_dictionary(catalog_id)
        .ok()
        .and_then(|c| c.get(b"Names").ok())
        .and_then(|n| n.as_reference().ok());
    let form_ref = doc
        .get_dictionary(catalog_id)
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|n| n.as_reference().ok());
    let Ok(catalog) = doc.get_dictionary_mut(catalog_id) else {
        return;
    };
    if catalog.has(b"OCProperties") {
        reasons.insert("contenu optionnel (calques)".into());
    }
    catalog.remove(b"AA");
    catalog.remove(b"Version");
    catalog.remove(b"Extensions");
    catalog.remove(b"Perms");
    catalog.remove(b"OutputIntents");
    catalog.remove(b"Metadata");
    if let Ok(names) = catalog.get_mut(b"Names").and_then(Object::as_dict_mut) {
        names.remove(b"EmbeddedFiles");
        names.remove(b"JavaScript");
    }
    if let Ok(form) = catalog.get_mut(b"AcroForm").and_then(Object::as_dict_mut) {
        neutralise_form(form);
    }
    if let Some(id) = names_ref {
        if let Ok(names) = doc.get_dictionary_mut(id) {
            names.remove(b"EmbeddedFiles");
            names.remove(b"JavaScript");
        }
    }
    if let Some(id) = form_ref {
        if let Ok(form) = doc.get_dictionary_mut(id) {
            neutralise_form(form);
        }
    }
    if !uses_transparency(doc) {
        drop_groups(doc);
    }
}

fn neutralise_form(form: &mut Dictionary) {
    form.remove(b"XFA");
    // Widgets keep their appearance streams; asking the reader to regenerate them is forbidden.
    if form.has(b"NeedAppearances") {
        form.set("NeedAppearances", false);
    }
}

fn text_of(doc: &Document, info: &Dictionary, key: &[u8]) -> Option<String> {
    let o = info.get(key).ok()?;
    let o = match o {
        Object::Reference(r) => doc.get_object(*r).ok()?,
        o => o,
    };
    let s = xmp::decode_text(o.as_str().ok()?);
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn set_metadata(doc: &mut Document, now: xmp::Instant) {
    let old = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|o| match o {
            Object::Reference(r) => doc.get_dictionary(*r).ok().cloned(),
            Object::Dictionary(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let created = old
        .get(b"CreationDate")
        .ok()
        .and_then(|o| o.as_str().ok())
        .and_then(xmp::pdf_date);
    let info = xmp::Info {
        title: text_of(doc, &old, b"Title"),
        author: text_of(doc, &old, b"Author"),
        subject: text_of(doc, &old, b"Subject"),
        keywords: text_of(doc, &old, b"Keywords"),
        creator: text_of(doc, &old, b"Creator"),
        producer: text_of(doc, &old, b"Producer"),
        created,
        modified: Some(now),
    };
    let mut new = Dictionary::new();
    let text = |s: &str| Object::String(xmp::encode_text(s), StringFormat::Literal);
    for (key, value) in [
        ("Title", &info.title),
        ("Author", &info.author),
        ("Subject", &info.subject),
        ("Keywords", &info.keywords),
        ("Creator", &info.creator),
        ("Producer", &info.producer),
    ] {
        if let Some(v) = value {
            new.set(key, text(v));
        }
    }
    if let Some(d) = info.created {
        new.set("CreationDate", text(&xmp::format_pdf_date(d)));
    }
    new.set("ModDate", text(&xmp::format_pdf_date(now)));
    let info_id = doc.add_object(new);
    doc.trailer.set("Info", info_id);
    let packet = xmp::packet(&info);
    let meta = Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        packet.into_bytes(),
    )
    .with_compression(false);
    let meta_id = doc.add_object(meta);
    if let Ok(catalog) = doc.catalog_mut() {
        catalog.set("Metadata", meta_id);
    }
}

fn set_output_intent(doc: &mut Document) {
    let mut profile = Stream::new(dictionary! { "N" => 3 }, ICC.to_vec());
    let _ = profile.compress();
    let profile_id = doc.add_object(profile);
    let intent = dictionary! {
        "Type" => "OutputIntent",
        "S" => "GTS_PDFA1",
        "OutputConditionIdentifier" => Object::string_literal("sRGB IEC61966-2.1"),
        "Info" => Object::string_literal("sRGB IEC61966-2.1"),
        "DestOutputProfile" => profile_id,
    };
    let intent_id = doc.add_object(intent);
    if let Ok(catalog) = doc.catalog_mut() {
        catalog.set("OutputIntents", vec![Object::Reference(intent_id)]);
    }
}

fn set_trailer(doc: &mut Document, original: &[u8]) {
    let digest = Sha256::digest(original);
    let new_id = Object::String(digest[..16].to_vec(), StringFormat::Hexadecimal);
    let first = doc
        .trailer
        .get(b"ID")
        .and_then(Object::as_array)
        .ok()
        .and_then(|a| a.first().cloned())
        .filter(|o| matches!(o, Object::String(s, _) if !s.is_empty()))
        .unwrap_or_else(|| new_id.clone());
    let mut trailer = Dictionary::new();
    for key in [b"Root".as_slice(), b"Info"] {
        if let Ok(v) = doc.trailer.get(key) {
            trailer.set(key, v.clone());
        }
    }
    let first = match first {
        Object::String(s, _) => Object::String(s, StringFormat::Hexadecimal),
        o => o,
    };
    trailer.set("ID", vec![first, new_id]);
    doc.trailer = trailer;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sceau_testsupport::corpus::simple_pdf;

    #[test]
    fn subset_names() {
        assert!(is_subset_name(b"ABCDEF+DejaVuSans"));
        assert!(!is_subset_name(b"DejaVuSans"));
        assert!(!is_subset_name(b"abcdef+DejaVuSans"));
    }

    #[test]
    fn annotations_are_made_printable_or_removed() {
        let mut shown = dictionary! { "Subtype" => "Text", "F" => 0, "CA" => 0.5,
        "AP" => dictionary! { "N" => 1, "D" => 2, "R" => 3 } };
        assert!(fix_annotation(&mut shown));
        assert_eq!(shown.get(b"F").unwrap().as_i64().unwrap(), 4);
        assert!(!shown.has(b"CA"));
        assert_eq!(shown.get(b"AP").unwrap().as_dict().unwrap().len(), 1);
        let mut hidden = dictionary! { "Subtype" => "Text", "F" => 2 };
        assert!(!fix_annotation(&mut hidden));
        let mut movie = dictionary! { "Subtype" => "Movie", "F" => 4 };
        assert!(!fix_annotation(&mut movie));
        let mut attachment = dictionary! { "Subtype" => "FileAttachment", "F" => 4 };
        assert!(!fix_annotation(&mut attachment));
    }

    #[test]
    fn javascript_and_launch_actions_are_unlinked() {
        let mut doc = Document::load_mem(&simple_pdf("Acte", &["Texte"])).unwrap();
        let js = doc
            .add_object(dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("x") });
        let launch = dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") };
        let next = dictionary! { "S" => "Named", "N" => "NextPage" };
        let catalog = doc.catalog_mut().unwrap();
        catalog.set("OpenAction", js);
        catalog.set("AA", dictionary! { "WC" => js });
        let link =
            doc.add_object(dictionary! { "Type" => "Annot", "Subtype" => "Link", "A" => launch });
        let ok_link =
            doc.add_object(dictionary! { "Type" => "Annot", "Subtype" => "Link", "A" => next });
        strip_forbidden_actions(&mut doc);
        assert!(!doc.catalog().unwrap().has(b"OpenAction"));
        assert!(!doc.get_dictionary(link).unwrap().has(b"A"));
        assert!(doc.get_dictionary(ok_link).unwrap().has(b"A"));
        let bytes = simple_pdf("Acte", &["Texte"]);
        let out = match convert(doc, &bytes, (0, 0)) {
            Outcome::Done(out) => out,
            Outcome::Fallback(r) => panic!("{r:?}"),
        };
        let v = crate::check_pdfa1b(&out);
        assert!(v.conformant, "{:?}", v.violations);
    }

    #[test]
    fn signatures_are_detected() {
        let mut doc = Document::load_mem(&simple_pdf("Acte", &["Texte"])).unwrap();
        assert!(!is_signed(&doc));
        doc.add_object(dictionary! { "FT" => "Sig", "T" => Object::string_literal("vide") });
        assert!(
            !is_signed(&doc),
            "an empty signature field is not a signature"
        );
        doc.add_object(
            dictionary! { "ByteRange" => vec![0.into()], "Contents" => Object::string_literal("") },
        );
        assert!(is_signed(&doc));
    }

    /// LZW with 9-bit literal codes only (a clear code every 200 bytes keeps the width at 9).
    fn lzw_literal(data: &[u8]) -> Vec<u8> {
        let mut codes = vec![256u16];
        for (i, &b) in data.iter().enumerate() {
            if i > 0 && i % 200 == 0 {
                codes.push(256);
            }
            codes.push(u16::from(b));
        }
        codes.push(257);
        let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
        for c in codes {
            acc = (acc << 9) | u32::from(c);
            bits += 9;
            while bits >= 8 {
                out.push((acc >> (bits - 8)) as u8);
                bits -= 8;
            }
        }
        if bits > 0 {
            out.push((acc << (8 - bits)) as u8);
        }
        out
    }

    #[test]
    fn lzw_streams_and_embedded_files_are_rewritten() {
        let bytes = simple_pdf("Acte", &["Signification du jugement"]);
        let mut doc = Document::load_mem(&bytes).unwrap();
        let page = doc.page_iter().next().unwrap();
        let content_id = doc.get_page_contents(page)[0];
        let plain = doc
            .get_object(content_id)
            .unwrap()
            .as_stream()
            .unwrap()
            .content
            .clone();
        let lzw = Stream::new(dictionary! { "Filter" => "LZWDecode" }, lzw_literal(&plain));
        assert_eq!(lzw.decompressed_content().unwrap(), plain);
        doc.objects.insert(content_id, Object::Stream(lzw));
        let file = doc.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"x".to_vec(),
        ));
        let spec = doc.add_object(dictionary! { "Type" => "Filespec", "F" => Object::string_literal("x.exe"), "EF" => dictionary! { "F" => file } });
        doc.catalog_mut().unwrap().set(
            "Names",
            dictionary! { "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal("x"), spec.into()] } },
        );
        let mut input = Vec::new();
        doc.save_to(&mut input).unwrap();
        let before = crate::check_pdfa1b(&input);
        assert!(
            before.has("lzw") && before.has("embedded_files"),
            "{:?}",
            before.codes()
        );
        let out = crate::convert_native(&input).unwrap();
        let doc = Document::load_mem(&out).unwrap();
        assert!(doc
            .extract_text(&[1])
            .unwrap()
            .contains("Signification du jugement"));
        assert!(!out.windows(9).any(|w| w == b"LZWDecode"));
        assert!(!out.windows(13).any(|w| w == b"EmbeddedFiles"));
    }
}
