//! The host's side of the C boundary: opening plugin libraries and reading their tables. One of the few modules that may hold
//! unsafe code (`.ci/architecture` checks which).
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};

use libloading::Library;
use sha2::{Digest, Sha256};
use tenantry_plugin_abi::{
    ABI_VERSION, ABI_VERSION_SYMBOL, AbiVersionFn, PluginTable, REGISTER_SYMBOL, RegisterFn,
};
use tenantry_plugin_api::{Manifest, Request};

use crate::call::{HOST_TABLE, NoServices, invoke};

/// One plugin an installation enables: its name and, optionally, the SHA-256 its file must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginSpec {
    pub name: String,
    pub sha256: Option<String>,
}

/// Why a plugin could not be loaded: each names the file, and start-up stops on any of them.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("plugin {name:?}: {path} does not exist")]
    Missing { name: String, path: PathBuf },
    #[error("plugin {name:?}: cannot read {path}: {reason}")]
    Unreadable {
        name: String,
        path: PathBuf,
        reason: String,
    },
    #[error("plugin {name:?}: {path} has SHA-256 {found}, but the configuration pins {expected}")]
    HashMismatch {
        name: String,
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("plugin {name:?}: {path} is not a plugin library: {reason}")]
    NotAPlugin {
        name: String,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "plugin {name:?}: {path} was built for plugin ABI version {found}; this server speaks version {expected}"
    )]
    AbiVersion {
        name: String,
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("plugin {name:?}: {path} failed to start: {reason}")]
    Start {
        name: String,
        path: PathBuf,
        reason: String,
    },
    #[error("plugin {name:?}: {path} calls itself {found:?}")]
    NameMismatch {
        name: String,
        path: PathBuf,
        found: String,
    },
}

/// A loaded, verified plugin.
#[derive(Debug)]
pub struct LoadedPlugin {
    pub manifest: Manifest,
    pub path: PathBuf,
    pub(crate) table: PluginTable,
}

/// The file a plugin named `name` lives in: `libtenantry_plugin_<name>.so` on Linux (the
/// platform's naming otherwise), in `dir`.
pub fn file_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(libloading::library_filename(format!(
        "tenantry_plugin_{}",
        name.replace('-', "_")
    )))
}

/// Loads every enabled plugin, in order; the first failure stops everything.
pub fn load(dir: &Path, specs: &[PluginSpec]) -> Result<Vec<LoadedPlugin>, LoadError> {
    specs.iter().map(|spec| load_one(dir, spec)).collect()
}

fn load_one(dir: &Path, spec: &PluginSpec) -> Result<LoadedPlugin, LoadError> {
    let name = spec.name.clone();
    let path = file_of(dir, &spec.name);
    if !path.exists() {
        return Err(LoadError::Missing { name, path });
    }
    let unreadable = |e: std::io::Error| LoadError::Unreadable {
        name: name.clone(),
        path: path.clone(),
        reason: e.to_string(),
    };
    // Hashed and loaded through one open file, so that the bytes checked are the bytes loaded
    // even if the path is swapped in between.
    let mut file = std::fs::File::open(&path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(unreadable)?;
    if let Some(expected) = &spec.sha256 {
        let found = hex(&Sha256::digest(&bytes));
        if !found.eq_ignore_ascii_case(expected.trim()) {
            return Err(LoadError::HashMismatch {
                name,
                path,
                expected: expected.clone(),
                found,
            });
        }
    }
    let not_a_plugin = |reason: String| LoadError::NotAPlugin {
        name: name.clone(),
        path: path.clone(),
        reason,
    };
    // SAFETY: loading runs the library's initialisers. The file is the one the operator enabled
    // (and, if pinned, exactly the bytes they pinned); that trust is the premise of plugins.
    let library = unsafe { Library::new(opened_path(&file, &path)) }
        .map_err(|e| not_a_plugin(e.to_string()))?;
    // Kept open for the life of the process, like the library: a closed descriptor's number is
    // reused, and the loader would take the next plugin's /proc/self/fd/N for this one.
    std::mem::forget(file);
    // Never unloaded: code of it may still be on a stack, and statics of it are referenced.
    let library: &'static Library = Box::leak(Box::new(library));
    // SAFETY: the symbol's type is fixed by the ABI crate; checked before any other symbol.
    let version = unsafe {
        let version_fn = library
            .get::<AbiVersionFn>(ABI_VERSION_SYMBOL)
            .map_err(|e| not_a_plugin(e.to_string()))?;
        version_fn()
    };
    if version != ABI_VERSION {
        return Err(LoadError::AbiVersion {
            name,
            path,
            found: version,
            expected: ABI_VERSION,
        });
    }
    // SAFETY: same ABI version, so the register function has this signature; the host table
    // is a static that outlives the library.
    let table = unsafe {
        let register = library
            .get::<RegisterFn>(REGISTER_SYMBOL)
            .map_err(|e| not_a_plugin(e.to_string()))?;
        register(&HOST_TABLE)
    };
    let start = |reason: String| LoadError::Start {
        name: name.clone(),
        path: path.clone(),
        reason,
    };
    if table.abi_version != ABI_VERSION {
        return Err(start(format!(
            "its table is of ABI version {}",
            table.abi_version
        )));
    }
    if table.invoke.is_none() || table.free.is_none() {
        return Err(start("its table lacks `invoke` or `free`".to_owned()));
    }
    let answer = invoke(&table, &name, &Request::Manifest, &mut NoServices)
        .map_err(|failure| start(failure.to_string()))?;
    let manifest: Manifest =
        serde_json::from_slice(&answer).map_err(|e| start(format!("unreadable manifest: {e}")))?;
    if manifest.name != name {
        return Err(LoadError::NameMismatch {
            name,
            path,
            found: manifest.name,
        });
    }
    Ok(LoadedPlugin {
        manifest,
        path,
        table,
    })
}

/// The path that opens exactly the file already open as `file`: its descriptor on Linux.
#[cfg(target_os = "linux")]
fn opened_path(file: &std::fs::File, _: &Path) -> PathBuf {
    use std::os::fd::AsRawFd;
    PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

#[cfg(not(target_os = "linux"))]
fn opened_path(_: &std::fs::File, path: &Path) -> PathBuf {
    path.to_path_buf()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
