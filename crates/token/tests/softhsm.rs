//! The token crate against a real PKCS#11 module (SoftHSM2), one isolated installation per test.
//! Run them with nextest (one process per test) or `--test-threads=1`: SoftHSM reads its
//! configuration from the process environment.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use anyhow::Result;
use der::{Decode, Encode};
use sceau_testsupport::pki::{KeySpec, TestCa};
use sceau_testsupport::softhsm::{
    self, OfficeSpec, SoftHsm, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED,
};
use sceau_token::{
    CertSelector, Error, FinalTry, HashAlg, KeyPresence, Pin, Role, SignatureAlgorithm, TokenKey,
    TokenSelector, Tokens,
};
use signature::Signer;
use spki::SubjectPublicKeyInfoOwned;

fn open(_activated: &SoftHsm) -> Result<Tokens> {
    Ok(Tokens::open(&softhsm::module_path()?)?)
}

fn office(
    hsm: &SoftHsm,
    label: &str,
    key: KeySpec,
    always_auth: bool,
) -> Result<softhsm::OfficeToken> {
    let ca = TestCa::new("CA de test", KeySpec::EcP256)?;
    let spec = OfficeSpec {
        always_auth,
        ..OfficeSpec::demo(label, key)
    };
    hsm.office_token(&ca, &spec)
}

/// Checks `sig` over `msg` with the public key of `cert_der`, in software.
fn verify(cert_der: &[u8], alg: SignatureAlgorithm, msg: &[u8], sig: &[u8]) -> bool {
    use signature::Verifier;
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki_der = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der).unwrap();
    match alg {
        SignatureAlgorithm::RsaPkcs1v15(HashAlg::Sha256) => {
            use rsa::pkcs8::DecodePublicKey;
            let key = rsa::RsaPublicKey::from_public_key_der(&spki_der).unwrap();
            let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
            let Ok(s) = rsa::pkcs1v15::Signature::try_from(sig) else {
                return false;
            };
            vk.verify(msg, &s).is_ok()
        }
        SignatureAlgorithm::RsaPss(HashAlg::Sha256) => {
            use rsa::pkcs8::DecodePublicKey;
            let key = rsa::RsaPublicKey::from_public_key_der(&spki_der).unwrap();
            let vk = rsa::pss::VerifyingKey::<sha2::Sha256>::new(key);
            let Ok(s) = rsa::pss::Signature::try_from(sig) else {
                return false;
            };
            vk.verify(msg, &s).is_ok()
        }
        SignatureAlgorithm::Ecdsa(HashAlg::Sha256) => {
            let vk =
                p256::ecdsa::VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
                    .unwrap();
            let Ok(s) = p256::ecdsa::DerSignature::try_from(sig) else {
                return false;
            };
            vk.verify(msg, &s).is_ok()
        }
        SignatureAlgorithm::Ecdsa(HashAlg::Sha384) => {
            let vk =
                p384::ecdsa::VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
                    .unwrap();
            let Ok(s) = p384::ecdsa::DerSignature::try_from(sig) else {
                return false;
            };
            vk.verify(msg, &s).is_ok()
        }
        other => panic!("no verifier for {other:?} in this test"),
    }
}

#[test]
fn lists_token_and_certificates_with_roles() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let office = office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let list = tokens.list().wait()?;
    assert_eq!(
        list.len(),
        1,
        "the uninitialised spare slot is not a token: {list:?}"
    );
    assert_eq!(list[0].label, "Etude 9991");
    assert!(list[0].pin.login_required);
    assert!(!list[0].pin.locked);
    let certs = tokens.certificates(&TokenSelector::Any).wait()?;
    assert_eq!(certs.len(), 2);
    let sig = CertSelector::Role(Role::Signature).select(&certs)?;
    assert_eq!(sig.holder, "Jeanne DUPONT");
    assert_eq!(sig.function.as_deref(), Some("Commissaire de justice"));
    assert_eq!(sig.organization.as_deref(), Some("Etude 9991"));
    assert_eq!(sig.issuer, "CA de test");
    assert_eq!(
        sig.serial.to_lowercase(),
        office.signature.serial_hex().trim_start_matches("00")
    );
    assert_eq!(sig.id_hex, "01");
    // Private keys are hidden before login; the public key tells the pair exists.
    assert_eq!(sig.key, KeyPresence::HiddenUntilLogin);
    let auth = CertSelector::Role(Role::Authentication).select(&certs)?;
    assert_eq!(auth.id_hex, "02");
    Ok(())
}

