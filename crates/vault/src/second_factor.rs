//! What proves, besides the link, that the person at the portal is the recipient.
//!
//! The link to the portal goes by e-mail (by SMS when the recipient has no e-mail) and the
//! one-time code by SMS (by e-mail when there is no mobile). With both an e-mail address and a
//! mobile, link and code travel on two distinct channels: whoever reads one mailbox or one
//! phone alone cannot log in. With one channel only, link and code would arrive together, so
//! the recipient must also type something the vault knows of them and the channel does not
//! carry: a company's SIREN, a person's social security number (NIR, 13 digits without its
//! key). A recipient with one channel and nothing of the kind known cannot log in online: the
//! page says so and what to do (give the office a mobile number, or the missing identifier).
//!
//! The answer is bound into the code's stored hash ([`secret`]): a wrong answer is a wrong
//! code, judged by the same atomic lock-out, and the answer is never stored by the portal.

use sceau_core::ids::RecipientKind;

use crate::store::meta::RecipientRow;

/// The second proof a recipient gives at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// Link and code on two distinct channels: nothing more is asked.
    TwoChannels,
    /// One channel: the SIREN (9 digits) of the company, bank or administration.
    Siren(String),
    /// One channel: the 13 digits of the person's NIR (without its 2-digit key).
    Nir(String),
    /// One channel and nothing known to ask: no online login.
    Unavailable,
}

impl SecondFactor {
    /// What the vault asks of `r`.
    pub fn of(r: &RecipientRow) -> SecondFactor {
        if r.email.is_some() && r.phone_mobile.is_some() {
            return SecondFactor::TwoChannels;
        }
        match r.kind {
            RecipientKind::Person => r
                .nir
                .as_deref()
                .map(normalise_answer)
                .and_then(|n| n.get(..13).map(str::to_owned))
                .filter(|n| n.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map_or(SecondFactor::Unavailable, SecondFactor::Nir),
            _ => r
                .siren
                .as_deref()
                .or(r.siret.as_deref())
                .map(normalise_answer)
                .filter(|s| s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()))
                .map_or(SecondFactor::Unavailable, |s| {
                    SecondFactor::Siren(s[..9].to_owned())
                }),
        }
    }

    /// The answer expected, normalised ([`normalise_answer`]), if one is asked.
    pub fn expected(&self) -> Option<&str> {
        match self {
            SecondFactor::Siren(s) | SecondFactor::Nir(s) => Some(s),
            SecondFactor::TwoChannels | SecondFactor::Unavailable => None,
        }
    }

    /// The form field asking for the answer (empty when none is asked).
    pub fn field_html(&self) -> &'static str {
        match self {
            SecondFactor::Siren(_) => {
                "<p><label for=\"reponse\">Numéro SIREN de votre entreprise (9 chiffres)</label> \
                 <input id=\"reponse\" name=\"reponse\" inputmode=\"numeric\" \
                 autocomplete=\"off\" maxlength=\"20\" required></p>"
            }
            SecondFactor::Nir(_) => {
                "<p><label for=\"reponse\">Votre numéro de sécurité sociale (les 13 premiers \
                 caractères, sans la clé)</label> <input id=\"reponse\" name=\"reponse\" \
                 autocomplete=\"off\" maxlength=\"30\" required></p>"
            }
            SecondFactor::TwoChannels | SecondFactor::Unavailable => "",
        }
    }

    /// The sentence telling the recipient why the answer is asked (empty when none is).
    pub fn why_fr(&self) -> &'static str {
        match self {
            SecondFactor::Siren(_) | SecondFactor::Nir(_) => {
                "<p class=\"info\">Nous ne disposons que d'un moyen de vous joindre : pour \
                 votre sécurité, confirmez aussi l'identifiant demandé ci-dessous.</p>"
            }
            SecondFactor::TwoChannels | SecondFactor::Unavailable => "",
        }
    }
}

