//! French identifiers: SIREN (company), SIRET (establishment), NIR (person, "n° INSEE").
//!
//! Input may contain spaces (any whitespace); values are stored normalised (digits only, `2A`/`2B`
//! upper-case for a NIR). A NIR is personal data: log it only through [`Nir::masked`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

fn compact(input: &str) -> Vec<char> {
    input.chars().filter(|c| !c.is_whitespace()).collect()
}

fn digits(kind: &'static str, chars: &[char], expected: usize) -> Result<Vec<u8>, CoreError> {
    if chars.len() != expected {
        return Err(CoreError::IdWrongLength {
            kind,
            expected,
            found: chars.len(),
        });
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.to_digit(10)
                .and_then(|d| u8::try_from(d).ok())
                .ok_or(CoreError::IdBadCharacter {
                    kind,
                    position: i + 1,
                    found: *c,
                })
        })
        .collect()
}

/// Whether the digits pass the Luhn check.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn to_string(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// A SIREN: 9 digits identifying a company, Luhn-checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

impl Siren {
    /// Parses and validates a SIREN (spaces allowed).
    pub fn parse(input: &str) -> Result<Self, CoreError> {
        let d = digits("SIREN", &compact(input), 9)?;
        if !luhn(&d) {
            return Err(CoreError::IdBadChecksum { kind: "SIREN" });
        }
        Ok(Siren(to_string(&d)))
    }

    /// The normalised 9 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SIREN of La Poste, whose establishments' SIRET use a digit-sum rule instead of Luhn.
pub const LA_POSTE_SIREN: &str = "356000000";
/// La Poste's head office, whose SIRET follows the ordinary Luhn rule.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

/// A SIRET: 14 digits identifying an establishment (SIREN + NIC), Luhn-checked, with the La Poste
/// exception (digit sum a multiple of 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

impl Siret {
    /// Parses and validates a SIRET (spaces allowed).
    pub fn parse(input: &str) -> Result<Self, CoreError> {
        let d = digits("SIRET", &compact(input), 14)?;
        let s = to_string(&d);
        let valid = if s.starts_with(LA_POSTE_SIREN) && s != LA_POSTE_HEAD_OFFICE {
            d.iter().map(|&x| u32::from(x)).sum::<u32>() % 5 == 0
        } else {
            luhn(&d)
        };
        if !valid {
            return Err(CoreError::IdBadChecksum { kind: "SIRET" });
        }
        Ok(Siret(s))
    }

    /// The normalised 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The company's SIREN (first 9 digits).
    pub fn siren(&self) -> Siren {
        Siren(self.0.get(..9).unwrap_or_default().to_string())
    }
}

/// A NIR ("numéro INSEE"): 13 characters plus a 2-digit key = 97 − (number mod 97), where the
/// Corsican departments 2A and 2B count as 19 and 18.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nir(String);

impl Nir {
    /// Parses and validates a NIR (spaces allowed, `2a`/`2b` accepted in either case).
    pub fn parse(input: &str) -> Result<Self, CoreError> {
        let chars: Vec<char> = compact(input)
            .into_iter()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != 15 {
            return Err(CoreError::IdWrongLength {
                kind: "NIR",
                expected: 15,
                found: chars.len(),
            });
        }
        // Positions 6–7 (1-based) are the department of birth: "2A"/"2B" for Corsica.
        let corsica = match (chars.get(5), chars.get(6)) {
            (Some('2'), Some('A')) => Some(19u64),
            (Some('2'), Some('B')) => Some(18u64),
            _ => None,
        };
        let mut value: u64 = 0;
        for (i, c) in chars.iter().enumerate().take(13) {
            let d = if corsica.is_some() && (i == 5 || i == 6) {
                continue;
            } else {
                c.to_digit(10).ok_or(CoreError::IdBadCharacter {
                    kind: "NIR",
                    position: i + 1,
                    found: *c,
                })?
            };
            value = value * 10 + u64::from(d);
            if i == 4 {
                if let Some(dep) = corsica {
                    value = value * 100 + dep;
                }
            }
        }
        let mut key: u8 = 0;
        for (i, c) in chars.iter().enumerate().skip(13) {
            let d = c.to_digit(10).ok_or(CoreError::IdBadCharacter {
                kind: "NIR",
                position: i + 1,
                found: *c,
            })?;
            key = key * 10 + u8::try_from(d).unwrap_or(0);
        }
        let expected = u8::try_from(97 - value % 97).unwrap_or(0);
        if key != expected {
            return Err(CoreError::NirBadKey {
                expected,
                found: key,
            });
        }
        Ok(Nir(chars.into_iter().collect()))
    }

    /// The normalised 15 characters (personal data: do not log).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: sex, year of birth and key only, e.g. `2 84 ** ** *** *** 12`.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!(
            "{} {} ** ** *** *** {}",
            s.get(..1).unwrap_or("*"),
            s.get(1..3).unwrap_or("**"),
            s.get(13..15).unwrap_or("**")
        )
    }
}

