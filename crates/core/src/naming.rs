//! File names from the manual, always sanitised: a reference or a name typed by a user is never
//! trusted as a path.
//!
//! Sanitising policy (one component, never a path):
//! - French accented letters are transliterated to ASCII (`é` → `e`, `œ` → `oe`); any other
//!   non-ASCII character (emoji, other scripts) becomes `_`, so names survive every file system,
//!   ZIP tool and e-mail client unchanged;
//! - path separators and Windows-forbidden characters `/ \ : * ? " < > |` become `_`;
//! - control characters (including NUL) are removed; runs of whitespace become one space; spaces
//!   are kept, as the manual shows (`9991_2 EME ESSAI_20130731_121048.pdf`);
//! - dots are kept singly (`..` collapses to `.`), and a leading dot is removed, so no component
//!   is `.`, `..` or hidden;
//! - reserved Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`,
//!   with or without an extension, any case) get a leading `_`;
//! - trailing dots and spaces are removed (Windows drops them silently);
//! - the result has at most [`MAX_COMPONENT`] bytes and is never empty (`_` stands for nothing).

use chrono::{DateTime, Utc};

use crate::PARIS;

/// Maximum length in bytes of a sanitised component (file names stay well under 255 bytes).
pub const MAX_COMPONENT: usize = 100;

/// Makes `component` safe as one file-name component (see the module documentation).
pub fn sanitize(component: &str) -> String {
    clean(component, MAX_COMPONENT)
}

fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => "A",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'É' | 'È' | 'Ê' | 'Ë' => "E",
        'î' | 'ï' | 'í' | 'ì' => "i",
        'Î' | 'Ï' | 'Í' | 'Ì' => "I",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
        'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => "O",
        'ù' | 'û' | 'ü' | 'ú' => "u",
        'Ù' | 'Û' | 'Ü' | 'Ú' => "U",
        'ç' => "c",
        'Ç' => "C",
        'ÿ' => "y",
        'Ÿ' => "Y",
        'ñ' => "n",
        'Ñ' => "N",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        '’' | '‘' => "'",
        _ => return None,
    })
}

fn clean(input: &str, max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    for c in input.chars() {
        if c.is_control() {
            continue;
        }
        let piece: &str = if c.is_whitespace() {
            " "
        } else if let Some(t) = transliterate(c) {
            t
        } else if !c.is_ascii() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        {
            "_"
        } else {
            out.push(c);
            continue;
        };
        out.push_str(piece);
    }
    // Collapse runs of spaces and of dots.
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        if (c == ' ' || c == '.') && collapsed.ends_with(c) {
            continue;
        }
        collapsed.push(c);
    }
    let mut s = collapsed.trim_start_matches(['.', ' ']).to_string();
    if is_reserved_windows_name(&s) {
        s.insert(0, '_');
    }
    // Bound the length (ASCII only at this point, so bytes == chars) and re-trim.
    s.truncate(max);
    let s = s.trim_end_matches(['.', ' ']).to_string();
    if s.is_empty() {
        "_".to_string()
    } else {
        s
    }
}

fn is_reserved_windows_name(s: &str) -> bool {
    let base = s
        .split('.')
        .next()
        .unwrap_or(s)
        .trim_end()
        .to_ascii_uppercase();
    match base.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let b = base.as_bytes();
            b.len() == 4
                && (base.starts_with("COM") || base.starts_with("LPT"))
                && b.get(3).is_some_and(|d| matches!(d, b'1'..=b'9'))
        }
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.with_timezone(&PARIS).format("%Y%m%d_%H%M%S").to_string()
}

/// The act's file name: `9991_REF_20130917_145203.pdf` (office, reference, preparation time in
/// Europe/Paris).
pub fn act_file_name(office: &str, reference: &str, prepared_at: DateTime<Utc>) -> String {
    format!(
        "{}_{}_{}.pdf",
        sanitize(office),
        sanitize(reference),
        stamp(prepared_at)
    )
}

/// The archive's name in the office's vault: `BANQUE_TEST__REF_20130917_145313.zip`.
///
/// Spaces in the recipient's name become `_` (as the manual shows); the reference is sanitised as
/// in [`act_file_name`] (spaces kept); the time is Europe/Paris.
pub fn archive_name(recipient_name: &str, reference: &str, at: DateTime<Utc>) -> String {
    format!(
        "{}__{}_{}.zip",
        sanitize(recipient_name).replace(' ', "_"),
        sanitize(reference),
        stamp(at)
    )
}

/// The stem of an act file name (without `.pdf`, any case), sanitised.
fn act_stem(act_file_name: &str) -> String {
    let trimmed = act_file_name.trim();
    let stem = match trimmed.len().checked_sub(4) {
        Some(cut)
            if trimmed.is_char_boundary(cut)
                && trimmed
                    .get(cut..)
                    .is_some_and(|e| e.eq_ignore_ascii_case(".pdf")) =>
        {
            trimmed.get(..cut).unwrap_or(trimmed)
        }
        _ => trimmed,
    };
    // Act names are built from two bounded components plus a stamp: allow for that length.
    clean(stem, 2 * MAX_COMPONENT + 24)
}

/// The delivery notice's name: `<act without .pdf>_REMISE.pdf`.
pub fn delivery_notice_name(act_file_name: &str) -> String {
    format!("{}_REMISE.pdf", act_stem(act_file_name))
}

/// The return's name: `<act without .pdf>_<NATURE>.pdf`, the nature code upper-cased.
pub fn return_name(act_file_name: &str, nature_code: &str) -> String {
    format!(
        "{}_{}.pdf",
        act_stem(act_file_name),
        sanitize(nature_code).replace(' ', "_").to_ascii_uppercase()
    )
}

