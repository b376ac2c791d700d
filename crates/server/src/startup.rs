//! Start-up: open the database, make sure the root group exists, serve.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::middleware::{Condition, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use tenantry_domain::{
    Authority, Group, GroupName, NewUser, Role, UserKind, Username, check_password,
};
use tenantry_storage::seed::{DeviceSeed, seed_devices, seed_tree};
use tenantry_storage::{PoolSettings, Storage, StoreError, groups, stats, users};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};

use crate::auth::{password, token};
use crate::config::Settings;
use crate::extract::{path_error, query_error};
use crate::methods::RouteTable;
use crate::metrics::Metrics;
use crate::plugins::{self, Plugins};
use crate::routes::{self, healthz, metrics, openapi::ApiDoc, readyz};
use crate::shutdown;
use crate::state::AppState;
use crate::{mailer, request_id, rollup, ticker};

fn open_storage(settings: &Settings) -> anyhow::Result<Storage> {
    let pool = PoolSettings {
        size: settings.database.pool_size,
        connection_timeout: Duration::from_secs(settings.database.connection_timeout_secs),
    };
    Ok(Storage::open(&settings.database.url, pool)?)
}

/// The installation's own company, created on the first start from `[root]`.
fn ensure_root(storage: &Storage, settings: &Settings) -> anyhow::Result<Group> {
    let name =
        GroupName::parse(&settings.root.name).map_err(|e| anyhow::anyhow!("root.name: {e:?}"))?;
    let level = settings.root.level;
    let root = storage.write(|w| groups::create_root(w, &name, level, tenantry_storage::now()))?;
    log::info!("root group {} ({:?}, {})", root.id, root.name, root.level);
    Ok(root)
}

/// The root group's first SuperUser (and Security Officer, so that someone can grant the flag),
/// created from `[bootstrap]` when the root has no users yet. Without a configured password a
/// random one is generated and printed once in the log.
fn ensure_first_superuser(
    storage: &Storage,
    settings: &Settings,
    root: &Group,
) -> anyhow::Result<()> {
    if storage.read(|c| users::has_users(c, root.id))? {
        return Ok(());
    }
    let username = Username::parse(&settings.bootstrap.admin_email)
        .map_err(|e| anyhow::anyhow!("bootstrap.admin_email: {e:?}"))?;
    let configured = settings.bootstrap.admin_password.clone();
    let generated = configured.is_empty();
    let password = if generated {
        token::random_password().map_err(anyhow::Error::msg)?
    } else {
        check_password(
            "bootstrap.admin_password",
            &configured,
            &username,
            Some(&root.name),
        )
        .map_err(|e| anyhow::anyhow!("bootstrap.admin_password: {e:?}"))?;
        configured
    };
    let new = NewUser {
        group_id: root.id,
        username: username.clone(),
        name: Some("Administrator".to_owned()),
        authority: Authority::new(Role::SuperUser, true)?,
        kind: UserKind::Interactive,
        password_hash: Some(password::hash(&password).map_err(anyhow::Error::msg)?),
    };
    let scope = root.path.clone();
    // Another replica starting at the same moment may win; then there is nothing to do.
    let created =
        storage.write(|w| users::create_first(w, &scope, new, tenantry_storage::now()))?;
    if created && generated {
        log::warn!(
            "created the first SuperUser: group {:?}, username {:?}, password {password} \
             (shown only now; change it after logging in, or set TENANTRY__BOOTSTRAP__ADMIN_PASSWORD \
             before the first start)",
            root.name,
            username.as_str()
        );
    } else if created {
        log::info!(
            "created the first SuperUser {:?} in group {:?}",
            username.as_str(),
            root.name
        );
    }
    Ok(())
}

/// The installation's default retention policy, created on the first start (owned by the root,
/// used wherever a device names no policy, never editable).
fn ensure_default_policy(storage: &Storage, root: &Group) -> anyhow::Result<()> {
    let fields = serde_json::to_string(&tenantry_domain::RetentionSettings::DEFAULT)?;
    storage.write(|w| {
        tenantry_storage::settings::ensure_default_policy(
            w,
            root.id,
            &fields,
            tenantry_storage::now(),
        )
    })?;
    Ok(())
}

/// The OpenAPI document, rendered once at start-up from the route table.
#[derive(Debug)]
struct OpenApiJson(String);