impl fmt::Debug for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug output ends up in logs and panics: never the full number.
        write!(f, "Nir({})", self.masked())
    }
}

macro_rules! string_impls {
    ($t:ty) => {
        impl FromStr for $t {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = CoreError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_impls!(Siren);
string_impls!(Siret);
string_impls!(Nir);

/// A recipient's identifier, whichever kind it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum RecipientId {
    /// A company.
    Siren(Siren),
    /// An establishment.
    Siret(Siret),
    /// A person.
    Nir(Nir),
}

impl RecipientId {
    /// Parses any of the three, told apart by length (9 SIREN, 14 SIRET, 15 NIR; spaces ignored).
    pub fn parse(input: &str) -> Result<Self, CoreError> {
        match compact(input).len() {
            9 => Siren::parse(input).map(RecipientId::Siren),
            15 => Nir::parse(input).map(RecipientId::Nir),
            _ => Siret::parse(input).map(RecipientId::Siret),
        }
    }

    /// The French name of the kind, as on the recipient card ("SIRET", "SIREN", "N° INSEE").
    pub fn kind_fr(&self) -> &'static str {
        match self {
            RecipientId::Siren(_) => "SIREN",
            RecipientId::Siret(_) => "SIRET",
            RecipientId::Nir(_) => "N° INSEE",
        }
    }

    /// A form safe for logs (NIR masked; company identifiers are public and shown in full).
    pub fn masked(&self) -> String {
        match self {
            RecipientId::Siren(s) => s.to_string(),
            RecipientId::Siret(s) => s.to_string(),
            RecipientId::Nir(n) => n.masked(),
        }
    }

    /// The full normalised value.
    pub fn as_str(&self) -> &str {
        match self {
            RecipientId::Siren(s) => s.as_str(),
            RecipientId::Siret(s) => s.as_str(),
            RecipientId::Nir(n) => n.as_str(),
        }
    }
}

/// What kind of recipient: the one definition for the vault, its API, the local store and the
/// window (serde, [`FromStr`] and [`fmt::Display`] all use [`RecipientKind::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A bank (établissement habilité à tenir des comptes de dépôt).
    Bank,
    /// A company.
    Company,
    /// An administration.
    Administration,
    /// A private person.
    Person,
}

impl RecipientKind {
    /// Every kind.
    pub const ALL: [RecipientKind; 4] = [
        RecipientKind::Bank,
        RecipientKind::Company,
        RecipientKind::Administration,
        RecipientKind::Person,
    ];

    /// A stable code (the API's, the store's and the window's).
    pub fn code(self) -> &'static str {
        match self {
            RecipientKind::Bank => "bank",
            RecipientKind::Company => "company",
            RecipientKind::Administration => "administration",
            RecipientKind::Person => "person",
        }
    }
}

