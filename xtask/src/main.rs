//! `cargo xtask`: the project's chores, so that a newcomer types one command per job.
//!
//! - `cargo xtask run [-- ARGS]`: build everything (release) and start `tenantry-server`.
//! - `cargo xtask test [--postgres [URL]] [-- ARGS]`: build every binary, then run the tests.
//! - `cargo xtask docs`: regenerate the documents generated from code (`docs/permissions.md`).
//!
//! Both first make sure what they need from the system is present (libpq, for the PostgreSQL
//! driver; for the tests also Python's aiosmtpd, their SMTP server), installing it on
//! Debian-like systems when run as root.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const DEFAULT_POSTGRES: &str = "postgres://root@127.0.0.1:5432/postgres";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest.to_vec()),
        None => ("help", Vec::new()),
    };
    let result = match task {
        "run" => run(&rest),
        "test" => test(&rest),
        "docs" => docs(),
        _ => {
            eprintln!(
                "usage:\n  cargo xtask run [-- SERVER ARGS]                 build (release) and start tenantry-server\n  \
                 cargo xtask test [--postgres [URL]] [-- ARGS]    build every binary, then run the tests\n  \
                 cargo xtask docs                                 regenerate docs/permissions.md from the permission table\n\n\
                 --postgres runs the database-backed suites against PostgreSQL (default URL {DEFAULT_POSTGRES})"
            );
            return ExitCode::from(if task == "help" { 0 } else { 2 });
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    ensure_system_libraries()?;
    cargo(&["build", "--release", "--workspace"])?;
    let server = root().join("target/release/tenantry-server");
    let passthrough: Vec<&String> = args.iter().skip_while(|a| *a == "--").collect();
    status(Command::new(server).args(passthrough).current_dir(root()))
}

/// Writes the documents that are generated from code, so that they cannot drift from it.
fn docs() -> Result<(), String> {
    let path = root().join("docs/permissions.md");
    std::fs::write(&path, tenantry_domain::permissions_markdown())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn test(args: &[String]) -> Result<(), String> {
    ensure(&[LIBPQ, AIOSMTPD])?;
    let mut postgres: Option<String> = None;
    let mut passthrough: Vec<String> = Vec::new();
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--postgres" => {
                let url = match iter.peek() {
                    Some(next) if next.starts_with("postgres") => iter.next().cloned(),
                    _ => None,
                };
                postgres = Some(url.unwrap_or_else(|| DEFAULT_POSTGRES.to_owned()));
            }
            "--" => passthrough.extend(iter.by_ref().cloned()),
            other => passthrough.push(other.to_owned()),
        }
    }
    // The end-to-end tests start the real binaries and load the plugin libraries, which
    // `cargo test` alone does not build.
    cargo(&["build", "--workspace"])?;
    let mut command = Command::new(cargo_path());
    // The whole workspace either way: a narrower package set unifies dependency features
    // differently and rebuilds them. With a URL, the database-backed suites run on PostgreSQL,
    // each test server on a fresh database.
    command.args(["test", "--workspace"]).current_dir(root());
    match &postgres {
        Some(url) => command.env("TENANTRY_TEST_POSTGRES_URL", url),
        None => command.env_remove("TENANTRY_TEST_POSTGRES_URL"),
    };
    if !passthrough.is_empty() {
        command.arg("--").args(&passthrough);
    }
    status(&mut command)
}

fn cargo(args: &[&str]) -> Result<(), String> {
    status(Command::new(cargo_path()).args(args).current_dir(root()))
}

fn status(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn cargo_path() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Something the build or the tests need from the system, and how to get it.
struct Need {
    what: &'static str,
    present: fn() -> bool,
    debian_package: &'static str,
    /// What to do by hand where we cannot install it.
    hint: &'static str,
}

/// The PostgreSQL driver links the system's libpq.
const LIBPQ: Need = Need {
    what: "the PostgreSQL client library (libpq)",
    present: has_libpq,
    debian_package: "libpq-dev",
    hint: "Debian/Ubuntu: `sudo apt-get install libpq-dev`; Fedora: `sudo dnf install libpq-devel`; \
           macOS: `brew install libpq`",
};

/// The mail tests send to a real SMTP server on 127.0.0.1: Python's aiosmtpd (tests/smtp_sink.py).
const AIOSMTPD: Need = Need {
    what: "Python's aiosmtpd (the tests' SMTP server)",
    present: has_aiosmtpd,
    debian_package: "python3-aiosmtpd",
    hint: "Debian/Ubuntu: `sudo apt-get install python3-aiosmtpd`; elsewhere: `pip install aiosmtpd`",
};

fn ensure_system_libraries() -> Result<(), String> {
    ensure(&[LIBPQ])
}

/// Present on the project's machines; on a fresh Debian or Ubuntu machine we install what is
/// missing when we can (as root, with apt-get), and otherwise say what to do.
fn ensure(needs: &[Need]) -> Result<(), String> {
    let missing: Vec<&Need> = needs.iter().filter(|n| !(n.present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let has_apt = Path::new("/usr/bin/apt-get").exists();
    if is_root && has_apt {
        let packages: Vec<&str> = missing.iter().map(|n| n.debian_package).collect();
        eprintln!("xtask: installing {} with apt-get", packages.join(", "));
        status(Command::new("apt-get").args(["update", "-qq"]))?;
        status(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&packages),
        )?;
        return match missing.iter().find(|n| !(n.present)()) {
            None => Ok(()),
            Some(need) => Err(format!(
                "{} was installed but {} is still not found",
                need.debian_package, need.what
            )),
        };
    }
    Err(missing
        .iter()
        .map(|n| format!("{} is missing: {}", n.what, n.hint))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn has_aiosmtpd() -> bool {
    // The system's Python, which Debian's package installs into (a pyenv or venv `python3`
    // earlier in PATH would not see it); the test harness picks the same one.
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn has_libpq() -> bool {
    let found_by_tool = |tool: &str, args: &[&str]| {
        Command::new(tool)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    found_by_tool("pkg-config", &["--exists", "libpq"])
        || found_by_tool("pg_config", &["--libdir"])
        || [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib",
            "/usr/lib64",
            "/usr/local/lib",
        ]
        .iter()
        .any(|dir| Path::new(dir).join("libpq.so").exists())
}
