//! Command-line interface.

mod accounts;
mod audit;
mod budget;
mod calendar;
mod cluster;
mod contract;
mod forecast;
mod import;
mod informal;
mod ledger;
mod matter;
mod meeting;
mod monitor;
mod review;
mod risk;
mod witness;

pub(crate) use cluster::cosign_all;
pub(crate) use witness::request as forward_request;

use accounts::*;
use audit::*;
use budget::*;
use calendar::*;
use forecast::*;
use ledger::*;
use monitor::*;
use risk::*;

use crate::server;
use anyhow::{Context as _, Result, bail};
use bw_app::Ctx;
use bw_app::import::{ImportError, ImportOptions, import_file};
use bw_app::template::Lang;
use bw_core::Date;
use bw_core::template::Kind;
use bw_store::Store;
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "budgetwatch", version, about = "Budget supervision and feedback (预算编制的监督与反馈)")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// Database: a SQLite file path, or a postgres:// URL.
    #[arg(long, global = true, env = "BUDGETWATCH_DB", default_value = "./budgetwatch.db")]
    db: String,
    /// Who is acting, as recorded in the journal (default: cli:$USER).
    #[arg(long, global = true, env = "BUDGETWATCH_ACTOR")]
    actor: Option<String>,
    /// Why, as recorded in the journal.
    #[arg(long, global = true)]
    reason: Option<String>,
    /// The installation's signing key file (default for a SQLite database: one named after
    /// it in the user's configuration folder, ~/.config/budgetwatch/keys/; required for
    /// PostgreSQL). Created with mode 0600; `ledger key --path` prints where it is.
    #[arg(long = "key-file", global = true, env = "BUDGETWATCH_KEY")]
    key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum ExportCommand {
    /// A year as Parquet files in DIR, one per kind, with manifest.json (the province, the
    /// year, the rows, the signed checkpoint). The classified projects are left out; the
    /// files hold payees' names and accounts and are written readable by their owner.
    Parquet {
        dir: PathBuf,
        /// The year (default: the latest with indicators).
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Create the database (or bring its schema up to date).
    Init {
        /// The log's cryptography, fixed here for good: sha256-ed25519, or sm3-sm2 (SM3
        /// hashing, GB/T 32905, with SM2 signatures, GB/T 32918).
        #[arg(long)]
        crypto: Option<String>,
    },
    /// Import a template file (CSV or XLSX) of KIND: units, projects, indicators, contracts,
    /// contract_milestones, payments, revenues, revenue_targets, staff, macro_indicators.
    Import {
        kind: String,
        file: PathBuf,
        /// Ignore columns the template does not know.
        #[arg(long)]
        allow_extra: bool,
    },
    /// Write the empty template of KIND to standard output.
    Template {
        kind: String,
        /// XLSX instead of CSV.
        #[arg(long)]
        xlsx: bool,
        /// Header language: en or zh.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Settings.
    Setting {
        #[command(subcommand)]
        command: SettingCommand,
    },
    /// Write the demo data set in the standard templates.
    DemoData {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1_000_000)]
        payments: u64,
        #[arg(long, default_value_t = 2025)]
        year: i32,
        #[arg(long, default_value = "demo-data")]
        out: PathBuf,
        /// Earlier years too, FROM..TO with TO the data set's year (e.g. 2021..2025): the
        /// budget's growth, a price shock on equipment, monthly payments by the year's
        /// profile, revenues and targets (what was planted: history.json).
        #[arg(long)]
        history: Option<String>,
        /// The province's two-digit code (GB/T 2260, e.g. 32 for 江苏省): the first digits of
        /// every region code, and a part of every voucher, invoice and contract number so
        /// that two provinces' data sets (a cluster's shards) share none. 99: the fictional
        /// 示范省.
        #[arg(long, default_value = "99")]
        province: String,
    },
    /// Generate the demo data (if absent), import it into a fresh SQLite file, serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Folder of the demo data set.
        #[arg(long, default_value = "demo-data")]
        data: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        payments: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Prepare the database and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Leave out the budget scene (evaluations, ranking, rolling plan, next year's cycle
        /// with the proposal as drafts, one submitted), which is played on the imported year
        /// by default so that the budget and performance pages have something to show: for a
        /// fiscal year scripted from the imported data alone.
        #[arg(long)]
        no_scene: bool,
        /// The scene is played by default; kept so that older scripts still run.
        #[arg(long, hide = true, conflicts_with = "no_scene")]
        scene: bool,
        /// The unit the demo's unit accounts (handler, finance, head) work on; by default the
        /// unit whose open warnings span the most rules.
        #[arg(long)]
        accounts_unit: Option<String>,
    },
    /// Start the web server.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Accounts, their roles (12 permission levels) on subtrees of the organisation, and
    /// API tokens. Passwords come from BUDGETWATCH_PASSWORD, or else the first line of
    /// standard input.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Webhooks: new and escalated warnings POSTed to a URL, signed with HMAC-SHA256
    /// (`X-Budgetwatch-Signature: sha256=HEX`), filtered to what a user may see.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Files kept with the records: images of a payment voucher's documents, region
    /// boundaries for the cockpit's map. Journaled with their SHA-256; `verify` checks them.
    Document {
        #[command(subcommand)]
        command: DocumentCommand,
    },
    /// The project library's classified projects (涉密): their indicators and payments are
    /// shown only to the classified data class, never on the public portal.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Budget preparation and approval: the fiscal year's cycle, control totals, drafts as
    /// versions, approval along a route with signed decisions (docs/BUDGET.md).
    Budget {
        #[command(subcommand)]
        command: BudgetCommand,
    },
    /// Performance: projects' KPIs and values reached, self and third-party evaluations,
    /// satisfaction surveys, the year's grades and ladder, next year's proposal
    /// (docs/PERFORMANCE.md).
    Performance {
        #[command(subcommand)]
        command: PerformanceCommand,
    },
    /// Reports: the execution report of a month or a quarter as XLSX or PDF.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Counts of what the database holds.
    Status,
    /// Check the journal (leaf hashes, tiles, signed checkpoints) and rebuild every table
    /// from it to compare; exit 1 naming each difference.
    Verify {
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
        /// The log's verifier key to check against (default: the one of the installation's
        /// signing key file). Never taken from the database itself.
        #[arg(long)]
        key: Option<String>,
        /// A witness's cosignature key whose cosignatures are required (repeatable).
        #[arg(long)]
        witness: Vec<String>,
        /// Check only what was appended since the last checkpoint a verify found whole (the
        /// new entries, the checkpoints after it, the payments they wrote); the whole log
        /// when there is no such mark.
        #[arg(long)]
        since_checkpoint: bool,
    },
    /// Evaluate the twelve warning rules as of DATE (default today), record what they find
    /// (journaled), and print the open warnings of that year.
    Check {
        #[arg(long)]
        as_of: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Audit analytics (审计分析): with no subcommand, run every test as of DATE and print the
    /// findings; units scored below the threshold get a special audit (journaled).
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        #[command(subcommand)]
        command: Option<AuditCommand>,
        #[command(flatten)]
        run: AuditRun,
        /// Audit the provinces' Parquet folders (`export parquet`) instead of the database:
        /// each province's payment tests, and the cross-province ones, on the columnar
        /// engine; nothing is recorded.
        #[arg(long, num_args = 1.., value_name = "DIR")]
        parquet: Vec<PathBuf>,
    },
    /// Exports for analytics elsewhere: `export parquet DIR` writes a year of this
    /// installation (payments, indicators, monthly figures, units, warnings) as Parquet.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Forecasting (预测) on a CSV file: least squares (`ols`) and Holt-Winters smoothing.
    Forecast {
        #[command(subcommand)]
        command: ForecastCommand,
    },
    /// Monte Carlo simulation (蒙特卡洛模拟) of a scenario file (TOML): the debt ratio's fan
    /// per region and year, and its sensitivity to the drivers.
    Simulate {
        #[command(subcommand)]
        command: SimulateCommand,
    },
    /// Meetings (会议): analysis meetings, joint supervision, topics, collective decisions and
    /// emergencies — invitations, the agenda pack, minutes signed, the OParl export.
    Meeting {
        #[command(subcommand)]
        command: meeting::MeetingCommand,
    },
    /// A national node over provinces (docs/SCALE.md): each province its own budgetwatch on
    /// its own PostgreSQL; the nation reads them through postgres_fdw partitions, forwards
    /// payments to them and witnesses their logs.
    Cluster {
        #[command(subcommand)]
        command: cluster::ClusterCommand,
    },
    /// Major matters (重大事项, 三重一大): reported, routed, decided.
    Matter {
        #[command(subcommand)]
        command: matter::MatterCommand,
    },
    /// Post-incident reviews (复盘) and their improvement plans, accepted 3 to 6 months on.
    Review {
        #[command(subcommand)]
        command: review::ReviewCommand,
    },
    /// The case knowledge base (案例库): search, the cases like a warning, repeats (屡审屡犯).
    Case {
        #[command(subcommand)]
        command: review::CaseCommand,
    },
    /// Action items (督办事项) from meetings' minutes: done with evidence, verified or returned.
    Action {
        #[command(subcommand)]
        command: meeting::ActionCommand,
    },
    /// Contracts' milestones (合同里程碑): claims, signed verifications, disputes, and the
    /// payments held until the milestones release them.
    Contract {
        #[command(subcommand)]
        command: contract::ContractCommand,
    },
    /// Informal communications (非正式沟通记录): consultations and pre-communications about a
    /// budget item, recorded within 24 hours, never a decision.
    Informal {
        #[command(subcommand)]
        command: informal::InformalCommand,
    },
    /// The risk register (风险清单): risks rated likelihood × impact, their treatment,
    /// acceptance and reviews.
    Risk {
        #[command(subcommand)]
        command: RiskCommand,
    },
    /// The warning rules' settings.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Warnings raised by `check`.
    Warning {
        #[command(subcommand)]
        command: WarningCommand,
    },
    /// Graded-response tasks: the unit's self-check (yellow), the finance interview
    /// (orange), the special audit (red).
    Task {
        #[command(subcommand)]
        command: TaskCommand,
    },
    /// Payments held by a rule handled `intercept`: list, release, reject.
    Payment {
        #[command(subcommand)]
        command: PaymentCommand,
    },
    /// Emergency cases: report due in 24 hours, temporary adjustment plan in 72.
    Emergency {
        #[command(subcommand)]
        command: EmergencyCommand,
    },
    /// Approvers' own signing keys and their signed opinions on journal entries.
    Approval {
        #[command(subcommand)]
        command: ApprovalCommand,
    },
    /// The journal as a Merkle log: entries and proofs.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

/// The reason recorded for the demo's imports; it marks a database the demo may replace.
const DEMO_REASON: &str = "demo data";

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A command whose output is piped into `head` ends quietly when the reader goes away,
    // as command-line tools do; the server keeps Rust's default (a closed socket is an
    // error on that connection, never a signal: sockets are written with MSG_NOSIGNAL).
    if !matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }) {
        default_sigpipe();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Restores the default action of SIGPIPE (end the process), which Rust's runtime sets to
/// "ignore" so that a write to a closed pipe fails instead; `println!` then panics.
fn default_sigpipe() {
    // SAFETY: called once at start, before any thread is spawned; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn ctx(g: &Global) -> Result<Ctx> {
    let actor = g
        .actor
        .clone()
        .unwrap_or_else(|| format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())));
    Ok(Ctx {
        actor,
        at: crate::clock::now(),
        today: crate::clock::today(),
        reason: g.reason.clone(),
        entropy: crate::clock::random_seed()?,
    })
}