impl fmt::Display for RecipientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for RecipientKind {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, CoreError> {
        RecipientKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| CoreError::UnknownCode {
                what: "recipient_kind",
                value: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the key of a 13-character NIR body (test helper, independent formula).
    fn with_key(body: &str) -> String {
        let numeric = body.replace("2A", "19").replace("2B", "18");
        let n: u64 = numeric.parse().expect("digits");
        format!("{body}{:02}", 97 - n % 97)
    }

    #[test]
    fn a_recipient_kind_round_trips_through_its_code() {
        for k in RecipientKind::ALL {
            assert_eq!(k.code().parse::<RecipientKind>().unwrap(), k);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        assert!("Bank".parse::<RecipientKind>().is_err());
    }

    #[test]
    fn siren_valid_and_invalid() {
        // Well-known SIRENs: Danone, La Poste, INSEE's own example.
        for ok in ["552032534", "356000000", "732 829 320", "443061841"] {
            assert!(Siren::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Siren::parse("732 829 320").expect("valid").as_str(),
            "732829320"
        );
        assert_eq!(
            Siren::parse("552032535"),
            Err(CoreError::IdBadChecksum { kind: "SIREN" })
        );
        assert_eq!(
            Siren::parse("55203253"),
            Err(CoreError::IdWrongLength {
                kind: "SIREN",
                expected: 9,
                found: 8
            })
        );
        assert_eq!(
            Siren::parse("55203X534"),
            Err(CoreError::IdBadCharacter {
                kind: "SIREN",
                position: 6,
                found: 'X'
            })
        );
        assert_eq!(
            Siren::parse("５52032534").map_err(|e| e.code()),
            Err("id.bad_character"),
            "full-width digits are not digits"
        );
    }

    #[test]
    fn siret_valid_invalid_and_la_poste() {
        let s = Siret::parse("732 829 320 00074").expect("valid");
        assert_eq!(s.to_string(), "73282932000074");
        assert_eq!(s.siren().as_str(), "732829320");
        assert!(Siret::parse("44306184100047").is_ok());
        assert_eq!(
            Siret::parse("73282932000075"),
            Err(CoreError::IdBadChecksum { kind: "SIRET" })
        );
        assert_eq!(
            Siret::parse("7328293200007").map_err(|e| e.code()),
            Err("id.wrong_length")
        );
        // La Poste: digit sum multiple of 5 (here 3+5+6+4+9+8+3+7 = 45), Luhn not required.
        let poste = "35600000049837";
        assert!(!luhn(&poste.bytes().map(|b| b - b'0').collect::<Vec<_>>()));
        assert!(Siret::parse(poste).is_ok());
        // Digit sum 46: refused.
        assert_eq!(
            Siret::parse("35600000049838"),
            Err(CoreError::IdBadChecksum { kind: "SIRET" })
        );
        // Head office follows Luhn.
        assert!(Siret::parse("35600000000048").is_ok());
        // A Luhn-valid SIRET of another company is unaffected by the La Poste rule.
        assert!(Siret::parse("55203253400646").is_ok());
    }

    #[test]
    fn luhn_detects_every_single_digit_change() {
        let base: Vec<u8> = "73282932000074".bytes().map(|b| b - b'0').collect();
        assert!(luhn(&base));
        for pos in 0..base.len() {
            for v in 0..10u8 {
                if v != base[pos] {
                    let mut m = base.clone();
                    m[pos] = v;
                    assert!(!luhn(&m), "{pos} {v}");
                }
            }
        }
    }

    #[test]
    fn nir_valid_invalid_and_corsica() {
        let n = Nir::parse("2 84 12 75 123 456");
        assert!(matches!(n, Err(CoreError::IdWrongLength { found: 13, .. })));
        let body = "2841275123456";
        let full = with_key(body);
        let nir = Nir::parse(&full).expect("valid");
        assert_eq!(nir.as_str(), full);
        let spaced = format!("2 84 12 75 123 456 {}", &full[13..]);
        assert_eq!(Nir::parse(&spaced).expect("valid"), nir);
        assert_eq!(nir.masked(), format!("2 84 ** ** *** *** {}", &full[13..]));
        assert!(!format!("{nir:?}").contains("123456"));
        // Wrong key.
        let good_key: u8 = full[13..].parse().expect("digits");
        let bad = format!("{body}{:02}", (good_key % 97) + 1);
        assert_eq!(
            Nir::parse(&bad),
            Err(CoreError::NirBadKey {
                expected: good_key,
                found: (good_key % 97) + 1
            })
        );
        // Corsica: 2A → 19, 2B → 18, lower case accepted, stored upper case.
        for dep in ["2A", "2B"] {
            let body = format!("18506{dep}004012");
            let full = with_key(&body);
            let parsed = Nir::parse(&full.to_lowercase()).expect("Corsica");
            assert_eq!(parsed.as_str(), full);
        }
        // The 2A key differs from the 19 key only if the bodies differ: check one by hand.
        // 1 85 06 2A 004 012 → 1850619004012 mod 97.
        let expected = 97 - 1_850_619_004_012u64 % 97;
        assert_eq!(
            with_key("18506 2A004012".replace(' ', "").as_str())[13..],
            format!("{expected:02}")
        );
        // 'A' elsewhere is refused with its position.
        assert_eq!(
            Nir::parse("1850A19004012 00").map_err(|e| e.code()),
            Err("id.bad_character")
        );
        assert!(matches!(
            Nir::parse("18506 3A 004 012 11"),
            Err(CoreError::IdBadCharacter {
                position: 7,
                found: 'A',
                ..
            })
        ));
    }

    #[test]
    fn nir_key_detects_single_changes() {
        let full = with_key("1850619004012");
        for pos in 0..13 {
            let mut chars: Vec<char> = full.chars().collect();
            let original = chars[pos];
            for v in '0'..='9' {
                if v != original {
                    chars[pos] = v;
                    let s: String = chars.iter().collect();
                    assert!(Nir::parse(&s).is_err(), "{s}");
                }
            }
        }
    }

    #[test]
    fn serde_as_strings_and_recipient_id() {
        let s = Siret::parse("73282932000074").expect("valid");
        let json = serde_json::to_string(&s).expect("serialise");
        assert_eq!(json, "\"73282932000074\"");
        assert_eq!(serde_json::from_str::<Siret>(&json).expect("parse"), s);
        assert!(serde_json::from_str::<Siret>("\"73282932000075\"").is_err());
        assert!(matches!(
            RecipientId::parse("732829320"),
            Ok(RecipientId::Siren(_))
        ));
        assert!(matches!(
            RecipientId::parse("732 829 320 00074"),
            Ok(RecipientId::Siret(_))
        ));
        let nir = with_key("2841275123456");
        let id = RecipientId::parse(&nir).expect("NIR");
        assert_eq!(id.kind_fr(), "N° INSEE");
        assert!(!id.masked().contains("75123456"));
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, format!("{{\"kind\":\"nir\",\"value\":\"{nir}\"}}"));
        assert_eq!(
            RecipientId::parse("12").map_err(|e| e.code()),
            Err("id.wrong_length")
        );
    }
}
