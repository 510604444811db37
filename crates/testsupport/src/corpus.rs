//! Small documents built by code, for tests and the demo.

/// The consent mention an act carries (CPC 662-1, 748-1), as lines of [`simple_pdf`] (ASCII:
/// the standard fonts without an encoding show no accents).
pub const CONSENT_LINES: [&str; 2] = [
    "Le destinataire a consenti a la signification par voie electronique du present acte,",
    "conformement aux articles 662-1 et 748-1 et suivants du code de procedure civile.",
];

/// A one-page PDF 1.4 showing `lines` in Helvetica, with a correct cross-reference table.
/// Characters outside ASCII are replaced (standard fonts without an encoding cannot show them).
pub fn simple_pdf(title: &str, lines: &[&str]) -> Vec<u8> {
    let escape = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c if c.is_ascii() && !c.is_ascii_control() => c.to_string(),
                _ => "?".to_string(),
            })
            .collect()
    };
    let mut content = String::from("BT /F1 12 Tf 72 770 Td 16 TL\n");
    for line in lines {
        content.push_str(&format!("({}) Tj T*\n", escape(line)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Title ({}) /Producer (sceau-testsupport) >>", escape(title)),
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xref_offsets_point_at_objects() {
        let pdf = simple_pdf("Acte", &["Commandement de payer", "(test)"]);
        // Offsets are byte offsets: work on bytes (the binary comment is not UTF-8).
        let tail = &pdf[pdf.len() - 40..];
        let tail = std::str::from_utf8(tail).expect("ASCII trailer");
        let xref_at: usize = tail
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|t| t.parse().ok())
            .expect("startxref value");
        assert!(pdf[xref_at..].starts_with(b"xref"));
        let first_entry = &pdf[xref_at + "xref\n0 7\n0000000000 65535 f \n".len()..][..10];
        let off: usize = std::str::from_utf8(first_entry)
            .ok()
            .and_then(|t| t.parse().ok())
            .expect("offset");
        assert!(pdf[off..].starts_with(b"1 0 obj"));
    }
}