async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The unauthenticated comparison route of benchmark builds (see `routes::baseline`).
#[cfg(feature = "bench-baseline")]
fn baseline(cfg: &mut web::ServiceConfig, root: &Group) {
    cfg.app_data(web::Data::new(routes::baseline::BaselineScope {
        root: root.id,
        path: root.path.clone(),
    }));
    routes::baseline::routes(cfg);
}

#[cfg(not(feature = "bench-baseline"))]
fn baseline(_: &mut web::ServiceConfig, _: &Group) {}

/// `tenantry-server permissions`: the permission table with the enabled plugins' actions.
pub fn permissions(settings: &Settings) -> anyhow::Result<()> {
    let plugins = Plugins::load(&settings.plugins, Arc::new(Metrics::default()))?;
    print!(
        "{}",
        tenantry_domain::permissions_markdown(&plugins.declarations)
    );
    Ok(())
}

pub fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(run(settings))
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let storage = open_storage(&settings)?;
    let root = ensure_root(&storage, &settings)?;
    ensure_first_superuser(&storage, &settings, &root)?;
    ensure_default_policy(&storage, &root)?;
    let registry = Arc::new(Metrics::default());
    let mut plugins = Plugins::load(&settings.plugins, Arc::clone(&registry))?;
    plugins.remember(&storage)?;
    let plugins = Arc::new(plugins);
    let rollups = storage.clone();
    let ticking = Arc::clone(&plugins);
    let state = web::Data::new(AppState::new(
        storage,
        &settings,
        Arc::clone(&plugins),
        registry,
    ));
    let pruned = state.clone();
    #[cfg(feature = "bench-baseline")]
    log::warn!(
        "built with bench-baseline: GET /bench/groups/{{id}} answers without authentication"
    );
    let (_, mut openapi) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(healthz)
        .service(readyz)
        .service(metrics)
        .service(scope("/api/v1").configure(routes::api))
        .split_for_parts();
    plugins::openapi_paths(&mut openapi, &plugins);
    let mut routes = RouteTable::from_openapi(&openapi);
    routes.push((Method::GET, "/api/v1/openapi.json".to_owned()));
    for (method, path) in crate::console::ROUTES {
        routes.push((
            Method::from_bytes(method.to_uppercase().as_bytes())?,
            (*path).to_owned(),
        ));
    }
    let routes = web::Data::new(RouteTable::new(
        routes
            .iter()
            .map(|(method, path)| (method.clone(), path.as_str())),
    ));
    let mut document = serde_json::to_value(&openapi)?;
    plugins::plugin_details(&mut document, &plugins);
    routes::openapi::problems_as_served(&mut document);
    routes::openapi::complete_errors(&mut document);
    let openapi = web::Data::new(OpenApiJson(serde_json::to_string(&document)?));

    let max_body_bytes = settings.server.max_body_bytes;
    let log_requests = log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(openapi.clone())
            .app_data(routes.clone())
            .app_data(web::PayloadConfig::new(max_body_bytes))
            // The console's forms; the customer-tree import posts a whole file as one field.
            .app_data(web::FormConfig::default().limit(crate::extract::CSV_BODY_LIMIT))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            // Innermost, so that the log and the metrics show the HEAD it was.
            .wrap(from_fn(crate::methods::head_as_get))
            // Request lines are logged at info; below that the middleware is left out entirely
            // rather than formatting lines nobody will see.
            .wrap(Condition::new(
                log_requests,
                // The client's address as the proxy passed it on (X-Forwarded-For), else the peer's.
                Logger::new("%{x-request-id}i %{r}a \"%r\" %s %b %Dms"),
            ))
            // Outside the logger, so that the id is on the request before the line is written.
            .wrap(from_fn(request_id::propagate))
            .wrap(from_fn(crate::metrics::track))
            // CSP, no framing, no sniffing: on every answer, console pages and API alike.
            .wrap(crate::console::security_headers())
            .route("/api/v1/openapi.json", web::get().to(openapi_json))
            .configure(|cfg| baseline(cfg, &root))
            .into_utoipa_app()
            .service(healthz)
            .service(readyz)
            .service(metrics)
            .service(
                scope("/api/v1")
                    .wrap(from_fn(crate::text_guard::refuse_control_characters))
                    .configure(routes::api)
                    // Inside the scope (which answers every path under it) and after the host's
                    // own routes, so that those, most of the traffic, are matched first.
                    .configure(|cfg| {
                        cfg.map(|inner| {
                            plugins::configure(inner, &plugins);
                            inner
                        });
                    }),
            )
            .into_app()
            // The web console, outside /api/v1: another client of the same operations.
            .configure(crate::console::configure)
            .default_service(web::to(crate::methods::no_route))
    })
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    // SIGTERM and SIGINT are handled in `shutdown`, which stops without dropping queued requests.
    .disable_signals();
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    let signals = shutdown::Signals::listen()?;
    let (listeners, spares) = shutdown::listen(&settings.server.host, settings.server.port)?;
    for listener in listeners {
        server = server.listen(listener)?;
    }
    // One line on standard output that scripts and tests can wait for (logs go to stderr).
    for address in server.addrs() {
        println!("tenantry-server listening on http://{address}");
    }
    if let Some(address) = server.addrs().first() {
        println!("open the web console at http://{address}/");
    }
    std::io::stdout().flush()?;
    mailer::spawn(
        rollups.clone(),
        &settings.mail,
        Arc::clone(&ticking.mail_queued),
    )?;
    ticker::spawn(
        rollups.clone(),
        ticking,
        Duration::from_secs(settings.plugins.tick_seconds),
    );
    ticker::spawn_housekeeping(
        rollups.clone(),
        chrono::Duration::days(settings.mail.keep_days),
    );
    rollup::spawn(rollups, Duration::from_secs(settings.stats.rollup_seconds));
    ticker::spawn_login_guard_pruning(pruned);
    let running = server.run();
    let stopping = actix_web::rt::spawn(signals.stop_on_signal(running.handle(), spares));
    running.await?;
    // Only the signal handler stops the server: let it finish answering the listen queue.
    let _ = stopping.await;
    log::info!("stopped");
    Ok(())
}

