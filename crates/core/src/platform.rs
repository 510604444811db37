//! The operating system as a value. What differs between the offices' systems (where the
//! database key is kept, where a token's PKCS#11 module is installed, where data and settings
//! live) is decided by plain functions taking an [`Os`], so every system's choice is tested on
//! any of them; only the thin adapters that call the system itself sit behind `cfg`.

/// An operating system family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    /// Linux (and other freedesktop systems).
    Linux,
    /// Windows.
    Windows,
    /// macOS.
    MacOs,
    /// Any other system: nothing system-specific is known there.
    Other,
}

impl Os {
    /// The system this binary was built for (a compile-time constant).
    pub const fn current() -> Os {
        if cfg!(target_os = "linux") {
            Os::Linux
        } else if cfg!(target_os = "windows") {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Other
        }
    }

    /// Its name in a sentence shown to a user (French).
    pub fn name_fr(self) -> &'static str {
        match self {
            Os::Linux => "Linux",
            Os::Windows => "Windows",
            Os::MacOs => "macOS",
            Os::Other => "ce système",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Os;

    #[test]
    fn this_build_knows_its_system() {
        assert_eq!(Os::current() == Os::Linux, cfg!(target_os = "linux"));
        assert_eq!(Os::current() == Os::Windows, cfg!(windows));
        assert_eq!(Os::MacOs.name_fr(), "macOS");
    }
}
