//! Downloads: the installers an installation offers, and the command line that installs one and
//! enrols the machine with a Quick Installation token.
//!
//! The installers are files an operator drops into the downloads directory, one sub-directory per
//! operating system (`windows/`, `macos/`, `linux/`). What the console says about each file is
//! derived from where it lies and what it is called, so that offering a new version is a file
//! copy and nothing else.

use serde::{Deserialize, Serialize};

/// The operating system an installer is for: the name of the sub-directory it lies in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstallerOs {
    Windows,
    Macos,
    Linux,
}

impl InstallerOs {
    pub const ALL: [InstallerOs; 3] =
        [InstallerOs::Windows, InstallerOs::Macos, InstallerOs::Linux];

    pub fn as_str(self) -> &'static str {
        match self {
            InstallerOs::Windows => "windows",
            InstallerOs::Macos => "macos",
            InstallerOs::Linux => "linux",
        }
    }

    pub fn parse(text: &str) -> Option<InstallerOs> {
        InstallerOs::ALL.into_iter().find(|os| os.as_str() == text)
    }
}

/// Whether a file name may be offered: plain ASCII letters, digits, `.`, `-`, `_` and `+`, not
/// starting with a dot. Such a name needs no quoting in any shell, appears verbatim in a URL path
/// and cannot climb out of its directory; anything else in the directory (hidden files,
/// half-copied `name.part~` files, names with spaces) is left out of the list.
pub fn is_offerable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
}

/// The version in an installer's name: the first `-` or `_` separated part that is digits and
/// dots (a leading `v` allowed, dropped), its file extension removed. `tenantry-2.4.1-x64.msi`
/// and `tenantry_v2.4.1.pkg` are both version 2.4.1; a name without one has no version.
pub fn installer_version(file_name: &str) -> Option<String> {
    let stem = strip_extension(file_name);
    stem.split(['-', '_'])
        .map(|part| part.strip_prefix('v').unwrap_or(part))
        .find(|part| {
            part.starts_with(|c: char| c.is_ascii_digit())
                && part.contains('.')
                && part.chars().all(|c| c.is_ascii_digit() || c == '.')
                && !part.ends_with('.')
        })
        .map(str::to_owned)
}

/// A name without its (possibly double, as in `.tar.gz`) extension.
fn strip_extension(name: &str) -> &str {
    let name = name.strip_suffix(".tar.gz").unwrap_or(name);
    match name.rsplit_once('.') {
        // A dot inside a version ("agent-2.4") is not an extension: extensions start with a letter.
        Some((stem, ext)) if ext.starts_with(|c: char| c.is_ascii_alphabetic()) => stem,
        _ => name,
    }
}

