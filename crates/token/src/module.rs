//! Finding the PKCS#11 module of the office's key.
//!
//! Order: an explicit path (`--module`), then `SCEAU_PKCS11_MODULE`, then the configuration file,
//! then the vendors' usual install paths for this operating system ([`KNOWN_MODULES`]).

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Environment variable naming the PKCS#11 module.
pub const ENV_MODULE: &str = "SCEAU_PKCS11_MODULE";

/// Operating system a known path applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux (Debian, Ubuntu, RHEL...).
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

/// One known install location of a vendor's PKCS#11 module.
#[derive(Debug, Clone, Copy)]
pub struct KnownModule {
    /// Vendor and product, as shown to the user.
    pub vendor: &'static str,
    /// Operating system.
    pub os: Os,
    /// Absolute path of the module.
    pub path: &'static str,
}

const fn m(vendor: &'static str, os: Os, path: &'static str) -> KnownModule {
    KnownModule { vendor, os, path }
}

/// Known module paths, probed in this order. Real smart-card middleware comes first so that a
/// test module (SoftHSM) installed on the same machine is never preferred to the office's key.
pub const KNOWN_MODULES: &[KnownModule] = &[
    // Thales (Gemalto) IDPrime, SafeNet Authentication Client 10.x: the client installs
    // libIDPrimePKCS11 next to the eToken library (SAC 10.8 Linux/Windows/macOS admin guides).
    m("Thales IDPrime", Os::Linux, "/usr/lib/libIDPrimePKCS11.so"),
    m(
        "Thales IDPrime",
        Os::Windows,
        r"C:\Windows\System32\IDPrimePKCS11.dll",
    ),
    m(
        "Thales IDPrime",
        Os::MacOs,
        "/usr/local/lib/libIDPrimePKCS11.dylib",
    ),
    // SafeNet eToken, SafeNet Authentication Client (SAC admin guide, "PKCS#11 library" section).
    m("SafeNet eToken", Os::Linux, "/usr/lib/libeTPkcs11.so"),
    m(
        "SafeNet eToken",
        Os::Windows,
        r"C:\Windows\System32\eTPKCS11.dll",
    ),
    m(
        "SafeNet eToken",
        Os::MacOs,
        "/usr/local/lib/libeTPkcs11.dylib",
    ),
    // Oberthur / IDEMIA AWP (Certeurope "Class 3+" keys ship with it; Certeurope install notes:
    // "OcsCryptoki" library of the AWP middleware).
    m(
        "IDEMIA (Oberthur) AWP",
        Os::Linux,
        "/usr/local/AWP/lib/libOcsCryptoki.so",
    ),
    m(
        "IDEMIA (Oberthur) AWP",
        Os::Windows,
        r"C:\Windows\System32\OcsCryptoki.dll",
    ),
    m(
        "IDEMIA (Oberthur) AWP",
        Os::Windows,
        r"C:\Program Files\Oberthur Technologies\AWP\DLLs\OcsCryptoki.dll",
    ),
    m(
        "IDEMIA (Oberthur) AWP",
        Os::MacOs,
        "/Applications/Oberthur/AWP/lib/libOcsCryptoki.dylib",
    ),
    // Yubico ykcs11 (Yubico PIV Tool documentation; Debian package ykcs11).
    m(
        "Yubico YubiKey (ykcs11)",
        Os::Linux,
        "/usr/lib/x86_64-linux-gnu/libykcs11.so",
    ),
    m(
        "Yubico YubiKey (ykcs11)",
        Os::Linux,
        "/usr/lib/aarch64-linux-gnu/libykcs11.so",
    ),
    m(
        "Yubico YubiKey (ykcs11)",
        Os::Linux,
        "/usr/local/lib/libykcs11.so",
    ),
    m(
        "Yubico YubiKey (ykcs11)",
        Os::Windows,
        r"C:\Program Files\Yubico\Yubico PIV Tool\bin\libykcs11.dll",
    ),
    m(
        "Yubico YubiKey (ykcs11)",
        Os::MacOs,
        "/usr/local/lib/libykcs11.dylib",
    ),
    // OpenSC (Debian package opensc-pkcs11 file list; OpenSC Windows MSI and macOS installer).
    m(
        "OpenSC",
        Os::Linux,
        "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    ),
    m(
        "OpenSC",
        Os::Linux,
        "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    ),
    m("OpenSC", Os::Linux, "/usr/lib64/opensc-pkcs11.so"),
    m(
        "OpenSC",
        Os::Windows,
        r"C:\Windows\System32\opensc-pkcs11.dll",
    ),
    m("OpenSC", Os::MacOs, "/Library/OpenSC/lib/opensc-pkcs11.so"),
    // SoftHSM2, the software token used for tests and the demo (Debian package softhsm2-common
    // file list; Homebrew formula softhsm; SoftHSM2 Windows installer default).
    m("SoftHSM2", Os::Linux, "/usr/lib/softhsm/libsofthsm2.so"),
    m(
        "SoftHSM2",
        Os::Linux,
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    ),
    m(
        "SoftHSM2",
        Os::Linux,
        "/usr/local/lib/softhsm/libsofthsm2.so",
    ),
    m("SoftHSM2", Os::Windows, r"C:\SoftHSM2\lib\softhsm2-x64.dll"),
    m(
        "SoftHSM2",
        Os::MacOs,
        "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    ),
    m(
        "SoftHSM2",
        Os::MacOs,
        "/usr/local/lib/softhsm/libsofthsm2.so",
    ),
];

/// The operating system this binary was built for.
pub fn current_os() -> Os {
    if cfg!(windows) {
        Os::Windows
    } else if cfg!(target_os = "macos") {
        Os::MacOs
    } else {
        Os::Linux
    }
}

/// Where the module path came from, for messages and `token list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleSource {
    /// `--module` on the command line (or the application's settings).
    Explicit,
    /// The `SCEAU_PKCS11_MODULE` environment variable.
    Environment,
    /// The configuration file.
    Config,
    /// Found among the known vendor paths.
    Probed,
}

/// Resolves the module path. `explicit` is `--module`; `env` the value of
/// [`ENV_MODULE`] (passed in so the function stays pure); `config` the configuration file's value.
/// An explicit, environment or configured path must exist: it is never silently replaced by a
/// probed one.
pub fn resolve(
    explicit: Option<&Path>,
    env: Option<&Path>,
    config: Option<&Path>,
) -> Result<(PathBuf, ModuleSource)> {
    let given = [
        (explicit, ModuleSource::Explicit),
        (env, ModuleSource::Environment),
        (config, ModuleSource::Config),
    ];
    for (path, source) in given {
        if let Some(p) = path.filter(|p| !p.as_os_str().is_empty()) {
            if !p.exists() {
                return Err(Error::ModuleMissing {
                    path: p.to_path_buf(),
                });
            }
            return Ok((p.to_path_buf(), source));
        }
    }
    probe(current_os(), |p| p.is_file())
}

/// Probes [`KNOWN_MODULES`] for `os` with `exists`.
pub fn probe(os: Os, exists: impl Fn(&Path) -> bool) -> Result<(PathBuf, ModuleSource)> {
    let candidates: Vec<PathBuf> = KNOWN_MODULES
        .iter()
        .filter(|k| k.os == os)
        .map(|k| PathBuf::from(k.path))
        .collect();
    candidates
        .iter()
        .find(|p| exists(p))
        .map(|p| (p.clone(), ModuleSource::Probed))
        .ok_or(Error::ModuleNotFound {
            searched: candidates,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins_and_must_exist() {
        let dir = std::env::temp_dir();
        let (p, s) = resolve(Some(&dir), None, None).unwrap();
        assert_eq!((p, s), (dir.clone(), ModuleSource::Explicit));
        let missing = Path::new("/nonexistent/libmissing.so");
        assert!(matches!(
            resolve(Some(missing), Some(&dir), None),
            Err(Error::ModuleMissing { .. })
        ));
        let (_, s) = resolve(None, Some(&dir), Some(missing)).unwrap();
        assert_eq!(s, ModuleSource::Environment);
    }

    #[test]
    fn probing_prefers_real_middleware_to_softhsm() {
        let (p, _) = probe(Os::Linux, |p| {
            p.ends_with("libsofthsm2.so") || p.ends_with("libIDPrimePKCS11.so")
        })
        .unwrap();
        assert!(p.ends_with("libIDPrimePKCS11.so"));
        match probe(Os::Windows, |_| false) {
            Err(Error::ModuleNotFound { searched }) => {
                assert!(searched
                    .iter()
                    .all(|p| p.to_string_lossy().contains(r"C:\")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_vendor_has_a_row_for_every_os() {
        for vendor in [
            "Thales IDPrime",
            "SafeNet eToken",
            "IDEMIA (Oberthur) AWP",
            "OpenSC",
            "SoftHSM2",
        ] {
            for os in [Os::Linux, Os::MacOs, Os::Windows] {
                assert!(
                    KNOWN_MODULES
                        .iter()
                        .any(|k| k.vendor == vendor && k.os == os),
                    "{vendor} {os:?}"
                );
            }
        }
    }
}
