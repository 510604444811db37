//! XMP metadata: the little we read (properties by name) and the packet we write.

/// Document information entries and the XMP property each must agree with (ISO 19005-1, 6.7.3).
pub(crate) const INFO_TO_XMP: &[(&str, &str)] = &[
    ("Title", "dc:title"),
    ("Author", "dc:creator"),
    ("Subject", "dc:description"),
    ("Keywords", "pdf:Keywords"),
    ("Creator", "xmp:CreatorTool"),
    ("Producer", "pdf:Producer"),
    ("CreationDate", "xmp:CreateDate"),
    ("ModDate", "xmp:ModifyDate"),
];

/// A parsed-enough XMP packet.
pub(crate) struct Packet<'a> {
    text: &'a str,
}

impl<'a> Packet<'a> {
    /// Wraps the packet text.
    pub(crate) fn parse(text: &'a str) -> Self {
        Packet { text }
    }

    /// True when the `<?xpacket begin` header carries `bytes` or `encoding` (forbidden).
    pub(crate) fn header_has_forbidden_attributes(&self) -> bool {
        self.text
            .find("<?xpacket begin")
            .and_then(|i| self.text[i..].find("?>").map(|j| &self.text[i..i + j]))
            .is_some_and(|h| h.contains("bytes=") || h.contains("encoding="))
    }

    /// The value of property `qname` (element or attribute form); for arrays, the first item.
    pub(crate) fn value(&self, qname: &str) -> Option<String> {
        let t = self.text;
        // Element form: <qname ...>value</qname>, value possibly an rdf container.
        let open = format!("<{qname}");
        let mut from = 0;
        while let Some(i) = t[from..].find(&open) {
            let start = from + i;
            let after = start + open.len();
            from = after;
            let next = t[after..].chars().next()?;
            if !(next == '>' || next == '/' || next.is_whitespace()) {
                continue;
            }
            let gt = after + t[after..].find('>')?;
            if t[..gt].ends_with('/') {
                continue;
            }
            let close = format!("</{qname}>");
            let end = gt + t[gt..].find(&close)?;
            let inner = &t[gt + 1..end];
            if let Some(li) = inner.find("<rdf:li") {
                let lgt = li + inner[li..].find('>')?;
                let lend = lgt + inner[lgt..].find("</rdf:li>")?;
                return Some(unescape(&inner[lgt + 1..lend]));
            }
            return Some(unescape(inner.trim()));
        }
        // Attribute form: qname="value".
        for quote in ['"', '\''] {
            let attr = format!("{qname}={quote}");
            if let Some(i) = t.find(&attr) {
                let s = i + attr.len();
                let e = s + t[s..].find(quote)?;
                return Some(unescape(&t[s..e]));
            }
        }
        None
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let ent = &tail[1..semi];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                .ok()
                .and_then(char::from_u32),
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=semi]),
        }
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A text string of the document information dictionary, decoded (UTF-16BE with BOM, else
/// PDFDocEncoding, read as Latin-1 which differs only in rarely used code points).
pub(crate) fn decode_text(raw: &[u8]) -> String {
    if raw.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = raw[2..]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if raw.starts_with(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(&raw[3..]).into_owned()
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    }
}

/// `s` as a PDF text string: Latin-1 bytes when it fits in ASCII, else UTF-16BE with a BOM.
pub(crate) fn encode_text(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        s.as_bytes().to_vec()
    } else {
        let mut out = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_be_bytes());
        }
        out
    }
}

/// An instant as seconds since the epoch (UTC) plus its written offset in minutes.
pub(crate) type Instant = (i64, i32);

