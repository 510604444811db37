//! The token worker: one thread owns the loaded PKCS#11 module and its sessions.
//!
//! PKCS#11 sessions must not be used from two threads at once, and a token call can take seconds
//! (a PIN pad, a slow card). Every call is therefore a job sent to this thread; the caller gets a
//! [`Call`] it can `.await` or [`Call::wait`] on, so neither the window nor an async runtime
//! blocks on the token.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin as StdPin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::certs::{CertificateInfo, KeyPresence};
use crate::raw::RawModule;
use crate::signer::Mech;
use crate::{Error, FinalTry, Pin, Result};

/// The PIN state a token reports, to warn before a risky attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PinStatus {
    /// The token needs a login before its private keys can be used.
    pub login_required: bool,
    /// A wrong PIN was entered since the last success: few tries may be left.
    pub count_low: bool,
    /// The next wrong PIN locks the token.
    pub final_try: bool,
    /// The PIN is locked.
    pub locked: bool,
    /// The PIN is typed on the reader's own pad, not in the application.
    pub pin_pad: bool,
    /// The PIN must be changed before use.
    pub to_be_changed: bool,
}

/// A token present in a slot.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Slot identifier in this process (changes between runs: never persist it).
    pub slot_id: u64,
    /// Description of the reader/slot.
    pub slot_description: String,
    /// Token label.
    pub label: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Serial number: the stable way to designate a token.
    pub serial: String,
    /// PIN flags.
    pub pin: PinStatus,
    /// Shortest PIN accepted.
    pub pin_min_len: usize,
    /// Longest PIN accepted.
    pub pin_max_len: usize,
}

/// Which token to use: by label or serial; `Any` means "the only one present".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenSelector {
    /// The single token present (an error if there are several).
    #[default]
    Any,
    /// A token whose label or serial number is this.
    LabelOrSerial(String),
}

impl TokenSelector {
    /// Builds a selector from an optional `--token` value.
    pub fn from_option(value: Option<&str>) -> Self {
        value.map_or(TokenSelector::Any, |v| {
            TokenSelector::LabelOrSerial(v.to_string())
        })
    }
}

/// A pending token call: `.await` it, or [`Call::wait`] from a thread that is not running an
/// async executor.
#[must_use = "a token call does nothing useful unless its result is awaited"]
pub struct Call<R>(oneshot::Receiver<Result<R>>);

impl<R> Call<R> {
    /// Blocks the current thread until the token answers. Must not be called from inside an
    /// async task (use `.await` there).
    pub fn wait(self) -> Result<R> {
        self.0.blocking_recv().unwrap_or(Err(Error::WorkerGone))
    }
}

impl<R> Future for Call<R> {
    type Output = Result<R>;
    fn poll(mut self: StdPin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        StdPin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(Error::WorkerGone)))
    }
}

type Job = Box<dyn FnOnce(&mut Engine) + Send>;

/// Handle on a loaded PKCS#11 module. Cheap to clone; the module is finalised when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Tokens {
    inner: Arc<Inner>,
    module: PathBuf,
}

/// The worker's channel and thread. Dropping the last handle closes the channel and *waits* for
/// the worker to finalise the module: a process that exited while the worker was still inside
/// `C_Finalize` would run the module's static destructors concurrently and crash.
struct Inner {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("module", &self.module)
            .finish()
    }
}