/// The command line that installs `file` on a machine and enrols it into the token's group.
///
/// Packages that take no arguments of their own are installed with the server and token in
/// `TENANTRY_SERVER` and `TENANTRY_TOKEN` (what their post-install step reads); an `.msi` takes
/// them as properties; anything else is the Tenantry agent itself, which enrols with
/// `device enroll`. `file` must be offerable (see [`is_offerable_name`]), so it needs no quoting.
/// `None` when the server address or token hold anything but URL characters that need no
/// escaping inside quotes (the address may come from the request's `Host` header).
pub fn install_command(os: InstallerOs, file: &str, server: &str, token: &str) -> Option<String> {
    let plain = |text: &str| {
        !text.is_empty()
            && text.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b':' | b'/' | b'.' | b'-' | b'_' | b'[' | b']')
            })
    };
    if !plain(server) || !plain(token) || !is_offerable_name(file) {
        return None;
    }
    let extension = file.rsplit_once('.').map_or("", |(_, ext)| ext);
    let env = format!("TENANTRY_SERVER='{server}' TENANTRY_TOKEN='{token}'");
    Some(match (os, extension.to_ascii_lowercase().as_str()) {
        (InstallerOs::Windows, "msi") => {
            format!("msiexec /i {file} /qn TENANTRY_SERVER=\"{server}\" TENANTRY_TOKEN=\"{token}\"")
        }
        (InstallerOs::Windows, _) => {
            format!(".\\{file} device enroll --server \"{server}\" --token \"{token}\"")
        }
        (InstallerOs::Macos, "pkg") => format!("sudo env {env} installer -pkg {file} -target /"),
        (InstallerOs::Linux, "deb") => format!("sudo env {env} apt-get install -y ./{file}"),
        (InstallerOs::Linux, "rpm") => format!("sudo env {env} rpm -i ./{file}"),
        (InstallerOs::Macos | InstallerOs::Linux, _) => format!(
            "chmod +x ./{file} && sudo ./{file} device enroll --server '{server}' --token '{token}'"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_offered() {
        for name in [
            "tenantry-2.4.1-x64.msi",
            "agent_v1.0.pkg",
            "tenantry",
            "a+b.deb",
        ] {
            assert!(is_offerable_name(name), "{name}");
        }
        let long = "a".repeat(201);
        for name in [
            "",
            ".hidden",
            "..",
            "with space.exe",
            "quote\".exe",
            "dollar$.sh",
            "back`tick",
            "semi;colon",
            "slash/name",
            "é.exe",
            long.as_str(),
        ] {
            assert!(!is_offerable_name(name), "{name:?}");
        }
    }

    #[test]
    fn versions_come_from_the_name() {
        let cases = [
            ("tenantry-2.4.1-x64.msi", Some("2.4.1")),
            ("tenantry_v2.4.1.pkg", Some("2.4.1")),
            ("tenantry-agent-10.0.exe", Some("10.0")),
            ("tenantry-3.1.tar.gz", Some("3.1")),
            ("tenantry-3.1", Some("3.1")),
            ("tenantry-x64.exe", None),
            ("tenantry-2024.exe", None),
            ("tenantry-1..exe", None),
            ("tenantry", None),
        ];
        for (name, version) in cases {
            assert_eq!(installer_version(name).as_deref(), version, "{name}");
        }
    }

    #[test]
    fn operating_systems_are_their_directory_names() {
        for os in InstallerOs::ALL {
            assert_eq!(InstallerOs::parse(os.as_str()), Some(os));
        }
        assert_eq!(InstallerOs::parse("Windows"), None);
        assert_eq!(InstallerOs::parse("freebsd"), None);
    }

    #[test]
    fn each_kind_of_installer_gets_its_own_command() {
        let cmd = |os, file| {
            install_command(os, file, "https://console.example", "tdp_x").unwrap_or_default()
        };
        assert_eq!(
            cmd(InstallerOs::Windows, "t-2.0.msi"),
            "msiexec /i t-2.0.msi /qn TENANTRY_SERVER=\"https://console.example\" TENANTRY_TOKEN=\"tdp_x\""
        );
        assert_eq!(
            cmd(InstallerOs::Windows, "tenantry.exe"),
            ".\\tenantry.exe device enroll --server \"https://console.example\" --token \"tdp_x\""
        );
        assert_eq!(
            cmd(InstallerOs::Macos, "t.PKG"),
            "sudo env TENANTRY_SERVER='https://console.example' TENANTRY_TOKEN='tdp_x' installer -pkg t.PKG -target /"
        );
        assert_eq!(
            cmd(InstallerOs::Linux, "t.deb"),
            "sudo env TENANTRY_SERVER='https://console.example' TENANTRY_TOKEN='tdp_x' apt-get install -y ./t.deb"
        );
        assert_eq!(
            cmd(InstallerOs::Linux, "t.rpm"),
            "sudo env TENANTRY_SERVER='https://console.example' TENANTRY_TOKEN='tdp_x' rpm -i ./t.rpm"
        );
        assert_eq!(
            cmd(InstallerOs::Linux, "tenantry-2.0-x86_64"),
            "chmod +x ./tenantry-2.0-x86_64 && sudo ./tenantry-2.0-x86_64 device enroll --server 'https://console.example' --token 'tdp_x'"
        );
    }

    #[test]
    fn a_server_address_that_would_need_escaping_gets_no_command() {
        let linux = InstallerOs::Linux;
        assert!(install_command(linux, "t", "http://127.0.0.1:8080", "tdp_x").is_some());
        assert!(install_command(linux, "t", "http://[::1]:8080", "tdp_x").is_some());
        for server in [
            "",
            "http://evil'; rm -rf /",
            "http://a b",
            "http://a\"$(x)\"",
        ] {
            assert!(
                install_command(linux, "t", server, "tdp_x").is_none(),
                "{server}"
            );
        }
        assert!(install_command(linux, "t", "http://a", "tdp_'x").is_none());
        assert!(install_command(linux, "bad name", "http://a", "tdp_x").is_none());
    }
}
