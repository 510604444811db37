//! Programs the tests run that come from a language registry rather than from Debian, installed
//! once under the target directory: the moto S3 server (PyPI). One install rule, used by
//! `cargo xtask setup` and by the test support when a test starts the program.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::run as sh;

/// The `moto_server` program (PyPI `moto[server]`): the one on the `PATH`, else the one in
/// `target/moto-venv`, installed there first if needed (python3-venv is a system package).
pub fn moto_server() -> Result<PathBuf> {
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v moto_server"])
        .output()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !p.is_empty() {
            return Ok(PathBuf::from(p));
        }
    }
    let venv = crate::target_dir().join("moto-venv");
    let program = venv.join("bin/moto_server");
    if program.exists() {
        return Ok(program);
    }
    sh(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .context("python3 -m venv (the python3-venv package)")?;
    sh(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "moto[server]"]))?;
    Ok(program)
}
