//! The web console: server-rendered pages at `/`, another client of the same rules as the API.
//!
//! Every page finds its target in the caller's scope, authorizes with `Caller::authorize` and
//! changes things through the same operations as the API's handlers (`routes::groups::create`,
//! …), so the console has no rules of its own. Templates live in `crates/server/templates/`
//! (askama: compiled, escaped by default); htmx, the stylesheet and the console's small script
//! are embedded (`assets.rs`). [`ROUTES`] is the console's route table: actix serves exactly it,
//! and the isolation tests walk it (`tenantry-server routes`).

mod assets;
mod customers;
mod devices;
mod format;
mod login;
mod modules;
mod overview;
mod page;
mod panels;
mod settings;
mod theme;
mod users;
mod viewer;

use actix_web::{HttpResponse, web};

pub use page::security_headers;
use viewer::Viewer;

/// Declares the console's routes once: [`configure`] serves them and [`ROUTES`] lists them.
macro_rules! console_routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Every console route: method and path pattern (`{id}` for a path parameter).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Serves the console.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::$method().to($handler)); )*
        }
    };
}

console_routes! {
    get "/" => home,
    get "/assets/{name}" => assets::asset,
    get "/theme.css" => theme::stylesheet,
    get "/theme/{image}" => theme::image,
    get "/login" => login::form,
    post "/login" => login::submit,
    get "/login/{address}" => login::white_label,
    post "/login/{address}" => login::submit_white_label,
    post "/logout" => login::logout,
    get "/overview" => overview::page,
    get "/customers" => customers::page,
    get "/customers/tree/{id}" => customers::tree_children,
    get "/customers/search" => customers::search,
    get "/customers/new" => customers::new_form,
    post "/customers/new" => customers::create,
    get "/customers/{id}/edit" => customers::edit_form,
    post "/customers/{id}/edit" => customers::edit,
    get "/customers/{id}/company" => customers::company_form,
    post "/customers/{id}/company" => customers::company,
    get "/customers/{id}/move" => customers::move_form,
    post "/customers/{id}/move" => customers::move_group,
    get "/customers/{id}/remove" => customers::remove_form,
    post "/customers/{id}/remove" => customers::remove,
    get "/customers/{id}/import" => customers::import_form,
    post "/customers/{id}/import" => customers::import,
    get "/customers/{id}/export" => customers::export,
    get "/customers/{id}/modules" => modules::page,
    get "/customers/{id}/panels/{plugin}/{panel}" => panels::page,
    post "/customers/{id}/panels/{plugin}/{panel}" => panels::submit,
    post "/customers/{id}/panels/{plugin}/{panel}/rows/{row}/{action}" => panels::row_action,
    post "/customers/{id}/panels/{plugin}/{panel}/uploads/{index}" => panels::upload,
    get "/customers/{id}/panels/{plugin}/{panel}/chart" => panels::chart,
    get "/users" => users::page,
    get "/users/new" => users::new_form,
    post "/users/new" => users::create,
    get "/users/{id}/edit" => users::edit_form,
    post "/users/{id}/edit" => users::edit,
    post "/users/{id}/password" => users::reset_password,
    post "/users/{id}/unlock" => users::unlock,
    get "/users/{id}/remove" => users::remove_form,
    post "/users/{id}/remove" => users::remove,
    post "/users/{id}/tokens" => users::create_token,
    post "/users/{id}/tokens/{token}/revoke" => users::revoke_token,
    get "/devices" => devices::page,
    get "/devices/{id}" => devices::detail,
    post "/devices/{id}/passphrase" => devices::passphrase,
    post "/devices/{id}/settings" => devices::assign,
    get "/quick-installation" => devices::deployment_page,
    post "/quick-installation" => devices::create_deployment_token,
    post "/quick-installation/{token}/revoke" => devices::revoke_deployment_token,
    get "/settings" => settings::page,
    get "/profiles/new" => settings::new_form,
    post "/profiles/new" => settings::create,
    get "/profiles/{id}/edit" => settings::edit_form,
    post "/profiles/{id}/edit" => settings::edit,
    post "/profiles/{id}/remove" => settings::remove,
    get "/retention-policies/new" => settings::new_form,
    post "/retention-policies/new" => settings::create,
    get "/retention-policies/{id}/edit" => settings::edit_form,
    post "/retention-policies/{id}/edit" => settings::edit,
    post "/retention-policies/{id}/remove" => settings::remove,
}

/// `/`: the overview for a signed-in user, the login page for anyone else.
async fn home(viewer: Option<Viewer>) -> HttpResponse {
    let to = if viewer.is_some() {
        "/overview"
    } else {
        "/login"
    };
    page::see_other(to)
}