/// Parses a PDF date `D:YYYYMMDDHHmmSSOHH'mm'` (Preflight rejects `Z` followed by an offset).
pub(crate) fn pdf_date(raw: &[u8]) -> Option<Instant> {
    let s = std::str::from_utf8(raw).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 || digits.len() > 14 || !digits.len().is_multiple_of(2) {
        return None;
    }
    let field = |i: usize, default: u32| -> Option<u32> {
        digits
            .get(i..i + 2)
            .map_or(Some(default), |d| d.parse().ok())
    };
    let year: i32 = digits.get(0..4)?.parse().ok()?;
    let (mo, d, h, mi, se) = (
        field(4, 1)?,
        field(6, 1)?,
        field(8, 0)?,
        field(10, 0)?,
        field(12, 0)?,
    );
    let rest = &s[digits.len()..];
    let offset = match rest.chars().next() {
        None => 0,
        // LibreOffice writes `Z'`, which Preflight accepts; `Z00'00'` it rejects.
        Some('Z') => {
            if rest.len() > 1 && &rest[1..] != "'" {
                return None;
            }
            0
        }
        Some(sign @ ('+' | '-')) => {
            let r = rest[1..].trim_end_matches('\'');
            let (hh, mm) = r.split_once('\'').unwrap_or((r, "0"));
            let m = hh.parse::<i32>().ok()? * 60 + mm.parse::<i32>().ok()?;
            if sign == '-' {
                -m
            } else {
                m
            }
        }
        Some(_) => return None,
    };
    to_instant(year, mo, d, h, mi, se, offset)
}

/// Parses an XMP (ISO 8601) date `YYYY-MM-DDThh:mm:ss(.s)?(Z|+hh:mm)`.
pub(crate) fn xmp_date(s: &str) -> Option<Instant> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| -> Option<u32> { s.get(r)?.parse().ok() };
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let mo = if s.len() >= 7 { num(5..7)? } else { 1 };
    let d = if s.len() >= 10 { num(8..10)? } else { 1 };
    if s.len() <= 10 {
        return to_instant(year, mo, d, 0, 0, 0, 0);
    }
    let h = num(11..13)?;
    let mi = num(14..16)?;
    let mut i = 16;
    let mut se = 0;
    if s.get(16..17) == Some(":") {
        se = num(17..19)?;
        i = 19;
        if s.get(19..20) == Some(".") {
            i = 20 + s[20..].chars().take_while(char::is_ascii_digit).count();
        }
    }
    let tz = &s[i..];
    let offset = match tz.chars().next() {
        None | Some('Z') => 0,
        Some(sign @ ('+' | '-')) => {
            let hh: i32 = tz.get(1..3)?.parse().ok()?;
            let mm: i32 = tz.get(4..6).map_or(Some(0), |m| m.parse().ok())?;
            let m = hh * 60 + mm;
            if sign == '-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    to_instant(year, mo, d, h, mi, se, offset)
}

fn to_instant(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, off: i32) -> Option<Instant> {
    let date = chrono::NaiveDate::from_ymd_opt(y, mo, d)?;
    let t = date.and_hms_opt(h, mi, s.min(59))?;
    Some((t.and_utc().timestamp() - i64::from(off) * 60, off))
}

/// An instant as a PDF date with its offset, e.g. `D:20261122184000+01'00'`.
pub(crate) fn format_pdf_date((secs, off): Instant) -> String {
    let local = chrono::DateTime::from_timestamp(secs + i64::from(off) * 60, 0)
        .unwrap_or_default()
        .naive_utc();
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "D:{}{sign}{:02}'{:02}'",
        local.format("%Y%m%d%H%M%S"),
        off.abs() / 60,
        off.abs() % 60
    )
}

/// An instant as an XMP date with its offset, e.g. `2026-11-22T18:40:00+01:00`.
pub(crate) fn format_xmp_date((secs, off): Instant) -> String {
    let local = chrono::DateTime::from_timestamp(secs + i64::from(off) * 60, 0)
        .unwrap_or_default()
        .naive_utc();
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "{}{sign}{:02}:{:02}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        off.abs() / 60,
        off.abs() % 60
    )
}

/// The document information we carry into XMP.
#[derive(Debug, Default, Clone)]
pub(crate) struct Info {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub keywords: Option<String>,
    pub creator: Option<String>,
    pub producer: Option<String>,
    pub created: Option<Instant>,
    pub modified: Option<Instant>,
}