/// A UTC instant as shown everywhere in the UI: `dd/mm/yyyy hh:mm:ss`, Europe/Paris.
pub fn format_paris(t: DateTime<Utc>) -> String {
    t.with_timezone(&PARIS)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        PARIS
            .with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn manual_names() {
        let prepared = paris(2013, 9, 17, 14, 52, 3);
        let act = act_file_name("9991", "TEST_MODALITE_REMISE_1", prepared);
        assert_eq!(act, "9991_TEST_MODALITE_REMISE_1_20130917_145203.pdf");
        assert_eq!(
            archive_name(
                "BANQUE TEST",
                "TEST_MODALITE_REMISE_1",
                paris(2013, 9, 17, 14, 53, 13)
            ),
            "BANQUE_TEST__TEST_MODALITE_REMISE_1_20130917_145313.zip"
        );
        assert_eq!(
            delivery_notice_name(&act),
            "9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf"
        );
        assert_eq!(
            return_name(&act, "saisie_attribution"),
            "9991_TEST_MODALITE_REMISE_1_20130917_145203_SAISIE_ATTRIBUTION.pdf"
        );
        assert_eq!(
            act_file_name("9991", "2 EME ESSAI", paris(2013, 7, 31, 12, 10, 48)),
            "9991_2 EME ESSAI_20130731_121048.pdf"
        );
        assert_eq!(
            format_paris(paris(2013, 9, 17, 14, 52, 55)),
            "17/09/2013 14:52:55"
        );
    }

    #[test]
    fn paris_time_in_winter_and_summer() {
        let winter = Utc
            .with_ymd_and_hms(2026, 1, 5, 23, 30, 0)
            .single()
            .expect("valid");
        assert_eq!(format_paris(winter), "06/01/2026 00:30:00");
        let summer = Utc
            .with_ymd_and_hms(2026, 7, 5, 22, 30, 0)
            .single()
            .expect("valid");
        assert_eq!(format_paris(summer), "06/07/2026 00:30:00");
        assert_eq!(
            act_file_name("9991", "R", summer),
            "9991_R_20260706_003000.pdf"
        );
    }

    #[test]
    fn malicious_names() {
        assert_eq!(sanitize("../../etc/passwd"), "_._etc_passwd");
        assert_eq!(sanitize(".."), "_");
        assert_eq!(sanitize("."), "_");
        assert_eq!(sanitize(""), "_");
        assert_eq!(sanitize("   "), "_");
        assert_eq!(sanitize("CON"), "_CON");
        assert_eq!(sanitize("con.txt"), "_con.txt");
        assert_eq!(sanitize("LPT1"), "_LPT1");
        assert_eq!(sanitize("COM9.pdf"), "_COM9.pdf");
        assert_eq!(sanitize("CONSEIL"), "CONSEIL");
        assert_eq!(sanitize("a/b\\c"), "a_b_c");
        assert_eq!(sanitize("a\0b\u{7}c\r\nd"), "abcd");
        assert_eq!(sanitize("C:\\Windows"), "C__Windows");
        assert_eq!(sanitize("réf. ÉTUDE  n°5 "), "ref. ETUDE n_5");
        assert_eq!(sanitize("fin..."), "fin");
        assert_eq!(sanitize("emoji 😀 ok"), "emoji _ ok");
        assert_eq!(
            sanitize("saisie‑vente"),
            "saisie_vente",
            "non-breaking hyphen"
        );
        let long = "é".repeat(500);
        let s = sanitize(&long);
        assert_eq!(s.len(), MAX_COMPONENT);
        assert!(s.chars().all(|c| c == 'e'));
        let name = act_file_name("9991/..", "../../etc/passwd", paris(2026, 1, 2, 3, 4, 5));
        assert_eq!(name, "9991___._etc_passwd_20260102_030405.pdf");
        assert!(!name.contains('/'));
    }

    #[test]
    fn sanitize_invariants() {
        // Property-style: deterministic pseudo-random strings over a hostile alphabet.
        let alphabet: Vec<char> = "aZ09 ._-/\\:*?\"<>|\0\t\n\u{7f}éŒ😀\u{202e}CONLPT1"
            .chars()
            .collect();
        let mut seed: u64 = 0x5eed;
        for _ in 0..5000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 33) as usize % 300;
            let mut s = String::new();
            let mut x = seed;
            for _ in 0..len {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                s.push(alphabet[(x >> 40) as usize % alphabet.len()]);
            }
            let out = sanitize(&s);
            assert!(
                !out.is_empty() && out.len() <= MAX_COMPONENT,
                "{s:?} → {out:?}"
            );
            assert!(out.is_ascii());
            assert!(!out.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']));
            assert!(!out.chars().any(|c| c.is_control()));
            assert!(!out.contains(".."));
            assert!(!out.starts_with('.') && !out.ends_with('.') && !out.ends_with(' '));
            assert!(!is_reserved_windows_name(&out));
            assert_eq!(sanitize(&out), out, "idempotent");
        }
    }

    #[test]
    fn notice_and_return_from_odd_act_names() {
        assert_eq!(delivery_notice_name("ACTE.PDF"), "ACTE_REMISE.pdf");
        assert_eq!(delivery_notice_name("ACTE"), "ACTE_REMISE.pdf");
        assert_eq!(delivery_notice_name("../x.pdf"), "_x_REMISE.pdf");
        assert_eq!(
            return_name("A.pdf", "saisie conservatoire"),
            "A_SAISIE_CONSERVATOIRE.pdf"
        );
        assert_eq!(delivery_notice_name("é.pdf"), "e_REMISE.pdf");
        assert_eq!(delivery_notice_name("😀"), "__REMISE.pdf");
    }
}