fn sign_and_check(key: KeySpec, alg: Option<SignatureAlgorithm>) -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let office = office(&hsm, "Etude 9991", key, true)?;
    // The key really requires the PIN at each use (as OpenSC's own tool reads it).
    let listing = hsm
        .command("pkcs11-tool")
        .arg("--module")
        .arg(softhsm::module_path()?)
        .args([
            "--login",
            "--pin",
            softhsm::USER_PIN,
            "--list-objects",
            "--type",
            "privkey",
        ])
        .output()?;
    assert!(String::from_utf8_lossy(&listing.stdout).contains("always authenticate"));
    let tokens = open(&hsm)?;
    let certs = tokens.certificates(&TokenSelector::Any).wait()?;
    let cert = CertSelector::Role(Role::Signature).select(&certs)?;
    let key = TokenKey::new(
        &tokens,
        cert,
        alg,
        Pin::new(softhsm::USER_PIN),
        FinalTry::Refuse,
    )?;
    // Two signatures in a row: an always-authenticate key needs the PIN for each of them.
    for msg in [&b"acte 1"[..], &b"acte 2"[..]] {
        let sig = key.try_sign(msg)?;
        assert!(verify(
            &office.signature.cert_der,
            key.algorithm(),
            msg,
            sig.as_bytes()
        ));
        assert!(!verify(
            &office.signature.cert_der,
            key.algorithm(),
            b"autre",
            sig.as_bytes()
        ));
    }
    Ok(())
}

#[test]
fn always_authenticate_rsa_key_signs_pkcs1() -> Result<()> {
    sign_and_check(KeySpec::Rsa(2048), None)
}

#[test]
fn always_authenticate_rsa_key_signs_pss() -> Result<()> {
    sign_and_check(
        KeySpec::Rsa(2048),
        Some(SignatureAlgorithm::RsaPss(HashAlg::Sha256)),
    )
}

#[test]
fn always_authenticate_ec_p256_key_signs() -> Result<()> {
    sign_and_check(KeySpec::EcP256, None)
}

#[test]
fn always_authenticate_ec_p384_key_signs() -> Result<()> {
    sign_and_check(KeySpec::EcP384, None)
}

#[test]
fn wrong_pin_reports_the_token_flags_and_right_pin_still_works() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let sel = TokenSelector::Any;
    match tokens
        .login(&sel, Pin::new("000000"), FinalTry::Refuse)
        .wait()
    {
        Err(Error::WrongPin {
            count_low,
            final_try,
        }) => {
            assert!(count_low, "SoftHSM sets count-low after a wrong PIN");
            assert!(!final_try);
        }
        other => panic!("expected WrongPin, got {other:?}"),
    }
    assert!(tokens.list().wait()?[0].pin.count_low);
    tokens
        .login(&sel, Pin::new(softhsm::USER_PIN), FinalTry::Refuse)
        .wait()?;
    assert!(!tokens.list().wait()?[0].pin.count_low);
    Ok(())
}

#[test]
fn wrong_pin_through_the_signature_traits_keeps_the_token_error() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let certs = tokens.certificates(&TokenSelector::Any).wait()?;
    let cert = CertSelector::Role(Role::Signature).select(&certs)?;
    let key = TokenKey::new(&tokens, cert, None, Pin::new("999999"), FinalTry::Refuse)?;
    let err = key.try_sign(b"acte").unwrap_err();
    let source = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<Error>());
    assert!(matches!(source, Some(Error::WrongPin { .. })), "{err:?}");
    Ok(())
}

