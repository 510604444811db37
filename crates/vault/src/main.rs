//! `sceau-vault`: create a data directory, serve, manage recipients, consents and reception
//! rules, verify the evidence journal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use clap::{Parser, Subcommand};
use sceau_core::hours::ReceptionRule;
use sceau_vault::config::{Clock, Config, SystemClock};
use sceau_vault::journal::Verification;
use sceau_vault::{admin, OperatorStore, Vault};

#[derive(Parser)]
#[command(
    name = "sceau-vault",
    version,
    about = "Coffre-fort Sceau : serveur de dépôt des actes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a data directory: vault CA, TLS, seal and TSA keys, and DIR/vault.toml.
    Init {
        /// Data directory to create.
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: String,
        /// Names of the server (TLS certificate), repeatable.
        #[arg(long = "name", default_values_t = vec!["localhost".to_string(), "127.0.0.1".to_string()])]
        names: Vec<String>,
        /// PEM file of a CA whose certificates offices authenticate with, repeatable.
        #[arg(long = "client-ca")]
        client_ca: Vec<PathBuf>,
        /// PEM file of a CA whose certificates banks authenticate with (bank API only),
        /// repeatable; none: banks' certificates chain to the offices' CAs.
        #[arg(long = "bank-ca")]
        bank_ca: Vec<PathBuf>,
        /// Address of the recipients' portal; by default the API's port + 1 on the same
        /// address (none when the API's port is 0, as in tests).
        #[arg(long = "portal-listen")]
        portal_listen: Option<String>,
    },
    /// Run the server.
    Serve {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Recipients directory.
    #[command(alias = "recipient")]
    Recipients {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        #[command(subcommand)]
        action: RecipientsAction,
    },
    /// Consent register.
    Consent {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        #[command(subcommand)]
        action: ConsentAction,
    },
    /// Reception rules.
    Rules {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Recipient id.
        #[arg(long)]
        recipient: String,
        /// Nature code.
        #[arg(long)]
        nature: String,
        /// Window `mon,tue 08:00-12:00`, repeatable; none removes the restriction.
        #[arg(long = "window")]
        windows: Vec<String>,
    },
    /// Bank certificates (bank API over mutual TLS).
    Bank {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Recipient id (of kind bank).
        #[arg(long)]
        recipient: String,
        /// PEM file of the bank's client certificate to bind to it.
        #[arg(long)]
        cert: PathBuf,
    },
    /// Check a proof bundle (from GET /v1/vault/proof) offline, and the file if given.
    VerifyProof {
        /// The bundle (JSON).
        bundle: PathBuf,
        /// The file the bundle is about.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Remove the blobs of uploads interrupted before their commit (run with the server
    /// stopped; the server also does it at each start). Never a referenced blob.
    Gc {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Offices declared by the operator: only those can be bound at a first connection.
    Office {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
        #[command(subcommand)]
        action: OfficeAction,
    },
    /// Check the evidence journal's hash chain.
    VerifyJournal {
        /// Configuration file.
        #[arg(long)]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum RecipientsAction {
    /// Import FILE.csv or FILE.json (all or nothing).
    Import {
        /// The file.
        file: PathBuf,
    },
    /// How a recipient is told of its acts: per_act (an e-mail and an SMS per act, the
    /// default), email_only (an e-mail per act, no SMS), digest (one e-mail per batch listing
    /// the acts, no SMS) or api_only (no notice: the acts are taken through the bank API).
    /// Every deposit keeps its evidence record.
    Notices {
        /// Recipient id.
        recipient: String,
        /// per_act, email_only, digest or api_only.
        mode: sceau_vault::notify::Notices,
    },
    /// A recipient's place (its registered office for a company, its address for a person):
    /// the département or collectivité code (`75`, `67`, `2A`, `972`…) whose time zone and
    /// calendar govern its services from now on, or `aucun` to forget it (the office's place
    /// then governs). Deposits already accepted keep theirs.
    Place {
        /// Recipient id.
        recipient: String,
        /// The code, or `aucun`.
        place: String,
    },
}

#[derive(Subcommand)]
enum OfficeAction {
    /// Declare an office: who may bind it, under which CA (again to change it).
    Add {
        /// Office number.
        #[arg(long)]
        number: String,
        /// The holder: the certificate's whole subject (RFC 4514, e.g. `CN=Jeanne
        /// DUPONT,O=Etude 9991`) or its common name.
        #[arg(long)]
        holder: String,
        /// PEM file of the CA that issues the office's certificates (one of `client_ca_files`).
        #[arg(long)]
        ca: PathBuf,
        /// Name of the office (else the name typed at the first connection).
        #[arg(long)]
        name: Option<String>,
        /// The office's place: its département or collectivité code (`75`, `67`, `2A`, `972`…),
        /// whose time zone and calendar govern its services to recipients of unknown place.
        #[arg(long)]
        region: Option<sceau_core::region::Region>,
        /// The office's phone, shown in the notices to its recipients (empty: forget it;
        /// absent: unchanged).
        #[arg(long)]
        phone: Option<String>,
        /// The office's postal address on one line, shown in the notices (empty: forget it;
        /// absent: unchanged).
        #[arg(long)]
        address: Option<String>,
    },
    /// List the declared offices with their place, phone and address (JSON lines).
    List,
}

#[derive(Subcommand)]
enum ConsentAction {
    /// Record a consent given to the operator (a convention, e.g. with a bank); journaled.
    Add {
        /// Recipient id.
        #[arg(long)]
        recipient: String,
        /// Nature code, repeatable.
        #[arg(long = "nature", required_unless_present = "every_nature")]
        natures: Vec<String>,
        /// Every nature of the catalogue (as of today).
        #[arg(long = "toutes-natures", conflicts_with = "natures")]
        every_nature: bool,
        /// When it was given: 2026-03-02 (start of that day, Paris), 2026-03-02T15:00 (Paris)
        /// or RFC 3339; not in the future. Default: now.
        #[arg(long)]
        given_at: Option<String>,
        /// When it ends: a day (in force through that day), a Paris time or RFC 3339.
        #[arg(long)]
        expires_at: Option<String>,
        /// How it was given.
        #[arg(long, default_value = "convention")]
        how: String,
    },
    /// Revoke a consent now (for deposits accepted from now on); journaled.
    Revoke {
        /// Consent id.
        id: String,
    },
    /// List consents (JSON lines).
    List {
        /// Only this recipient.
        #[arg(long)]
        recipient: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run() {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<sceau_vault::Error>() {
                // The operator sees the cause of an internal error too (a client never does).
                Some(v) if v.status().is_server_error() => {
                    let mut cause = v.to_string();
                    let mut source = std::error::Error::source(v);
                    while let Some(s) = source {
                        cause.push_str(&format!(" : {s}"));
                        source = s.source();
                    }
                    eprintln!(
                        "erreur ({}) : {}\ncause : {cause}",
                        v.code(),
                        v.message_fr()
                    )
                }
                Some(v) => eprintln!("erreur ({}) : {}", v.code(), v.message_fr()),
                None => eprintln!("erreur : {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

/// The system clock; with the `test-clock` feature (never in production builds), the clock
/// shifted by the file named in `SCEAU_VAULT_TEST_CLOCK` when it is set.
fn clock() -> Arc<dyn Clock> {
    #[cfg(feature = "test-clock")]
    if let Some(path) = std::env::var_os(sceau_vault::config::TEST_CLOCK_ENV) {
        tracing::warn!("horloge de test active (build de test uniquement)");
        return Arc::new(sceau_vault::config::ShiftedClock { path: path.into() });
    }
    Arc::new(SystemClock)
}

/// Opens the vault to serve it (or collect its blobs): takes the data directory's lock.
fn open(config: &Path, rt: &tokio::runtime::Runtime) -> anyhow::Result<Arc<Vault>> {
    let cfg = Config::load(config)?;
    Ok(rt.block_on(Vault::open(cfg, clock(), Arc::new(sceau_vault::SceauPdfa)))?)
}

/// Opens the metadata only, for operator commands: safe beside a running server.
fn open_meta(config: &Path, rt: &tokio::runtime::Runtime) -> anyhow::Result<OperatorStore> {
    let cfg = Config::load(config)?;
    Ok(rt.block_on(OperatorStore::open(cfg))?)
}

/// Parses the command line and runs the subcommand.
fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    match cli.command {
        Command::Init {
            dir,
            listen,
            names,
            client_ca,
            bank_ca,
            portal_listen,
        } => init(&dir, &listen, &names, client_ca, bank_ca, portal_listen),
        Command::Serve { config } => serve(&config, &rt),
        Command::Bank {
            config,
            recipient,
            cert,
        } => bank(&config, &rt, &recipient, &cert),
        Command::Recipients { config, action } => recipients(&config, &rt, action),
        Command::Consent { config, action } => consent(&config, &rt, action),
        Command::Rules {
            config,
            recipient,
            nature,
            windows,
        } => rules(&config, &rt, &recipient, nature, &windows),
        Command::VerifyProof { bundle, file } => verify_proof(&bundle, file),
        Command::Gc { config } => gc(&config, &rt),
        Command::Office { config, action } => office(&config, &rt, action),
        Command::VerifyJournal { config } => verify_journal(&config, &rt),
    }
}

/// `init`: the data directory, then the bank CAs and the portal's address in its configuration.
fn init(
    dir: &Path,
    listen: &str,
    names: &[String],
    client_ca: Vec<PathBuf>,
    bank_ca: Vec<PathBuf>,
    portal_listen: Option<String>,
) -> anyhow::Result<ExitCode> {
    let path = sceau_vault::init(dir, listen, names, client_ca)?;
    if !bank_ca.is_empty() {
        let mut cfg = sceau_vault::config::Config::load(&path)?;
        cfg.bank_ca_files = bank_ca;
        cfg.save(&path)?;
    }
    if let Some(portal) = portal_listen.or_else(|| next_port(listen)) {
        let port = portal
            .rsplit_once(':')
            .map(|(_, p)| p)
            .context("--portal-listen: HOTE:PORT attendu")?;
        let mut cfg = sceau_vault::config::Config::load(&path)?;
        cfg.portal.public_url = format!(
            "https://{}:{port}",
            names.first().map_or("localhost", String::as_str)
        );
        cfg.portal.listen = Some(portal);
        cfg.save(&path)?;
    }
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `serve`: the API, the portal and the background tasks, until the process ends.
fn serve(config: &Path, rt: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let vault = open(config, rt)?;
    rt.block_on(async {
        // With the test clock only: decisions due at the shifted time are taken before
        // the first request, so a test reads them without waiting for the scheduler.
        #[cfg(feature = "test-clock")]
        if std::env::var_os(sceau_vault::config::TEST_CLOCK_ENV).is_some() {
            match sceau_vault::delivery::decide_due(&vault).await {
                Ok(n) => tracing::info!(decided = n, "delivery decisions at start"),
                Err(e) => {
                    tracing::error!(code = e.code(), detail = %e, "delivery catch-up")
                }
            }
        }
        let listener = tokio::net::TcpListener::bind(&vault.config.listen)
            .await
            .with_context(|| format!("listening on {}", vault.config.listen))?;
        let addr = listener.local_addr()?;
        // Tests and scripts read the bound address (the port may be 0 in the config).
        println!("listening on {addr}");
        tracing::info!(%addr, "vault serving");
        let tls = vault.tls_config()?;
        let limits = sceau_vault::ConnLimits::of(&vault.config);
        // Delivery decisions at each deadline; the first pass catches up after downtime.
        tokio::spawn(sceau_vault::delivery::run_scheduler(
            vault.clone(),
            std::time::Duration::from_secs(60),
        ));
        // The recipients' portal: its own listener, no client certificate asked.
        if let Some(addr) = vault.config.portal.listen.clone() {
            let pl = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("listening on {addr}"))?;
            println!("portal listening on {}", pl.local_addr()?);
            let ptls = sceau_vault::portal::tls_config(&vault)?;
            let papp = sceau_vault::portal_app(vault.clone());
            tokio::spawn(async move {
                if let Err(e) = sceau_vault::serve_with(pl, ptls, papp, limits).await {
                    tracing::error!(error = %e, "portal stopped");
                }
            });
        }
        // Portal links, codes and sessions past their life are deleted.
        tokio::spawn(sceau_vault::portal::run_purge(
            vault.clone(),
            std::time::Duration::from_secs(600),
        ));
        // The journal's head sealed and time-stamped at regular intervals.
        tokio::spawn(sceau_vault::journal::run_checkpoints(
            vault.clone(),
            std::time::Duration::from_secs(vault.config.checkpoint_interval_secs),
        ));
        // Notifications of accepted deposits (durable queue, retries with back-off).
        tokio::spawn(sceau_vault::notify::run_notifier(
            vault.clone(),
            std::time::Duration::from_secs(60),
        ));
        sceau_vault::serve_with(listener, tls, sceau_vault::app(vault), limits).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `bank`: binds a bank's client certificate to its recipient.
fn bank(
    config: &Path,
    rt: &tokio::runtime::Runtime,
    recipient: &str,
    cert: &Path,
) -> anyhow::Result<ExitCode> {
    let vault = open_meta(config, rt)?;
    let fp = admin::bind_bank(
        vault.meta.as_ref(),
        &vault.config,
        recipient,
        cert,
        clock().now(),
    )?;
    println!("certificat {fp} rattaché à la banque {recipient}");
    Ok(ExitCode::SUCCESS)
}

/// `recipients`: the directory's import.
fn recipients(
    config: &Path,
    rt: &tokio::runtime::Runtime,
    action: RecipientsAction,
) -> anyhow::Result<ExitCode> {
    let vault = open_meta(config, rt)?;
    match action {
        RecipientsAction::Import { file } => {
            let n = admin::import_recipients(vault.meta.as_ref(), &file)?;
            println!("{n} destinataire(s) importé(s)");
        }
        RecipientsAction::Place { recipient, place } => {
            let region = match place.trim() {
                "aucun" | "none" => None,
                code => Some(sceau_core::region::Region::from_code(code).map_err(|e| {
                    anyhow::anyhow!("{} (ou « aucun » pour l'oublier)", e.message_fr())
                })?),
            };
            admin::set_recipient_place(vault.meta.as_ref(), &recipient, region.as_ref())?;
            match region {
                Some(r) => println!(
                    "destinataire {recipient} : lieu {} ({}), fuseau {}, pour les dépôts à venir",
                    r,
                    r.name_fr(),
                    r.time_zone().name()
                ),
                None => println!(
                    "destinataire {recipient} : lieu oublié (le lieu de l'étude s'appliquera), \
                     pour les dépôts à venir"
                ),
            }
        }
        RecipientsAction::Notices { recipient, mode } => {
            admin::set_notices(vault.meta.as_ref(), &recipient, mode)?;
            let window = match mode {
                sceau_vault::notify::Notices::Digest => format!(
                    " (actes d'une même étude déposés en {} minute(s))",
                    vault.config.notify.digest_window_minutes
                ),
                _ => String::new(),
            };
            println!(
                "destinataire {recipient} : {}{window}, pour les dépôts à venir",
                mode.label_fr()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `consent`: records, revokes or lists consents.
fn consent(
    config: &Path,
    rt: &tokio::runtime::Runtime,
    action: ConsentAction,
) -> anyhow::Result<ExitCode> {
    let vault = open_meta(config, rt)?;
    match action {
        ConsentAction::Add {
            recipient,
            natures,
            every_nature,
            given_at,
            expires_at,
            how,
        } => {
            let now = clock().now();
            let given_at = match given_at {
                Some(t) => admin::parse_instant(&t, false)?,
                None => now,
            };
            let expires_at = expires_at
                .map(|t| admin::parse_instant(&t, true))
                .transpose()?;
            let natures = if every_nature {
                admin::NatureChoice::Every
            } else {
                admin::NatureChoice::Listed(natures)
            };
            let c = admin::add_consent(
                vault.meta.as_ref(),
                &recipient,
                natures,
                given_at,
                expires_at,
                &how,
                now,
            )?;
            println!("{}", c.id);
        }
        ConsentAction::Revoke { id } => {
            let c = admin::revoke_consent(vault.meta.as_ref(), &id, clock().now())?;
            println!(
                "consentement {id} révoqué le {}",
                sceau_core::naming::format_paris(c.revoked_at.unwrap_or_else(|| clock().now()))
            );
        }
        ConsentAction::List { recipient } => {
            let list = sceau_vault::store::sql::tx(vault.meta.as_ref(), |sql| {
                sceau_vault::store::meta::list_consents(sql, recipient.as_deref())
            })?;
            for c in list {
                println!("{}", serde_json::to_string(&c)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `rules`: sets a recipient's reception windows for a nature.
fn rules(
    config: &Path,
    rt: &tokio::runtime::Runtime,
    recipient: &str,
    nature: String,
    windows: &[String],
) -> anyhow::Result<ExitCode> {
    let vault = open_meta(config, rt)?;
    if vault.natures.get(&nature).is_none() {
        return Err(anyhow!(sceau_vault::Error::UnknownNature(nature)));
    }
    let rule = ReceptionRule {
        windows: windows
            .iter()
            .map(|w| admin::parse_window(w))
            .collect::<Result<_, _>>()?,
    };
    admin::set_rule(vault.meta.as_ref(), recipient, &nature, &rule)?;
    println!("règle enregistrée");
    Ok(ExitCode::SUCCESS)
}

/// `verify-proof`: checks a proof bundle offline (exit 1 when invalid).
fn verify_proof(bundle: &Path, file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let bundle: sceau_proto::ProofBundle =
        serde_json::from_slice(&std::fs::read(bundle).context("reading the bundle")?)
            .context("the bundle is not a proof bundle")?;
    let bytes = file
        .map(std::fs::read)
        .transpose()
        .context("reading the file")?;
    match sceau_vault::proof::verify(&bundle, bytes.as_deref()) {
        Ok(r) => println!(
            "preuve valide : {} entrée(s) de journal, horodatage du {}",
            r.journal_lines, r.timestamp
        ),
        Err(why) => {
            println!("preuve INVALIDE ({}) : {}", why.code(), why.message_fr());
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `gc`: opens the vault (which collects the blobs of interrupted uploads) and says what it did.
fn gc(config: &Path, rt: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let vault = open(config, rt)?;
    let g = vault
        .startup_gc
        .lock()
        .map(|g| g.clone())
        .unwrap_or_default();
    println!(
        "collecte : {} envoi(s) interrompu(s), {} fichier(s) orphelin(s) supprimé(s), \
         {} conservé(s) car référencé(s)",
        g.notes, g.deleted, g.kept
    );
    Ok(ExitCode::SUCCESS)
}

/// `office`: declares an office or lists the declared ones.
fn office(
    config: &Path,
    rt: &tokio::runtime::Runtime,
    action: OfficeAction,
) -> anyhow::Result<ExitCode> {
    let vault = open_meta(config, rt)?;
    match action {
        OfficeAction::Add {
            number,
            holder,
            ca,
            name,
            region,
            phone,
            address,
        } => {
            let d = admin::declare_office(
                vault.meta.as_ref(),
                &vault.config,
                &number,
                &holder,
                &ca,
                name.as_deref(),
                clock().now(),
            )?;
            if let Some(r) = &region {
                sceau_vault::store::sql::tx(vault.meta.as_ref(), |sql| {
                    sceau_vault::store::meta::set_office_region(sql, &d.number, Some(r))
                })?;
            }
            println!(
                "étude {} déclarée : détenteur « {} », autorité « {} »{}",
                d.number,
                d.holder,
                d.ca_subject,
                region.map_or_else(String::new, |r| format!(", lieu {} ({})", r, r.name_fr()))
            );
            if phone.is_some() || address.is_some() {
                admin::set_office_contact(
                    vault.meta.as_ref(),
                    &d.number,
                    phone.as_deref(),
                    address.as_deref(),
                )?;
                let c = sceau_vault::store::sql::tx(vault.meta.as_ref(), |sql| {
                    sceau_vault::store::meta::declared_office_contact(sql, &d.number)
                })?;
                println!(
                    "coordonnées montrées dans les avis : téléphone {}, adresse {}",
                    c.phone.as_deref().unwrap_or("inconnu"),
                    c.address.as_deref().unwrap_or("inconnue")
                );
            }
        }
        OfficeAction::List => {
            for d in admin::list_offices(vault.meta.as_ref())? {
                println!("{}", serde_json::to_string(&d)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify-journal`: the hash chain, then the sealed checkpoints (exit 1 when either fails).
fn verify_journal(config: &Path, rt: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let vault = open_meta(config, rt)?;
    let start = std::time::Instant::now();
    match sceau_vault::journal::verify(vault.meta.as_ref())? {
        Verification::Intact { count } => {
            let secs = start.elapsed().as_secs_f64();
            println!("journal intact : {count} entrée(s) vérifiée(s) en {secs:.2} s");
        }
        Verification::Broken { seq } => {
            println!("journal ALTÉRÉ à l'entrée n° {seq} [journal_altered]");
            return Ok(ExitCode::from(1));
        }
    }
    // A chain recomputed after a rewrite still chains: the sealed checkpoints do not.
    let ca = sceau_vault::keys::load_cert(
        &vault
            .config
            .data_dir
            .join(sceau_vault::keys::files::CA_CERT),
    )?;
    let checked = sceau_vault::journal::verify_checkpoints(vault.meta.as_ref(), &ca)?;
    match checked {
        sceau_vault::journal::CheckpointVerification::Sealed { .. } => {
            println!("{}", checked.message_fr());
        }
        _ => {
            println!("journal {} [{}]", checked.message_fr(), checked.code());
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `HOST:PORT+1` for a listen address with a non-zero port.
fn next_port(listen: &str) -> Option<String> {
    let (host, port) = listen.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    if port == 0 {
        return None;
    }
    Some(format!("{host}:{}", port.checked_add(1)?))
}