fn parse_kind(s: &str) -> Result<Kind> {
    match Kind::parse(s) {
        Some(k) => Ok(k),
        None => {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            bail!("unknown kind {s:?}: expected one of {}", names.join(", "))
        }
    }
}

fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn open(g: &Global) -> Result<Store> {
    let store = Store::open(&g.db, false).await.with_context(|| format!("opening {}", g.db))?;
    crate::clock::load_zone(&store).await?;
    Ok(store)
}

/// The user's configuration folder for budgetwatch: `$XDG_CONFIG_HOME/budgetwatch`, else
/// `$HOME/.config/budgetwatch`.
fn config_dir() -> Result<PathBuf> {
    let base = match (std::env::var_os("XDG_CONFIG_HOME"), std::env::var_os("HOME")) {
        (Some(x), _) if !x.is_empty() => PathBuf::from(x),
        (_, Some(h)) if !h.is_empty() => PathBuf::from(h).join(".config"),
        _ => bail!("neither XDG_CONFIG_HOME nor HOME is set: name the signing key file with --key-file PATH"),
    };
    Ok(base.join("budgetwatch"))
}

/// The signing key's file: `--key-file`, else, for a SQLite database, one in the user's
/// configuration folder named after the database's absolute path
/// (`keys/<file name>-<8 hex digits>.key`). Never in the working directory or beside the
/// database (a checkout's or a copied database's key would travel with it). A PostgreSQL
/// database's key file must be named.
fn key_path(g: &Global) -> Result<PathBuf> {
    if let Some(k) = &g.key_file {
        return Ok(k.clone());
    }
    match bw_store::describe(&g.db) {
        (bw_store::Backend::Sqlite, _) => {
            let db = Path::new(g.db.trim_start_matches("sqlite://"));
            let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
            let parent = match db.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let parent = parent.canonicalize().with_context(|| format!("the folder of {}", db.display()))?;
            let tag = bw_ledger::hex(&bw_ledger::sha256(parent.join(&name).as_os_str().as_encoded_bytes())[..4]);
            let path = config_dir()?.join("keys").join(format!("{name}-{tag}.key"));
            // A key left beside the database by an earlier version is not read from there.
            let legacy = parent.join(format!("{name}.key"));
            if !path.exists() && legacy.exists() {
                bail!(
                    "signing keys are no longer kept beside the database: move {} to {} (mode 0600), or name it with --key-file",
                    legacy.display(),
                    path.display()
                );
            }
            Ok(path)
        }
        (bw_store::Backend::Postgres, _) => bail!(
            "a PostgreSQL database needs its signing key file named: --key-file PATH or BUDGETWATCH_KEY=PATH (kept outside the database and the working directory, mode 0600)"
        ),
    }
}

