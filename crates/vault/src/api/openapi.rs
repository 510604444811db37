//! `GET /v1/openapi.json`: the API described by a hand-written OpenAPI 3.1 document — every
//! route with its parameters, request body and response, and a schema for every request and
//! response type of `sceau-proto`. Hand-written because neither utoipa nor schemars is in the
//! dependency tree (a derive framework for a few dozen routes would be a new proc-macro stack);
//! the tests hold it to the router (every route documented, nothing documented that is not
//! routed) and to real answers (each response validates against its schema).

use axum::Json;
use serde_json::{json, Map, Value};

/// The OpenAPI document.
pub async fn document() -> Json<Value> {
    Json(spec())
}

fn string() -> Value {
    json!({"type": "string"})
}
fn date_time() -> Value {
    json!({"type": "string", "format": "date-time"})
}
fn integer() -> Value {
    json!({"type": "integer", "minimum": 0})
}
fn boolean() -> Value {
    json!({"type": "boolean"})
}
fn sha256() -> Value {
    json!({"type": "string", "pattern": "^[0-9a-f]{64}$"})
}
fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}
fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}
/// `null` allowed (serde writes `None` as `null`; the field is always present).
fn nullable(v: Value) -> Value {
    match v.get("type").and_then(Value::as_str) {
        Some(t) => {
            let mut v = v.clone();
            v["type"] = json!([t, "null"]);
            v
        }
        None => json!({"oneOf": [v, {"type": "null"}]}),
    }
}
fn enumeration(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}
/// An object whose properties are all required (serde writes every field).
fn object(props: &[(&str, Value)]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_owned(), v.clone());
    }
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    json!({"type": "object", "required": required, "properties": p})
}

/// A recipient's card; its place only when the vault knows it.
fn recipient_card() -> Value {
    let mut card = object(&[
        ("id", string()),
        ("kind", schema_ref("RecipientKind")),
        ("name", string()),
        ("siret", nullable(string())),
        ("siren", nullable(string())),
        ("nir_masked", nullable(string())),
        ("email", nullable(string())),
        ("phone_fixed", nullable(string())),
        ("phone_mobile", nullable(string())),
    ]);
    card["properties"]["region"] = json!({
        "type": "string",
        "pattern": "^([0-9]{2}|2[AB]|97[1-8])$",
        "description": "Lieu du destinataire (département ou collectivité), quand le coffre-fort le connaît : son calendrier et son fuseau horaire gouvernent la signification"
    });
    card
}

/// `PATCH /v1/vault/properties`'s body: only the path is required.
fn vault_properties_request() -> Value {
    let max = sceau_proto::DESCRIPTION_MAX_CHARS;
    json!({
        "type": "object",
        "required": ["path"],
        "properties": {
            "path": string(),
            "description": {"type": "string", "maxLength": max,
                "description": "Sans caractère de contrôle hormis le retour à la ligne ; vide : aucune"},
            "retain_until": {"type": "string", "format": "date",
                "description": "À conserver jusqu'à la fin de ce jour (Europe/Paris) ; jamais plus tôt que la conservation en cours"}
        }
    })
}

/// `POST /v1/recipients`'s body: a person or a company, told apart by `kind`.
fn new_recipient() -> Value {
    let mut person = object(&[
        ("kind", enumeration(&["person"])),
        ("civility", enumeration(&["M", "Mme"])),
        ("first_names", string()),
        ("last_name", string()),
        ("birth_date", string()),
        ("email", string()),
        ("mobile", string()),
        ("address", schema_ref("PostalAddress")),
        ("nir", nullable(string())),
    ]);
    // The NIR is optional.
    person["required"] = json!([
        "kind",
        "civility",
        "first_names",
        "last_name",
        "birth_date",
        "email",
        "mobile",
        "address"
    ]);
    let company = object(&[
        ("kind", enumeration(&["company"])),
        ("siret", string()),
        ("name", string()),
        ("email", string()),
        ("mobile", string()),
    ]);
    json!({"oneOf": [person, company]})
}

