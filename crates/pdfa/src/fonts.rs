//! Metric-compatible free fonts embedded in place of non-embedded standard fonts.
//!
//! PDF/A needs every font program embedded. Acts produced by reporting libraries often use
//! Helvetica, Times or Courier (or Arial, Times New Roman, Courier New from word processors)
//! without embedding them; the Liberation fonts have the same advance widths, so the layout of
//! the page does not move.

use lopdf::{dictionary, Dictionary, Object, Stream};

/// One replacement face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Face {
    SansRegular,
    SansBold,
    SansItalic,
    SansBoldItalic,
    SerifRegular,
    SerifBold,
    SerifItalic,
    SerifBoldItalic,
    MonoRegular,
    MonoBold,
    MonoItalic,
    MonoBoldItalic,
}

const FACES: [Face; 12] = [
    Face::SansRegular,
    Face::SansBold,
    Face::SansItalic,
    Face::SansBoldItalic,
    Face::SerifRegular,
    Face::SerifBold,
    Face::SerifItalic,
    Face::SerifBoldItalic,
    Face::MonoRegular,
    Face::MonoBold,
    Face::MonoItalic,
    Face::MonoBoldItalic,
];

macro_rules! font {
    ($f:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../resources/fonts/",
            $f
        ))
    };
}

impl Face {
    fn data(self) -> &'static [u8] {
        match self {
            Face::SansRegular => font!("LiberationSans-Regular.ttf"),
            Face::SansBold => font!("LiberationSans-Bold.ttf"),
            Face::SansItalic => font!("LiberationSans-Italic.ttf"),
            Face::SansBoldItalic => font!("LiberationSans-BoldItalic.ttf"),
            Face::SerifRegular => font!("LiberationSerif-Regular.ttf"),
            Face::SerifBold => font!("LiberationSerif-Bold.ttf"),
            Face::SerifItalic => font!("LiberationSerif-Italic.ttf"),
            Face::SerifBoldItalic => font!("LiberationSerif-BoldItalic.ttf"),
            Face::MonoRegular => font!("LiberationMono-Regular.ttf"),
            Face::MonoBold => font!("LiberationMono-Bold.ttf"),
            Face::MonoItalic => font!("LiberationMono-Italic.ttf"),
            Face::MonoBoldItalic => font!("LiberationMono-BoldItalic.ttf"),
        }
    }

    fn postscript_name(self) -> &'static str {
        match self {
            Face::SansRegular => "LiberationSans",
            Face::SansBold => "LiberationSans-Bold",
            Face::SansItalic => "LiberationSans-Italic",
            Face::SansBoldItalic => "LiberationSans-BoldItalic",
            Face::SerifRegular => "LiberationSerif",
            Face::SerifBold => "LiberationSerif-Bold",
            Face::SerifItalic => "LiberationSerif-Italic",
            Face::SerifBoldItalic => "LiberationSerif-BoldItalic",
            Face::MonoRegular => "LiberationMono",
            Face::MonoBold => "LiberationMono-Bold",
            Face::MonoItalic => "LiberationMono-Italic",
            Face::MonoBoldItalic => "LiberationMono-BoldItalic",
        }
    }

    fn italic(self) -> bool {
        matches!(
            self,
            Face::SansItalic
                | Face::SansBoldItalic
                | Face::SerifItalic
                | Face::SerifBoldItalic
                | Face::MonoItalic
                | Face::MonoBoldItalic
        )
    }

    fn bold(self) -> bool {
        matches!(
            self,
            Face::SansBold
                | Face::SansBoldItalic
                | Face::SerifBold
                | Face::SerifBoldItalic
                | Face::MonoBold
                | Face::MonoBoldItalic
        )
    }

    /// The replacement for a font named `base_font` (subset prefix and style suffixes
    /// understood), if we have one.
    pub(crate) fn for_base_font(base_font: &[u8]) -> Option<Face> {
        let name = String::from_utf8_lossy(base_font);
        let name = match name.split_once('+') {
            Some((prefix, rest)) if prefix.len() == 6 => rest.to_string(),
            _ => name.into_owned(),
        };
        let lower = name.to_ascii_lowercase().replace([' ', '_'], "");
        let (family, style) = match lower.find([',', '-']) {
            Some(i) => (&lower[..i], &lower[i + 1..]),
            None => (lower.as_str(), ""),
        };
        let family = family.trim_end_matches("mt").trim_end_matches("ps");
        let bold = style.contains("bold") || family.ends_with("bold");
        let italic =
            style.contains("italic") || style.contains("oblique") || family.ends_with("italic");
        let family = family
            .trim_end_matches("bolditalic")
            .trim_end_matches("bold")
            .trim_end_matches("italic");
        let kind = match family {
            "helvetica" | "arial" | "liberationsans" => 0,
            "times" | "timesroman" | "timesnewroman" | "liberationserif" => 1,
            "courier" | "couriernew" | "liberationmono" => 2,
            _ => return None,
        };
        let style = usize::from(bold) + 2 * usize::from(italic);
        FACES.get(kind * 4 + [0, 1, 2, 3][style]).copied()
    }
}