impl Tokens {
    /// Loads and initialises the PKCS#11 module at `module` on a new worker thread.
    pub fn open(module: &Path) -> Result<Self> {
        if !module.exists() {
            return Err(Error::ModuleMissing {
                path: module.to_path_buf(),
            });
        }
        if !module.is_file() {
            return Err(Error::NotAPkcs11Module {
                path: module.to_path_buf(),
                detail: "not a file".into(),
            });
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<()>>();
        let path = module.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("sceau-token".into())
            .spawn(move || match Engine::start(&path) {
                Ok(mut engine) => {
                    let _ = ready_tx.send(Ok(()));
                    while let Ok(job) = rx.recv() {
                        job(&mut engine);
                    }
                    engine.stop();
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|_| Error::WorkerGone)?;
        if let Err(e) = ready_rx.recv().unwrap_or(Err(Error::WorkerGone)) {
            let _ = thread.join();
            return Err(e);
        }
        tracing::debug!(module = %module.display(), "PKCS#11 module loaded");
        Ok(Tokens {
            inner: Arc::new(Inner {
                tx: Some(tx),
                thread: Some(thread),
            }),
            module: module.to_path_buf(),
        })
    }

    /// Path of the loaded module.
    pub fn module(&self) -> &Path {
        &self.module
    }

    fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Engine) -> Result<R> + Send + 'static,
    ) -> Call<R> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |engine| {
            let _ = tx.send(f(engine));
        });
        // If the worker is gone the job (and its sender) is dropped: the call yields WorkerGone.
        if let Some(tx) = &self.inner.tx {
            let _ = tx.send(job);
        }
        Call(rx)
    }

    /// Tokens present in the slots.
    pub fn list(&self) -> Call<Vec<TokenInfo>> {
        self.submit(|e| e.list())
    }

    /// Certificates of the selected token, each paired with its key by `CKA_ID`.
    pub fn certificates(&self, token: &TokenSelector) -> Call<Vec<CertificateInfo>> {
        let token = token.clone();
        self.submit(move |e| e.certificates(&token))
    }

    /// Logs the user in (if not already) with `pin`; checks the PIN flags first.
    pub fn login(&self, token: &TokenSelector, pin: Pin, final_try: FinalTry) -> Call<()> {
        let token = token.clone();
        self.submit(move |e| {
            let (slot, info) = e.resolve(&token)?;
            e.ensure_login(slot, &info, &pin, final_try)
        })
    }

    /// Ends the user session on the selected token.
    pub fn logout(&self, token: &TokenSelector) -> Call<()> {
        let token = token.clone();
        self.submit(move |e| e.logout(&token))
    }

    /// Signs `payload` with the private key `key_id` of token `token_serial` using `mechanism`.
    /// The PIN is used for the user login if needed and, for keys with
    /// `CKA_ALWAYS_AUTHENTICATE`, for the context-specific login of this one signature.
    pub(crate) fn sign_raw(
        &self,
        token_serial: &str,
        key_id: Vec<u8>,
        mechanism: Mech,
        payload: Vec<u8>,
        pin: Pin,
        final_try: FinalTry,
    ) -> Call<Vec<u8>> {
        let token = TokenSelector::LabelOrSerial(token_serial.to_string());
        self.submit(move |e| e.sign(&token, &key_id, mechanism, payload, &pin, final_try))
    }

    /// Starts a run of `count` signatures with the private key `key_id`: one job on the worker
    /// that finds the token, logs in and finds the key once, then, for each signature, starts
    /// the operation (`C_SignInit`, and for a key with `CKA_ALWAYS_AUTHENTICATE` its own
    /// context-specific login with `pin`) *before* its payload arrives, so that the token works
    /// while the caller hashes. The worker serves no other call until the run ends: feed it
    /// promptly, from a thread that does not wait on another token call meanwhile.
    pub(crate) fn sign_run(
        &self,
        token_serial: &str,
        key_id: Vec<u8>,
        mechanism: Mech,
        count: usize,
        pin: Pin,
        final_try: FinalTry,
    ) -> Run {
        let (payload_tx, payload_rx) = mpsc::channel::<Vec<u8>>();
        let (result_tx, result_rx) = mpsc::channel::<Result<Vec<u8>>>();
        let token = TokenSelector::LabelOrSerial(token_serial.to_string());
        let job: Job = Box::new(move |e| {
            e.sign_run(
                &token,
                &key_id,
                mechanism,
                count,
                &pin,
                final_try,
                &payload_rx,
                &result_tx,
            );
        });
        // If the worker is gone the job (and its result sender) is dropped: WorkerGone.
        if let Some(tx) = &self.inner.tx {
            let _ = tx.send(job);
        }
        Run {
            payloads: Some(payload_tx),
            results: result_rx,
            left: count,
        }
    }
}