/// A refused new recipient: `{code, message}` with the problems or the existing cards.
fn recipient_refusal() -> Value {
    let mut r = object(&[
        (
            "code",
            enumeration(&["recipient_invalid", "recipient_duplicate"]),
        ),
        ("message", string()),
        ("problems", array(schema_ref("RecipientProblem"))),
        ("existing", array(schema_ref("Recipient"))),
    ]);
    r["required"] = json!(["code", "message"]);
    r
}

/// The operation `POST /v1/recipients`: `201` with the card, `422` and `409` refusals.
/// An invitation's answers: 201 with the invitation.
fn invitation_created(mut v: Value) -> Value {
    let default = v["responses"]["default"].clone();
    v["responses"] = json!({
        "201": {"description": "Envoyée par courriel et SMS", "content": json_content(schema_ref("Invitation"))},
        "default": default,
    });
    v
}

fn create_recipient(body: Value) -> Value {
    let mut v = op(Op {
        summary: "New recipient from the office (a person or a company): checked, refused when the directory has it already (same SIRET, NIR, or e-mail and birth date), stored with the office and the time",
        params: &[],
        body: Some(body),
        ok: Value::Null,
    });
    let refusal = |d: &str| json!({"description": d, "content": json_content(schema_ref("RecipientRefusal"))});
    v["responses"] = json!({
        "201": {"description": "Créé : la fiche du destinataire", "content": json_content(schema_ref("Recipient"))},
        "409": refusal("Déjà dans l'annuaire : les fiches existantes (recipient_duplicate), rien n'est enregistré"),
        "422": refusal("Saisie refusée : chaque problème avec son code recipient.* (recipient_invalid), rien n'est enregistré"),
        "default": v["responses"]["default"].clone(),
    });
    v
}

fn schemas() -> Value {
    let mut all = schemas_but_new_recipients();
    all["VaultPropertiesRequest"] = vault_properties_request();
    all["PostalAddress"] = object(&[
        ("lines", array(string())),
        ("postal_code", string()),
        ("city", string()),
    ]);
    all["NewRecipient"] = new_recipient();
    all["RecipientProblem"] = object(&[
        ("code", string()),
        ("field", string()),
        ("message", string()),
    ]);
    all["RecipientRefusal"] = recipient_refusal();
    invitation_schemas(&mut all);
    all
}

/// The invitations' schemas (consent flow).
fn invitation_schemas(all: &mut Value) {
    all["InvitationRequest"] = json!({
        "type": "object",
        "required": ["natures"],
        "properties": {
            "natures": array(string()),
            "days": nullable(integer()),
            "consent_months": nullable(integer()),
        },
    });
    all["Invitation"] = object(&[
        ("id", string()),
        ("recipient_id", string()),
        ("natures", array(string())),
        (
            "state",
            enumeration(&[
                "pending",
                "accepted",
                "refused",
                "withdrawn",
                "expired",
                "locked",
            ]),
        ),
        ("sent_at", date_time()),
        ("expires_at", date_time()),
        ("answered_at", nullable(date_time())),
        ("consent_id", nullable(string())),
        ("consent_months", nullable(integer())),
    ]);
    all["InvitationList"] = object(&[("invitations", array(schema_ref("Invitation")))]);
}