#[test]
fn locked_pin_is_reported_and_never_tried() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    hsm.set_user_pin_flags("Etude 9991", CKF_USER_PIN_LOCKED, 0)?;
    let tokens = open(&hsm)?;
    assert!(tokens.list().wait()?[0].pin.locked);
    // Even the right PIN is not sent to a token that says it is locked.
    let r = tokens
        .login(
            &TokenSelector::Any,
            Pin::new(softhsm::USER_PIN),
            FinalTry::Confirmed,
        )
        .wait();
    assert!(matches!(r, Err(Error::PinLocked)), "{r:?}");
    assert!(Error::PinLocked.message_fr().contains("bloqué"));
    Ok(())
}

#[test]
fn final_try_needs_an_explicit_confirmation() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    hsm.set_user_pin_flags("Etude 9991", CKF_USER_PIN_FINAL_TRY, 0)?;
    let tokens = open(&hsm)?;
    let sel = TokenSelector::Any;
    let r = tokens
        .login(&sel, Pin::new("000000"), FinalTry::Refuse)
        .wait();
    assert!(matches!(r, Err(Error::FinalTryNeedsConfirmation)), "{r:?}");
    // Nothing was tried: the count-low flag (set by SoftHSM on a wrong PIN) is still clear.
    assert!(!tokens.list().wait()?[0].pin.count_low);
    tokens
        .login(&sel, Pin::new(softhsm::USER_PIN), FinalTry::Confirmed)
        .wait()?;
    Ok(())
}

#[test]
fn right_key_for_each_certificate_across_two_tokens() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let a = office(&hsm, "Etude A", KeySpec::EcP256, true)?;
    let b = office(&hsm, "Etude B", KeySpec::EcP256, false)?;
    let tokens = open(&hsm)?;
    assert_eq!(tokens.list().wait()?.len(), 2);
    assert!(matches!(
        tokens.certificates(&TokenSelector::Any).wait(),
        Err(Error::SeveralTokens { .. })
    ));
    let alg = SignatureAlgorithm::Ecdsa(HashAlg::Sha256);
    for (label, office) in [("Etude A", &a), ("Etude B", &b)] {
        let certs = tokens
            .certificates(&TokenSelector::LabelOrSerial(label.into()))
            .wait()?;
        for (role, identity, other) in [
            (Role::Signature, &office.signature, &office.authentication),
            (
                Role::Authentication,
                &office.authentication,
                &office.signature,
            ),
        ] {
            let cert = CertSelector::Role(role).select(&certs)?;
            let key = TokenKey::new(
                &tokens,
                cert,
                None,
                Pin::new(softhsm::USER_PIN),
                FinalTry::Refuse,
            )?;
            let sig = key.try_sign(b"acte")?;
            assert!(
                verify(&identity.cert_der, alg, b"acte", sig.as_bytes()),
                "{label} {role:?}"
            );
            assert!(!verify(&other.cert_der, alg, b"acte", sig.as_bytes()));
            let (x, y) = if label == "Etude A" {
                (&b.signature, &b.authentication)
            } else {
                (&a.signature, &a.authentication)
            };
            assert!(!verify(&x.cert_der, alg, b"acte", sig.as_bytes()));
            assert!(!verify(&y.cert_der, alg, b"acte", sig.as_bytes()));
        }
    }
    Ok(())
}

#[test]
fn no_token_and_unknown_token_are_clear_errors() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let tokens = open(&hsm)?;
    assert!(tokens.list().wait()?.is_empty());
    let r = tokens.certificates(&TokenSelector::Any).wait();
    assert!(matches!(r, Err(Error::NoToken)), "{r:?}");
    hsm.init_token("Etude 9991", softhsm::USER_PIN)?;
    drop(tokens);
    let tokens = open(&hsm)?;
    let r = tokens
        .certificates(&TokenSelector::LabelOrSerial("Autre".into()))
        .wait();
    assert!(matches!(r, Err(Error::TokenNotFound { .. })), "{r:?}");
    Ok(())
}

