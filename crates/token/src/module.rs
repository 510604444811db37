//! Finding the PKCS#11 module of the office's key.
//!
//! Order: an explicit path (`--module`), then `SCEAU_PKCS11_MODULE`, then the configuration file,
//! then the vendors' usual install paths for this operating system ([`KNOWN_MODULES`]).

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Environment variable naming the PKCS#11 module.
pub const ENV_MODULE: &str = "SCEAU_PKCS11_MODULE";

pub use sceau_core::platform::Os;

/// One known install location of a vendor's PKCS#11 module.
#[derive(Debug, Clone, Copy)]
pub struct KnownModule {
    /// Vendor and product, as shown to the user.
    pub vendor: &'static str,
    /// Operating system.
    pub os: Os,
    /// Absolute path of the module. On Windows it may start with `%ProgramFiles%` or
    /// `%SystemRoot%`, read from the environment (Windows is not always on `C:`).
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
        r"%SystemRoot%\System32\IDPrimePKCS11.dll",
    ),
    m(
        "Thales IDPrime",
        Os::MacOs,
        "/usr/local/lib/libIDPrimePKCS11.dylib",
    ),
    // Gemalto IDGo 800 middleware (the IDPrime module before SAC 10): its own folder.
    m(
        "Thales IDPrime",
        Os::Windows,
        r"%ProgramFiles%\Gemalto\IDGo 800 PKCS#11\IDPrimePKCS11.dll",
    ),
    // SafeNet eToken, SafeNet Authentication Client (SAC admin guide, "PKCS#11 library" section).
    m("SafeNet eToken", Os::Linux, "/usr/lib/libeTPkcs11.so"),
    m(
        "SafeNet eToken",
        Os::Windows,
        r"%SystemRoot%\System32\eTPKCS11.dll",
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
        r"%SystemRoot%\System32\OcsCryptoki.dll",
    ),
    m(
        "IDEMIA (Oberthur) AWP",
        Os::Windows,
        r"%ProgramFiles%\Oberthur Technologies\AWP\DLLs\OcsCryptoki.dll",
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
        r"%ProgramFiles%\Yubico\Yubico PIV Tool\bin\libykcs11.dll",
    ),
    m(
        "Yubico YubiKey (ykcs11)",
        Os::MacOs,
        "/usr/local/lib/libykcs11.dylib",
    ),
    // Homebrew on Apple silicon (formula yubico-piv-tool, prefix /opt/homebrew).
    m(
        "Yubico YubiKey (ykcs11)",
        Os::MacOs,
        "/opt/homebrew/lib/libykcs11.dylib",
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
        r"%SystemRoot%\System32\opensc-pkcs11.dll",
    ),
    // OpenSC's MSI (0.20 and later) installs the module under its own folder.
    m(
        "OpenSC",
        Os::Windows,
        r"%ProgramFiles%\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll",
    ),
    m("OpenSC", Os::MacOs, "/Library/OpenSC/lib/opensc-pkcs11.so"),
    // OpenSC's macOS package also ships the module as a loadable bundle (for browsers);
    // a `.bundle` is resolved to its executable (`Contents/MacOS/<name>`).
    m(
        "OpenSC",
        Os::MacOs,
        "/Library/OpenSC/lib/opensc-pkcs11.bundle",
    ),
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
    Os::current()
}

/// Install directories that vendors record in the Windows registry, each read under
/// `HKEY_LOCAL_MACHINE`: (vendor, key, value, how to get the module from the value).
pub const REGISTRY_HINTS: &[RegistryHint] = &[
    // OpenSC records its configuration file, `<install dir>\opensc.conf` (OpenSC wiki,
    // "Windows": "the opensc config file is found using the registry key
    // HKLM\Software\OpenSC Project\OpenSC\ConfigFile"); the module is `pkcs11\` beside it.
    RegistryHint {
        vendor: "OpenSC",
        key: r"SOFTWARE\OpenSC Project\OpenSC",
        value: "ConfigFile",
        module: r"pkcs11\opensc-pkcs11.dll",
    },
    // OpenSC's PKCS#11 spy records the real module it wraps (same installer).
    RegistryHint {
        vendor: "OpenSC",
        key: r"SOFTWARE\PKCS11-Spy",
        value: "Module",
        module: "",
    },
];

