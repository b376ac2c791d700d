use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /healthz`: the process is up and answering.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthBody {
    pub status: String,
}

/// `GET /readyz`: whether this process can serve requests now.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadinessBody {
    /// `ready` or `not_ready`.
    pub status: String,
    /// `ok`, or why the database is not reachable.
    pub database: String,
    /// The plugins this server loaded (a server that could not load one it was configured
    /// with does not start).
    #[serde(default)]
    pub plugins: Vec<String>,
}
