//! Where Sceau keeps its settings, its local data and its logs on each system: the one rule,
//! a plain function of the system and its environment, used by the window and the CLI.
//!
//! | | settings | data (store, archives, outbox) | logs |
//! |---|---|---|---|
//! | Linux (XDG) | `$XDG_CONFIG_HOME/sceau` or `~/.config/sceau` | `$XDG_DATA_HOME/sceau` or `~/.local/share/sceau` | `$XDG_STATE_HOME/sceau/logs` or `~/.local/state/sceau/logs` |
//! | Windows | `%APPDATA%\Sceau` (roams with the user) | `%LOCALAPPDATA%\Sceau\data` (this computer only) | `%LOCALAPPDATA%\Sceau\logs` |
//! | macOS | `~/Library/Application Support/Sceau` | `~/Library/Application Support/Sceau/data` | `~/Library/Logs/Sceau` |
//!
//! Windows keeps the database on the computer (`LOCALAPPDATA`): a roaming profile would copy
//! an encrypted database whose key stays in this computer's Credential Manager.

use std::ffi::OsString;
use std::path::PathBuf;

pub use sceau_core::platform::Os;

/// The folders of one user on one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    /// Settings: `config.toml` (shared by the CLI and the window) and `desktop.toml`.
    pub config: PathBuf,
    /// The local store, its archives, outbox and work files.
    pub data: PathBuf,
    /// Log files for support.
    pub logs: PathBuf,
}

/// The folders for `os`, from `env` (the process environment, passed in so that every system's
/// rule is tested anywhere). `None` when the variables the system's convention needs are absent
/// (no `HOME`, no `APPDATA`...): the caller says so rather than writing somewhere unexpected.
pub fn folders(os: Os, env: &dyn Fn(&str) -> Option<OsString>) -> Option<Folders> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    match os {
        Os::Linux | Os::Other => {
            let home = var("HOME");
            let xdg = |name: &str, fallback: &str| {
                var(name).or_else(|| home.as_ref().map(|h| h.join(fallback)))
            };
            Some(Folders {
                config: xdg("XDG_CONFIG_HOME", ".config")?.join("sceau"),
                data: xdg("XDG_DATA_HOME", ".local/share")?.join("sceau"),
                logs: xdg("XDG_STATE_HOME", ".local/state")?.join("sceau/logs"),
            })
        }
        Os::Windows => {
            let local = var("LOCALAPPDATA")?.join("Sceau");
            Some(Folders {
                config: var("APPDATA")?.join("Sceau"),
                data: local.join("data"),
                logs: local.join("logs"),
            })
        }
        Os::MacOs => {
            let library = var("HOME")?.join("Library");
            let support = library.join("Application Support/Sceau");
            Some(Folders {
                config: support.clone(),
                data: support.join("data"),
                logs: library.join("Logs/Sceau"),
            })
        }
    }
}

/// The folders of the user running this process on this system.
pub fn user_folders() -> Option<Folders> {
    folders(Os::current(), &|name| std::env::var_os(name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn linux_follows_xdg_with_home_fallbacks() {
        let f = folders(Os::Linux, &env_of(&[("HOME", "/home/clerc")])).unwrap();
        assert_eq!(f.config, Path::new("/home/clerc/.config/sceau"));
        assert_eq!(f.data, Path::new("/home/clerc/.local/share/sceau"));
        assert_eq!(f.logs, Path::new("/home/clerc/.local/state/sceau/logs"));
        let f = folders(
            Os::Linux,
            &env_of(&[
                ("HOME", "/home/clerc"),
                ("XDG_CONFIG_HOME", "/cfg"),
                ("XDG_DATA_HOME", "/data"),
                ("XDG_STATE_HOME", ""),
            ]),
        )
        .unwrap();
        assert_eq!(f.config, Path::new("/cfg/sceau"));
        assert_eq!(f.data, Path::new("/data/sceau"));
        assert_eq!(f.logs, Path::new("/home/clerc/.local/state/sceau/logs"));
        assert_eq!(folders(Os::Linux, &env_of(&[])), None);
    }

    #[test]
    fn windows_roams_settings_and_keeps_data_and_logs_on_the_computer() {
        let env = env_of(&[
            ("APPDATA", r"C:\Users\clerc\AppData\Roaming"),
            ("LOCALAPPDATA", r"C:\Users\clerc\AppData\Local"),
            // XDG variables set by a tool must not move an office's data on Windows.
            ("XDG_DATA_HOME", "/tmp/x"),
            ("HOME", "/tmp/h"),
        ]);
        let f = folders(Os::Windows, &env).unwrap();
        assert_eq!(
            f.config,
            PathBuf::from(r"C:\Users\clerc\AppData\Roaming").join("Sceau")
        );
        assert_eq!(
            f.data,
            PathBuf::from(r"C:\Users\clerc\AppData\Local")
                .join("Sceau")
                .join("data")
        );
        assert_eq!(
            f.logs,
            PathBuf::from(r"C:\Users\clerc\AppData\Local")
                .join("Sceau")
                .join("logs")
        );
        assert_eq!(folders(Os::Windows, &env_of(&[("APPDATA", "x")])), None);
    }

    #[test]
    fn macos_uses_application_support_and_library_logs() {
        let env = env_of(&[("HOME", "/Users/clerc"), ("XDG_CONFIG_HOME", "/tmp/x")]);
        let f = folders(Os::MacOs, &env).unwrap();
        assert_eq!(
            f.config,
            Path::new("/Users/clerc/Library/Application Support/Sceau")
        );
        assert_eq!(
            f.data,
            Path::new("/Users/clerc/Library/Application Support/Sceau/data")
        );
        assert_eq!(f.logs, Path::new("/Users/clerc/Library/Logs/Sceau"));
    }
}