/// Where a vendor's installer records, in the Windows registry, something the module's path
/// follows from.
#[derive(Debug, Clone, Copy)]
pub struct RegistryHint {
    /// Vendor and product, as shown to the user.
    pub vendor: &'static str,
    /// Key under `HKEY_LOCAL_MACHINE`.
    pub key: &'static str,
    /// String value of that key.
    pub value: &'static str,
    /// The module relative to the folder of the file the value names; empty when the value is
    /// the module itself.
    pub module: &'static str,
}

/// Reads string values of the Windows registry (`HKEY_LOCAL_MACHINE`). The real one exists
/// on Windows only ([`SystemRegistry`]); elsewhere, and in tests, any implementation will do.
pub trait Registry {
    /// The string `value` of `key`, if both exist.
    fn string(&self, key: &str, value: &str) -> Option<String>;
}

/// The system's registry: Windows' `HKEY_LOCAL_MACHINE`; empty on other systems.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRegistry;

impl Registry for SystemRegistry {
    #[cfg(windows)]
    fn string(&self, key: &str, value: &str) -> Option<String> {
        windows_registry::LOCAL_MACHINE
            .open(key)
            .ok()?
            .get_string(value)
            .ok()
    }

    #[cfg(not(windows))]
    fn string(&self, _key: &str, _value: &str) -> Option<String> {
        None
    }
}

/// The module a registry hint points to, from the value read.
fn hinted_module(hint: &RegistryHint, value: &str) -> PathBuf {
    if hint.module.is_empty() {
        return PathBuf::from(value);
    }
    let folder = value
        .rsplit_once(['\\', '/'])
        .map_or("", |(folder, _file)| folder);
    PathBuf::from(format!("{folder}\\{}", hint.module))
}

/// A known path with `%ProgramFiles%` and `%SystemRoot%` replaced from `env`; `None` when a
/// variable it needs is not set.
fn expand(path: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let mut out = path.to_owned();
    for var in ["ProgramFiles", "SystemRoot"] {
        let token = format!("%{var}%");
        if out.contains(&token) {
            out = out.replace(&token, env(var)?.trim_end_matches('\\'));
        }
    }
    Some(PathBuf::from(out))
}

/// A macOS `.bundle` is a folder: PKCS#11 loads the executable inside it.
fn bundle_executable(path: PathBuf) -> PathBuf {
    match (path.extension(), path.file_stem()) {
        (Some(ext), Some(stem)) if ext == "bundle" => {
            let stem = stem.to_owned();
            path.join("Contents/MacOS").join(stem)
        }
        _ => path,
    }
}

/// The candidate module paths for `os`, in probing order: the known paths (expanded), then on
/// Windows those the vendors recorded in the registry.
pub fn candidates(
    os: Os,
    env: &dyn Fn(&str) -> Option<String>,
    registry: &dyn Registry,
) -> Vec<PathBuf> {
    let known = KNOWN_MODULES
        .iter()
        .filter(|k| k.os == os)
        .filter_map(|k| expand(k.path, env))
        .map(bundle_executable);
    let hinted: Vec<PathBuf> = if os == Os::Windows {
        REGISTRY_HINTS
            .iter()
            .filter_map(|h| Some(hinted_module(h, &registry.string(h.key, h.value)?)))
            .collect()
    } else {
        Vec::new()
    };
    let mut out: Vec<PathBuf> = Vec::new();
    for p in known.chain(hinted) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
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
    let env = |name: &str| std::env::var(name).ok();
    probe(current_os(), &env, &SystemRegistry, |p| p.is_file())
}

