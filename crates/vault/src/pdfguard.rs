//! Bounded loading of PDFs that come from outside (returns): lopdf 0.47 inflates every object
//! stream while it loads a file (`load_mem`), before any check of ours could run, and its cap
//! applies to one stream at a time — a 585 KB file of object streams took a reader to 891 MB.
//! So, before lopdf sees the bytes:
//!
//! 1. a pre-scan of the raw file refuses encryption and every decoding filter but Flate (the
//!    others — LZW, RunLength, Brotli, ASCIIHex, ASCII85 — could hide a Flate stream from the
//!    count, or amplify by themselves) and inflates, with a streaming inflater whose output is
//!    counted and dropped, the data after every `stream` keyword: the total is bounded
//!    ([`MAX_INFLATED`]), so no stream lopdf will decode can inflate beyond it;
//! 2. a survey load, where a load filter renames every object stream's type so that lopdf keeps
//!    it compressed, measures what the object streams (the part lopdf expands and parses at
//!    load) inflate to and how many objects they declare, both bounded
//!    ([`MAX_OBJECT_STREAMS_INFLATED`], [`MAX_COMPRESSED_OBJECTS`]);
//! 3. only then the real load, each stream still capped ([`MAX_STREAM_WHILE_LOADING`]).
//!
//! Not bounded in total: object streams lopdf decodes lazily, outside its load filter, when a
//! stream's `/Length` points to an object kept in one (each is capped at
//! [`MAX_STREAM_WHILE_LOADING`], and all of them within [`MAX_INFLATED`] of input; lopdf has
//! no hook to count them). Acts deposited by offices go through [`check_bounds`] too, before
//! the PDF/A checker loads them.
//!
//! Then [`active_content`] names what a return must not carry (JavaScript, launch actions,
//! actions at opening, automatic actions, embedded files).

use lopdf::{Document, LoadOptions, Object};

/// Total bytes all the streams of a file may inflate to (counted, never kept).
pub const MAX_INFLATED: usize = 100 * 1024 * 1024;
/// Total bytes the object streams may inflate to. They are parsed into objects at load, at
/// some 60 bytes of memory per byte of text in the worst case measured (arrays of small
/// integers): 1 MiB keeps that under 100 MB; real object streams hold dictionaries (a return
/// of a few pages: tens of KB).
pub const MAX_OBJECT_STREAMS_INFLATED: usize = 1024 * 1024;
/// Objects the object streams may declare, in total.
pub const MAX_COMPRESSED_OBJECTS: i64 = 100_000;
/// Bytes one stream may inflate to while lopdf loads the file (object and cross-reference
/// streams; content and images are not decoded at load).
pub const MAX_STREAM_WHILE_LOADING: usize = 1024 * 1024;

/// Why a PDF was refused, in French (for [`crate::Error::PdfRefused`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

fn refused(why: &str) -> Refused {
    Refused(why.to_owned())
}

/// Decoding filters lopdf applies that are refused in a file from outside.
const REFUSED_FILTERS: &[&[u8]] = &[
    b"LZWDecode",
    b"LZW",
    b"RunLengthDecode",
    b"RL",
    b"BrotliDecode",
    b"ASCIIHexDecode",
    b"AHx",
    b"ASCII85Decode",
    b"A85",
    b"Crypt",
];

/// Every name of the raw file (`/Name`, `#xx` escapes decoded), wherever it stands.
fn names(pdf: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < pdf.len() {
            if pdf[i] != b'/' {
                i += 1;
                continue;
            }
            i += 1;
            let mut name = Vec::new();
            while i < pdf.len() {
                let c = pdf[i];
                if c.is_ascii_whitespace() || b"()<>[]{}/%".contains(&c) || c == 0 {
                    break;
                }
                if c == b'#' && i + 2 < pdf.len() {
                    let hex = std::str::from_utf8(&pdf[i + 1..i + 3]).ok();
                    if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        name.push(b);
                        i += 3;
                        continue;
                    }
                }
                name.push(c);
                i += 1;
            }
            return Some(name);
        }
        None
    })
}

/// What inflating `data` yields, counted up to `limit` (`None`: beyond it). Not a zlib stream
/// (nor raw deflate): 0.
fn inflated_size(data: &[u8], limit: usize, zlib: bool) -> Option<usize> {
    let mut d = flate2::Decompress::new(zlib);
    let mut out = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        let before_in = d.total_in() as usize;
        let before_out = d.total_out();
        let status = d.decompress(
            &data[before_in.min(data.len())..],
            &mut out,
            flate2::FlushDecompress::None,
        );
        total += (d.total_out() - before_out) as usize;
        if total > limit {
            return None;
        }
        match status {
            Ok(flate2::Status::StreamEnd) | Err(_) => return Some(total),
            Ok(_) if d.total_out() == before_out && d.total_in() as usize == before_in => {
                return Some(total)
            }
            Ok(_) => {}
        }
    }
}

