//! The system's own programs, per operating system: the file manager on a file's folder
//! ("Afficher dans le dossier") and the program for a file's type ("Ouvrir dans le lecteur
//! PDF"). What to start is decided here for every system and tested on every one; starting it
//! is one `Command::spawn`.

use std::ffi::OsString;
use std::path::Path;

use crate::error::{input, ApiResult};

/// The operating systems the window ships on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Windows (Explorer).
    Windows,
    /// macOS (Finder).
    Mac,
    /// Linux and other Unix desktops (freedesktop's `xdg-open`).
    Linux,
}

impl Os {
    /// The system the window runs on.
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::Mac
        } else {
            Os::Linux
        }
    }
}

/// A program to start and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program.
    pub program: &'static str,
    /// Its arguments.
    pub args: Vec<OsString>,
}

/// The file manager showing `file` in its folder (selected where the system can).
pub fn reveal(os: Os, file: &Path) -> Launch {
    match os {
        // One argument "/select,<path>": Explorer reads it whole (a path with commas too).
        Os::Windows => {
            let mut arg = OsString::from("/select,");
            arg.push(file.as_os_str());
            Launch {
                program: "explorer.exe",
                args: vec![arg],
            }
        }
        Os::Mac => Launch {
            program: "open",
            args: vec!["-R".into(), file.into()],
        },
        Os::Linux => Launch {
            program: "xdg-open",
            args: vec![file.parent().unwrap_or(file).into()],
        },
    }
}

/// The system's program for `file`'s type.
pub fn open(os: Os, file: &Path) -> Launch {
    match os {
        // Explorer opens a file with its associated program, without a shell to parse the
        // name (`cmd /c start` would read `&` or `^` in it).
        Os::Windows => Launch {
            program: "explorer.exe",
            args: vec![file.into()],
        },
        Os::Mac => Launch {
            program: "open",
            args: vec![file.into()],
        },
        Os::Linux => Launch {
            program: "xdg-open",
            args: vec![file.into()],
        },
    }
}

/// Starts `launch` without waiting for it (the clerk closes it).
pub fn run(launch: &Launch) -> ApiResult<()> {
    std::process::Command::new(launch.program)
        .args(&launch.args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| {
            input(
                "desktop.system_program",
                format!(
                    "Le programme du système ({}) n'a pas pu être lancé ({e}). Ouvrez le \
                     dossier des téléchargements vous-même depuis l'explorateur de fichiers.",
                    launch.program
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_system_shows_the_file_in_its_own_file_manager() {
        let f = Path::new("/home/etude/Téléchargements/REF 1, lot & co.pdf");
        let w = reveal(Os::Windows, f);
        assert_eq!(w.program, "explorer.exe");
        assert_eq!(
            w.args,
            vec![OsString::from(
                "/select,/home/etude/Téléchargements/REF 1, lot & co.pdf"
            )]
        );
        let m = reveal(Os::Mac, f);
        assert_eq!((m.program, m.args.len()), ("open", 2));
        assert_eq!(m.args[0], "-R");
        let l = reveal(Os::Linux, f);
        assert_eq!(l.program, "xdg-open");
        assert_eq!(l.args, vec![OsString::from("/home/etude/Téléchargements")]);
    }

    #[test]
    fn a_file_opens_with_its_program_and_no_shell_reads_its_name() {
        let f = Path::new("/tmp/a&b^c.pdf");
        for os in [Os::Windows, Os::Mac, Os::Linux] {
            let l = open(os, f);
            assert_ne!(l.program, "cmd", "{os:?}");
            assert_eq!(l.args.last().map(OsString::as_os_str), Some(f.as_os_str()));
        }
    }

    #[test]
    fn a_missing_program_is_a_french_error_not_a_panic() {
        let e = run(&Launch {
            program: "sceau-no-such-program",
            args: vec![],
        })
        .unwrap_err();
        assert_eq!(e.code, "desktop.system_program");
        assert!(e.message.contains("n'a pas pu être lancé"), "{}", e.message);
    }
}