/// Probes the [`candidates`] for `os` with `exists`.
pub fn probe(
    os: Os,
    env: &dyn Fn(&str) -> Option<String>,
    registry: &dyn Registry,
    exists: impl Fn(&Path) -> bool,
) -> Result<(PathBuf, ModuleSource)> {
    let candidates = candidates(os, env, registry);
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

    /// A registry for tests: a fixed map of (key, value) → string.
    struct FakeRegistry(Vec<(&'static str, &'static str, &'static str)>);

    impl Registry for FakeRegistry {
        fn string(&self, key: &str, value: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, v, _)| *k == key && *v == value)
                .map(|(_, _, s)| (*s).to_owned())
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn windows_env(name: &str) -> Option<String> {
        match name {
            "ProgramFiles" => Some(r"D:\Programmes".into()),
            "SystemRoot" => Some(r"D:\WINDOWS\".into()),
            _ => None,
        }
    }

    #[test]
    fn probing_prefers_real_middleware_to_softhsm() {
        let (p, _) = probe(Os::Linux, &no_env, &SystemRegistry, |p| {
            p.ends_with("libsofthsm2.so") || p.ends_with("libIDPrimePKCS11.so")
        })
        .unwrap();
        assert!(p.ends_with("libIDPrimePKCS11.so"));
        match probe(Os::Windows, &windows_env, &FakeRegistry(vec![]), |_| false) {
            Err(Error::ModuleNotFound { searched }) => {
                assert!(searched
                    .iter()
                    .all(|p| p.to_string_lossy().starts_with(r"D:\")
                        || p.to_string_lossy().starts_with(r"C:\")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn windows_paths_follow_the_system_folders_of_this_machine() {
        let found = candidates(Os::Windows, &windows_env, &FakeRegistry(vec![]));
        assert!(
            found.contains(&PathBuf::from(r"D:\WINDOWS\System32\eTPKCS11.dll")),
            "{found:?}"
        );
        assert!(found.contains(&PathBuf::from(
            r"D:\Programmes\Oberthur Technologies\AWP\DLLs\OcsCryptoki.dll"
        )));
        assert!(!found.iter().any(|p| p.to_string_lossy().contains('%')));
        // Without the variables, those rows are skipped rather than guessed.
        let bare = candidates(Os::Windows, &no_env, &FakeRegistry(vec![]));
        assert!(bare.iter().all(|p| !p.to_string_lossy().contains('%')));
        assert!(bare.len() < found.len());
    }

    #[test]
    fn windows_modules_recorded_in_the_registry_are_probed() {
        let registry = FakeRegistry(vec![(
            r"SOFTWARE\OpenSC Project\OpenSC",
            "ConfigFile",
            r"E:\Outils\OpenSC\opensc.conf",
        )]);
        let (p, s) = probe(Os::Windows, &windows_env, &registry, |p| {
            p == Path::new(r"E:\Outils\OpenSC\pkcs11\opensc-pkcs11.dll")
        })
        .unwrap();
        assert_eq!(
            p,
            PathBuf::from(r"E:\Outils\OpenSC\pkcs11\opensc-pkcs11.dll")
        );
        assert_eq!(s, ModuleSource::Probed);
        let spy = FakeRegistry(vec![(
            r"SOFTWARE\PKCS11-Spy",
            "Module",
            r"F:\p11\vendor.dll",
        )]);
        assert!(
            candidates(Os::Windows, &no_env, &spy).contains(&PathBuf::from(r"F:\p11\vendor.dll"))
        );
        // The registry is Windows' only.
        assert!(!candidates(Os::Linux, &no_env, &registry)
            .iter()
            .any(|p| p.to_string_lossy().contains("Outils")));
    }

    #[test]
    fn a_macos_bundle_is_loaded_through_its_executable() {
        let found = candidates(Os::MacOs, &no_env, &SystemRegistry);
        assert!(found.contains(&PathBuf::from(
            "/Library/OpenSC/lib/opensc-pkcs11.bundle/Contents/MacOS/opensc-pkcs11"
        )));
        assert!(!found
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "bundle")));
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