// One `json!` literal would pass the macro's recursion limit with the new recipients' schemas.
fn schemas_but_new_recipients() -> Value {
    let office = object(&[("id", string()), ("number", string()), ("name", string())]);
    let feed_event = object(&[
        ("seq", integer()),
        ("deposit_id", nullable(string())),
        ("event", string()),
        ("at", date_time()),
        ("message", string()),
    ]);
    let state = enumeration(&["awaiting_consultation", "in_person", "at_home"]);
    let source = enumeration(&["form", "edi"]);
    let filed = object(&[
        ("at", date_time()),
        ("file_name", string()),
        ("path", string()),
        ("state", string()),
    ]);
    let mut feed_page = object(&[
        ("events", array(schema_ref("FeedEvent"))),
        ("next_cursor", integer()),
    ]);
    // Absent until the vault made its first checkpoint.
    feed_page["properties"]["checkpoint"] = schema_ref("JournalCheckpoint");
    json!({
        "ErrorBody": object(&[("code", string()), ("message", string())]),
        "CertificateInfo": object(&[
            ("serial_hex", string()),
            ("holder", string()),
            ("function", nullable(string())),
            ("organization", nullable(string())),
            ("issuer", string()),
            ("not_before", date_time()),
            ("not_after", date_time()),
            ("fingerprint_sha256", sha256()),
        ]),
        "Office": office,
        "Session": object(&[
            ("certificate", schema_ref("CertificateInfo")),
            ("office", nullable(schema_ref("Office"))),
        ]),
        "BindRequest": object(&[
            ("confirm_fingerprint_sha256", string()),
            ("office_number", string()),
            ("office_name", string()),
        ]),
        "RecipientKind": enumeration(&["bank", "company", "administration", "person"]),
        "Recipient": recipient_card(),
        "RecipientList": object(&[("recipients", array(schema_ref("Recipient")))]),
        "Consent": object(&[
            ("id", string()),
            ("recipient_id", string()),
            ("natures", array(string())),
            ("given_at", json!({"type": "string", "format": "date-time"})),
            ("expires_at", nullable(json!({"type": "string", "format": "date-time"}))),
            ("revoked_at", nullable(json!({"type": "string", "format": "date-time"}))),
            ("how", string()),
        ]),
        "ConsentList": object(&[("consents", array(schema_ref("Consent")))]),
        "Nature": object(&[
            ("code", string()),
            ("label", string()),
            ("return_expected", boolean()),
        ]),
        "ReceptionStatus": object(&[
            ("open", boolean()),
            ("reason", nullable(string())),
            ("message", nullable(string())),
            ("next_opening", nullable(date_time())),
            ("time_zone", string()),
            ("zone_named", nullable(string())),
        ]),
        "Source": source,
        "ManifestDocument": object(&[("file", string()), ("signature", string())]),
        "DepositManifest": object(&[
            ("reference", string()),
            ("recipient_id", string()),
            ("nature", string()),
            ("judge_permission", nullable(string())),
            ("source", schema_ref("Source")),
            ("documents", array(schema_ref("ManifestDocument"))),
            ("data_message", string()),
        ]),
        "DepositReceipt": object(&[
            ("deposit_id", string()),
            ("deposited_at", date_time()),
            ("archive_name", string()),
            ("archive_path", string()),
            ("attestation_sha256", sha256()),
            ("documents", array(string())),
        ]),
        "DeliveryState": state,
        "FeedEvent": feed_event,
        "FeedPage": feed_page,
        "JournalCheckpoint": object(&[
            ("statement", string()),
            ("seal", json!({"type": "string", "contentEncoding": "base64"})),
            ("timestamp_token", json!({"type": "string", "contentEncoding": "base64"})),
        ]),
        "CoveringCheckpoint": object(&[
            ("checkpoint", schema_ref("JournalCheckpoint")),
            ("inclusions", array(object(&[("seq", integer()), ("path", array(sha256()))]))),
        ]),
        "ServiceSummary": object(&[
            ("deposit_id", string()),
            ("deposited_at", date_time()),
            ("state", schema_ref("DeliveryState")),
            ("reference", string()),
            ("file", string()),
            ("recipient_name", string()),
            ("recipient_id", string()),
            ("nature", string()),
            ("source", schema_ref("Source")),
        ]),
        "SearchPage": object(&[
            ("results", array(schema_ref("ServiceSummary"))),
            ("total", integer()),
        ]),
        "ActSection": object(&[
            ("reference", string()),
            ("deposited_at", date_time()),
            ("documents", array(string())),
            ("nature", string()),
            ("nature_label", string()),
            ("state", schema_ref("DeliveryState")),
            ("recipient_name", string()),
            ("recipient_siret", nullable(string())),
        ]),
        "AttestationSection": object(&[
            ("served_at", date_time()),
            ("archive_name", string()),
            ("archive_path", string()),
            ("xml_name", string()),
        ]),
        "FiledSection": filed,
        "ServiceDetail": object(&[
            ("deposit_id", string()),
            ("act", schema_ref("ActSection")),
            ("attestation", schema_ref("AttestationSection")),
            ("delivery_notice", nullable(schema_ref("FiledSection"))),
            ("act_return", nullable(schema_ref("FiledSection"))),
            ("history", array(schema_ref("FeedEvent"))),
        ]),
        "BankAct": object(&[
            ("deposit_id", string()),
            ("deposited_at", date_time()),
            ("nature", string()),
            ("nature_label", string()),
            ("reference", string()),
            ("documents", array(string())),
            ("consulted_at", nullable(date_time())),
            ("return_expected", boolean()),
            ("returned", boolean()),
        ]),
        "BankActList": object(&[("acts", array(schema_ref("BankAct")))]),
        "ReturnUpload": {
            "type": "object",
            "required": ["pdf_base64"],
            "properties": {
                "pdf_base64": {"type": "string", "contentEncoding": "base64"},
                "answer": {"description": "Réponse structurée de la banque (resources/schemas/reponse_banque.schema.json)"}
            }
        },
        "ReturnReceipt": object(&[("name", string()), ("deposited_at", date_time())]),
        "VaultEntry": object(&[
            ("path", string()),
            ("is_folder", boolean()),
            ("size", integer()),
            ("modified", date_time()),
            ("sha256", nullable(sha256())),
            ("retained_until", nullable(date_time())),
            ("deposit_id", nullable(string())),
            (
                "description",
                nullable(json!({"type": "string", "maxLength": sceau_proto::DESCRIPTION_MAX_CHARS})),
            ),
        ]),
        "VaultListing": object(&[
            ("entries", array(schema_ref("VaultEntry"))),
            ("space_used", integer()),
        ]),
        "MoveRequest": object(&[("from", string()), ("to", string())]),
        "Health": object(&[
            ("status", enumeration(&["ok", "unavailable"])),
            ("database", boolean()),
            ("blobs", boolean()),
        ]),
        "MkdirRequest": object(&[("path", string())]),
        "ProofLine": object(&[
            ("seq", integer()),
            ("prev_hash", sha256()),
            ("record", json!({"type": "string", "pattern": "^[0-9a-f]*$"})),
            ("hash", sha256()),
        ]),
        "ProofBundle": object(&[
            ("path", string()),
            ("sha256", sha256()),
            ("size", integer()),
            ("deposit_id", nullable(string())),
            ("journal", array(schema_ref("ProofLine"))),
            ("timestamp_token", json!({"type": "string", "contentEncoding": "base64"})),
            ("vault_ca_pem", string()),
            ("checkpoints", array(schema_ref("CoveringCheckpoint"))),
        ]),
    })
}

