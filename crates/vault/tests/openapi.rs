//! `/v1/openapi.json` against the router and against real answers: every route of the router
//! is documented with its methods (and nothing else is), every `$ref` resolves, and the JSON
//! answers of a real session (bind, deposit, feed, search, detail, vault, proof) validate
//! against the schemas the document gives for them, with no undeclared property.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::*;
use serde_json::Value;

/// `(path, method)` of every `.route("/v1/...", METHOD(..).METHOD(..))` in the crate's sources.
/// The recipients' portal (`/portail/...`, HTML pages on its own listener) is not part of the
/// JSON API the document describes.
fn routed() -> BTreeSet<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut sources = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut sources,
    );
    let mut out = BTreeSet::new();
    for src in sources {
        let mut rest = src.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            // The call's text, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap();
            let call = &rest[..end];
            let path = call.split('"').nth(1).unwrap().to_owned();
            if !path.starts_with("/v1/") {
                continue;
            }
            for m in ["get", "post", "put", "delete", "patch"] {
                let found = call.match_indices(&format!("{m}(")).any(|(j, _)| {
                    j == 0
                        || !call.as_bytes()[j - 1].is_ascii_alphanumeric()
                            && call.as_bytes()[j - 1] != b'_'
                });
                if found {
                    out.insert((path.clone(), m.to_owned()));
                }
            }
        }
    }
    out
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((path.clone(), method.clone()));
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, r: &str) -> &'a Value {
    let name = r.strip_prefix("#/components/schemas/").unwrap();
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "unresolved {r}");
    s
}

/// A small JSON Schema check (what the document uses): `$ref`, `type` (one or several),
/// `enum`, `oneOf`, `properties` + `required` with no undeclared property, `items`.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return validate(doc, resolve(doc, r), v, at);
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        return if one.iter().any(|s| validate(doc, s, v, at).is_ok()) {
            Ok(())
        } else {
            Err(format!("{at}: matches no alternative"))
        };
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "boolean" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(doc, items, x, &format!("{at}[{i}]"))?;
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                return Err(format!("{at}: required {req} missing"));
            }
        }
        for (k, x) in obj {
            let s = props
                .get(k)
                .ok_or_else(|| format!("{at}: property {k} not in the document"))?;
            validate(doc, s, x, &format!("{at}.{k}"))?;
        }
    }
    Ok(())
}

fn response_schema<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_covers_the_router_and_validates_real_answers() {
    let h = Harness::start(Backend::Embedded, Arc::new(sceau_vault::SceauPdfa)).await;
    // Served without a client certificate, as valid JSON.
    let doc: Value = get_json(&h.client(None), h.url("/v1/openapi.json")).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.len() >= 25, "{}", schemas.len());

    // Router and document agree, both ways.
    let routed = routed();
    assert!(routed.len() >= 18, "{routed:?}");
    let documented = documented(&doc);
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes not in the document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");

    // Every $ref resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        resolve(&doc, r.split('"').next().unwrap());
    }

    // The health check answers without a certificate, in its schema.
    let health: Value = get_json(&h.client(None), h.url("/v1/health")).await;
    validate(
        &doc,
        response_schema(&doc, "/v1/health", "get"),
        &health,
        "/v1/health",
    )
    .unwrap_or_else(|e| panic!("{e}\n{health:#}"));
    assert_eq!(health["status"], "ok");

    // Real answers validate against their schemas.
    let bank = bank_with_consent(&h).await;
    let a = office_ids(&h.ca, "Jeanne DUPONT", "Etude 9991");
    let c = bound_client(&h, &a.auth, "9991").await;
    let pkg = simple_package(&a.sign, &bank, "SAISIE_ATTRIBUTION", "OPENAPI");
    let receipt: Value = put_package_json(&h, &c, "key-openapi-0001", &pkg).await;
    let check = |path: &str, method: &str, v: &Value| {
        validate(&doc, response_schema(&doc, path, method), v, path)
            .unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    };
    check("/v1/deposits/{key}", "put", &receipt);
    let deposit_id = receipt["deposit_id"].as_str().unwrap().to_owned();
    let archive = receipt["archive_path"].as_str().unwrap().to_owned();
    let get = |url: String| {
        let c = c.clone();
        async move {
            let r = c.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    for (path, url) in [
        ("/v1/session", "/v1/session".to_owned()),
        ("/v1/natures", "/v1/natures".to_owned()),
        (
            "/v1/recipients",
            "/v1/recipients?siret=73282932000074".to_owned(),
        ),
        ("/v1/recipients/{id}", format!("/v1/recipients/{bank}")),
        (
            "/v1/recipients/{id}/reception/{nature}",
            format!("/v1/recipients/{bank}/reception/SAISIE_ATTRIBUTION"),
        ),
        ("/v1/events", "/v1/events?after=0".to_owned()),
        ("/v1/services", "/v1/services".to_owned()),
        ("/v1/services/{id}", format!("/v1/services/{deposit_id}")),
        ("/v1/vault", "/v1/vault?path=Significations".to_owned()),
        (
            "/v1/vault/properties",
            format!("/v1/vault/properties?path={archive}"),
        ),
        ("/v1/vault/proof", format!("/v1/vault/proof?path={archive}")),
    ] {
        let v = get(h.url(&url)).await;
        check(path, "get", &v);
    }
    let folder: Value = post_json(
        &c,
        h.url("/v1/vault/folders"),
        &serde_json::json!({"path": "Dossier OpenAPI"}),
    )
    .await;
    check("/v1/vault/folders", "post", &folder);
    let r = c
        .put(h.url("/v1/vault/file?path=Dossier%20OpenAPI/note.txt"))
        .body("note")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    check("/v1/vault/file", "put", &r.json::<Value>().await.unwrap());
    // The transfer's journal line in the feed, outside any service.
    let v = get(h.url("/v1/events?after=0")).await;
    check("/v1/events", "get", &v);
    // A new recipient (201), the same again (409) and a bad one (422), each against its own
    // status's schema.
    let status_schema = |status: &str| {
        doc["paths"]["/v1/recipients"]["post"]["responses"][status]["content"]["application/json"]
            ["schema"]
            .clone()
    };
    let person = serde_json::json!({
        "kind": "person", "civility": "Mme", "first_names": "Claire", "last_name": "Martin",
        "birth_date": "1984-05-12", "email": "claire.martin@exemple.fr",
        "mobile": "06 12 34 56 78",
        "address": {"lines": ["12 rue de la Paix"], "postal_code": "75002", "city": "Paris"}
    });
    for (body, status) in [
        (person.clone(), "201"),
        (person.clone(), "409"),
        (
            serde_json::json!({"kind": "company", "siret": "73282932000075", "name": "X",
                            "email": "x@", "mobile": "01"}),
            "422",
        ),
    ] {
        let r = c
            .post(h.url("/v1/recipients"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_str(), status);
        let v: Value = r.json().await.unwrap();
        validate(&doc, &status_schema(status), &v, status).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    }
    // An error answer validates against ErrorBody.
    let err: Value = get_json(&h.client(None), h.url("/v1/session")).await;
    validate(
        &doc,
        &doc["paths"]["/v1/session"]["get"]["responses"]["default"]["content"]["application/json"]
            ["schema"],
        &err,
        "error",
    )
    .unwrap();
}