/// The log's verifier key as this installation trusts it: `--key`, else the public half of
/// the signing key file. Never read from the database the key is to check.
fn trusted_key(g: &Global, given: Option<String>) -> Result<String> {
    if let Some(k) = given {
        bw_ledger::note::Verifier::parse(&k).map_err(|e| anyhow::anyhow!("--key: {e}"))?;
        return Ok(k);
    }
    let path = key_path(g)?;
    if !path.exists() {
        bail!(
            "no trusted key: the signing key file {} does not exist; pass the log's verifier key with --key",
            path.display()
        );
    }
    Ok(read_signing_key(&path)?.verifier_key())
}

/// Reads a signing key file, refusing one that others may read.
fn read_signing_key(path: &Path) -> Result<bw_ledger::note::Signer> {
    // A private key others can read is no longer the installation's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "the signing key {} is readable by others (mode {mode:o}): chmod 600 {} and consider the key exposed",
            path.display(),
            path.display()
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the signing key {}", path.display()))?;
    bw_ledger::note::Signer::parse_private_key(&text).with_context(|| format!("the signing key {}", path.display()))
}

/// Where the last checkpoint the key signed is kept: beside the key, outside the database.
fn head_path(key: &Path) -> PathBuf {
    let mut p = key.as_os_str().to_owned();
    p.push(".head");
    PathBuf::from(p)
}

