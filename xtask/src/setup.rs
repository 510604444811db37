//! `cargo xtask setup`: the system packages the project needs.
//!
//! Each later capability adds its packages to [`PACKAGES`] with the reason. Installation needs
//! root (or password-less sudo); otherwise the exact command is printed and setup fails, so that
//! `demo` and `test` never run half-equipped.

use std::process::Command;

use anyhow::{bail, Result};

/// Debian/Ubuntu packages, each with why it is needed.
pub const PACKAGES: &[(&str, &str)] = &[
    (
        "softhsm2",
        "a real PKCS#11 module standing in for the office's USB key",
    ),
    (
        "opensc",
        "pkcs11-tool, to fill test tokens and inspect them",
    ),
    (
        "openssl",
        "independent oracle: openssl cms -verify, openssl ts (test TSA)",
    ),
    (
        "libpcsclite-dev",
        "PC/SC headers for the YubiKey discovery feature",
    ),
    (
        "pkg-config",
        "finds PC/SC when building the YubiKey feature",
    ),
    ("ca-certificates", "TLS roots for the package registries"),
    (
        "curl",
        "bench upload: the reference client (same certificate as the workstation's key)",
    ),
    (
        "postgresql",
        "vault metadata at scale; tests start a throw-away cluster on loopback",
    ),
    (
        "haproxy",
        "the load balancer (TCP pass-through) in front of two vault instances in tests",
    ),
    (
        "libxml2-utils",
        "xmllint: independent check of attestations against their XSD",
    ),
    (
        "python3-venv",
        "a virtualenv for the moto S3 server (PyPI moto[server]) used by vault tests",
    ),
    // PDF/A-1b conversion (sceau-pdfa) and its test oracles and corpus producers.
    (
        "libreoffice-writer-nogui",
        "office route: .doc/.docx/.odt to PDF/A-1 (LibreOffice headless)",
    ),
    (
        "ghostscript",
        "fallback PDF/A route; PostScript producer of the corpus",
    ),
    (
        "poppler-utils",
        "pdftotext/pdfinfo: text and pages kept, checked on every conversion and in tests",
    ),
    ("qpdf", "encrypted corpus files"),
    ("default-jre-headless", "runs Apache PDFBox Preflight"),
    (
        "libpdfbox2-java",
        "Apache PDFBox Preflight: independent PDF/A-1b validator (test oracle)",
    ),
    ("libactivation-java", "Preflight on Java 17"),
    ("libjaxb-api-java", "Preflight on Java 17"),
    ("libbcprov-java", "Preflight (PDFBox) on Java 17"),
    (
        "python3-reportlab",
        "corpus producer: PDFs with non-embedded standard fonts",
    ),
    (
        "python3-matplotlib",
        "corpus producer: figures with transparency",
    ),
    ("python3-cairo", "corpus producer: cairo PDFs"),
    (
        "python3-aiosmtpd",
        "a real SMTP server on loopback receiving the vault's notifications in tests",
    ),
    (
        "python3-yaml",
        "independent YAML parser: the release workflow (.github/workflows) is checked with it",
    ),
    (
        "python3-jsonschema",
        "independent JSON-Schema validator: banks' structured answers vs the published schema",
    ),
    ("chromium", "corpus producer: print-to-PDF of a styled page"),
    (
        "libssl-dev",
        "libcrypto headers: SQLCipher (the local store's encryption) links the system OpenSSL",
    ),
    (
        "libdbus-1-dev",
        "D-Bus headers: the local store's key is kept in the Secret Service (GNOME Keyring, KWallet)",
    ),
    (
        "gnome-keyring",
        "a real Secret Service for the store's key tests (under dbus-run-session)",
    ),
    // The desktop window (src-tauri, Tauri 2 on WebKitGTK) and its WebDriver tests.
    (
        "libwebkit2gtk-4.1-dev",
        "the desktop window's web view (Tauri 2 on Linux)",
    ),
    ("build-essential", "C tool chain for the GTK/WebKit bindings"),
    ("libxdo-dev", "Tauri's keyboard/menu support on X11"),
    (
        "libayatana-appindicator3-dev",
        "Tauri's tray support (linked by the Linux build)",
    ),
    ("librsvg2-dev", "SVG icons in GTK"),
    (
        "xvfb",
        "a virtual display: the window's WebDriver tests and `bench app` run headless",
    ),
    ("xauth", "xvfb-run's display authorisation"),
    (
        "x11-apps",
        "xwd: the window tests' screenshots, read from the virtual display",
    ),
    (
        "webkit2gtk-driver",
        "WebKitWebDriver, which tauri-driver drives for the window's end-to-end tests",
    ),
];

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", pkg])
        .output()
        .map(|o| o.status.success() && o.stdout == b"installed")
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn has_passwordless_sudo() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Installs what is missing: system packages, then a Node.js recent enough for the front end
/// (from PyPI when the system's is older, as on Debian 12), the moto S3 server the vault tests
/// use (PyPI, in a virtualenv under target/), playwright-core for the portal's browser spec
/// (npm), tauri-driver, cargo-deny and Garage (crates.io). Quick when everything is there.
pub fn run() -> Result<()> {
    packages()?;
    xtask::ui::ensure_node()?;
    let moto = xtask::tools::moto_server()?;
    eprintln!("setup: moto S3 server: {}", moto.display());
    portal_spec()?;
    // The WebDriver proxy of Tauri apps, for the window's end-to-end tests.
    cargo_tool("tauri-driver", "tauri-driver", None)?;
    // The dependency tree's licences, sources and advisories (`deny.toml`).
    cargo_tool("cargo-deny", "cargo-deny", Some(CARGO_DENY))?;
    // A real distributed S3 store for the vault's multi-instance tests and benches (a long
    // first build, then cached in cargo's bin directory).
    cargo_tool_with(
        "garage",
        "garage",
        Some(GARAGE),
        &["--no-default-features", "--features", "bundled-libs,sqlite"],
    )?;
    Ok(())
}

