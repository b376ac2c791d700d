//! Downloads (a module every level has): `/api/v1/groups/{id}/downloads`, the installers this
//! installation offers, and each file itself.

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Duration;
use tenantry_api_types::{DownloadBody, DownloadList, ErrorBody};
use tenantry_domain::{Action, DomainError, GroupId, InstallerOs, install_command};
use tenantry_storage::devices::deployment::{self, NewDeploymentToken};

use super::deployment::{deploying_group, quick_installation_on};
use crate::auth::token;
use crate::caller::Caller;
use crate::command_tokens::CommandToken;
use crate::downloads::Installer;
use crate::error::ApiError;
use crate::state::AppState;

/// How long the token in a listing's install command lines stays valid: long enough to roll a
/// command out to a customer's machines, short enough that a pasted one goes stale.
const COMMAND_TOKEN_LIFETIME: Duration = Duration::days(7);

/// The name the minted tokens carry in the group's token list.
const COMMAND_TOKEN_NAME: &str = "Downloads";

/// The installers offered to a group. Where Quick Installation is available and switched on for
/// the group and the caller may issue deployment tokens, each carries the command line that
/// installs it and enrols the machine into the group, with a deployment token (valid 7 days, no
/// use limit, revocable in the group's token list) that the next listings for the same caller
/// and group show again until a day before it expires (see `command_tokens`).
#[utoipa::path(
    tag = "downloads",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "The installers, by operating system and name", body = DownloadList),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/downloads")]
pub async fn list_downloads(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let reader = caller.clone();
    let wants_command = state
        .read(move |c| {
            let group = reader.group(c, id, Action::ViewDownloads)?;
            Ok(quick_installation_on(&group)
                && reader.authorize(Action::DeployDevices, &group).is_ok())
        })
        .await?;
    let catalog = state.downloads.clone();
    let installers = web::block(move || catalog.list())
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("the downloads directory: {e}")))?;
    let server = crate::origin::public_base(&req, &state);
    let minted = if wants_command && !installers.is_empty() {
        command_token(&state, caller, id).await?
    } else {
        None
    };
    let items = installers
        .into_iter()
        .map(|installer| download_body(id, installer, &server, minted.as_ref()))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(DownloadList {
            items,
            deployment_token_id: minted.as_ref().map(|t| t.id),
            deployment_token_expires_at: minted.map(|t| t.expires_at),
        }))
}

/// The caller's token for the group's command lines: the one shown before while it is live and
/// not near its expiry, else a new one.
async fn command_token(
    state: &AppState,
    caller: Caller,
    id: GroupId,
) -> Result<Option<CommandToken>, ApiError> {
    let user = caller.actor.user_id.0;
    let now = tenantry_storage::now();
    if let Some(token) = state.command_tokens.reusable(id.0, user, now) {
        let token_id = token.id;
        let live = state
            .read(move |c| deployment::is_live(c, id, token_id, now))
            .await?;
        if live {
            return Ok(Some(token));
        }
        state.command_tokens.forget(id.0, user);
    }
    let minted = mint_command_token(state, caller, id).await?;
    if let Some(token) = &minted {
        state
            .command_tokens
            .remember(id.0, user, token.clone(), now);
    }
    Ok(minted)
}

/// A deployment token for the listing, unless automatic deployment was switched off meanwhile.
async fn mint_command_token(
    state: &AppState,
    caller: Caller,
    id: GroupId,
) -> Result<Option<CommandToken>, ApiError> {
    let (secret, hash) = token::generate_with_prefix("tdp_").map_err(ApiError::internal)?;
    let now = tenantry_storage::now();
    let expires_at = now + COMMAND_TOKEN_LIFETIME;
    let created = state
        .write(move |w| {
            let group = deploying_group(w.conn(), &caller, id)?;
            if !quick_installation_on(&group) {
                return Ok(None);
            }
            let new = NewDeploymentToken {
                group: id,
                token_hash: &hash,
                name: Some(COMMAND_TOKEN_NAME),
                created_by: caller.actor.user_id,
                expires_at,
                max_uses: None,
            };
            deployment::create(w, &new, now).map(Some)
        })
        .await?;
    Ok(created.map(|token| CommandToken {
        id: token.id,
        secret,
        expires_at,
    }))
}

fn download_body(
    group: GroupId,
    installer: Installer,
    server: &str,
    token: Option<&CommandToken>,
) -> DownloadBody {
    let os = installer.os.as_str();
    DownloadBody {
        url: format!("/api/v1/groups/{group}/downloads/{os}/{}", installer.name),
        install_command: token
            .and_then(|t| install_command(installer.os, &installer.name, server, &t.secret)),
        os: installer.os,
        version: installer.version,
        size: installer.size,
        sha256: installer.sha256,
        modified_at: installer.modified.into(),
        name: installer.name,
    }
}

/// One installer's file, with `Range`, `ETag` and `If-None-Match`/`If-Modified-Since` support.
#[utoipa::path(
    tag = "downloads",
    params(
        ("id" = i64, Path, description = "Group id"),
        ("os" = InstallerOs, Path, description = "windows, macos or linux"),
        ("file" = String, Path, description = "The installer's file name, as listed"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 206, description = "The requested range of it", content_type = "application/octet-stream"),
        (status = 404, description = "No such group in the caller's subtree, or no such installer", body = ErrorBody),
        (status = 416, description = "The range lies outside the file"),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/downloads/{os}/{file}")]
pub async fn download(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, os, file) = path.into_inner();
    let id = GroupId(id);
    state
        .read(move |c| {
            caller.group(c, id, Action::ViewDownloads)?;
            Ok(())
        })
        .await?;
    let not_found = || ApiError::from(DomainError::NotFound { what: "installer" });
    let os = InstallerOs::parse(&os).ok_or_else(not_found)?;
    let catalog = state.downloads.clone();
    let path = web::block(move || catalog.find(os, &file))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    let file = NamedFile::open_async(&path)
        .await
        .map_err(|_| not_found())?;
    // Installers are opaque bytes to a browser: never rendered, always saved.
    let mut response = file
        .set_content_type(header::ContentType::octet_stream().0)
        .into_response(&req);
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