/// What `tenantry-server seed` creates (see `main.rs` for the flags).
#[derive(Debug)]
pub struct SeedPlan {
    pub shape: Vec<usize>,
    pub prefix: String,
    pub devices: usize,
    pub history_days: u32,
    /// Days of chart roll-ups to compute, ending today.
    pub rollup_days: u32,
    /// Where to write `<device id> <credential>` lines; without it seeded devices have none.
    pub credentials: Option<std::path::PathBuf>,
}

pub fn seed(settings: Settings, plan: SeedPlan) -> anyhow::Result<()> {
    anyhow::ensure!(
        !plan.shape.is_empty() && plan.shape.iter().all(|n| *n > 0),
        "--shape needs positive numbers"
    );
    anyhow::ensure!(
        plan.history_days <= 3660 && plan.rollup_days <= 3660,
        "--history-days and --rollup-days are at most 3660"
    );
    let storage = open_storage(&settings)?;
    ensure_root(&storage, &settings)?;
    let started = Instant::now();
    let now = tenantry_storage::now();
    let report = seed_tree(&storage, &plan.shape, &plan.prefix, now)?;
    println!(
        "created {} groups in {:.1} s; top-level ids {:?}",
        report.groups,
        started.elapsed().as_secs_f64(),
        report.top_ids.iter().map(|id| id.0).collect::<Vec<_>>()
    );
    if plan.devices == 0 {
        return roll_up_days(&storage, plan.rollup_days, now);
    }
    let started = Instant::now();
    let mut out = match &plan.credentials {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("--credentials {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let mut credential = |id: i64| -> Result<Option<String>, StoreError> {
        let Some(out) = out.as_mut() else {
            return Ok(None);
        };
        let (secret, hash) = token::generate_device_credential().map_err(StoreError::Corrupt)?;
        writeln!(out, "{id} {secret}").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Some(hash))
    };
    let seed = DeviceSeed {
        total: plan.devices,
        history_days: plan.history_days,
    };
    let devices = seed_devices(&storage, seed, &plan.prefix, &mut credential, now)?;
    if let Some(out) = out.as_mut() {
        out.flush()?;
    }
    println!(
        "created {} devices in {} leaf groups, with {} history rows, in {:.1} s{}",
        devices.devices,
        devices.leaf_groups,
        devices.history_rows,
        started.elapsed().as_secs_f64(),
        plan.credentials
            .map(|p| format!("; credentials in {}", p.display()))
            .unwrap_or_default()
    );
    roll_up_days(&storage, plan.rollup_days, now)
}

/// Rolls up the last `days` days for charts, oldest first.
fn roll_up_days(
    storage: &Storage,
    days: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    if days == 0 {
        return Ok(());
    }
    let started = Instant::now();
    let today = now.date_naive();
    let mut rows = 0;
    for ago in (0..days).rev() {
        rows += stats::roll_up(storage, today - chrono::Duration::days(i64::from(ago)), now)?;
    }
    println!(
        "rolled up {days} days for charts ({rows} rows) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
