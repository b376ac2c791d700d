//! The command line: predictable `noun verb` commands, global options, examples in `--help`.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

const AFTER_HELP: &str = "\
Environment:
  TENANTRY_SERVER   the server's address (instead of --server or the profile's)
  TENANTRY_TOKEN    a session or API token (instead of the profile's; for scripts)

Exit codes: 0 ok, 1 other failure, 2 usage, 3 not found, 4 conflict or invalid input,
5 not authenticated or not allowed.

Examples:
  tenantry login --server https://backup.example.com --group \"My Company\" --user admin@example.com
  tenantry groups tree
  tenantry groups add \"Acme\" --parent 1 --level reseller
  tenantry groups list -o csv > groups.csv
  tenantry api GET /groups/12/notes        # any route, a plugin's from elsewhere too";

/// Tenantry's admin agent: every admin endpoint of a Tenantry server from the command line.
#[derive(Debug, Parser)]
#[command(name = "tenantry", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The saved login to use (see `tenantry login --profile`).
    #[arg(long, global = true, default_value = "default")]
    pub profile: String,
    /// How answers are shown: a table, the API's JSON, or CSV (lists).
    #[arg(short, long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// Show each HTTP request and answer on stderr.
    #[arg(long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and keep the session in this profile (what is not given: the profile's last login).
    #[command(
        after_help = "Examples:\n  echo \"$PASSWORD\" | tenantry login --server http://127.0.0.1:8080 \\\n      --group \"My Company\" --user admin@example.com --password-stdin\n  tenantry login                 # again, as the profile last logged in"
    )]
    Login(Login),
    /// End this profile's session on the server; the profile keeps the server, group and user.
    Logout,
    /// Customers: the group tree.
    #[command(subcommand)]
    Groups(Groups),
    /// What a protected machine runs: join with a deployment token, then report sessions.
    #[command(subcommand)]
    Device(Device),
    /// Every API operation and the command that makes it (for the coverage test and the curious).
    #[command(hide = true)]
    Operations,
    /// A completion script for your shell.
    #[command(
        after_help = "Examples:\n  tenantry completions bash > /etc/bash_completion.d/tenantry\n  tenantry completions zsh > \"${fpath[1]}/_tenantry\"\n  tenantry completions fish > ~/.config/fish/completions/tenantry.fish"
    )]
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Args)]
pub struct Login {
    /// The server's address, e.g. https://backup.example.com (default: the profile's).
    #[arg(long, env = "TENANTRY_SERVER")]
    pub server: Option<String>,
    /// The name of your group, part of your credentials (default: the profile's, kept current
    /// when the agent sees the group renamed).
    #[arg(long)]
    pub group: Option<String>,
    /// Your username, an email address (default: the profile's).
    #[arg(long)]
    pub user: Option<String>,
    /// Read the password from standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum Groups {
    /// The group and everything below it, indented, with levels and device counts.
    #[command(
        after_help = "Examples:\n  tenantry groups tree\n  tenantry groups tree 12 --depth 2"
    )]
    Tree {
        /// The group at the top (default: your own).
        id: Option<i64>,
        /// Levels below the top to show.
        #[arg(long)]
        depth: Option<usize>,
    },
    /// The groups below a group (default: yours), in tree order.
    #[command(
        after_help = "Examples:\n  tenantry groups list --level reseller\n  tenantry groups list 12 -o csv"
    )]
    List {
        id: Option<i64>,
        /// Only this level (distributor, sub_distributor, reseller, end_customer, site).
        #[arg(long)]
        level: Option<String>,
        /// Only names containing this, ignoring case.
        #[arg(long)]
        name: Option<String>,
        /// At most this many (default: all).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// A group's direct children.
    #[command(after_help = "Example:\n  tenantry groups children 12")]
    Children {
        id: i64,
        /// At most this many (default: all).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// A group's ancestors, the root first (as far up as you may see).
    #[command(after_help = "Example:\n  tenantry groups ancestors 1112")]
    Ancestors { id: i64 },
    /// One group.
    #[command(after_help = "Example:\n  tenantry groups get 12 -o json")]
    Get { id: i64 },
    /// Create a group below another.
    #[command(
        after_help = "Example:\n  tenantry groups add \"Acme\" --parent 1 --level reseller --state production"
    )]
    Add(AddGroup),
    /// Change a group's name or properties (only what is given changes).
    #[command(
        after_help = "Example:\n  tenantry groups edit 12 --name \"Acme Ltd\" --state production"
    )]
    Edit(EditGroup),
    /// Move a group, with everything below it, under another parent.
    #[command(after_help = "Example:\n  tenantry groups mv 112 --to 13")]
    Mv {
        id: i64,
        /// The new parent.
        #[arg(long)]
        to: i64,
    },
    /// Remove an empty group (no children, no devices).
    #[command(after_help = "Example:\n  tenantry groups rm 112")]
    Rm { id: i64 },
    /// A group's company profile.
    #[command(subcommand)]
    Company(Company),
    /// The console modules a group's level may use.
    #[command(after_help = "Example:\n  tenantry groups modules 12")]
    Modules { id: i64 },
    /// Create a whole customer tree from a CSV file, all or nothing. Every row is checked
    /// first; each problem is shown with its line and nothing is created.
    ///
    /// Columns (header row; any order): name, parent, level, and optionally service_type,
    /// state, trial_expires_at, customer_reference, automatic_deployment, company.<field>.
    /// `parent` names a group below the one imported into, or a row above. `groups export`
    /// writes the same format.
    #[command(
        after_help = "Examples:\n  tenantry groups import customers.csv --dry-run\n  tenantry groups import customers.csv --into 12\n  tenantry groups export 12 > customers.csv"
    )]
    Import {
        /// The CSV file (`-` reads stdin).
        file: String,
        /// The group the tree goes under (default: your own).
        #[arg(long)]
        into: Option<i64>,
        /// Check every row as a real import would, and create nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Every group below a group (default: yours) as the CSV file `groups import` reads.
    #[command(
        after_help = "Examples:\n  tenantry groups export > tree.csv\n  tenantry groups export 12 --out tree.csv"
    )]
    Export {
        id: Option<i64>,
        /// Write the file here (default: stdout).
        #[arg(long, default_value = "-")]
        out: String,
    },
}