/// A parameter: `(name, in, required, description)`.
type Param<'a> = (&'a str, &'a str, bool, &'a str);

struct Op<'a> {
    summary: &'a str,
    params: &'a [Param<'a>],
    body: Option<Value>,
    ok: Value,
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn op(o: Op<'_>) -> Value {
    let params: Vec<Value> = o
        .params
        .iter()
        .map(|(name, place, required, description)| {
            let schema =
                if *place == "query" && matches!(*name, "wait" | "after" | "page" | "per_page") {
                    integer()
                } else {
                    string()
                };
            json!({"name": name, "in": place, "required": required,
                   "description": description, "schema": schema})
        })
        .collect();
    let mut v = json!({
        "summary": o.summary,
        "parameters": params,
        "responses": {
            "200": o.ok,
            "default": {"description": "Refus ou erreur : un code stable et un message en français",
                        "content": json_content(schema_ref("ErrorBody"))}
        }
    });
    if let Some(body) = o.body {
        v["requestBody"] = json!({"required": true, "content": body});
    }
    v
}

fn ok_json(name: &str) -> Value {
    json!({"description": "OK", "content": json_content(schema_ref(name))})
}

fn ok_json_schema(schema: Value) -> Value {
    json!({"description": "OK", "content": json_content(schema)})
}