/// How long the worker waits for the next payload of a run before giving the run up (the
/// caller stalled): the token must not stay reserved for a caller that went away.
const RUN_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// The caller's end of a run of signatures (see [`Tokens::sign_run`]). Dropping it before the
/// last payload cancels the operation the worker has started for the next one.
pub(crate) struct Run {
    payloads: Option<mpsc::Sender<Vec<u8>>>,
    results: mpsc::Receiver<Result<Vec<u8>>>,
    left: usize,
}

impl Run {
    /// Signatures still expected in this run.
    pub(crate) fn left(&self) -> usize {
        self.left
    }

    /// Signs the next payload of the run and waits for the token.
    pub(crate) fn sign(&mut self, payload: Vec<u8>) -> Result<Vec<u8>> {
        self.left = self.left.saturating_sub(1);
        if let Some(tx) = &self.payloads {
            // A closed channel means the run already ended with an error, waiting below.
            let _ = tx.send(payload);
        }
        if self.left == 0 {
            self.payloads = None;
        }
        self.results.recv().unwrap_or(Err(Error::WorkerGone))
    }
}

/// State owned by the worker thread.
pub(crate) struct Engine {
    ctx: Pkcs11,
    raw: RawModule,
    sessions: HashMap<u64, Session>,
}

impl Engine {
    fn start(path: &Path) -> Result<Self> {
        let not_module = |detail: String| Error::NotAPkcs11Module {
            path: path.to_path_buf(),
            detail,
        };
        let ctx = Pkcs11::new(path).map_err(|e| not_module(e.to_string()))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(not_module(e.to_string())),
        }
        let raw = RawModule::open(path).map_err(not_module)?;
        Ok(Engine {
            ctx,
            raw,
            sessions: HashMap::new(),
        })
    }

    fn stop(mut self) {
        self.sessions.clear();
        let _ = self.ctx.clone().finalize();
    }

    fn list(&mut self) -> Result<Vec<TokenInfo>> {
        Ok(self.present()?.into_iter().map(|(_, info)| info).collect())
    }

    /// Initialised tokens that answer. A token that fails to describe itself (pulled out
    /// between two calls, or a module that lost its storage) is not present: callers turn its
    /// absence into "no token" or "token removed" as fits what they were doing.
    fn present(&self) -> Result<Vec<(Slot, TokenInfo)>> {
        let mut out = Vec::new();
        for slot in self.ctx.get_slots_with_token()? {
            let initialised = self
                .ctx
                .get_token_info(slot)
                .map(|t| t.token_initialized())
                .unwrap_or(false);
            if initialised {
                if let Ok(info) = self.token_info(slot) {
                    out.push((slot, info));
                }
            }
        }
        Ok(out)
    }

    fn token_info(&self, slot: Slot) -> Result<TokenInfo> {
        let t = self.ctx.get_token_info(slot)?;
        let s = self.ctx.get_slot_info(slot)?;
        Ok(TokenInfo {
            slot_id: slot.id(),
            slot_description: s.slot_description().trim().to_string(),
            label: t.label().trim().to_string(),
            manufacturer: t.manufacturer_id().trim().to_string(),
            model: t.model().trim().to_string(),
            serial: t.serial_number().trim().to_string(),
            pin: pin_status(&t),
            pin_min_len: t.min_pin_length(),
            pin_max_len: t.max_pin_length(),
        })
    }

    /// Finds the slot of the selected token. Slot ids are not stable across runs or re-plugs,
    /// so this is done for every call (it costs two cheap calls per slot).
    fn resolve(&mut self, sel: &TokenSelector) -> Result<(Slot, TokenInfo)> {
        let mut found = self.present()?;
        match sel {
            TokenSelector::Any => match found.len() {
                0 => Err(Error::NoToken),
                1 => Ok(found.remove(0)),
                _ => Err(Error::SeveralTokens {
                    labels: found.into_iter().map(|(_, i)| i.label).collect(),
                }),
            },
            TokenSelector::LabelOrSerial(want) => {
                if found.is_empty() {
                    return Err(Error::NoToken);
                }
                let mut hits: Vec<_> = found
                    .into_iter()
                    .filter(|(_, i)| i.serial == *want || i.label == *want)
                    .collect();
                match hits.len() {
                    0 => Err(Error::TokenNotFound {
                        wanted: want.clone(),
                    }),
                    1 => Ok(hits.remove(0)),
                    _ => Err(Error::SeveralTokens {
                        labels: hits.into_iter().map(|(_, i)| i.serial).collect(),
                    }),
                }
            }
        }
    }

    /// The cached session of `slot`, reopened if the token was re-plugged meanwhile.
    fn session(&mut self, slot: Slot) -> Result<&Session> {
        let id = slot.id();
        let alive = self
            .sessions
            .get(&id)
            .map(|s| s.get_session_info().is_ok())
            .unwrap_or(false);
        if !alive {
            self.sessions.remove(&id);
            let s = self.ctx.open_ro_session(slot)?;
            self.sessions.insert(id, s);
        }
        self.sessions.get(&id).ok_or(Error::TokenRemoved)
    }

    fn drop_session(&mut self, slot: Slot) {
        self.sessions.remove(&slot.id());
    }

    fn certificates(&mut self, sel: &TokenSelector) -> Result<Vec<CertificateInfo>> {
        let (slot, info) = self.resolve(sel)?;
        let session = self.session(slot)?;
        let handles = session.find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
        ])?;
        let mut out = Vec::new();
        for h in handles {
            let attrs = session.get_attributes(
                h,
                &[
                    AttributeType::Id,
                    AttributeType::Label,
                    AttributeType::Value,
                ],
            )?;
            let (mut id, mut label, mut value) = (Vec::new(), String::new(), Vec::new());
            for a in attrs {
                match a {
                    Attribute::Id(v) => id = v,
                    Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
                    Attribute::Value(v) => value = v,
                    _ => {}
                }
            }
            let mut cert = match CertificateInfo::from_der(&info.serial, &id, &label, &value) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable certificate object skipped");
                    continue;
                }
            };
            cert.key = if find_key(session, ObjectClass::PRIVATE_KEY, &id)?.is_some() {
                KeyPresence::PrivateKey
            } else if find_key(session, ObjectClass::PUBLIC_KEY, &id)?.is_some() {
                KeyPresence::HiddenUntilLogin
            } else {
                KeyPresence::Unknown
            };
            out.push(cert);
        }
        out.sort_by(|a, b| a.label.cmp(&b.label).then(a.serial.cmp(&b.serial)));
        Ok(out)
    }

    /// The token's PIN flags and accepted PIN lengths (one `C_GetTokenInfo`), read afresh
    /// before every login.
    fn pin_rules(&self, slot: Slot) -> Result<(PinStatus, usize, usize)> {
        let t = self.ctx.get_token_info(slot)?;
        if !t.token_initialized() {
            // What a module may report for a slot whose token was just pulled out.
            return Err(Error::TokenRemoved);
        }
        Ok((pin_status(&t), t.min_pin_length(), t.max_pin_length()))
    }

    /// Refuses to try a PIN on a locked token, or on its final try without confirmation.
    fn check_pin_flags(
        status: &PinStatus,
        min_len: usize,
        max_len: usize,
        pin: &Pin,
        final_try: FinalTry,
    ) -> Result<()> {
        if status.locked {
            return Err(Error::PinLocked);
        }
        if status.final_try && final_try != FinalTry::Confirmed {
            return Err(Error::FinalTryNeedsConfirmation);
        }
        if !status.pin_pad {
            let len = pin.expose().chars().count();
            let max = if max_len == 0 { usize::MAX } else { max_len };
            if len == 0 || len < min_len || len > max {
                return Err(Error::PinLengthInvalid {
                    min: min_len.max(1),
                    max: max_len,
                });
            }
        }
        Ok(())
    }

    /// Turns a failed login into what the user needs: tries left, or locked.
    fn login_error(&self, slot: Slot, e: CkError) -> Error {
        match e {
            CkError::Pkcs11(RvError::PinIncorrect, _) => match self.token_info(slot) {
                Ok(i) if i.pin.locked => Error::PinLocked,
                Ok(i) => Error::WrongPin {
                    count_low: i.pin.count_low,
                    final_try: i.pin.final_try,
                },
                Err(_) => Error::WrongPin {
                    count_low: true,
                    final_try: false,
                },
            },
            CkError::Pkcs11(RvError::PinLenRange, _) => match self.token_info(slot) {
                Ok(i) => Error::PinLengthInvalid {
                    min: i.pin_min_len,
                    max: i.pin_max_len,
                },
                Err(e) => e,
            },
            other => other.into(),
        }
    }

    fn ensure_login(
        &mut self,
        slot: Slot,
        info: &TokenInfo,
        pin: &Pin,
        final_try: FinalTry,
    ) -> Result<()> {
        let session = self.session(slot)?;
        let state = session.get_session_info()?.session_state();
        if matches!(state, SessionState::RoUser | SessionState::RwUser) {
            return Ok(());
        }
        Self::check_pin_flags(
            &info.pin,
            info.pin_min_len,
            info.pin_max_len,
            pin,
            final_try,
        )?;
        let secret = (!info.pin.pin_pad).then(|| AuthPin::from(pin.expose().to_string()));
        match session.login(UserType::User, secret.as_ref()) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(e) => Err(self.login_error(slot, e)),
        }
    }

    fn logout(&mut self, sel: &TokenSelector) -> Result<()> {
        let (slot, _) = self.resolve(sel)?;
        let session = self.session(slot)?;
        match session.logout() {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserNotLoggedIn, _)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// One signature: a run of one whose payload is already known.
    fn sign(
        &mut self,
        sel: &TokenSelector,
        key_id: &[u8],
        mechanism: Mech,
        payload: Vec<u8>,
        pin: &Pin,
        final_try: FinalTry,
    ) -> Result<Vec<u8>> {
        let key = self.run_key(sel, key_id, pin, final_try)?;
        let mut payload = Some(payload);
        match self.run_one(sel, &key, mechanism, pin, final_try, || payload.take()) {
            Ok(Some(signature)) => Ok(signature),
            Ok(None) => Err(Error::WorkerGone),
            Err(e) => Err(e),
        }
    }

    /// The worker's side of [`Tokens::sign_run`]: the key found once, then `count` signatures,
    /// each answered on `results` as soon as the token made it. The first error ends the run.
    #[allow(clippy::too_many_arguments)]
    fn sign_run(
        &mut self,
        sel: &TokenSelector,
        key_id: &[u8],
        mechanism: Mech,
        count: usize,
        pin: &Pin,
        final_try: FinalTry,
        payloads: &mpsc::Receiver<Vec<u8>>,
        results: &mpsc::Sender<Result<Vec<u8>>>,
    ) {
        let key = match self.run_key(sel, key_id, pin, final_try) {
            Ok(k) => k,
            Err(e) => {
                let _ = results.send(Err(e));
                return;
            }
        };
        for _ in 0..count {
            let next = || payloads.recv_timeout(RUN_IDLE).ok();
            match self.run_one(sel, &key, mechanism, pin, final_try, next) {
                Ok(Some(signature)) => {
                    if results.send(Ok(signature)).is_err() {
                        return;
                    }
                }
                // The caller stopped before this payload; run_one cancelled the operation.
                Ok(None) => return,
                Err(e) => {
                    let _ = results.send(Err(e));
                    return;
                }
            }
        }
    }

    /// What every signature of a run shares: the token's slot (logged in) and the key, looked
    /// up once per run (slot ids and object handles are not stable across re-plugs, so never
    /// kept from one run to the next).
    fn run_key(
        &mut self,
        sel: &TokenSelector,
        key_id: &[u8],
        pin: &Pin,
        final_try: FinalTry,
    ) -> Result<RunKey> {
        // The key was chosen on this token: if it is gone now, it was removed.
        let (slot, info) = self.resolve(sel).map_err(|e| match e {
            Error::NoToken | Error::TokenNotFound { .. } => Error::TokenRemoved,
            other => other,
        })?;
        self.ensure_login(slot, &info, pin, final_try)?;
        let found = (|| {
            let session = self.session(slot)?;
            let handle = find_key(session, ObjectClass::PRIVATE_KEY, key_id)?.ok_or_else(|| {
                Error::NoPrivateKey {
                    serial: hex::encode_upper(key_id),
                }
            })?;
            let always_auth = session
                .get_attributes(handle, &[AttributeType::AlwaysAuthenticate])?
                .into_iter()
                .any(|a| matches!(a, Attribute::AlwaysAuthenticate(true)));
            Ok(RunKey {
                slot,
                handle,
                always_auth,
            })
        })();
        if found.is_err() {
            self.drop_session(slot);
        }
        found
    }

    /// One signature of a run: `C_SignInit`, the context-specific login of an
    /// always-authenticate key (the PIN flags checked first, as for any login), then the
    /// payload from `next` and `C_Sign`. `Ok(None)` when `next` gave nothing: the operation
    /// was cancelled. On failure the session is dropped, which cancels an operation left
    /// active (`C_SessionCancel` is PKCS#11 3.0 only), and a token gone meanwhile is reported
    /// as removed.
    fn run_one(
        &mut self,
        sel: &TokenSelector,
        key: &RunKey,
        mechanism: Mech,
        pin: &Pin,
        final_try: FinalTry,
        next: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>> {
        let result = self.sign_started(key, mechanism, pin, final_try, next);
        match result {
            Ok(Some(signature)) => Ok(Some(signature)),
            Ok(None) => {
                self.drop_session(key.slot);
                Ok(None)
            }
            Err(e) => {
                self.drop_session(key.slot);
                let gone = matches!(
                    self.resolve(sel),
                    Err(Error::NoToken | Error::TokenNotFound { .. })
                );
                Err(if gone { Error::TokenRemoved } else { e })
            }
        }
    }

    fn sign_started(
        &self,
        key: &RunKey,
        mechanism: Mech,
        pin: &Pin,
        final_try: FinalTry,
        next: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>> {
        let session = self
            .sessions
            .get(&key.slot.id())
            .ok_or(Error::TokenRemoved)?;
        session.sign_init(&mechanism.to_cryptoki(), key.handle)?;
        if key.always_auth {
            // The law of a qualified key: its PIN again for this one signature.
            let (pin_status, min, max) = self.pin_rules(key.slot)?;
            Self::check_pin_flags(&pin_status, min, max, pin, final_try)?;
            let secret = (!pin_status.pin_pad).then(|| AuthPin::from(pin.expose().to_string()));
            if let Err(e) = session.login(UserType::ContextSpecific, secret.as_ref()) {
                return Err(self.login_error(key.slot, e));
            }
        }
        let Some(payload) = next() else {
            return Ok(None);
        };
        Ok(Some(self.raw.sign(session.handle(), &payload)?))
    }
}

/// The key of a run: where it is and whether each signature needs its own login.
struct RunKey {
    slot: Slot,
    handle: ObjectHandle,
    always_auth: bool,
}

fn pin_status(t: &cryptoki::slot::TokenInfo) -> PinStatus {
    PinStatus {
        login_required: t.login_required(),
        count_low: t.user_pin_count_low(),
        final_try: t.user_pin_final_try(),
        locked: t.user_pin_locked(),
        pin_pad: t.protected_authentication_path(),
        to_be_changed: t.user_pin_to_be_changed(),
    }
}

fn find_key(session: &Session, class: ObjectClass, id: &[u8]) -> Result<Option<ObjectHandle>> {
    let found = session.find_objects(&[Attribute::Class(class), Attribute::Id(id.to_vec())])?;
    Ok(found.into_iter().next())
}