/// Opens (creating if needed) the database for writing, with its signing key: the key file
/// is read, or created for a log that has no checkpoint yet.
async fn open_for_write(g: &Global) -> Result<Store> {
    open_for_write_with(g, false, None, false).await
}

/// As `open_for_write`; with `tell`, says on stdout where a new key was created.
async fn open_for_write_telling(g: &Global, tell: bool, suite: Option<bw_ledger::Suite>) -> Result<Store> {
    open_for_write_with(g, tell, suite, false).await
}

/// As `open_for_write`, with `rotating`: a key whose private half was published is taken
/// only to be rotated away.
async fn open_for_write_with(g: &Global, tell: bool, suite: Option<bw_ledger::Suite>, rotating: bool) -> Result<Store> {
    let path = key_path(g)?;
    let mut store = Store::open(&g.db, true).await.with_context(|| format!("opening {}", g.db))?;
    crate::clock::load_zone(&store).await?;
    let recorded = store.meta("origin").await?.map(|o| bw_ledger::Suite::of_origin(&o));
    if let (Some(want), Some(have)) = (suite, recorded)
        && want != have
    {
        bail!("this log was created with {}; its cryptography cannot change", have.name());
    }
    let signer = if path.exists() {
        read_signing_key(&path)?
    } else if store.checkpoint_count().await? == 0 {
        let seed = crate::clock::random_seed()?;
        let tag = bw_ledger::hex(&crate::clock::random_seed()?[..4]);
        let suite = suite.or(recorded).unwrap_or_default();
        let name = match (store.meta("origin").await?, suite) {
            (Some(origin), _) => origin,
            (None, bw_ledger::Suite::Sha256Ed25519) => format!("budgetwatch.local/{tag}"),
            (None, other) => format!("budgetwatch.local/{tag}/{}", other.name()),
        };
        let signer = bw_ledger::note::Signer::new(suite, &name, seed)?;
        write_private(&path, &signer.private_key_string())?;
        if tell {
            println!(
                "created the signing key {} (keep it safe; its public key: budgetwatch ledger key)",
                path.display()
            );
        }
        signer
    } else {
        bail!("the signing key {} is missing; this log's checkpoints were signed with it", path.display());
    };
    if let Some(want) = suite
        && signer.suite() != want
    {
        bail!("the signing key {} is a {} key, not {}", path.display(), signer.suite().name(), want.name());
    }
    if !rotating && bw_ledger::note::PUBLISHED_KEYS.contains(&signer.verifier_key().as_str()) {
        bail!(
            "the signing key {} was published (anyone can sign with it): rotate it first with budgetwatch --reason \"…\" ledger rotate-key",
            path.display()
        );
    }
    store.set_signer(signer, Some(head_path(&path))).await?;
    Ok(store)
}

