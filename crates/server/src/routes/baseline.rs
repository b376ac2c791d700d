//! `GET /bench/groups/{id}`: the work of `GET /api/v1/groups/{id}` without authentication or
//! authorization, so that a benchmark can measure what those cost in one run. Compiled only with
//! the `bench-baseline` feature, which `bench/run.sh` turns on; never in a build to deploy.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use tenantry_domain::{GroupId, TreePath};
use tenantry_storage::groups;

use crate::convert::group_body;
use crate::error::ApiError;
use crate::etag::etag;
use crate::state::AppState;

/// The whole tree, as the root's users see it.
#[derive(Clone, Debug)]
pub struct BaselineScope {
    pub root: GroupId,
    pub path: TreePath,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/bench/groups/{id}", web::get().to(get_group));
}

async fn get_group(
    state: web::Data<AppState>,
    scope: web::Data<BaselineScope>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let path = scope.path.clone();
    let group = state.read(move |c| groups::get(c, &path, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag("group", group.id.0, group.version)))
        .json(group_body(group, scope.root, tenantry_storage::now())))
}
