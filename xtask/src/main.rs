//! `cargo xtask`: the project's chores, so that a newcomer types one command per job.
//!
//! - `cargo xtask run [-- ARGS]`: build everything (release) and start `tenantry-server`.
//! - `cargo xtask test [--postgres [URL]] [--browser-only] [-- ARGS]`: build every binary, then
//!   run the tests: `cargo test`, then the browser tests (`tests/browser`, Node's test runner
//!   driving Debian's headless Chromium through the console). `--browser-only` skips
//!   `cargo test`, and ARGS then go to `node --test` (e.g. `--test-name-pattern=login`).
//! - `cargo xtask docs`: regenerate the documents generated from code (`docs/permissions.md`).
//!
//! Both first make sure what they need from the system is present (libpq, for the PostgreSQL
//! driver; for the tests also Python's aiosmtpd, their SMTP server, and Node.js, npm and
//! Chromium, for the browser tests), installing it on Debian-like systems when run as root.

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
                 cargo xtask test [--postgres [URL]] [--browser-only] [-- ARGS]\n                                                   \
                 build every binary, then run the tests (cargo's, then the browser tests)\n  \
                 cargo xtask docs                                 regenerate docs/permissions.md from the permission table\n\n\
                 --postgres runs the database-backed suites against PostgreSQL (default URL {DEFAULT_POSTGRES})\n\
                 --browser-only skips `cargo test`; ARGS then go to `node --test`"
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

/// The plugins whose actions `docs/permissions.md` lists: the first-party ones and the test
/// plugin that shows a plugin bringing permissions of its own.
const DOCUMENTED_PLUGINS: &str = "branding,crm,reporting,notes";

/// Writes the documents that are generated from code, so that they cannot drift from it:
/// `docs/permissions.md` is what `tenantry-server permissions` prints with the repository's
/// plugins loaded (a test holds the file to the same output).
fn docs() -> Result<(), String> {
    cargo(&["build", "--workspace"])?;
    let output = Command::new(root().join("target/debug/tenantry-server"))
        .arg("permissions")
        .env("TENANTRY__PLUGINS__ENABLED", DOCUMENTED_PLUGINS)
        .env("TENANTRY__PLUGINS__DIR", root().join("target/debug"))
        .env("TENANTRY__LOG__LEVEL", "warn")
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run tenantry-server permissions: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "tenantry-server permissions failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let path = root().join("docs/permissions.md");
    std::fs::write(&path, &output.stdout)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn test(args: &[String]) -> Result<(), String> {
    let mut postgres: Option<String> = None;
    let mut browser_only = false;
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
            "--browser-only" => browser_only = true,
            "--" => passthrough.extend(iter.by_ref().cloned()),
            other => passthrough.push(other.to_owned()),
        }
    }
    // Everything the run will need, up front: a missing browser is better found (and installed,
    // with one apt-get) before the long cargo test run than after it.
    let mut needs = vec![LIBPQ, NODE, NPM, CHROMIUM];
    if !browser_only {
        needs.push(AIOSMTPD);
    }
    if postgres.is_some() {
        needs.push(PSQL);
    }
    ensure(&needs)?;
    if !browser_only {
        ensure_schemathesis()?;
    }
    // The end-to-end and browser tests start the real binaries and load the plugin libraries,
    // which `cargo test` alone does not build.
    cargo(&["build", "--workspace"])?;
    if browser_only {
        return browser_tests(postgres.as_deref(), &passthrough);
    }
    cargo_tests(postgres.as_deref(), &passthrough)?;
    browser_tests(postgres.as_deref(), &[])
}

fn cargo_tests(postgres: Option<&str>, passthrough: &[String]) -> Result<(), String> {
    let mut command = Command::new(cargo_path());
    // The whole workspace either way: a narrower package set unifies dependency features
    // differently and rebuilds them. With a URL, the database-backed suites run on PostgreSQL,
    // each test server on a fresh database.
    command.args(["test", "--workspace"]).current_dir(root());
    command.env("TENANTRY_SCHEMATHESIS", schemathesis_bin());
    test_database(&mut command, postgres);
    if !passthrough.is_empty() {
        command.arg("--").args(passthrough);
    }
    status(&mut command)
}

/// With a URL, the suites' servers run on PostgreSQL, each on a fresh database created there;
/// without, on SQLite, even where the caller's environment names a PostgreSQL server.
fn test_database(command: &mut Command, postgres: Option<&str>) {
    match postgres {
        Some(url) => command.env("TENANTRY_TEST_POSTGRES_URL", url),
        None => command.env_remove("TENANTRY_TEST_POSTGRES_URL"),
    };
}

