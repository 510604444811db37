//! YubiKey discovery through PC/SC (feature `yubikey`).
//!
//! Signing with a YubiKey goes through Yubico's PKCS#11 module (`ykcs11`) like any other token;
//! this module only adds what the PKCS#11 view lacks for the user interface: the device serial,
//! its firmware version, and the PIV PIN tries left (read without spending one).

use serde::Serialize;

use crate::{Error, Result};

/// A YubiKey found on a PC/SC reader.
#[derive(Debug, Clone, Serialize)]
pub struct YubiKeyInfo {
    /// Name of the PC/SC reader.
    pub reader: String,
    /// Device serial number.
    pub serial: u32,
    /// Firmware version, `major.minor.patch`.
    pub firmware: String,
    /// PIV PIN tries left, when the device answered.
    pub pin_retries: Option<u8>,
}

/// YubiKeys currently plugged in. No PC/SC service or no reader gives an empty list; other
/// PC/SC failures are reported.
pub fn discover() -> Result<Vec<YubiKeyInfo>> {
    let mut ctx = match yubikey::reader::Context::open() {
        Ok(ctx) => ctx,
        // No PC/SC daemon or no reader: nothing to discover.
        Err(_) => return Ok(Vec::new()),
    };
    let readers = ctx.iter().map_err(|e| Error::Device {
        function: "PC/SC".into(),
        rv: e.to_string(),
    })?;
    let mut out = Vec::new();
    for reader in readers {
        // A reader that holds another card is not a YubiKey: skip it.
        let Ok(mut key) = reader.open() else { continue };
        let v = key.version();
        out.push(YubiKeyInfo {
            reader: reader.name().into_owned(),
            serial: key.serial().0,
            firmware: format!("{}.{}.{}", v.major, v.minor, v.patch),
            pin_retries: key.get_pin_retries().ok(),
        });
    }
    Ok(out)
}
