//! `cargo xtask`: the project's chores, so that a newcomer types one command per job.
//!
//! - `cargo xtask run [-- ARGS]`: build everything (release) and start `tenantry-server`.
//! - `cargo xtask test [--postgres [URL]] [-- ARGS]`: build every binary, then run the tests.
//! - `cargo xtask docs`: regenerate the documents generated from code (`docs/permissions.md`).
//!
//! Both first make sure the system libraries the build links are present (libpq, for the
//! PostgreSQL driver), installing them on Debian-like systems when run as root.

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
    ensure_system_libraries()?;
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

/// The PostgreSQL driver links the system's libpq. Present on the project's machines; on a
/// fresh Debian or Ubuntu machine we install it when we can, and otherwise say what to do.
fn ensure_system_libraries() -> Result<(), String> {
    if has_libpq() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let has_apt = Path::new("/usr/bin/apt-get").exists();
    if is_root && has_apt {
        eprintln!("xtask: libpq is missing; installing libpq-dev with apt-get");
        status(Command::new("apt-get").args(["update", "-qq"]))?;
        status(Command::new("apt-get").args([
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "libpq-dev",
        ]))?;
        return if has_libpq() {
            Ok(())
        } else {
            Err("libpq-dev was installed but libpq is still not found".into())
        };
    }
    Err("the PostgreSQL client library is missing: install libpq-dev (Debian/Ubuntu: \
         `sudo apt-get install libpq-dev`; Fedora: `sudo dnf install libpq-devel`; macOS: `brew install libpq`)"
        .into())
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
