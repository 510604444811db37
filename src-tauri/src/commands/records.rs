//! Commands of the search and a service's detail, its downloads and its plain letter.

use super::*;

// ------------------------------------------------------------------ search, detail

/// One page of search results in the chosen order, with the total on the first page.
#[tauri::command]
pub async fn search_services(shell: St<'_>, request: SearchRequest) -> ApiResult<SearchPage> {
    let app = shell.app()?;
    let c = &request.criteria;
    let from = day("de début", &c.date_from)?;
    let to = day("de fin", &c.date_to)?;
    let (served_from, served_until) = sceau_app::paris_days(from, to);
    let criteria = sceau_app::SearchCriteria {
        served_from,
        served_until,
        state: c.state,
        reference: nonempty(&c.reference),
        document_name: nonempty(&c.document),
        recipient: nonempty(&c.recipient),
        recipient_id: None,
        nature: nonempty(&c.nature),
        source: c.source,
        sort: c.sort.map(Into::into).unwrap_or_default(),
    };
    let query = sceau_app::SearchQuery {
        criteria,
        filter: nonempty(&c.filter),
    };
    let found = app.search_services(&query, page_of(request.offset))?;
    let total = if request.offset == 0 {
        app.search_total(&query)?
    } else {
        None
    };
    Ok(SearchPage {
        items: found
            .items
            .into_iter()
            .map(|r| ServiceSummary {
                service_id: r.service.id.0.to_string(),
                deposited_at: r.service.served_at.unwrap_or(r.service.created_at),
                state: r
                    .service
                    .state
                    .unwrap_or(DeliveryState::AwaitingConsultation),
                file: r.first_document,
                nature: r.nature_label,
                reference: r.service.reference,
                recipient: r.service.recipient_name,
                source: r.service.source,
            })
            .collect(),
        has_more: found.has_more,
        total,
    })
}

/// The detail sheet (also marks its notifications seen).
#[tauri::command]
pub async fn service_detail(
    handle: AppHandle,
    shell: St<'_>,
    request: ServiceRequest,
) -> ApiResult<ServiceDetail> {
    let app = shell.app()?;
    let v = app.show(&request.service_id, Some(Auth::Session)).await?;
    feed::publish(&handle);
    let local_state = v.state.unwrap_or(DeliveryState::AwaitingConsultation);
    let (act, attestation, delivery_notice, act_return) = match &v.vault {
        Some(d) => (
            ActSection {
                reference: d.act.reference.clone(),
                deposited_at: d.act.deposited_at,
                documents: d.act.documents.clone(),
                nature: d.act.nature_label.clone(),
                state: d.act.state,
                recipient: d.act.recipient_name.clone(),
                recipient_siret: d.act.recipient_siret.clone(),
            },
            Some(AttestationSection {
                served_at: d.attestation.served_at,
                archive_name: d.attestation.archive_name.clone(),
                xml_name: d.attestation.xml_name.clone(),
            }),
            d.delivery_notice.as_ref().map(FiledSection::from),
            d.act_return.as_ref().map(FiledSection::from),
        ),
        None => (
            ActSection {
                reference: v.reference.clone(),
                deposited_at: v.served_at.unwrap_or(v.created_at),
                documents: v.documents.iter().map(|(n, _)| n.clone()).collect(),
                nature: sceau_app::nature_label(&v.nature),
                state: local_state,
                recipient: v.recipient_name.clone(),
                recipient_siret: None,
            },
            v.served_at.map(|at| AttestationSection {
                served_at: at,
                archive_name: v.archive.as_deref().map(file_name).unwrap_or_default(),
                xml_name: String::new(),
            }),
            v.delivery_notice_file.as_deref().map(|p| FiledSection {
                at: v.served_at.unwrap_or(v.created_at),
                file_name: file_name(p),
                state: v.state_fr.clone(),
            }),
            v.return_file.as_deref().map(|p| FiledSection {
                at: v.served_at.unwrap_or(v.created_at),
                file_name: file_name(p),
                state: "Retour reçu".into(),
            }),
        ),
    };
    Ok(ServiceDetail {
        service_id: v.id.to_string(),
        act,
        attestation,
        delivery_notice,
        act_return,
        history: v
            .history
            .iter()
            .map(|(at, m)| HistoryLine {
                at: *at,
                message: m.clone(),
            })
            .collect(),
        unseen: false,
    })
}

/// Saves a file of the detail sheet in the download directory (the local copy kept by sync,
/// else from the office's vault).
#[tauri::command]
pub async fn download(
    handle: AppHandle,
    shell: St<'_>,
    request: DownloadRequest,
) -> ApiResult<SavedFile> {
    let which = match request.kind {
        DownloadKind::Archive => sceau_app::ServiceFile::Archive,
        DownloadKind::DeliveryNotice => sceau_app::ServiceFile::DeliveryNotice,
        DownloadKind::Return => sceau_app::ServiceFile::Return,
    };
    let to = Destination::Folder(downloads(&handle)?);
    let app = shell.app()?;
    Ok(SavedFile::from(
        app.save_service_file(Auth::Session, &request.service_id, which, &to)
            .await?,
    ))
}

/// Drafts the plain letter of a delivery "à domicile" (PDF in the download directory).
#[tauri::command]
pub async fn letter(
    handle: AppHandle,
    shell: St<'_>,
    request: ServiceRequest,
) -> ApiResult<PlainLetter> {
    let app = shell.app()?;
    let to = Destination::Folder(downloads(&handle)?);
    let key = request.service_id;
    let (letter, file) = tauri::async_runtime::spawn_blocking(move || app.save_letter(&key, &to))
        .await
        .map_err(internal)??;
    Ok(PlainLetter {
        path: file.path.display().to_string(),
        dated: letter.date.format("%Y-%m-%d").to_string(),
    })
}

/// "Exporter l'historique": the service's history as PDF/A in the download directory.
#[tauri::command]
pub async fn history_pdf(
    handle: AppHandle,
    shell: St<'_>,
    request: ServiceRequest,
) -> ApiResult<SavedFile> {
    let to = Destination::Folder(downloads(&handle)?);
    Ok(SavedFile::from(
        shell.app()?.save_history(&request.service_id, &to).await?,
    ))
}