/// `typed` as compared: spaces, dots and dashes removed, letters in capitals (Corsican NIRs
/// carry 2A/2B).
pub fn normalise_answer(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// What the code's hash covers: the code alone, or the code and the answer (normalised, only
/// its expected length counts: a NIR typed with its key is accepted).
pub fn secret(code: &str, factor: &SecondFactor, typed_answer: Option<&str>) -> String {
    match factor.expected() {
        None => code.to_owned(),
        Some(expected) => {
            // By characters: whatever is typed (accents, emoji) never splits one.
            let answer: String = normalise_answer(typed_answer.unwrap_or_default())
                .chars()
                .take(expected.len())
                .collect();
            format!("{code}|{answer}")
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(kind: RecipientKind, email: bool, mobile: bool) -> RecipientRow {
        RecipientRow {
            id: "r".into(),
            kind,
            name: "R".into(),
            siret: None,
            siren: None,
            nir: None,
            email: email.then(|| "r@exemple.test".into()),
            phone_fixed: Some("+33100000000".into()),
            phone_mobile: mobile.then(|| "+33600000000".into()),
        }
    }

    #[test]
    fn two_channels_ask_nothing_more_one_channel_asks_what_is_known() {
        let both = row(RecipientKind::Person, true, true);
        assert_eq!(SecondFactor::of(&both), SecondFactor::TwoChannels);
        let mut person = row(RecipientKind::Person, true, false);
        assert_eq!(SecondFactor::of(&person), SecondFactor::Unavailable);
        person.nir = Some("2 69 05 49 588 157 80".into());
        assert_eq!(
            SecondFactor::of(&person),
            SecondFactor::Nir("2690549588157".into())
        );
        let mut company = row(RecipientKind::Company, false, true);
        assert_eq!(SecondFactor::of(&company), SecondFactor::Unavailable);
        company.siret = Some("732 829 320 00074".into());
        assert_eq!(
            SecondFactor::of(&company),
            SecondFactor::Siren("732829320".into())
        );
        company.siren = Some("552100554".into());
        assert_eq!(
            SecondFactor::of(&company),
            SecondFactor::Siren("552100554".into())
        );
        // A damaged NIR in the directory asks nothing it could not judge.
        let mut odd = row(RecipientKind::Person, true, false);
        odd.nir = Some("2690549é88157".into());
        assert_eq!(SecondFactor::of(&odd), SecondFactor::Unavailable);
        // A fixed phone is no channel for a code.
        let fixed_only = row(RecipientKind::Bank, false, false);
        assert_eq!(SecondFactor::of(&fixed_only), SecondFactor::Unavailable);
    }

    #[test]
    fn the_answer_is_bound_to_the_code_as_typed_by_a_person() {
        let nir = SecondFactor::Nir("2690549588157".into());
        let want = secret("123456", &nir, Some("2690549588157"));
        assert_eq!(secret("123456", &nir, Some("2 69 05 49 588 157")), want);
        assert_eq!(secret("123456", &nir, Some("2.69.05.49.588.157 80")), want);
        assert_ne!(secret("123456", &nir, Some("2690549588158")), want);
        assert_ne!(secret("123456", &nir, None), want);
        assert_ne!(secret("123457", &nir, Some("2690549588157")), want);
        let corsica = SecondFactor::Nir("1852A12345678".into());
        assert_eq!(
            secret("1", &corsica, Some("1 85 2a 12 345 678")),
            secret("1", &corsica, Some("1852A12345678"))
        );
        // Anything a person may type is judged, never a crash: accents, emoji, very long.
        for odd in [
            "é",
            "é2690549588157",
            "ééééééééééééééé",
            "🙂🙂🙂🙂",
            &"9".repeat(10_000),
        ] {
            assert_ne!(secret("123456", &nir, Some(odd)), want, "{odd}");
        }
        let two = SecondFactor::TwoChannels;
        assert_eq!(secret("123456", &two, Some("ignored")), "123456");
    }
}