/// The font file stream of `face`, subset to the characters WinAnsiEncoding gives to the
/// `used` codes, and the subset's tag (`ABCDEF`, for the `ABCDEF+Name` font name).
pub(crate) fn font_file(face: Face, used: &[bool; 256]) -> (Stream, String) {
    let data = face.data();
    let mut glyphs = std::collections::BTreeSet::new();
    if let Ok(f) = ttf_parser::Face::parse(data, 0) {
        for code in 0u8..=255 {
            if used[usize::from(code)] {
                if let Some(g) = winansi_char(code).and_then(|c| f.glyph_index(c)) {
                    glyphs.insert(g.0);
                }
            }
        }
    }
    let program = crate::subset::subset(data, &glyphs).unwrap_or_else(|| data.to_vec());
    // A stable tag from the glyph set, as PDF producers do.
    let mut h: u32 = 2166136261;
    for g in &glyphs {
        for b in g.to_be_bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(16777619);
        }
    }
    let tag: String = (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect();
    let mut s = Stream::new(dictionary! { "Length1" => program.len() as i64 }, program);
    // A failed compression leaves the stream uncompressed, which is still valid.
    let _ = s.compress();
    (s, tag)
}

/// A simple TrueType font dictionary (WinAnsiEncoding) for `face`, whose font program is the
/// object `file`.
pub(crate) fn font_dict(face: Face, file: lopdf::ObjectId, tag: &str) -> Option<Dictionary> {
    let name = format!("{tag}+{}", face.postscript_name()).into_bytes();
    let f = ttf_parser::Face::parse(face.data(), 0).ok()?;
    let upem = f32::from(f.units_per_em());
    let scale = |v: f32| (v * 1000.0 / upem).round() as i64;
    let notdef = f
        .glyph_hor_advance(ttf_parser::GlyphId(0))
        .map_or(0.0, f32::from);
    let widths: Vec<Object> = (0u8..=255)
        .map(|code| {
            let w = winansi_char(code)
                .and_then(|c| f.glyph_index(c))
                .and_then(|g| f.glyph_hor_advance(g))
                .map_or(notdef, f32::from);
            Object::Integer(scale(w))
        })
        .collect();
    let bbox = f.global_bounding_box();
    let mut flags = 32; // Nonsymbolic
    if matches!(
        face,
        Face::MonoRegular | Face::MonoBold | Face::MonoItalic | Face::MonoBoldItalic
    ) {
        flags |= 1;
    }
    if matches!(
        face,
        Face::SerifRegular | Face::SerifBold | Face::SerifItalic | Face::SerifBoldItalic
    ) {
        flags |= 2;
    }
    if face.italic() {
        flags |= 64;
    }
    let descriptor = dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => Object::Name(name.clone()),
        "Flags" => flags,
        "FontBBox" => vec![
            scale(f32::from(bbox.x_min)).into(),
            scale(f32::from(bbox.y_min)).into(),
            scale(f32::from(bbox.x_max)).into(),
            scale(f32::from(bbox.y_max)).into(),
        ],
        "ItalicAngle" => Object::Real(f.italic_angle()),
        "Ascent" => scale(f32::from(f.ascender())),
        "Descent" => scale(f32::from(f.descender())),
        "CapHeight" => scale(f32::from(f.capital_height().unwrap_or(f.ascender()))),
        "StemV" => if face.bold() { 140 } else { 80 },
        "FontFile2" => Object::Reference(file),
    };
    Some(dictionary! {
        "Type" => "Font",
        "Subtype" => "TrueType",
        "BaseFont" => Object::Name(name),
        "FirstChar" => 0,
        "LastChar" => 255,
        "Widths" => widths,
        "Encoding" => "WinAnsiEncoding",
        "FontDescriptor" => descriptor,
    })
}

/// The character WinAnsiEncoding gives to `code`.
pub(crate) fn winansi_char(code: u8) -> Option<char> {
    const HIGH: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    match code {
        0x20..=0x7E | 0xA0..=0xFF => Some(char::from(code)),
        0x80..=0x9F => match HIGH[usize::from(code - 0x80)] {
            0 => None,
            u => char::from_u32(u32::from(u)),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn standard_names_map_to_faces() {
        assert_eq!(Face::for_base_font(b"Helvetica"), Some(Face::SansRegular));
        assert_eq!(
            Face::for_base_font(b"Helvetica-BoldOblique"),
            Some(Face::SansBoldItalic)
        );
        assert_eq!(
            Face::for_base_font(b"Times-Roman"),
            Some(Face::SerifRegular)
        );
        assert_eq!(
            Face::for_base_font(b"Times-Italic"),
            Some(Face::SerifItalic)
        );
        assert_eq!(Face::for_base_font(b"Courier-Bold"), Some(Face::MonoBold));
        assert_eq!(Face::for_base_font(b"Arial,Bold"), Some(Face::SansBold));
        assert_eq!(Face::for_base_font(b"ArialMT"), Some(Face::SansRegular));
        assert_eq!(
            Face::for_base_font(b"TimesNewRomanPS-BoldItalicMT"),
            Some(Face::SerifBoldItalic)
        );
        assert_eq!(Face::for_base_font(b"Symbol"), None);
        assert_eq!(Face::for_base_font(b"ZapfDingbats"), None);
    }

    #[test]
    fn widths_match_helvetica_metrics() {
        let d = font_dict(Face::SansRegular, (1, 0), "AAAAAA").unwrap();
        let w = d.get(b"Widths").unwrap().as_array().unwrap();
        // Helvetica AFM: space 278, A 667, a 556, eacute 556.
        assert_eq!(w[0x20].as_i64().unwrap(), 278);
        assert_eq!(w[usize::from(b'A')].as_i64().unwrap(), 667);
        assert_eq!(w[usize::from(b'a')].as_i64().unwrap(), 556);
        assert_eq!(w[0xE9].as_i64().unwrap(), 556);
        let c = font_dict(Face::MonoRegular, (1, 0), "AAAAAA").unwrap();
        let w = c.get(b"Widths").unwrap().as_array().unwrap();
        assert_eq!(w[usize::from(b'W')].as_i64().unwrap(), 600);
    }
}