#[derive(Debug, Args)]
pub struct AddGroup {
    pub name: String,
    #[arg(long)]
    pub parent: i64,
    /// distributor, sub_distributor, reseller, end_customer or site (below the parent's).
    #[arg(long)]
    pub level: String,
    #[command(flatten)]
    pub properties: GroupProperties,
}

#[derive(Debug, Args)]
pub struct EditGroup {
    pub id: i64,
    #[arg(long)]
    pub name: Option<String>,
    /// A new level (checked against the parent and the children).
    #[arg(long)]
    pub level: Option<String>,
    #[command(flatten)]
    pub properties: GroupProperties,
}

#[derive(Debug, Subcommand)]
pub enum Company {
    /// Show it.
    #[command(after_help = "Example:\n  tenantry groups company get 12 -o json")]
    Get { id: i64 },
    /// Change the fields given; the others keep their values, an empty value clears one. Refused
    /// (exit 4) if someone else changed the profile meanwhile.
    #[command(
        after_help = "Example:\n  tenantry groups company set 12 --legal-name \"Acme Ltd\" --vat-number NL123 --fax \"\""
    )]
    Set(Box<SetCompany>),
}

#[derive(Debug, Args)]
pub struct SetCompany {
    pub id: i64,
    #[arg(long)]
    pub legal_name: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub fax: Option<String>,
    #[arg(long)]
    pub vat_number: Option<String>,
    #[arg(long)]
    pub chamber_of_commerce_number: Option<String>,
    #[arg(long)]
    pub bank_account: Option<String>,
    #[arg(long)]
    pub street: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub district: Option<String>,
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub zip: Option<String>,
    #[arg(long)]
    pub country: Option<String>,
    #[arg(long)]
    pub billing_contact: Option<String>,
}

impl SetCompany {
    /// The fields given, by their API names.
    pub fn given(&self) -> Vec<(&'static str, &str)> {
        [
            ("legal_name", &self.legal_name),
            ("website", &self.website),
            ("phone", &self.phone),
            ("fax", &self.fax),
            ("vat_number", &self.vat_number),
            (
                "chamber_of_commerce_number",
                &self.chamber_of_commerce_number,
            ),
            ("bank_account", &self.bank_account),
            ("street", &self.street),
            ("city", &self.city),
            ("district", &self.district),
            ("state", &self.state),
            ("zip", &self.zip),
            ("country", &self.country),
            ("billing_contact", &self.billing_contact),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }
}

/// A group's properties, as `add` sets them and `edit` changes them.
#[derive(Debug, Args)]
pub struct GroupProperties {
    /// all_inclusive (the default for a new group) or software_only.
    #[arg(long, value_parser = ["all_inclusive", "software_only"])]
    pub service_type: Option<String>,
    /// trial (the default for a new group), production, not_active or expired.
    #[arg(long, value_parser = ["trial", "production", "not_active", "expired"])]
    pub state: Option<String>,
    /// Your reference for the customer (`edit`: an empty value clears it).
    #[arg(long)]
    pub customer_reference: Option<String>,
    /// Quick Installation (Reseller and below).
    #[arg(long)]
    pub automatic_deployment: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum Device {
    /// Join a group with a deployment token; the device's credential is kept like a login.
    #[command(
        after_help = "Example:\n  tenantry device enroll --server https://backup.example.com --token tdp_… --name web-01"
    )]
    Enroll {
        #[arg(long, env = "TENANTRY_SERVER")]
        server: String,
        /// The deployment token (Quick Installation).
        #[arg(long, env = "TENANTRY_TOKEN")]
        token: String,
        /// The device's name (default: this machine's host name).
        #[arg(long)]
        name: Option<String>,
        /// The operating system (default: this one's family).
        #[arg(long)]
        os: Option<String>,
        /// This machine's stable identifier (default: /etc/machine-id on Linux). Enrolling a
        /// machine again keeps its device and gives it a new credential.
        #[arg(long, env = "TENANTRY_MACHINE_ID")]
        machine_id: Option<String>,
    },
    /// Report a finished backup session of this (enrolled) device.
    #[command(
        after_help = "Example:\n  tenantry device report --status completed --selected-size 2000000000 --used-storage 850000000"
    )]
    Report {
        /// completed, with_errors, failed or aborted.
        #[arg(long)]
        status: String,
        /// Bytes selected for backup.
        #[arg(long)]
        selected_size: i64,
        /// Bytes the backup uses in storage.
        #[arg(long)]
        used_storage: i64,
        /// When the session started (RFC 3339; default: when it ended).
        #[arg(long)]
        started_at: Option<String>,
        /// When it ended (RFC 3339; default: now).
        #[arg(long)]
        ended_at: Option<String>,
        #[arg(long, default_value_t = 0)]
        files: i64,
        #[arg(long, default_value_t = 0)]
        errors: i64,
    },
}
