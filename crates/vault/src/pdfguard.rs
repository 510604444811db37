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
//! Then [`active_content`] names what a return must not carry (JavaScript, launch actions,
//! actions at opening, automatic actions, embedded files).

use lopdf::{Document, LoadOptions, Object};

/// Total bytes all the streams of a file may inflate to (counted, never kept).
pub const MAX_INFLATED: usize = 100 * 1024 * 1024;
/// Total bytes the object streams may inflate to (they are parsed into objects at load).
pub const MAX_OBJECT_STREAMS_INFLATED: usize = 4 * 1024 * 1024;
/// Objects the object streams may declare, in total.
pub const MAX_COMPRESSED_OBJECTS: i64 = 100_000;
/// Bytes one stream may inflate to while lopdf loads the file.
pub const MAX_STREAM_WHILE_LOADING: usize = 4 * 1024 * 1024;

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

/// Step 1: encryption, filters and the total inflation of the raw file.
pub fn prescan(pdf: &[u8]) -> Result<(), Refused> {
    for name in names(pdf) {
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
    Ok(())
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
    Some((id, std::mem::replace(object, Object::Null)))
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
    prescan(pdf)?;
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
    drop(surveyed);
    Document::load_mem_with_options(pdf, options(None)).map_err(load_error)
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