/// Step 1: encryption, filters and the total inflation of the raw file. Tells whether the file
/// names object streams (their dictionaries are never compressed: no `/ObjStm` name, no object
/// stream for lopdf to expand).
pub fn prescan(pdf: &[u8]) -> Result<bool, Refused> {
    let mut object_streams = false;
    for name in names(pdf) {
        object_streams |= name == b"ObjStm";
        if name == b"Encrypt" {
            return Err(refused("PDF protégé par mot de passe"));
        }
        if REFUSED_FILTERS.contains(&name.as_slice()) {
            return Err(refused(&format!(
                "compression {} non acceptée : enregistrez le PDF avec une compression standard",
                String::from_utf8_lossy(&name)
            )));
        }
    }
    let mut total = 0usize;
    let mut at = 0;
    while let Some(found) = memchr_find(&pdf[at..], b"stream") {
        let kw = at + found;
        at = kw + b"stream".len();
        if kw > 0 && pdf[kw - 1].is_ascii_alphanumeric() {
            continue; // `endstream`
        }
        let mut start = at;
        while start < pdf.len() && start < at + 2 && (pdf[start] == b'\r' || pdf[start] == b'\n') {
            start += 1;
        }
        let left = MAX_INFLATED - total;
        let data = &pdf[start.min(pdf.len())..];
        let zlib = inflated_size(data, left, true);
        let raw = inflated_size(data, left, false);
        match (zlib, raw) {
            (Some(a), Some(b)) => total += a.max(b),
            _ => {
                return Err(refused(
                    "contenu compressé démesuré (bombe de décompression)",
                ))
            }
        }
        if total >= MAX_INFLATED {
            return Err(refused(
                "contenu compressé démesuré (bombe de décompression)",
            ));
        }
    }
    Ok(object_streams)
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The type given to object streams during the survey load, so that lopdf keeps them whole.
const SURVEYED: &[u8] = b"SceauSurveyedObjStm";

fn survey(id: (u32, u16), object: &mut Object) -> Option<((u32, u16), Object)> {
    if let Object::Stream(s) = object {
        if s.dict.has_type(b"ObjStm") {
            s.dict.set("Type", Object::Name(SURVEYED.to_vec()));
        }
    }
    // lopdf keeps `object` (changed in place) for a top-level object and uses the returned one
    // only inside object streams, which the survey never expands.
    Some((id, object.clone()))
}

fn options(filter: Option<lopdf::FilterFunc>) -> LoadOptions {
    LoadOptions {
        filter,
        max_decompressed_size: Some(MAX_STREAM_WHILE_LOADING),
        ..LoadOptions::default()
    }
}

fn load_error(e: lopdf::Error) -> Refused {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            refused("contenu compressé démesuré (bombe de décompression)")
        }
        _ => refused("PDF illisible"),
    }
}

/// Loads `pdf` with every bound above; nothing unbounded is inflated on the way.
pub fn load(pdf: &[u8]) -> Result<Document, Refused> {
    check_bounds(pdf)?;
    Document::load_mem_with_options(pdf, options(None)).map_err(load_error)
}

/// Steps 1 and 2 (the survey only when the file names object streams): after them, lopdf can
/// load `pdf` with [`MAX_STREAM_WHILE_LOADING`] within the bounds above.
pub fn check_bounds(pdf: &[u8]) -> Result<(), Refused> {
    if !prescan(pdf)? {
        return Ok(());
    }
    let surveyed =
        Document::load_mem_with_options(pdf, options(Some(survey))).map_err(load_error)?;
    let (mut inflated, mut objects) = (0usize, 0i64);
    for object in surveyed.objects.values() {
        let Object::Stream(s) = object else { continue };
        if !s.dict.has_type(SURVEYED) {
            continue;
        }
        objects += s
            .dict
            .get(b"N")
            .and_then(Object::as_i64)
            .unwrap_or(0)
            .max(0);
        if objects > MAX_COMPRESSED_OBJECTS {
            return Err(refused("trop d'objets compressés"));
        }
        let left = MAX_OBJECT_STREAMS_INFLATED.saturating_sub(inflated);
        inflated += if s.dict.has(b"Filter") {
            s.decompressed_content_with_limit(left)
                .map_err(|_| refused("contenu compressé démesuré (bombe de décompression)"))?
                .len()
        } else {
            s.content.len()
        };
        if inflated >= MAX_OBJECT_STREAMS_INFLATED {
            return Err(refused(
                "contenu compressé démesuré (bombe de décompression)",
            ));
        }
    }
    Ok(())
}

