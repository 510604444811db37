//! The one raw PKCS#11 call cryptoki does not offer in the shape we need.
//!
//! For keys with `CKA_ALWAYS_AUTHENTICATE`, the PIN must be given again with
//! `C_Login(CKU_CONTEXT_SPECIFIC)` *between* `C_SignInit` and `C_Sign`. cryptoki's `Session::sign`
//! always calls `C_SignInit` itself (it then fails with `CKR_OPERATION_ACTIVE`), and its multi-part
//! API does not help single-part mechanisms such as `CKM_ECDSA` or `CKM_RSA_PKCS`. So after
//! `sign_init` (and the context login) we call `C_Sign` through a second handle on the same
//! library: the dynamic loader returns the already-loaded module, so the session handle is valid
//! there (checked on SoftHSM, see shared/VERIFIED.md).
#![allow(unsafe_code)]

use std::path::Path;

use cryptoki::context::Function;
use cryptoki::error::Rv;
use cryptoki_sys::{CKR_BUFFER_TOO_SMALL, CKR_OK, CK_RV, CK_SESSION_HANDLE, CK_ULONG};

/// A second handle on the loaded module, used only for `C_Sign`.
pub(crate) struct RawModule(cryptoki_sys::Pkcs11);

impl RawModule {
    /// Opens the module at `path` (already loaded by cryptoki: this only bumps its refcount).
    pub(crate) fn open(path: &Path) -> Result<Self, String> {
        // SAFETY: the library was already loaded and initialised by cryptoki from the same path;
        // loading it again runs no new initialisation code and only resolves symbols.
        let lib = unsafe { cryptoki_sys::Pkcs11::new(path) }.map_err(|e| e.to_string())?;
        if lib.C_Sign.is_err() {
            return Err("C_Sign missing".into());
        }
        Ok(RawModule(lib))
    }

    /// `C_Sign` on an operation already initialised by `C_SignInit` on `session`.
    pub(crate) fn sign(
        &self,
        session: CK_SESSION_HANDLE,
        data: &[u8],
    ) -> Result<Vec<u8>, cryptoki::error::Error> {
        // Large enough for RSA 4096 and ECDSA P-521; a bigger signature is asked again with the
        // length the module returns (the operation stays active after CKR_BUFFER_TOO_SMALL).
        let mut out = vec![0u8; 1024];
        let mut input = data.to_vec();
        loop {
            let mut len = out.len() as CK_ULONG;
            // SAFETY: `input` and `out` are live buffers whose lengths are passed alongside; the
            // module writes at most `len` bytes to `out` and updates `len`.
            let rv: CK_RV = unsafe {
                self.0.C_Sign(
                    session,
                    input.as_mut_ptr(),
                    input.len() as CK_ULONG,
                    out.as_mut_ptr(),
                    &mut len,
                )
            };
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if rv == CKR_BUFFER_TOO_SMALL && len > out.len() && len <= 1 << 16 {
                out.resize(len, 0);
                continue;
            }
            if rv != CKR_OK {
                Rv::from(rv).into_result(Function::Sign)?;
            }
            out.truncate(len.min(out.len()));
            return Ok(out);
        }
    }
}
