//! `tenantry-server config check`: a configuration validated before it is deployed.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use tenantry_tests::{Scratch, repository_file, server_binary as binary};

struct Checked {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `config check` with a configuration file (TOML text) and environment variables.
fn check(file: Option<&str>, env: &[(&str, &str)]) -> Checked {
    let dir = Scratch::new("config");
    let mut command = Command::new(binary());
    command.args(["config", "check"]).current_dir(dir.path());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("TENANTRY")) {
        command.env_remove(key);
    }
    if let Some(text) = file {
        command.env("TENANTRY_CONFIG", dir.write("tenantry.toml", text));
    }
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    Checked {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_misspelt_key_is_an_error_that_names_it() {
    let checked = check(Some("[server]\nprot = 8080\n"), &[]);
    assert_eq!(checked.code, 2, "{}", checked.stderr);
    assert!(
        checked.stderr.contains("`prot`") && checked.stderr.contains("`server`"),
        "{}",
        checked.stderr
    );
    let from_env = check(None, &[("TENANTRY__DATABASE__ULR", "postgres://x")]);
    assert_eq!(from_env.code, 2);
    assert!(from_env.stderr.contains("`ulr`"), "{}", from_env.stderr);
}

#[test]
fn a_bad_url_is_an_error_that_names_its_key() {
    let checked = check(None, &[("TENANTRY__DATABASE__URL", "mysql://db/tenantry")]);
    assert_eq!(checked.code, 2);
    assert!(
        checked.stderr.contains("database.url"),
        "{}",
        checked.stderr
    );
    let mail = check(None, &[("TENANTRY__MAIL__SMTP_URL", "http://mail")]);
    assert_eq!(mail.code, 2);
    assert!(mail.stderr.contains("mail.smtp_url"), "{}", mail.stderr);
}

#[test]
fn the_docker_configuration_is_valid_and_secrets_are_masked() {
    let text = repository_file("config/docker.toml");
    let secrets = Scratch::new("secrets");
    let secret = secrets.write("db_password", "hunter2-secret\n");
    let admin = secrets.write("admin_password", "a long enough password\n");
    // The compose file mounts the secrets at /run/secrets; here they are temporary files.
    let checked = check(
        Some(&text),
        &[
            (
                "TENANTRY__DATABASE__PASSWORD_FILE",
                secret.to_str().unwrap(),
            ),
            (
                "TENANTRY__BOOTSTRAP__ADMIN_PASSWORD_FILE",
                admin.to_str().unwrap(),
            ),
        ],
    );
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert!(
        checked
            .stdout
            .contains("url = \"postgres://tenantry:***@db:5432/tenantry\""),
        "{}",
        checked.stdout
    );
    assert!(checked.stdout.contains("admin_password = \"***\""));
    assert!(!checked.stdout.contains("hunter2"), "{}", checked.stdout);
    assert!(!checked.stdout.contains("a long enough password"));
    assert!(
        checked.stdout.contains("host = \"0.0.0.0\""),
        "{}",
        checked.stdout
    );
}