/// The first active content found in `doc`, named in French: JavaScript, a launch action, an
/// action at opening, automatic actions, embedded files.
pub fn active_content(doc: &Document) -> Option<&'static str> {
    fn visit(o: &Object, depth: usize) -> Option<&'static str> {
        if depth > 64 {
            return None;
        }
        let dict = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            Object::Array(a) => return a.iter().find_map(|o| visit(o, depth + 1)),
            _ => return None,
        };
        for (key, value) in dict.iter() {
            match key.as_slice() {
                b"JS" | b"JavaScript" => return Some("JavaScript"),
                b"OpenAction" => return Some("action à l'ouverture (OpenAction)"),
                b"AA" => return Some("actions automatiques (AA)"),
                b"EmbeddedFiles" | b"EF" => return Some("fichiers joints (EmbeddedFiles)"),
                b"S" | b"Type" | b"Subtype" => match value {
                    Object::Name(n) if n == b"JavaScript" => return Some("JavaScript"),
                    Object::Name(n) if n == b"Launch" => {
                        return Some("lancement de programme (Launch)")
                    }
                    Object::Name(n) if n == b"EmbeddedFile" => {
                        return Some("fichiers joints (EmbeddedFiles)")
                    }
                    _ => {}
                },
                _ => {}
            }
            if let Some(found) = visit(value, depth + 1) {
                return Some(found);
            }
        }
        None
    }
    doc.objects.values().find_map(|o| visit(o, 0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A one-page PDF followed by object streams: (type name as written, filter as written,
    /// decompressed text of one object numbered 1000 + k).
    fn with_object_streams(streams: &[(&str, &str, String)]) -> Vec<u8> {
        let mut out: Vec<u8> = b"%PDF-1.5\n".to_vec();
        let mut offsets = Vec::new();
        for text in [
            "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
            "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
            "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
        ] {
            offsets.push(out.len());
            out.extend_from_slice(text.as_bytes());
        }
        for (k, (ty, filter, body)) in streams.iter().enumerate() {
            let header = format!("{} 0 ", 1000 + k);
            let plain = format!("{header}{body}");
            let data = if filter.contains("Fl") {
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
                z.write_all(plain.as_bytes()).unwrap();
                z.finish().unwrap()
            } else {
                plain.into_bytes()
            };
            offsets.push(out.len());
            out.extend_from_slice(
                format!(
                    "{} 0 obj\n<< /Type {ty} /N 1 /First {} {filter} /Length {} >>\nstream\n",
                    4 + k,
                    header.len(),
                    data.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        }
        let xref = out.len();
        let n = offsets.len() + 1;
        out.extend_from_slice(format!("xref\n0 {n}\n0000000000 65535 f \n").as_bytes());
        for off in &offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {n} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    }

    fn zeros(bytes: usize) -> String {
        format!("[{}]", "0 ".repeat(bytes / 2))
    }

    #[test]
    fn ordinary_object_streams_load_and_their_objects_are_there() {
        let pdf = with_object_streams(&[(
            "/ObjStm",
            "/Filter /FlateDecode",
            "<< /Producer (Banque) >>".into(),
        )]);
        let doc = load(&pdf).unwrap();
        assert!(doc.objects.contains_key(&(1000, 0)));
        assert_eq!(active_content(&doc), None);
    }

    #[test]
    fn object_streams_beyond_the_total_are_refused_even_under_escaped_names() {
        // Three streams of 600 KiB each: every one under the per-stream cap, the total over.
        for ty in ["/ObjStm", "/Obj#53tm"] {
            let s = |_| (ty, "/Filter /Fl#61teDecode", zeros(600 * 1024));
            let pdf = with_object_streams(&[s(0), s(1), s(2)]);
            assert!(pdf.len() < 20_000);
            let err = load(&pdf).unwrap_err();
            assert!(err.0.contains("démesuré"), "{ty}: {}", err.0);
        }
    }

    #[test]
    fn filters_that_could_hide_a_stream_from_the_count_are_refused() {
        for filter in [
            "/Filter /ASCIIHexDecode",
            "/Filter [/AHx /FlateDecode]",
            "/Filter /LZW",
        ] {
            let pdf = with_object_streams(&[("/ObjStm", filter, "<< >>".into())]);
            let err = prescan(&pdf).unwrap_err();
            assert!(err.0.contains("compression"), "{filter}: {}", err.0);
        }
        let mut pdf = with_object_streams(&[]);
        pdf.extend_from_slice(b"\n% /Encrypt\n");
        assert!(prescan(&pdf).unwrap_err().0.contains("protégé"));
    }

    #[test]
    fn the_total_inflation_of_all_streams_is_counted_without_keeping_it() {
        // One plain stream (not an object stream) of 101 MiB of zeros: refused by the count.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![0u8; 1024 * 1024];
        for _ in 0..101 {
            z.write_all(&chunk).unwrap();
        }
        let data = z.finish().unwrap();
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        assert!(prescan(&pdf).unwrap_err().0.contains("démesuré"));
    }
}