#[test]
fn bad_module_paths_are_clear_errors() -> Result<()> {
    let r = Tokens::open(std::path::Path::new("/nonexistent/libpkcs11.so"));
    assert!(matches!(r, Err(Error::ModuleMissing { .. })), "{r:?}");
    let dir = tempfile::tempdir()?;
    let r = Tokens::open(dir.path());
    assert!(matches!(r, Err(Error::NotAPkcs11Module { .. })), "{r:?}");
    let text = dir.path().join("module.so");
    std::fs::write(&text, "not a library")?;
    let r = Tokens::open(&text);
    assert!(matches!(r, Err(Error::NotAPkcs11Module { .. })), "{r:?}");
    // A real shared library that is not a PKCS#11 module.
    let libc = [
        "/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists());
    if let Some(lib) = libc {
        let r = Tokens::open(std::path::Path::new(lib));
        assert!(matches!(r, Err(Error::NotAPkcs11Module { .. })), "{r:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn async_callers_await_the_worker() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let office = office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let certs = tokens.certificates(&TokenSelector::Any).await?;
    let cert = CertSelector::Role(Role::Signature).select(&certs)?;
    let key = TokenKey::new(
        &tokens,
        cert,
        None,
        Pin::new(softhsm::USER_PIN),
        FinalTry::Refuse,
    )?;
    let sig = key.sign_async(b"acte").await?;
    assert!(verify(
        &office.signature.cert_der,
        key.algorithm(),
        b"acte",
        sig.as_bytes()
    ));
    Ok(())
}

#[test]
fn token_removed_mid_operation_is_reported_as_removed() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let certs = tokens.certificates(&TokenSelector::Any).wait()?;
    let cert = CertSelector::Role(Role::Signature).select(&certs)?;
    let key = TokenKey::new(
        &tokens,
        cert,
        None,
        Pin::new(softhsm::USER_PIN),
        FinalTry::Refuse,
    )?;
    key.try_sign(b"acte 1")?;
    let unplugged = hsm.unplug()?;
    let r = key.sign_blocking(b"acte 2");
    assert!(matches!(r, Err(Error::TokenRemoved)), "{r:?}");
    assert!(tokens.list().wait()?.is_empty());
    // Plugged back and the certificates reloaded (the manual's "Recharger les certificats",
    // which reopens the module): the key signs again, the operation is resumable.
    drop(unplugged);
    drop(key);
    drop(tokens);
    let tokens = open(&hsm)?;
    let certs = tokens.certificates(&TokenSelector::Any).wait()?;
    let cert = CertSelector::Role(Role::Signature).select(&certs)?;
    let key = TokenKey::new(
        &tokens,
        cert,
        None,
        Pin::new(softhsm::USER_PIN),
        FinalTry::Refuse,
    )?;
    key.sign_blocking(b"acte 2")?;
    Ok(())
}

/// The key of the office token's signature certificate, with `pin`.
fn signature_key(tokens: &Tokens, pin: &str) -> Result<TokenKey> {
    let certs = tokens.certificates(&TokenSelector::Any).wait()?;
    let cert = CertSelector::Role(Role::Signature).select(&certs)?;
    Ok(TokenKey::new(
        tokens,
        cert,
        None,
        Pin::new(pin),
        FinalTry::Refuse,
    )?)
}

#[test]
fn softhsm_refuses_an_always_authenticate_signature_without_its_own_login() -> Result<()> {
    // The oracle of the run tests below: SoftHSM enforces CKA_ALWAYS_AUTHENTICATE, so a
    // signature that succeeds had its context-specific login.
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::mechanism::Mechanism;
    use cryptoki::object::{Attribute, ObjectClass};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let ctx = Pkcs11::new(softhsm::module_path()?)?;
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))?;
    let slot = ctx.get_slots_with_token()?[0];
    let session = ctx.open_ro_session(slot)?;
    session.login(
        UserType::User,
        Some(&AuthPin::from(softhsm::USER_PIN.to_string())),
    )?;
    let keys = session.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])?;
    let always = keys
        .iter()
        .copied()
        .find(|k| {
            session
                .get_attributes(*k, &[cryptoki::object::AttributeType::AlwaysAuthenticate])
                .unwrap()
                .into_iter()
                .any(|a| matches!(a, Attribute::AlwaysAuthenticate(true)))
        })
        .unwrap();
    let r = session.sign(&Mechanism::Ecdsa, always, &[7u8; 32]);
    assert!(
        matches!(
            r,
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserNotLoggedIn,
                _
            ))
        ),
        "{r:?}"
    );
    Ok(())
}