/// Writes a new file readable by its owner alone (a key), never over an existing one.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    bw_store::write_private(path, format!("{text}\n").as_bytes(), true)
        .with_context(|| format!("creating {}", path.display()))
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global;
    match cli.command {
        c @ (Command::Import { .. } | Command::Template { .. } | Command::DemoData { .. } | Command::Demo { .. }) => {
            return import::dispatch(&g, c).await;
        }
        c @ (Command::Calendar { .. } | Command::Setting { .. }) => return calendar::dispatch(&g, c).await,
        c @ (Command::User { .. } | Command::Webhook { .. }) => return accounts::dispatch(&g, c).await,
        c @ (Command::Budget { .. }
        | Command::Performance { .. }
        | Command::Report { .. }
        | Command::Project { .. }
        | Command::Document { .. }
        | Command::Approval { .. }) => return budget::dispatch(&g, c).await,
        c @ (Command::Verify { .. } | Command::Ledger { .. }) => return ledger::dispatch(&g, c).await,
        c @ (Command::Check { .. }
        | Command::Warning { .. }
        | Command::Rules { .. }
        | Command::Task { .. }
        | Command::Payment { .. }
        | Command::Emergency { .. }) => return monitor::dispatch(&g, c).await,
        c @ Command::Audit { .. } => return audit::dispatch(&g, c).await,
        Command::Forecast { command } => return forecast::dispatch(&g, command).await,
        Command::Simulate { command } => return forecast::simulate(&g, command).await,
        Command::Risk { command } => return risk::dispatch(&g, command).await,
        Command::Informal { command } => return informal::dispatch(&g, command).await,
        Command::Contract { command } => return contract::dispatch(&g, command).await,
        Command::Meeting { command } => return meeting::dispatch(&g, command).await,
        Command::Cluster { command } => return cluster::dispatch(&g, command).await,
        Command::Export { command } => return cluster::export(&g, command).await,
        Command::Action { command } => return meeting::dispatch_action(&g, command).await,
        Command::Review { command } => return review::dispatch(&g, command).await,
        Command::Matter { command } => return matter::dispatch(&g, command).await,
        Command::Case { command } => return review::dispatch_case(&g, command).await,
        Command::Init { crypto } => {
            let suite = match crypto.as_deref() {
                None => None,
                Some(c) => Some(
                    bw_ledger::Suite::parse(c)
                        .ok_or_else(|| anyhow::anyhow!("unknown --crypto {c:?}: sha256-ed25519 or sm3-sm2"))?,
                ),
            };
            let store = open_for_write_telling(&g, true, suite).await?;
            println!("database ready: {} (journal size {})", store.location(), store.journal_size().await?);
        }
        Command::Serve { addr } => {
            let store = open_for_write(&g).await?;
            server::serve(store, &addr).await?;
        }
        Command::Status => {
            let store = open(&g).await?;
            for table in
                ["units", "projects", "indicators", "contracts", "payments", "revenues", "revenue_targets", "batches"]
            {
                let n = bw_app::count(&store, table).await?;
                println!("{table}: {n}");
            }
            println!("journal: {}", store.journal_size().await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a check's report as JSON, or as one line per failure and a summary; exit 1 when
/// the check failed.
fn print_report<T: std::fmt::Display>(
    format: &str,
    report: &impl serde::Serialize,
    failures: &[T],
    ok: bool,
    summary: &str,
) -> Result<ExitCode> {
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(report)?),
        "text" => {
            for f in failures {
                println!("{f}");
            }
            println!("{summary}");
        }
        other => bail!("unknown format {other:?}: text or json"),
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
