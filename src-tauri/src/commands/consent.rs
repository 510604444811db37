//! Commands of "Nouveau destinataire" and of consent to electronic service on the recipient's
//! card: where the consent stands, inviting the recipient, resending or withdrawing an
//! invitation (issue 17).

use super::*;

/// The window's answer to "Nouveau destinataire": problems and duplicates are results the form
/// shows (beside the fields, as cards to pick), not errors; other failures stay errors.
fn add_result(
    r: Result<sceau_app::RecipientView, sceau_app::Error>,
) -> ApiResult<AddRecipientResult> {
    match r {
        Ok(view) => Ok(AddRecipientResult::Created {
            recipient: Recipient::from(view),
        }),
        Err(sceau_app::Error::RecipientInvalid { problems }) => Ok(AddRecipientResult::Invalid {
            problems: problems.iter().map(RecipientProblem::from).collect(),
        }),
        Err(e) => {
            let message = e.message_fr();
            match e {
                sceau_app::Error::RecipientDuplicate { existing } => {
                    Ok(AddRecipientResult::Duplicate {
                        message,
                        existing: existing.into_iter().map(Recipient::from).collect(),
                    })
                }
                e => Err(e.into()),
            }
        }
    }
}

/// "Nouveau destinataire": a private person or a company, created in the vault.
#[tauri::command]
pub async fn add_recipient(
    shell: St<'_>,
    request: NewRecipientRequest,
) -> ApiResult<AddRecipientResult> {
    let app = shell.app()?;
    let r = app.add_recipient(Auth::Session, request.into()).await;
    track_online(&shell, &r);
    add_result(r)
}

/// Where the recipient's consent stands for this office: consents, natures in force now,
/// invitations, one French sentence.
#[tauri::command]
pub async fn consent_overview(
    shell: St<'_>,
    request: ConsentRequest,
) -> ApiResult<ConsentOverview> {
    let app = shell.app()?;
    let r = app
        .consent_overview(Auth::Session, &request.recipient_id)
        .await;
    track_online(&shell, &r);
    Ok(r?.into())
}

/// "Inviter à consentir": the vault e-mails and texts the recipient a personal link.
#[tauri::command]
pub async fn invite_recipient(shell: St<'_>, request: InviteRequest) -> ApiResult<InvitationView> {
    let app = shell.app()?;
    let r = app
        .invite(
            Auth::Session,
            &request.recipient_id,
            request.natures,
            request.days,
            request.consent_months,
        )
        .await;
    track_online(&shell, &r);
    Ok(InvitationView::from(&r?))
}

/// "Renvoyer" / "Retirer" an invitation not answered.
#[tauri::command]
pub async fn invitation_action(
    shell: St<'_>,
    request: InvitationActionRequest,
) -> ApiResult<InvitationView> {
    let app = shell.app()?;
    let r = app
        .invitation_action(Auth::Session, &request.invitation_id, request.action.into())
        .await;
    track_online(&shell, &r);
    Ok(InvitationView::from(&r?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn card(id: &str) -> sceau_app::RecipientView {
        sceau_app::RecipientView {
            id: id.into(),
            kind: RecipientKind::Person,
            name: "DURAND Paul".into(),
            siret: None,
            siren: None,
            nir_masked: None,
            email: Some("paul.durand@courriel.example".into()),
            phone_fixed: None,
            phone_mobile: Some("+33612345678".into()),
            region: None,
            from_cache: false,
        }
    }

    #[test]
    fn a_new_recipient_is_created_refused_field_by_field_or_a_duplicate() {
        let created = add_result(Ok(card("r-1"))).unwrap();
        assert!(
            matches!(&created, AddRecipientResult::Created { recipient } if recipient.id == "r-1")
        );

        let invalid = add_result(Err(sceau_app::Error::RecipientInvalid {
            problems: vec![
                sceau_app::RecipientProblem::Email,
                sceau_app::RecipientProblem::Missing {
                    field: sceau_app::RecipientField::City,
                },
            ],
        }))
        .unwrap();
        let AddRecipientResult::Invalid { problems } = invalid else {
            panic!("{invalid:?}")
        };
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.code.as_str(), p.field))
                .collect::<Vec<_>>(),
            [
                ("recipient.bad_email", RecipientField::Email),
                ("recipient.missing", RecipientField::City)
            ]
        );
        assert!(problems[1].message.contains("la ville"), "{problems:?}");

        let dup = add_result(Err(sceau_app::Error::RecipientDuplicate {
            existing: vec![card("r-7")],
        }))
        .unwrap();
        let AddRecipientResult::Duplicate { message, existing } = dup else {
            panic!("{dup:?}")
        };
        assert_eq!(existing[0].id, "r-7");
        assert!(message.contains("existe déjà"), "{message}");

        // Anything else stays an error with its code.
        assert_eq!(
            add_result(Err(sceau_app::Error::NoVault)).unwrap_err().code,
            "app.no_vault"
        );
    }

    #[test]
    fn the_form_sends_the_tagged_kind_and_blank_nir_is_none() {
        let r: NewRecipientRequest = serde_json::from_str(
            r#"{"kind":"person","civility":"Mme","last_name":"Durand","first_names":"Anne",
                "birth_date":"01/02/1980","email":"a@b.fr","mobile":"0612345678",
                "address_lines":["1 rue de la Paix"],"postal_code":"75002","city":"Paris",
                "nir":" "}"#,
        )
        .unwrap();
        assert_eq!(format!("{r:?}"), "NewRecipientRequest::Person(..)");
        let sceau_app::NewRecipient::Person(p) = sceau_app::NewRecipient::from(r) else {
            panic!("not a person")
        };
        assert_eq!(p.civility, sceau_app::Civility::Mme);
        assert_eq!(p.address.lines, ["1 rue de la Paix"]);
        assert_eq!(p.nir, None);
        let c: NewRecipientRequest = serde_json::from_str(
            r#"{"kind":"company","siret":"73282932000074","name":"X","email":"a@b.fr","mobile":"0612345678"}"#,
        )
        .unwrap();
        assert!(matches!(
            sceau_app::NewRecipient::from(c),
            sceau_app::NewRecipient::Company(_)
        ));
    }

    #[test]
    fn invitations_not_answered_may_be_resent_or_withdrawn() {
        let at = chrono::Utc::now();
        let inv = |state| sceau_app::Invitation {
            id: "i-1".into(),
            recipient_id: "r-1".into(),
            natures: vec!["commandement_payer".into()],
            state,
            sent_at: at,
            expires_at: at,
            answered_at: None,
            consent_id: None,
            consent_months: None,
        };
        for (state, open) in [
            (InvitationState::Pending, true),
            (InvitationState::Expired, true),
            (InvitationState::Locked, true),
            (InvitationState::Accepted, false),
            (InvitationState::Refused, false),
            (InvitationState::Withdrawn, false),
        ] {
            let v = InvitationView::from(&inv(state));
            assert_eq!(v.open, open, "{state:?}");
            assert_eq!(v.label, state.label_fr());
        }
    }
}