/// The browser tests: every `tests/browser/*.test.mjs`, one file at a time (each starts servers
/// and a browser; two at once are too much for a 2-core machine), against the debug build
/// (`target/debug/tenantry-server`, or `TENANTRY_SERVER_BIN`).
fn browser_tests(postgres: Option<&str>, passthrough: &[String]) -> Result<(), String> {
    let dir = root().join("tests/browser");
    check_node_version()?;
    install_browser_packages(&dir)?;
    let files = browser_test_files(&dir)?;
    let mut command = Command::new("node");
    command
        .args(["--test", "--test-concurrency=1"])
        .args(passthrough)
        // The files by name: from Node 21 on, `node --test DIR` takes DIR for a file.
        .args(&files)
        .current_dir(&dir);
    test_database(&mut command, postgres);
    status(&mut command)
}

/// `npm ci` when the packages are missing or the lock file changed since they were installed
/// (npm writes `node_modules/.package-lock.json` at every install).
fn install_browser_packages(dir: &Path) -> Result<(), String> {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let lock = modified(&dir.join("package-lock.json"));
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    let current = matches!((lock, installed), (Some(lock), Some(installed)) if installed >= lock);
    if current {
        return Ok(());
    }
    status(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            // The tests drive Debian's Chromium; a browser download would fail here anyway.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .current_dir(dir),
    )
}

fn browser_test_files(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs in {}", dir.display()));
    }
    Ok(files)
}

/// playwright-core and `--test-concurrency` need Node.js 20 or newer; Debian 12's own
/// `nodejs` is 18, which would fail later and less clearly.
fn check_node_version() -> Result<(), String> {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok());
    match major {
        Some(major) if major >= 20 => Ok(()),
        _ => Err(format!(
            "the browser tests need Node.js 20 or newer, and `node --version` says {version:?}: \
             install it from nodejs.org or your distribution's backports"
        )),
    }
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

/// The browser tests drive Debian's Chromium (playwright-core never downloads a browser here).
const CHROMIUM: Need = Need {
    what: "Chromium (the browser tests' browser, /usr/bin/chromium)",
    present: has_chromium,
    debian_package: "chromium",
    hint: "Debian: `sudo apt-get install chromium`; elsewhere set TENANTRY_CHROMIUM to a \
           Chromium or Chrome binary",
};

/// The browser tests run on Node.js's own test runner.
const NODE: Need = Need {
    what: "Node.js (the browser tests' runner)",
    present: has_node,
    debian_package: "nodejs",
    hint: "Debian/Ubuntu: `sudo apt-get install nodejs` (version 20 or newer); elsewhere: nodejs.org",
};

/// ... and npm installs their one package, playwright-core (tests/browser/package-lock.json).
const NPM: Need = Need {
    what: "npm (installs the browser tests' packages)",
    present: has_npm,
    debian_package: "npm",
    hint: "Debian/Ubuntu: `sudo apt-get install npm`; elsewhere it comes with Node.js",
};

/// The browser tests create and drop their PostgreSQL databases with psql.
const PSQL: Need = Need {
    what: "psql (creates the browser tests' PostgreSQL databases)",
    present: has_psql,
    debian_package: "postgresql-client",
    hint: "Debian/Ubuntu: `sudo apt-get install postgresql-client`",
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

/// Schemathesis, the OpenAPI fuzzer one API test runs against a live server: pinned, in a
/// virtual environment of its own under `target/` (from PyPI; nothing system-wide).
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

fn schemathesis_bin() -> PathBuf {
    root().join("target/schemathesis/bin/st")
}

fn ensure_schemathesis() -> Result<(), String> {
    if schemathesis_bin().exists() {
        return Ok(());
    }
    let venv = root().join("target/schemathesis");
    eprintln!("xtask: installing {SCHEMATHESIS} into {}", venv.display());
    let made = status(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    if made.is_err() {
        // Debian's Python keeps venv in a package of its own.
        ensure(&[PYTHON_VENV])?;
        status(
            Command::new("/usr/bin/python3")
                .args(["-m", "venv"])
                .arg(&venv),
        )?;
    }
    status(Command::new(venv.join("bin/pip")).args([
        "install",
        "-q",
        "--disable-pip-version-check",
        SCHEMATHESIS,
    ]))
}

const PYTHON_VENV: Need = Need {
    what: "Python's venv module (for the tests' OpenAPI fuzzer)",
    present: has_venv,
    debian_package: "python3-venv",
    hint: "Debian/Ubuntu: `sudo apt-get install python3-venv`",
};

fn has_venv() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import ensurepip, venv"])
        .output()
        .is_ok_and(|o| o.status.success())
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

fn has_chromium() -> bool {
    // The same browser the harness (tests/browser/harness.mjs) launches.
    env::var_os("TENANTRY_CHROMIUM")
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
        .exists()
}

fn has_node() -> bool {
    runs("node", &["--version"])
}

fn has_npm() -> bool {
    runs("npm", &["--version"])
}

fn has_psql() -> bool {
    runs("psql", &["--version"])
}

/// Whether a program is on PATH and answers successfully.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
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
