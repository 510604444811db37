//! One error vocabulary: every error variant of every library crate the faces show, walked
//! from each crate's `examples()`. Each code is built once by its crate, full (`<crate>.<what>`,
//! one prefix), unique in the workspace; the application passes the lower crates' codes and
//! messages through untouched; and no French message a clerk reads in the window names a
//! command-line tool (the CLI adds its own hint).

use std::collections::BTreeMap;

use sceau_app::Error;

/// A crate's errors as `(code, French message)`, with the prefixes its codes may carry.
struct Crate {
    name: &'static str,
    prefixes: &'static [&'static str],
    errors: Vec<(String, String)>,
}

fn crates() -> Vec<Crate> {
    vec![
        Crate {
            name: "sceau-core",
            // The core's codes are namespaced by rule (identifiers, hours, natures, evidence,
            // package, service draft), published before this test and used by the window's identifier checks.
            prefixes: &[
                "id",
                "hours",
                "natures",
                "evidence",
                "package",
                "draft",
                "recipient",
                "core",
            ],
            errors: sceau_core::CoreError::examples()
                .into_iter()
                .map(|e| (e.code().to_owned(), e.message_fr()))
                .collect(),
        },
        Crate {
            name: "sceau-token",
            prefixes: &["token"],
            errors: sceau_token::Error::examples()
                .into_iter()
                .map(|e| (e.code().to_owned(), e.message_fr()))
                .collect(),
        },
        Crate {
            name: "sceau-cades",
            prefixes: &["cades"],
            errors: sceau_cades::Error::examples()
                .into_iter()
                .map(|e| (e.code().to_owned(), e.message_fr()))
                .collect(),
        },
        Crate {
            name: "sceau-pdfa",
            prefixes: &["pdfa"],
            errors: sceau_pdfa::Error::examples()
                .into_iter()
                .map(|e| (e.code().to_owned(), e.message_fr()))
                .collect(),
        },
        Crate {
            name: "sceau-store",
            prefixes: &["store"],
            errors: sceau_store::Error::examples()
                .into_iter()
                .map(|e| (e.code().to_owned(), e.message_fr()))
                .collect(),
        },
        Crate {
            name: "sceau-client",
            // `vault.*`: the vault's own refusal code, as the client received it.
            prefixes: &["client", "vault"],
            errors: sceau_client::Error::examples()
                .into_iter()
                // Its `Token` variant passes the token's error through: walked with the token.
                .filter(|e| !matches!(e, sceau_client::Error::Token(_)))
                .map(|e| (e.code().into_owned(), e.message_fr()))
                .collect(),
        },
        Crate {
            name: "sceau-app",
            prefixes: &["app"],
            errors: Error::examples()
                .into_iter()
                .map(|e| (e.code(), e.message_fr()))
                .collect(),
        },
    ]
}

/// What the window must never tell a clerk to run.
const COMMAND_LINE: [&str; 3] = ["sceau ", "cargo", "--"];

fn check_message(code: &str, message: &str) {
    let m = message.trim();
    assert!(!m.is_empty(), "{code}: no message");
    assert!(
        m.ends_with('.') || m.ends_with('»'),
        "{code}: not a sentence: {m}"
    );
    for word in COMMAND_LINE {
        assert!(
            !m.contains(word),
            "{code} names a command-line tool ({word:?}): {m}"
        );
    }
    for english in [" the ", " failed", " error ", " not found"] {
        assert!(!m.contains(english), "{code}: not French: {m}");
    }
}

#[test]
fn every_error_code_is_unique_prefixed_once_and_has_a_french_message_fit_for_the_window() {
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for c in crates() {
        assert!(!c.errors.is_empty(), "{}: no examples", c.name);
        for (code, message) in &c.errors {
            let (prefix, rest) = code
                .split_once('.')
                .unwrap_or_else(|| panic!("{}: code {code:?} has no prefix", c.name));
            assert!(
                c.prefixes.contains(&prefix),
                "{}: code {code:?} is not under {:?}",
                c.name,
                c.prefixes
            );
            assert!(
                !rest.is_empty() && !rest.contains('.'),
                "{}: code {code:?} is prefixed more than once",
                c.name
            );
            if let Some(other) = owner.insert(code.clone(), c.name) {
                panic!("code {code:?} is built by {other} and {}", c.name);
            }
            check_message(code, message);
        }
    }
}

#[test]
fn the_application_passes_every_lower_code_and_message_through() {
    let mut wrapped: Vec<(String, String, Error)> = Vec::new();
    for e in sceau_token::Error::examples() {
        wrapped.push((e.code().into(), e.message_fr(), Error::Token(e)));
    }
    for e in sceau_client::Error::examples() {
        wrapped.push((e.code().into_owned(), e.message_fr(), Error::Client(e)));
    }
    for e in sceau_store::Error::examples() {
        wrapped.push((e.code().into(), e.message_fr(), Error::Store(e)));
    }
    for e in sceau_cades::Error::examples() {
        wrapped.push((e.code().into(), e.message_fr(), Error::Signature(e)));
    }
    for e in sceau_pdfa::Error::examples() {
        let message = e.message_fr();
        wrapped.push((
            e.code().into(),
            message,
            Error::Conversion {
                file: "acte.docx".into(),
                source: e,
            },
        ));
    }
    for (code, message, e) in wrapped {
        // The same code, never prefixed again (the app once wrote `pdfa.pdfa.corrupt`).
        assert_eq!(e.code(), code);
        let shown = e.message_fr();
        assert!(
            shown.contains(message.trim_end_matches('.')),
            "{code}: {shown}"
        );
        check_message(&code, &shown);
        // An upload failure keeps its cause's code too.
        let upload = Error::Upload {
            file: "acte.pdf".into(),
            done: vec![],
            source: Box::new(e),
        };
        assert_eq!(upload.code(), code);
    }
}