#[test]
fn a_run_signs_every_message_each_with_its_own_pin_entry() -> Result<()> {
    for (spec, alg) in [
        (
            KeySpec::Rsa(2048),
            SignatureAlgorithm::RsaPkcs1v15(HashAlg::Sha256),
        ),
        (KeySpec::EcP256, SignatureAlgorithm::Ecdsa(HashAlg::Sha256)),
    ] {
        let hsm = SoftHsm::new()?;
        let _env = hsm.activate();
        let office = office(&hsm, "Etude 9991", spec, true)?;
        let tokens = open(&hsm)?;
        let key = signature_key(&tokens, softhsm::USER_PIN)?;
        let msgs: Vec<Vec<u8>> = (0..5).map(|i| format!("acte {i}").into_bytes()).collect();
        let mut run = key.sign_run(msgs.len());
        for m in &msgs {
            let sig = run.sign(m)?;
            assert!(verify(&office.signature.cert_der, alg, m, sig.as_bytes()));
        }
        // Beyond the announced count: one call each, still signed.
        let sig = run.sign(b"acte de plus")?;
        assert!(verify(
            &office.signature.cert_der,
            alg,
            b"acte de plus",
            sig.as_bytes()
        ));
        drop(run);
        // The worker serves other calls again.
        key.try_sign(b"acte seul")?;
    }
    Ok(())
}

#[test]
fn a_run_dropped_early_cancels_and_the_key_signs_again() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    let office = office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let key = signature_key(&tokens, softhsm::USER_PIN)?;
    let mut run = key.sign_run(4);
    run.sign(b"acte 1")?;
    drop(run); // three signatures announced, never asked: the started operation is cancelled
    let alg = key.algorithm();
    let mut run = key.sign_run(2);
    for m in [&b"acte 2"[..], b"acte 3"] {
        let sig = run.sign(m)?;
        assert!(verify(&office.signature.cert_der, alg, m, sig.as_bytes()));
    }
    assert!(!tokens.list().wait()?[0].pin.count_low);
    Ok(())
}

#[test]
fn a_wrong_pin_ends_a_run_and_is_never_tried_again() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let key = signature_key(&tokens, "999999")?;
    let mut run = key.sign_run(3);
    let first = run.sign(b"acte 1");
    assert!(matches!(first, Err(Error::WrongPin { .. })), "{first:?}");
    // The run is over: the same error, without going back to the token (unplugged here, a
    // second try would have said so).
    let unplugged = hsm.unplug()?;
    let second = run.sign(b"acte 2");
    assert!(matches!(second, Err(Error::WrongPin { .. })), "{second:?}");
    drop(unplugged);
    Ok(())
}

#[test]
fn a_locked_pin_is_never_tried_by_a_run() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    hsm.set_user_pin_flags("Etude 9991", CKF_USER_PIN_LOCKED, 0)?;
    let tokens = open(&hsm)?;
    let key = signature_key(&tokens, softhsm::USER_PIN)?;
    let r = key.sign_run(2).sign(b"acte");
    assert!(matches!(r, Err(Error::PinLocked)), "{r:?}");
    Ok(())
}

#[test]
fn token_removed_during_a_run_is_reported_as_removed() -> Result<()> {
    let hsm = SoftHsm::new()?;
    let _env = hsm.activate();
    office(&hsm, "Etude 9991", KeySpec::EcP256, true)?;
    let tokens = open(&hsm)?;
    let key = signature_key(&tokens, softhsm::USER_PIN)?;
    let mut run = key.sign_run(3);
    run.sign(b"acte 1")?;
    let unplugged = hsm.unplug()?;
    // The second signature was already under way on the token (its operation started and its
    // PIN given while the first was returned); SoftHSM keeps it in memory and may finish it.
    // The third cannot start: the run reports the removal, and so does every later call.
    let second = run.sign(b"acte 2");
    let r = if second.is_ok() {
        run.sign(b"acte 3")
    } else {
        second
    };
    assert!(matches!(r, Err(Error::TokenRemoved)), "{r:?}");
    let again = run.sign(b"acte 4");
    assert!(matches!(again, Err(Error::TokenRemoved)), "{again:?}");
    drop(unplugged);
    Ok(())
}
