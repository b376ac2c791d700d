//! The deployment files agree with the code and with each other. (These machines run no
//! container engine, so the image is never built here; what can be checked without one is.)
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use tenantry_tests::{agent_binary, plugins_dir, repository_file, server_binary};

/// The Debian packages of the libraries a binary links directly (its `NEEDED` entries, found
/// where the loader finds them).
fn linked_packages(binary: &Path) -> BTreeSet<String> {
    let run = |program: &str, args: &[&str]| {
        let output = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} is needed: {e}"));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let binary = binary.to_str().unwrap();
    let needed: Vec<String> = run("readelf", &["-d", binary])
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next().map(str::to_owned))
        .filter(|lib| !lib.starts_with("ld-linux"))
        .collect();
    let resolved = run("ldd", &[binary]);
    needed
        .iter()
        .map(|lib| {
            let path = resolved
                .lines()
                .find_map(|l| l.trim().strip_prefix(&format!("{lib} => ")))
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("the loader does not find {lib}"));
            // With merged /usr, the loader's path and the package's may differ by "/usr".
            let candidates = [
                path.to_owned(),
                format!("/usr{path}"),
                path.trim_start_matches("/usr").to_owned(),
            ];
            candidates
                .iter()
                .find_map(|candidate| {
                    run("dpkg", &["-S", candidate])
                        .lines()
                        .find(|l| l.ends_with(&format!(": {candidate}")))
                        .and_then(|l| l.split(':').next())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| panic!("no Debian package has {path}"))
        })
        .collect()
}

/// The packages the runtime stage installs.
fn runtime_packages(dockerfile: &str) -> BTreeSet<String> {
    let runtime = dockerfile.split("\nFROM ").last().unwrap_or_default();
    let install = runtime
        .split("apt-get install")
        .nth(1)
        .expect("the runtime stage installs packages with apt-get");
    install
        .split("\\\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .filter(|word| !word.starts_with('-'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_runtime_image_has_every_library_the_binaries_link() {
    let dockerfile = repository_file("Dockerfile");
    let installed = runtime_packages(&dockerfile);
    // What debian:bookworm-slim has already.
    let base: BTreeSet<String> = ["libc6", "libgcc-s1"].map(str::to_owned).into();
    let mut binaries: Vec<PathBuf> = vec![server_binary(), agent_binary()];
    for plugin in ["branding", "crm", "reporting"] {
        binaries.push(plugins_dir().join(format!("libtenantry_plugin_{plugin}.so")));
    }
    for binary in binaries {
        for package in linked_packages(&binary) {
            assert!(
                base.contains(&package) || installed.contains(&package),
                "{} links a library of {package}, which the runtime image does not install \
                 (it installs {installed:?})",
                binary.display()
            );
        }
    }
}

#[test]
fn the_image_carries_every_plugin_the_container_configuration_enables() {
    let dockerfile = repository_file("Dockerfile");
    let docker_toml = repository_file("config/docker.toml");
    let enabled = docker_toml
        .lines()
        .find(|l| l.trim_start().starts_with("enabled"))
        .expect("config/docker.toml enables plugins on one line");
    let names: Vec<&str> = enabled.split('"').skip(1).step_by(2).collect();
    assert!(!names.is_empty(), "{enabled}");
    assert!(docker_toml.contains("dir = \"/opt/tenantry/plugins\""));
    for name in names {
        assert!(
            dockerfile.contains(&format!("libtenantry_plugin_{name}.so")),
            "the image has no {name} plugin"
        );
        assert!(
            dockerfile.contains(&format!("-p tenantry-plugin-{name}")),
            "the image does not build the {name} plugin"
        );
    }
    assert!(dockerfile.contains("/opt/tenantry/plugins/"));
}

#[test]
fn the_compose_file_mounts_what_the_image_reads() {
    let dockerfile = repository_file("Dockerfile");
    let compose = repository_file("docker-compose.yml");
    let docker_toml = repository_file("config/docker.toml");
    assert!(dockerfile.contains("TENANTRY_CONFIG=/etc/tenantry/tenantry.toml"));
    assert!(compose.contains("./config/docker.toml:/etc/tenantry/tenantry.toml:ro"));
    // Every secret file the configuration reads is a secret compose mounts.
    for line in docker_toml.lines().filter(|l| l.contains("_file = ")) {
        let path = line.split('"').nth(1).unwrap_or_default();
        let secret = path
            .strip_prefix("/run/secrets/")
            .unwrap_or_else(|| panic!("{line}: secrets are mounted at /run/secrets"));
        assert!(
            compose.contains(&format!("  {secret}:\n    file: ./secrets/{secret}")),
            "compose defines no secret {secret}"
        );
        assert!(
            compose.contains(&format!("    - {secret}\n")),
            "no replica gets {secret}"
        );
    }
    // The proxy and the replicas agree on the port.
    assert!(docker_toml.contains("port = 8080"));
    assert!(repository_file("config/nginx.conf").contains("server tenantry-1:8080"));
}