/// A PDF/A-1b XMP packet stating `info` (the same values must be written to the Info dictionary).
pub(crate) fn packet(info: &Info) -> String {
    let mut dc = String::new();
    if let Some(t) = &info.title {
        dc.push_str(&format!(
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
            escape(t)
        ));
    }
    if let Some(a) = &info.author {
        dc.push_str(&format!(
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n",
            escape(a)
        ));
    }
    if let Some(s) = &info.subject {
        dc.push_str(&format!(
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>\n",
            escape(s)
        ));
    }
    let mut pdf = String::new();
    if let Some(k) = &info.keywords {
        pdf.push_str(&format!("<pdf:Keywords>{}</pdf:Keywords>\n", escape(k)));
    }
    if let Some(p) = &info.producer {
        pdf.push_str(&format!("<pdf:Producer>{}</pdf:Producer>\n", escape(p)));
    }
    let mut xmp = String::new();
    if let Some(c) = &info.creator {
        xmp.push_str(&format!(
            "<xmp:CreatorTool>{}</xmp:CreatorTool>\n",
            escape(c)
        ));
    }
    if let Some(d) = info.created {
        xmp.push_str(&format!(
            "<xmp:CreateDate>{}</xmp:CreateDate>\n",
            format_xmp_date(d)
        ));
    }
    if let Some(d) = info.modified {
        xmp.push_str(&format!(
            "<xmp:ModifyDate>{}</xmp:ModifyDate>\n",
            format_xmp_date(d)
        ));
    }
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
<pdfaid:part>1</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n\
</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n{dc}</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n{pdf}</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n{xmp}</rdf:Description>\n\
</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_round_trip() {
        let d = pdf_date(b"D:20261122184000+01'00'").unwrap();
        assert_eq!(format_pdf_date(d), "D:20261122184000+01'00'");
        assert_eq!(xmp_date(&format_xmp_date(d)), Some(d));
        assert_eq!(xmp_date("2026-11-22T17:40:00Z").unwrap().0, d.0);
        assert!(pdf_date(b"D:20261122184000Z00'00'").is_none());
        assert_eq!(
            pdf_date(b"D:2026").unwrap().0,
            pdf_date(b"D:20260101000000Z").unwrap().0
        );
        assert!(pdf_date(b"garbage").is_none());
        assert!(pdf_date(b"D:20261340").is_none());
    }

    #[test]
    fn packet_values_read_back() {
        let info = Info {
            title: Some("Acte <n°1> & Cie".into()),
            author: Some("Me Dupont".into()),
            producer: Some("Sceau".into()),
            created: pdf_date(b"D:20260101120000+01'00'"),
            ..Info::default()
        };
        let p = packet(&info);
        let pk = Packet::parse(&p);
        assert_eq!(pk.value("dc:title").unwrap(), "Acte <n°1> & Cie");
        assert_eq!(pk.value("dc:creator").unwrap(), "Me Dupont");
        assert_eq!(pk.value("pdf:Producer").unwrap(), "Sceau");
        assert_eq!(pk.value("pdfaid:part").unwrap(), "1");
        assert!(!pk.header_has_forbidden_attributes());
        assert_eq!(xmp_date(&pk.value("xmp:CreateDate").unwrap()), info.created);
        let attr = Packet::parse("<rdf:Description pdfaid:part='1' pdfaid:conformance=\"B\"/>");
        assert_eq!(attr.value("pdfaid:part").unwrap(), "1");
        assert_eq!(attr.value("pdfaid:conformance").unwrap(), "B");
    }

    #[test]
    fn text_strings() {
        assert_eq!(decode_text(&encode_text("Étude n°9991")), "Étude n°9991");
        assert_eq!(decode_text(b"plain"), "plain");
        assert_eq!(decode_text(&[0xFE, 0xFF, 0x00]), "");
    }
}
