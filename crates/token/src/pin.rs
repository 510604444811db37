//! PIN handling: zeroized in memory, never printed.

use std::fmt;
use zeroize::Zeroizing;

/// A token PIN. Its memory is wiped on drop; `Debug` prints a placeholder and there is no
/// `Display` or serialisation, so a PIN cannot end up in a log or a file by accident.
#[derive(Clone)]
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Wraps a PIN typed by the user. Surrounding line breaks (from a file or a terminal) are
    /// removed; other characters are kept as typed.
    pub fn new(pin: impl Into<String>) -> Self {
        let mut s: Zeroizing<String> = Zeroizing::new(pin.into());
        while s.ends_with('\n') || s.ends_with('\r') {
            s.pop();
        }
        Pin(s)
    }

    /// The PIN's characters, for the one call that hands it to the token.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the PIN is empty (nothing typed).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<masqué>)")
    }
}

/// Whether the caller accepts to spend the last PIN try when the token reports it.
///
/// A wrong PIN on the final try locks the key for good (it then needs the PUK or the issuer), so
/// the default is to refuse and ask the user first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FinalTry {
    /// Refuse to try the PIN if the token says this is the last try.
    #[default]
    Refuse,
    /// The user was warned and confirmed: try it.
    Confirmed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_pin() {
        let pin = Pin::new("123456\n");
        assert_eq!(pin.expose(), "123456");
        assert!(!format!("{pin:?}").contains("1234"));
    }
}
