//! The downloads directory: which installers it holds, with their SHA-256 digests.
//!
//! The directory is read on every listing (a handful of entries), so that copying a new version
//! in is all an operator does. Digests are the expensive part (a 100 MB installer takes a few
//! hundred milliseconds), so each is computed once per file version — the same path, size and
//! modification time — and kept.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tenantry_domain::{InstallerOs, installer_version, is_offerable_name};

use crate::auth::token::hex;

/// One offered installer.
#[derive(Clone, Debug)]
pub struct Installer {
    pub os: InstallerOs,
    pub name: String,
    pub version: Option<String>,
    pub size: u64,
    pub sha256: String,
    pub modified: SystemTime,
}

/// What identifies one version of a file: the digest is recomputed when any of it changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FileVersion {
    path: PathBuf,
    size: u64,
    modified: SystemTime,
}

#[derive(Debug)]
pub struct Catalog {
    dir: PathBuf,
    digests: Mutex<HashMap<FileVersion, String>>,
}

impl Catalog {
    pub fn new(dir: impl Into<PathBuf>) -> Catalog {
        Catalog {
            dir: dir.into(),
            digests: Mutex::new(HashMap::new()),
        }
    }

    /// Every offerable installer, by operating system and then name. Blocking (file I/O).
    pub fn list(&self) -> io::Result<Vec<Installer>> {
        let mut found = Vec::new();
        let mut current = Vec::new();
        for os in InstallerOs::ALL {
            let dir = self.dir.join(os.as_str());
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                if !is_offerable_name(&name) {
                    continue;
                }
                // Follows a symbolic link, so that an operator may link a build in.
                let Ok(meta) = fs::metadata(entry.path()) else {
                    continue;
                };
                if !meta.is_file() {
                    continue;
                }
                let version = FileVersion {
                    path: entry.path(),
                    size: meta.len(),
                    modified: meta.modified()?,
                };
                let sha256 = self.digest(&version)?;
                current.push(version.clone());
                found.push(Installer {
                    os,
                    version: installer_version(&name),
                    name,
                    size: version.size,
                    sha256,
                    modified: version.modified,
                });
            }
        }
        found.sort_by(|a, b| (a.os, &a.name).cmp(&(b.os, &b.name)));
        // Forget the digests of files that are gone or changed, so the map never grows.
        if let Ok(mut digests) = self.digests.lock() {
            digests.retain(|version, _| current.contains(version));
        }
        Ok(found)
    }

    /// The file of an offered installer, if `name` is one in the directory of `os`. Only names
    /// the directory lists are ever joined to it. Blocking.
    pub fn find(&self, os: InstallerOs, name: &str) -> Option<PathBuf> {
        if !is_offerable_name(name) {
            return None;
        }
        let path = self.dir.join(os.as_str()).join(name);
        fs::metadata(&path)
            .ok()
            .filter(fs::Metadata::is_file)
            .map(|_| path)
    }

    fn digest(&self, version: &FileVersion) -> io::Result<String> {
        if let Some(known) = self
            .digests
            .lock()
            .ok()
            .and_then(|d| d.get(version).cloned())
        {
            return Ok(known);
        }
        let digest = sha256_of(&version.path)?;
        if let Ok(mut digests) = self.digests.lock() {
            digests.insert(version.clone(), digest.clone());
        }
        Ok(digest)
    }
}

fn sha256_of(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut fs::File::open(path)?, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tenantry-downloads-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("linux")).unwrap();
        fs::create_dir_all(dir.join("windows")).unwrap();
        dir
    }

    #[test]
    fn lists_plain_files_by_os_with_their_digests() {
        let dir = scratch("list");
        fs::write(dir.join("linux/tenantry-1.2.0-x86_64"), b"abc").unwrap();
        fs::write(dir.join("windows/tenantry-1.2.0.msi"), b"").unwrap();
        fs::write(dir.join("linux/.partial"), b"x").unwrap();
        fs::write(dir.join("linux/with space"), b"x").unwrap();
        fs::create_dir_all(dir.join("linux/subdir")).unwrap();
        fs::create_dir_all(dir.join("freebsd")).unwrap();
        fs::write(dir.join("freebsd/tenantry"), b"x").unwrap();
        let catalog = Catalog::new(&dir);
        let listed = catalog.list().unwrap();
        let names: Vec<_> = listed.iter().map(|i| (i.os, i.name.as_str())).collect();
        assert_eq!(
            names,
            [
                (InstallerOs::Windows, "tenantry-1.2.0.msi"),
                (InstallerOs::Linux, "tenantry-1.2.0-x86_64"),
            ]
        );
        assert_eq!(
            listed[1].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(listed[1].size, 3);
        assert_eq!(listed[1].version.as_deref(), Some("1.2.0"));
        // A changed file gets a new digest.
        fs::write(dir.join("linux/tenantry-1.2.0-x86_64"), b"abcd").unwrap();
        let again = catalog.list().unwrap();
        assert_ne!(again[1].sha256, listed[1].sha256);
        assert_eq!(catalog.digests.lock().unwrap().len(), 2);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn finds_only_files_that_would_be_listed() {
        let dir = scratch("find");
        fs::write(dir.join("linux/agent"), b"x").unwrap();
        fs::write(dir.join("secret"), b"x").unwrap();
        let catalog = Catalog::new(&dir);
        assert!(catalog.find(InstallerOs::Linux, "agent").is_some());
        assert!(catalog.find(InstallerOs::Windows, "agent").is_none());
        assert!(catalog.find(InstallerOs::Linux, "../secret").is_none());
        assert!(catalog.find(InstallerOs::Linux, "..").is_none());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_directory_offers_nothing() {
        let catalog = Catalog::new("/nonexistent/tenantry-downloads");
        assert!(catalog.list().unwrap().is_empty());
    }
}
