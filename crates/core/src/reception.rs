//! The reception status as data: why service is refused ([`Refusal`]), and the explanation of
//! a refusal apart from its next opening, for a face that writes the next opening itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::hours::{ClosedReason, NEVER, SEARCH_HORIZON_DAYS};

/// The sentence that ends a refusal's message: when service opens next ([`NEVER`]: none within
/// the horizon).
pub fn next_opening_sentence(next: DateTime<Utc>) -> String {
    next_opening_sentence_in(next, crate::PARIS)
}

/// [`next_opening_sentence`] in the local time of `tz` (a region's: the refusal of
/// [`crate::hours::service_allowed_in`]).
pub fn next_opening_sentence_in(next: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    if next == NEVER {
        format!("Aucune ouverture n'est prévue dans les {SEARCH_HORIZON_DAYS} prochains jours.")
    } else {
        let local = next.with_timezone(&tz);
        format!(
            "Prochaine ouverture : le {} à {}.",
            local.format("%d/%m/%Y"),
            local.format("%H:%M")
        )
    }
}

/// A refusal's explanation without its [`next_opening_sentence`], for a face that writes the
/// next opening itself from `next_opening` (the window, in the user's date style). The exact
/// inverse of how [`Closed::message_fr`](crate::hours::Closed::message_fr) is written, in Paris
/// time or in a place's local time (with its zone named, [`crate::place::next_opening_sentence`]);
/// any other text is returned whole.
pub fn explanation(message: &str, next_opening: Option<DateTime<Utc>>) -> &str {
    let Some(next) = next_opening else {
        return message;
    };
    if let Some(first) = message.strip_suffix(&next_opening_sentence(next)) {
        return first.trim_end();
    }
    // A place's local form: the last sentence starts so and is the only one after it.
    match message.rfind(" Prochaine ouverture : le ") {
        Some(i) if message.ends_with('.') && !message[i..].contains('\n') => &message[..i],
        _ => message,
    }
}

/// Why service is refused, as the window groups it: the law's hours (a judge may permit) or the
/// recipient's own windows. The vault gives a [`ClosedReason::code`]; this is its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// CPC 664: before 06:00, after 21:00, a Sunday or a public holiday.
    LegalHours,
    /// Outside the recipient's reception windows for this nature.
    RecipientWindow,
}

impl ClosedReason {
    /// How the window groups this reason.
    pub fn refusal(&self) -> Refusal {
        match self {
            ClosedReason::OutsideRecipientWindow => Refusal::RecipientWindow,
            _ => Refusal::LegalHours,
        }
    }
}

impl Refusal {
    /// The refusal of a [`ClosedReason::code`] (as the vault's reception answer gives it).
    pub fn of_code(code: &str) -> Result<Refusal, CoreError> {
        [
            ClosedReason::BeforeSix,
            ClosedReason::AfterNine,
            ClosedReason::Sunday,
            ClosedReason::PublicHoliday(String::new()),
            ClosedReason::OutsideRecipientWindow,
        ]
        .iter()
        .find(|r| r.code() == code)
        .map(ClosedReason::refusal)
        .ok_or_else(|| CoreError::UnknownCode {
            what: "closed_reason",
            value: code.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::hours::service_allowed;
    use crate::hours::tests::paris;

    #[test]
    fn the_explanation_is_the_message_without_its_next_opening_sentence() {
        let sunday_noon = paris(2026, 11, 22, 12, 0, 0);
        let closed = service_allowed(sunday_noon, None, None, &Calendar::default()).unwrap_err();
        let next = Some(closed.next_opening);
        let explanation = explanation(&closed.message_fr, next);
        assert!(
            explanation.ends_with("sauf permission du juge."),
            "{explanation}"
        );
        assert!(!explanation.contains("Prochaine ouverture"));
        assert_eq!(
            format!(
                "{explanation} {}",
                next_opening_sentence(closed.next_opening)
            ),
            closed.message_fr
        );
        // Without a next opening, or with another text, the message is kept whole.
        assert_eq!(
            super::explanation(&closed.message_fr, None),
            closed.message_fr
        );
        assert_eq!(super::explanation("Fermé.", next), "Fermé.");
        assert_eq!(
            Refusal::of_code(closed.reason.code()).unwrap(),
            Refusal::LegalHours
        );
        assert_eq!(
            Refusal::of_code("hours.outside_recipient_window").unwrap(),
            Refusal::RecipientWindow
        );
        assert_eq!(
            Refusal::of_code("hours.lunch").unwrap_err().code(),
            "core.unknown_code"
        );
    }
}
