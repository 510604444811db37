//! Independent checks by tools we did not write (OpenSSL), shared by tests and the demo.

use std::path::Path;
use std::process::Command;

/// `openssl cms -verify` of a detached DER signature `p7s` over `content`, trusting `ca_pem`;
/// `cades` adds `-cades` (which requires the ESS signing-certificate-v2 attribute). Returns
/// whether OpenSSL accepted it and everything it printed.
pub fn openssl_cms_verify(
    p7s: &Path,
    content: &Path,
    ca_pem: &Path,
    cades: bool,
) -> (bool, String) {
    let mut cmd = Command::new("openssl");
    cmd.args(["cms", "-verify"]);
    if cades {
        cmd.arg("-cades");
    }
    cmd.args(["-binary", "-inform", "DER", "-purpose", "any", "-out"])
        .arg(if cfg!(windows) { "NUL" } else { "/dev/null" })
        .arg("-in")
        .arg(p7s)
        .arg("-content")
        .arg(content)
        .arg("-CAfile")
        .arg(ca_pem);
    match cmd.output() {
        Ok(out) => (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ),
        Err(e) => (false, format!("cannot run openssl: {e}")),
    }
}