/// The Garage release the vault's tests and benches run (SQLite metadata, bundled libraries).
const GARAGE: &str = "2.5.0";

/// The cargo-deny release `cargo xtask test` runs (its checks and `deny.toml` format).
const CARGO_DENY: &str = "0.20.2";

/// Installs the crates.io tool `krate` (at `version` when given) unless `command` is on the
/// PATH.
fn cargo_tool(krate: &str, command: &str, version: Option<&str>) -> Result<()> {
    cargo_tool_with(krate, command, version, &[])
}

/// [`cargo_tool`] with `extra` arguments to `cargo install` (features).
fn cargo_tool_with(
    krate: &str,
    command: &str,
    version: Option<&str>,
    extra: &[&str],
) -> Result<()> {
    if xtask::has_command(command) {
        eprintln!("setup: {command} is installed");
        return Ok(());
    }
    let mut cmd = Command::new(xtask::cargo_program());
    cmd.args(["install", krate, "--locked"]);
    if let Some(v) = version {
        cmd.args(["--version", v]);
    }
    cmd.args(extra);
    eprintln!("setup: {}", xtask::display(&cmd));
    xtask::run(&mut cmd)
}

/// playwright-core for the portal's browser spec, pinned by `tests/portal/package-lock.json`;
/// the browser is Debian's chromium, never a download.
fn portal_spec() -> Result<()> {
    let dir = xtask::root().join("tests/portal");
    if dir.join("node_modules/playwright-core").exists() {
        eprintln!("setup: playwright-core is installed");
        return Ok(());
    }
    eprintln!("setup: npm ci in tests/portal (playwright-core)");
    let mut cmd = xtask::npm();
    cmd.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    xtask::run(&mut cmd)
}

/// The Debian/Ubuntu packages of [`PACKAGES`] that are missing, installed (or the command printed).
pub fn packages() -> Result<()> {
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "setup: not a Debian/Ubuntu system; install the equivalents of: {}",
            PACKAGES
                .iter()
                .map(|(p, _)| *p)
                .collect::<Vec<_>>()
                .join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = PACKAGES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        eprintln!(
            "setup: all {} system packages are installed",
            PACKAGES.len()
        );
        return Ok(());
    }
    let install = format!(
        "apt-get update && apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    let prefix: Vec<&str> = if is_root() {
        vec![]
    } else if has_passwordless_sudo() {
        vec!["sudo", "-n"]
    } else {
        bail!(
            "missing packages: {}\nrun as root:\n  sudo sh -c '{install}'",
            missing.join(" ")
        );
    };
    eprintln!("setup: installing {}", missing.join(" "));
    for args in [
        vec!["apt-get", "update", "-qq"],
        [
            vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"],
            missing.clone(),
        ]
        .concat(),
    ] {
        let full: Vec<&str> = prefix.iter().copied().chain(args).collect();
        let mut cmd = Command::new(full[0]);
        cmd.args(&full[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        xtask::run(&mut cmd)?;
    }
    let still: Vec<&str> = missing.into_iter().filter(|p| !installed(p)).collect();
    if !still.is_empty() {
        bail!(
            "packages still missing after installation: {}",
            still.join(" ")
        );
    }
    Ok(())
}