const PATH: Param<'static> = ("path", "query", true, "Chemin dans le coffre de l'étude");

/// The document as JSON.
pub fn spec() -> Value {
    let json_body = |name: &str| json_content(schema_ref(name));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sceau vault API",
            "version": "1",
            "description": "Le coffre Sceau : dépôts des actes signifiés, attestations, coffre de l'étude, preuves. Authentification par certificat client (TLS mutuel)."
        },
        "components": {
            "securitySchemes": {"mutualTLS": {"type": "mutualTLS"}},
            "schemas": schemas()
        },
        "security": [{"mutualTLS": []}],
        "paths": {
            "/v1/openapi.json": {"get": op(Op {
                summary: "This document",
                params: &[],
                body: None,
                ok: ok_json_schema(json!({"type": "object"})),
            })},
            "/v1/session": {"get": op(Op {
                summary: "The client certificate and the office bound to it",
                params: &[],
                body: None,
                ok: ok_json("Session"),
            })},
            "/v1/session/bind": {"post": op(Op {
                summary: "Bind the office's space to the client certificate (first connection or renewal of the same holder)",
                params: &[],
                body: Some(json_body("BindRequest")),
                ok: ok_json("Office"),
            })},
            "/v1/tsa": {"post": op(Op {
                summary: "RFC 3161 time-stamping",
                params: &[],
                body: Some(json!({"application/timestamp-query": {"schema": {"type": "string", "format": "binary"}}})),
                ok: json!({"description": "TimeStampResp (DER)", "content": {"application/timestamp-reply": {"schema": {"type": "string", "format": "binary"}}}}),
            })},
            "/v1/recipients": {"get": op(Op {
                summary: "Search recipients by SIRET, SIREN, NIR or name (prefix, case- and accent-insensitive)",
                params: &[
                    ("siret", "query", false, "SIRET (14 chiffres)"),
                    ("siren", "query", false, "SIREN (9 chiffres)"),
                    ("nir", "query", false, "NIR (15 caractères)"),
                    ("name", "query", false, "Début du nom"),
                ],
                body: None,
                ok: ok_json("RecipientList"),
            }), "post": create_recipient(json_body("NewRecipient"))},
            "/v1/recipients/{id}": {"get": op(Op {
                summary: "Recipient card",
                params: &[("id", "path", true, "Identifiant du destinataire")],
                body: None,
                ok: ok_json("Recipient"),
            })},
            "/v1/recipients/{id}/consents": {"get": op(Op {
                summary: "The recipient's consents to electronic service in the register (CPC 748-2), in force or not",
                params: &[("id", "path", true, "Identifiant du destinataire")],
                body: None,
                ok: ok_json("ConsentList"),
            })},
            "/v1/recipients/{id}/invitations": {
                "get": op(Op {
                    summary: "This office's invitations to electronic service of the recipient, newest first",
                    params: &[("id", "path", true, "Identifiant du destinataire")],
                    body: None,
                    ok: ok_json("InvitationList"),
                }),
                "post": invitation_created(op(Op {
                    summary: "Invite the recipient to consent to electronic service: the vault e-mails and texts a personal link to the portal, where the recipient proves both contacts and answers (nothing is stored if either could not be sent)",
                    params: &[("id", "path", true, "Identifiant du destinataire")],
                    body: Some(json_body("InvitationRequest")),
                    ok: Value::Null,
                })),
            },
            "/v1/invitations/{id}/resend": {"post": op(Op {
                summary: "Send an unanswered invitation again: a new link (the old one stops working), a new answering time",
                params: &[("id", "path", true, "Identifiant de l'invitation")],
                body: None,
                ok: ok_json("Invitation"),
            })},
            "/v1/invitations/{id}/withdraw": {"post": op(Op {
                summary: "Withdraw an unanswered invitation",
                params: &[("id", "path", true, "Identifiant de l'invitation")],
                body: None,
                ok: ok_json("Invitation"),
            })},
            "/v1/recipients/{id}/reception/{nature}": {"get": op(Op {
                summary: "Open or closed now for this recipient and nature, and the next opening",
                params: &[
                    ("id", "path", true, "Identifiant du destinataire"),
                    ("nature", "path", true, "Code de la nature d'acte"),
                    ("judge_permission", "query", false, "Référence de l'autorisation du juge"),
                    ("alsace_moselle", "query", false, "true : l'étude est en Alsace-Moselle (Vendredi saint, 26 décembre) ; son lieu quand l'opérateur n'en a déclaré aucun, pour un destinataire de lieu inconnu (le lieu du destinataire prime)"),
                ],
                body: None,
                ok: ok_json("ReceptionStatus"),
            })},
            "/v1/health": {"get": {
                "summary": "Whether this instance can serve (metadata and blob stores answer), for load balancers; no certificate needed",
                "responses": {
                    "200": {"description": "En service", "content": json_content(schema_ref("Health"))},
                    "503": {"description": "Hors service : la base ou le stockage ne répond pas", "content": json_content(schema_ref("Health"))}
                }
            }},
            "/v1/natures": {"get": op(Op {
                summary: "Catalogue of natures of acts",
                params: &[],
                body: None,
                ok: ok_json_schema(array(schema_ref("Nature"))),
            })},
            "/v1/deposits/{key}": {"put": op(Op {
                summary: "Deposit a package: a streamed ZIP (manifest.json, the signed PDF/A acts, their .p7s, message_acte.xml, flux_acte.xml rebuilt and compared byte for byte by the vault); idempotent per key",
                params: &[
                    ("key", "path", true, "Clé d'idempotence (8 à 128 caractères [A-Za-z0-9._-])"),
                    ("x-content-sha256", "header", true, "SHA-256 du paquet (hexadécimal)"),
                ],
                body: Some(json!({"application/zip": {"schema": {"type": "string", "format": "binary"}}})),
                ok: ok_json("DepositReceipt"),
            })},
            "/v1/events": {"get": op(Op {
                summary: "Event feed after a cursor (long-poll)",
                params: &[
                    ("after", "query", false, "Curseur : dernier numéro reçu"),
                    ("wait", "query", false, "Attente maximale en secondes"),
                ],
                body: None,
                ok: ok_json("FeedPage"),
            })},
            "/v1/services": {"get": op(Op {
                summary: "Search services with every criterion of the manual",
                params: &[
                    ("from", "query", false, "Date de signification, début (AAAA-MM-JJ)"),
                    ("to", "query", false, "Date de signification, fin (AAAA-MM-JJ)"),
                    ("state", "query", false, "État de remise"),
                    ("reference", "query", false, "Référence"),
                    ("document", "query", false, "Nom de document"),
                    ("recipient_id", "query", false, "Identifiant du destinataire"),
                    ("nature", "query", false, "Nature d'acte"),
                    ("source", "query", false, "Origine (form, edi)"),
                    ("page", "query", false, "Page (à partir de 1)"),
                    ("per_page", "query", false, "Résultats par page"),
                ],
                body: None,
                ok: ok_json("SearchPage"),
            })},
            "/v1/services/{id}": {"get": op(Op {
                summary: "Service detail sheet with its history",
                params: &[("id", "path", true, "Identifiant du dépôt")],
                body: None,
                ok: ok_json("ServiceDetail"),
            })},
            "/v1/vault": {"get": op(Op {
                summary: "List a folder of the office vault",
                params: &[("path", "query", false, "Dossier (racine si absent)")],
                body: None,
                ok: ok_json("VaultListing"),
            })},
            "/v1/vault/file": {
                "get": op(Op {
                    summary: "Download a file",
                    params: &[PATH],
                    body: None,
                    ok: json!({"description": "Le fichier", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}),
                }),
                "put": op(Op {
                    summary: "Transfer a file of the workstation into the office vault (streamed body; size-limited, 413; an existing name is refused, 409; names as sceau-core sanitises them)",
                    params: &[
                        ("path", "query", true, "Chemin du nouveau fichier (dossier existant / nom)"),
                        ("x-content-sha256", "header", false, "SHA-256 du fichier (hexadécimal), vérifié s'il est donné"),
                    ],
                    body: Some(json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})),
                    ok: ok_json("VaultEntry"),
                }),
                "delete": op(Op {
                    summary: "Delete a file or a folder with its content (refused, 409 retained, while it, something in it or a folder above it is within its retention period)",
                    params: &[PATH],
                    body: None,
                    ok: json!({"description": "Supprimé"}),
                })
            },
            "/v1/vault/properties": {
                "get": op(Op {
                    summary: "Properties of a file or folder",
                    params: &[PATH],
                    body: None,
                    ok: ok_json("VaultEntry"),
                }),
                "patch": op(Op {
                    summary: "Set the description and/or set or extend the retention of a file or folder (never shortened nor in the past: 409 retention_shortened, 422 retention_past; description refused: 422 description_invalid; another office's path: 404)",
                    params: &[],
                    body: Some(json_body("VaultPropertiesRequest")),
                    ok: ok_json("VaultEntry"),
                })
            },
            "/v1/vault/folders": {"post": op(Op {
                summary: "Create a folder",
                params: &[],
                body: Some(json_body("MkdirRequest")),
                ok: ok_json("VaultEntry"),
            })},
            "/v1/vault/move": {"post": op(Op {
                summary: "Move or rename (description and retention follow; nothing leaves a retained folder: 409 retained_folder)",
                params: &[],
                body: Some(json_body("MoveRequest")),
                ok: ok_json("VaultEntry"),
            })},
            "/v1/bank/acts": {"get": op(Op {
                summary: "Bank API: the bank's new acts (all with ?all=true)",
                params: &[("all", "query", false, "Tous les actes, pas seulement les nouveaux")],
                body: None,
                ok: ok_json("BankActList"),
            })},
            "/v1/bank/acts/{id}/documents/{name}": {"get": op(Op {
                summary: "Bank API: download an act (records the consultation)",
                params: &[
                    ("id", "path", true, "Identifiant du dépôt"),
                    ("name", "path", true, "Nom du document"),
                ],
                body: None,
                ok: json!({"description": "L'acte (PDF/A)", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}),
            })},
            "/v1/bank/acts/{id}/package": {"get": op(Op {
                summary: "Bank API: the sealed archive (acts, signatures, data message, single XML flow, deposit attestation; records the consultation)",
                params: &[("id", "path", true, "Identifiant du dépôt")],
                body: None,
                ok: json!({"description": "L'archive ZIP", "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}),
            })},
            "/v1/bank/acts/{id}/flow": {"get": op(Op {
                summary: "Bank API: the single XML flow flux_acte.xml (data message and signed acts with their CAdES signatures in one XML document, resources/schemas/flux_acte.xsd; records the consultation)",
                params: &[("id", "path", true, "Identifiant du dépôt")],
                body: None,
                ok: json!({"description": "Le flux XML", "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}}}),
            })},
            "/v1/bank/acts/{id}/return": {"put": op(Op {
                summary: "Bank API: deposit the return (PDF, optional structured answer)",
                params: &[("id", "path", true, "Identifiant du dépôt")],
                body: Some(json_body("ReturnUpload")),
                ok: ok_json("ReturnReceipt"),
            })},
            "/v1/vault/proof": {"get": op(Op {
                summary: "Proof bundle of a file, checked offline by `sceau verify-proof`",
                params: &[PATH],
                body: None,
                ok: ok_json("ProofBundle"),
            })}
        }
    })
}
