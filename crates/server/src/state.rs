use tenantry_domain::TreePath;
use tenantry_storage::Storage;

/// What every request handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub storage: Storage,
    /// The root group's path: the bootstrap token's scope.
    pub root_path: TreePath,
    pub root_id: tenantry_domain::GroupId,
    pub bootstrap_token: BootstrapToken,
    pub trial_days: i64,
    pub max_body_bytes: usize,
}

/// The temporary administrator token, compared in constant time.
#[derive(Clone)]
pub struct BootstrapToken(String);

impl BootstrapToken {
    pub fn new(token: String) -> BootstrapToken {
        BootstrapToken(token)
    }

    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        // Same work whatever the first differing byte is; only the length leaks, and the
        // length of a configured token is no secret worth keeping.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for BootstrapToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BootstrapToken(***)")
    }
}
