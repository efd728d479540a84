//! Command-line interface.

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
enum Command {
    /// Create the database (or bring its schema up to date).
    Init {
        /// The log's cryptography, fixed here for good: sha256-ed25519, or sm3-sm2 (SM3
        /// hashing, GB/T 32905, with SM2 signatures, GB/T 32918).
        #[arg(long)]
        crypto: Option<String>,
    },
    /// Import a template file (CSV or XLSX) of KIND: units, projects, indicators, contracts,
    /// payments, revenues, revenue_targets.
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

#[derive(Subcommand)]
enum LedgerCommand {
    /// Print entries as NDJSON: {"index":I,"leaf_hash":"<hex>","entry":"<base64>"}.
    Dump {
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// One past the last entry (default: the end of the journal).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print the inclusion proof of entry INDEX in the tree of SIZE entries.
    ProveInclusion {
        #[arg(long)]
        index: u64,
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the latest signed checkpoint (C2SP signed-note around a tlog-checkpoint).
    Checkpoint,
    /// Print the installation's public verifier key (with --path: where its key file is).
    Key {
        #[arg(long)]
        path: bool,
    },
    /// Print the consistency proof from the tree of OLD entries to the tree of NEW.
    ProveConsistency {
        #[arg(long)]
        old: u64,
        #[arg(long)]
        new: Option<u64>,
    },
    /// Prove the current log extends a signed checkpoint saved earlier (exit 1 if not).
    CheckConsistency {
        /// A file holding a checkpoint note printed by `ledger checkpoint`.
        #[arg(long)]
        since: PathBuf,
        /// The log's verifier key (default: the one of the installation's key file).
        #[arg(long)]
        key: Option<String>,
    },
    /// Replace the installation's signing key: journals the new verifier key, signs that
    /// commit's checkpoint with both keys, then writes the new key to the key file (the
    /// old one is kept beside it as KEY.retired-<time>). Needs --reason.
    RotateKey,
    /// Write the entries, tiles, checkpoints and cosignatures as plain files (C2SP tlog-tiles).
    Export { dir: PathBuf },
    /// Verify an export with nothing but its files and the log's public key (exit 1 if not).
    VerifyExport {
        dir: PathBuf,
        /// The log's verifier key (as printed by `budgetwatch ledger key`).
        #[arg(long)]
        key: String,
        /// A witness's cosignature key whose cosignatures must verify (repeatable).
        #[arg(long)]
        witness: Vec<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Publish the latest checkpoint for witnesses now (the server also does so every
    /// `ledger.publish_minutes`).
    Publish,
    /// Erase the personal data (an individual payee's name and account) of one payment on a
    /// lawful request; journaled, and every proof still verifies. Needs --reason.
    Redact {
        #[arg(long)]
        unit: String,
        /// The payment to an individual whose name and account are erased.
        #[arg(long, required_unless_present = "staff", conflicts_with = "staff")]
        voucher: Option<String>,
        /// The staff member (by id_hash) whose name, account and phone are erased.
        #[arg(long)]
        staff: Option<String>,
    },
    /// Register a witness's cosignature key (name+id+base64, type 0x04); journaled.
    AddWitness { key: String },
    /// List the registered witnesses.
    Witnesses,
    /// Act as a witness: fetch SERVER's published checkpoint, check it is consistent with the
    /// one cosigned last (STATE), cosign it with the witness key and post the cosignature
    /// back. Without --server, print the witness's public key (creating the key if needed).
    Witness {
        /// The log's base URL, e.g. http://budget.example:8080
        #[arg(long, requires_all = ["log_key", "state"])]
        server: Option<String>,
        /// The log's verifier key.
        #[arg(long)]
        log_key: Option<String>,
        /// This witness's private key file (created, mode 0600, when absent and --name is given).
        #[arg(long = "witness-key")]
        witness_key: PathBuf,
        /// The file keeping the last cosigned checkpoint.
        #[arg(long)]
        state: Option<PathBuf>,
        /// The witness's name for a new key, e.g. audit.example/witness.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// The twelve rules with the settings in force for YEAR: levels, handling, firing, owner.
    List {
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Propose next year's level bounds from YEAR's distribution (90th, 95th, 99th
    /// percentiles) and show how many warnings each proposal would have raised.
    Calibrate {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Args, Clone)]
struct AuditRun {
    /// The day the audit looks from (default today; when the database holds no payment of
    /// today's year, December 31 of the latest year that has payments).
    #[arg(long)]
    as_of: Option<String>,
    /// text or json
    #[arg(long, default_value = "text")]
    format: String,
    /// A policy library (JSON) for the text checks instead of the shipped one.
    #[arg(long)]
    policy: Option<PathBuf>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Benford's first-digit, first-two-digits and second-digit tests over the year's amounts
    /// of at least 10.00 yuan (of one unit with --unit).
    Benford {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        as_of: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The ranking of units by risk score (100 = clean), with what each score is made of;
    /// units below the threshold get a special audit (journaled).
    Scores {
        #[command(flatten)]
        run: AuditRun,
    },
    /// Precision and recall per test against a ground-truth file (the demo's
    /// ground_truth.json or one like it); its "as_of" is the default as-of day.
    Evaluate {
        #[arg(long)]
        truth: PathBuf,
        #[command(flatten)]
        run: AuditRun,
    },
    /// Run the payment tests over a payments file (the payments template, CSV) without a
    /// database, for analysts who bring their own data: the year of --as-of (default: the
    /// latest payment's day); --units gives departments for the year-wide split test;
    /// --tests keeps to the tests named (comma-separated). Prints the findings.
    File {
        file: PathBuf,
        #[arg(long)]
        units: Option<PathBuf>,
        #[arg(long, value_delimiter = ',')]
        tests: Vec<String>,
        #[arg(long)]
        as_of: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Cluster the points of a numeric CSV (a header row, one point per row, no scaling) by
    /// DBSCAN, with scikit-learn's labels; print one label per line (noise −1).
    Dbscan {
        #[arg(long)]
        eps: f64,
        #[arg(long)]
        min_samples: usize,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TaskCommand {
    /// Open tasks (with --all, finished ones too), of one party if given.
    List {
        #[arg(long)]
        party: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Record a task as done.
    Done {
        id: i64,
        #[arg(long)]
        text: String,
    },
}

#[derive(Subcommand)]
enum PaymentCommand {
    /// Payments held and not yet decided (with --all, decided ones too).
    Held {
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Release a held payment: it counts as paid from now on.
    Release {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        voucher: String,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Reject a held payment: it never counts as paid.
    Reject {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        voucher: String,
        #[arg(long)]
        text: String,
    },
}

#[derive(Subcommand)]
enum EmergencyCommand {
    /// Open a case for an external event (a disaster, a policy change …).
    Open {
        #[arg(long)]
        title: String,
    },
    /// The cases not yet closed, with whether the step due is late.
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The situation report (open → reported).
    Report {
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// The temporary adjustment plan (reported → planned).
    Plan {
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// Close the case (planned → closed).
    Close {
        id: i64,
        #[arg(long)]
        text: String,
    },
}

#[derive(Subcommand)]
enum WarningCommand {
    /// The open warnings (of YEAR, or all years).
    List {
        #[arg(long)]
        year: Option<i32>,
        /// Only those issued to this party (unit:U, department:D, finance:R, region:R).
        #[arg(long)]
        party: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// One warning with the steps taken on it, as JSON.
    Show { id: i64 },
    /// The unit's explanation (核实说明), with attachments where the rule asks for them.
    Explain {
        id: i64,
        #[arg(long)]
        text: String,
        /// A file attached (its name and SHA-256 are journaled); repeatable.
        #[arg(long)]
        attachment: Vec<PathBuf>,
    },
    /// The unit head's sign-off (签批) of the explanation: it then goes to the reviewer;
    /// with --return it goes back to the unit's staff.
    SignOff {
        id: i64,
        #[arg(long, default_value = "")]
        text: String,
        #[arg(long = "return")]
        back: bool,
    },
    /// The finance desk's judgement (认定): normal (closed), violation (rectification
    /// required, plan due in 5 working days) or return (explain again within 2).
    Judge {
        id: i64,
        #[arg(long)]
        finding: String,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// The unit's rectification plan (整改方案).
    Plan {
        id: i64,
        #[arg(long)]
        text: String,
        #[arg(long)]
        attachment: Vec<PathBuf>,
    },
    /// The rectification done, with money returned (退回金额) where the finding requires it.
    Rectify {
        id: i64,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "0")]
        returned: String,
        #[arg(long)]
        attachment: Vec<PathBuf>,
    },
    /// Audit's second check: passed (archived) or failed (back to rectification).
    Verify {
        id: i64,
        #[arg(long)]
        result: String,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Close a warning as no problem, with the reason.
    Dismiss {
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// Send an inquiry letter (问询单) on a warning, due in N working days.
    Inquire {
        id: i64,
        #[arg(long)]
        text: String,
        #[arg(long, default_value_t = bw_app::monitor::INQUIRY_WORKDAYS)]
        workdays: u32,
    },
    /// Answer inquiry letter INQUIRY.
    Answer {
        inquiry: i64,
        #[arg(long)]
        text: String,
    },
}

async fn budget_command(g: &Global, command: BudgetCommand) -> Result<()> {
    use bw_app::budget;
    use bw_core::budget::{Decision, Mode, Stage};
    match command {
        BudgetCommand::Open { year, mode } => {
            let mode = Mode::parse(&mode).map_err(|e| anyhow::anyhow!("--mode: {e}"))?;
            let store = open_for_write(g).await?;
            budget::open_cycle(&store, &ctx(g)?, year, mode).await?;
            println!("the {year} budget cycle is open ({}), at research and targets", mode.as_str());
        }
        BudgetCommand::Advance { year, to } => {
            let to = Stage::parse(&to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
            let store = open_for_write(g).await?;
            let a = budget::advance(&store, &ctx(g)?, year, to).await?;
            println!("the {year} budget cycle is at {} ({})", a.stage.as_str(), a.stage.zh());
            if a.stage == Stage::Execution {
                println!("{} indicators imported from the approved drafts", a.indicators);
            }
        }
        BudgetCommand::Show { year, format } => {
            let store = open(g).await?;
            let cycle = budget::cycle(&store, year).await?;
            let items = budget::items(&store, Some(year)).await?;
            if format == "json" {
                println!("{}", serde_json::json!({"cycle": cycle, "items": items}));
            } else {
                match cycle {
                    Some(c) => println!("{year}: {} ({}), stage {}", c.mode, year, c.stage),
                    None => println!("{year}: no cycle"),
                }
                for i in items {
                    let open: Vec<String> = i
                        .steps
                        .iter()
                        .filter(|s| s.state == bw_core::budget::StepState::Open)
                        .map(|s| {
                            format!(
                                "{} ({}, due {})",
                                s.spec.id,
                                s.role.id(),
                                s.due.map(|d| d.to_string()).unwrap_or_default()
                            )
                        })
                        .collect();
                    println!(
                        "item {}\t{} v{}\t{}\t{}\t{}\t{}",
                        i.id,
                        i.unit_code,
                        i.version,
                        i.amount,
                        i.route,
                        i.state,
                        open.join(", ")
                    );
                }
            }
        }
        BudgetCommand::Control { year, department, amount } => {
            let amount = bw_core::Money::parse_yuan(&amount).map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
            let store = open_for_write(g).await?;
            budget::set_control(&store, &ctx(g)?, year, &department, amount).await?;
            println!("control total of {department} for {year}: {amount}");
        }
        BudgetCommand::Draft { year, unit, file, note } => {
            let lines = budget::lines_csv(&file).map_err(|e| anyhow::anyhow!(e))?;
            let store = open_for_write(g).await?;
            let v = budget::save_draft(&store, &ctx(g)?, year, &unit, &lines, &note).await?;
            println!("draft {v} of {unit} for {year}: {} lines", lines.len());
        }
        BudgetCommand::Diff { year, unit, from, to, format } => {
            let store = open(g).await?;
            let (changes, v) = budget::compare(&store, year, &unit, from, to).await?;
            if format == "json" {
                println!(
                    "{}",
                    serde_json::json!({"from": from, "to": to, "author": v.author, "note": v.note, "changes": changes})
                );
            } else {
                println!("{unit} {year}: version {from} → {to}, saved by {} ({})", v.author, v.note);
                for c in changes {
                    match c {
                        bw_core::budget::Change::Added { line } => {
                            println!("+ {} {}", line.indicator_code, line.amount)
                        }
                        bw_core::budget::Change::Removed { line } => {
                            println!("- {} {}", line.indicator_code, line.amount)
                        }
                        bw_core::budget::Change::Changed { before, after } => {
                            println!("~ {} {} → {}", after.indicator_code, before.amount, after.amount)
                        }
                    }
                }
            }
        }
        BudgetCommand::Submit { year, unit, strategic } => {
            let store = open_for_write(g).await?;
            let id = budget::submit(&store, &ctx(g)?, year, &unit, strategic).await?;
            let it = budget::item(&store, id).await?.context("the item just submitted")?;
            println!("item {id}: {unit}'s draft v{} for {year}, route {}", it.version, it.route);
        }
        BudgetCommand::Decide { item, user, step, decision, comment } => {
            let decision = Decision::parse(&decision).map_err(|e| anyhow::anyhow!("--decision: {e}"))?;
            let password = password()?;
            let store = open_for_write(g).await?;
            let it = budget::item(&store, item).await?.with_context(|| format!("no approval item {item}"))?;
            let mut c = ctx(g)?;
            c.actor = format!("user:{user}");
            let access = bw_app::users::access(&store, &user, c.at.date()).await?;
            let tree = bw_app::users::org_tree(&store).await?;
            let path: Vec<&str> = tree.ancestors(&it.unit_code).iter().map(|n| n.code.as_str()).collect();
            let (roles, whole) = budget::roles_at(&access, &path);
            let actor = bw_core::budget::Actor { user: &c.actor, roles: &roles, whole: &whole };
            let ruling = budget::Ruling { id: item, step: &step, decision, comment: &comment };
            let key = budget::Key::Password { user: &user, password: &password };
            let outcome = budget::decide(&store, &c, key, &actor, ruling).await?;
            println!(
                "item {item}: {step} {} by {user} → {outcome:?}",
                if decision == Decision::Approve { "approved" } else { "rejected" }
            );
        }
        BudgetCommand::Adjust {
            year,
            indicator,
            delta,
            reason,
            impact,
            alternatives,
            strategic,
            emergency,
            reserve,
        } => {
            let delta = bw_core::Money::parse_yuan(&delta).map_err(|e| anyhow::anyhow!("--delta: {e}"))?;
            let store = open_for_write(g).await?;
            let r = budget::AdjustmentRequest {
                year,
                indicator_code: indicator.clone(),
                delta,
                reason,
                impact,
                alternatives,
                strategic,
                emergency,
                reserve,
            };
            match budget::request_adjustment(&store, &ctx(g)?, &r).await? {
                budget::Adjusted::Automatic { id, rule, amount } => {
                    println!("item {id}: {indicator} adjusted by {delta} to {amount}, approved automatically ({rule})")
                }
                budget::Adjusted::InReview { id, route } => {
                    println!("item {id}: adjustment of {indicator} by {delta} in review, route {route}")
                }
            }
        }
        BudgetCommand::Workflow { set } => {
            let w = match set {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
                    let w: bw_core::budget::Workflows = serde_json::from_str(&text).map_err(|e| {
                        anyhow::anyhow!("{}: line {}, column {}: {e}", path.display(), e.line(), e.column())
                    })?;
                    let store = open_for_write(g).await?;
                    budget::set_workflows(&store, &ctx(g)?, &w).await.with_context(|| format!("{}", path.display()))?;
                    w
                }
                None => budget::workflows(&open(g).await?).await?,
            };
            println!("{}", serde_json::to_string_pretty(&w)?);
        }
        BudgetCommand::Close { year, preview, format, out } => {
            if matches!(format.as_str(), "xlsx" | "pdf") != out.is_some() {
                bail!("--format xlsx and pdf write the report to --out FILE (and only they do)");
            }
            if !matches!(format.as_str(), "text" | "json" | "xlsx" | "pdf") {
                bail!("--format: text, json, xlsx or pdf, not {format:?}");
            }
            // A preview of a closed year is the report it was closed with.
            let (report, preview) = if preview {
                let store = open(g).await?;
                match budget::closed_report(&store, year).await? {
                    Some(r) => (r, false),
                    None => (budget::closing_report(&store, year).await?, true),
                }
            } else {
                let store = open_for_write(g).await?;
                (budget::close_year(&store, &ctx(g)?, year).await?, false)
            };
            if let Some(out) = out {
                let bytes = if format == "xlsx" {
                    bw_app::report::closing_xlsx(&report, preview)?
                } else {
                    let (font, index) = crate::fonts::cjk()?;
                    let footer = format!("budgetwatch · 生成于 {}", crate::clock::local_time(crate::clock::now()));
                    bw_app::report::closing_pdf(&report, preview, &font, index, &footer)?
                };
                std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
                println!(
                    "{year}: carried over {}, recovered {}{} — report written to {}",
                    report.carried,
                    report.recovered,
                    if preview { " (preview)" } else { "" },
                    out.display()
                );
            } else if format == "json" {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                for l in &report.lines {
                    println!(
                        "{}\t{}\t{}\tbudget {}\tpaid {}\tbalance {}\t{:?}{}",
                        l.indicator_code,
                        l.unit_code,
                        l.project_code.as_deref().unwrap_or("—"),
                        l.amount,
                        l.paid,
                        l.balance,
                        l.decision,
                        l.carried_to.as_deref().map(|c| format!(" → {c}")).unwrap_or_default()
                    );
                }
                println!(
                    "{year}: carried over {}, recovered {}{}",
                    report.carried,
                    report.recovered,
                    if preview { " (preview)" } else { "" }
                );
            }
        }
        BudgetCommand::Escalate => {
            let store = open_for_write(g).await?;
            for (id, step, from, to) in budget::escalate(&store, &ctx(g)?).await? {
                println!("item {id}: {step} moved from {} to {}", from.id(), to.id());
            }
        }
    }
    Ok(())
}

async fn performance_command(g: &Global, command: PerformanceCommand) -> Result<()> {
    use bw_app::performance as perf;
    use bw_core::performance::{Milli, parse_points, points_text};
    let points = |s: &str| parse_points(s).map_err(|e| anyhow::anyhow!("--score: {e}"));
    match command {
        PerformanceCommand::Kpis { year, project, file } => {
            let kpis = perf::kpis_csv(&file).map_err(|e| anyhow::anyhow!(e))?;
            let store = open_for_write(g).await?;
            perf::set_kpis(&store, &ctx(g)?, year, &project, &kpis).await?;
            println!("{} KPIs of {project} for {year}", kpis.len());
        }
        PerformanceCommand::Actual { year, project, kpi, value } => {
            let v = Milli::parse(&value).map_err(|e| anyhow::anyhow!("--value: {e}"))?;
            let store = open_for_write(g).await?;
            perf::record_actual(&store, &ctx(g)?, year, &project, &kpi, v).await?;
            println!("{kpi} of {project} reached {v}");
        }
        PerformanceCommand::Evaluate { year, project, by, score } => {
            let by = perf::Evaluator::parse(&by).map_err(|e| anyhow::anyhow!("--by: {e}"))?;
            let s = points(&score)?;
            let store = open_for_write(g).await?;
            perf::evaluate(&store, &ctx(g)?, year, &project, by, s).await?;
            println!("{} evaluation of {project} for {year}: {}", by.as_str(), points_text(s));
        }
        PerformanceCommand::Satisfaction { year, department, score } => {
            let s = points(&score)?;
            let store = open_for_write(g).await?;
            perf::record_satisfaction(&store, &ctx(g)?, year, &department, s).await?;
            println!("public satisfaction with {department} in {year}: {}", points_text(s));
        }
        PerformanceCommand::Results { year, format } => {
            let store = open(g).await?;
            let r = perf::results(&store, year).await?;
            if format == "json" {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                for p in &r.projects {
                    let opt = |v: Option<i64>| v.map(points_text).unwrap_or_else(|| "—".into());
                    println!(
                        "{}\t{}\tKPI {}\tself {}\tthird party {}\t→ {} {}{}\t{:?}",
                        p.project_code,
                        p.unit_code,
                        opt(p.kpi_score),
                        opt(p.self_score),
                        opt(p.third_party_score),
                        points_text(p.score),
                        p.grade_zh,
                        if p.distorted { "\tDISTORTED (self and third party more than 15 points apart)" } else { "" },
                        p.action
                    );
                }
                for d in &r.departments {
                    println!(
                        "#{}\t{}\t{}\t{:+}%{}",
                        d.rank,
                        d.department,
                        points_text(d.result),
                        d.change_pct,
                        if d.interview { "\tinterview" } else { "" }
                    );
                }
            }
        }
        PerformanceCommand::Roll { year, format, show } => {
            let plan = if show {
                let plan = perf::plans(&open(g).await?, year).await?;
                anyhow::ensure!(!plan.is_empty(), "no rolling plan was made in {year}");
                plan
            } else {
                perf::roll_plan(&open_for_write(g).await?, &ctx(g)?, year).await?
            };
            if format == "json" {
                println!("{}", serde_json::to_string(&plan)?);
            } else {
                for l in plan {
                    let [a, b, c] = l.amounts;
                    println!("{}\t{year}: {a}\t{}: {b}\t{}: {c}", l.project_code, year + 1, year + 2);
                }
            }
        }
        PerformanceCommand::Publish { year, format } => {
            let store = open_for_write(g).await?;
            let r = perf::publish(&store, &ctx(g)?, year).await?;
            if format == "json" {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!("{year}'s ranking published on the portal:");
                for d in &r.departments {
                    let interview = if d.interview { " (interview)" } else { "" };
                    println!(
                        "{}\t{} {}\t{}\t{}\t{:+}%{interview}",
                        d.rank, d.department_code, d.name, d.result, d.grade_zh, d.change_pct
                    );
                }
            }
        }
        PerformanceCommand::Propose { year } => {
            let store = open_for_write(g).await?;
            for (unit, v) in perf::propose(&store, &ctx(g)?, year).await? {
                println!("{unit}: proposal saved as draft {v} for {}", year + 1);
            }
            for i in perf::interviews(&store, year).await? {
                println!(
                    "{}: interview of the head scheduled by {} (bottom of the {year} ladder)",
                    i.department_code, i.due_on
                );
            }
        }
    }
    Ok(())
}

async fn classify_project(g: &Global, code: &str, on: bool) -> Result<()> {
    let store = open_for_write(g).await?;
    let idx = bw_app::classified::classify(&store, &ctx(g)?, code, on).await?;
    println!("project {code} {} (journal entry {idx})", if on { "classified" } else { "declassified" });
    Ok(())
}

#[derive(Subcommand)]
enum BudgetCommand {
    /// Open the cycle of YEAR at its first stage (research and targets).
    Open {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        /// bottom_up or top_down.
        #[arg(long)]
        mode: String,
    },
    /// Move the cycle to its next stage (research, preparation, consolidation, review,
    /// approval, execution, year_end_review); entering execution imports the approved drafts
    /// as the year's indicators.
    Advance {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        to: String,
    },
    /// The cycle, its drafts and the approval items.
    Show {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// A department's control total in a top-down year.
    Control {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        department: String,
        /// Yuan.
        #[arg(long)]
        amount: String,
    },
    /// Save a new version of UNIT's draft from FILE (CSV: indicator_code, project_code,
    /// functional_code, economic_code, amount).
    Draft {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        unit: String,
        file: PathBuf,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// What changed between two versions of UNIT's draft.
    Diff {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Submit UNIT's latest draft for approval.
    Submit {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        unit: String,
        /// A strategic change: the major route (up to the chief).
        #[arg(long)]
        strategic: bool,
    },
    /// USER decides STEP of approval item ITEM, signing with their own key (its password
    /// from BUDGETWATCH_PASSWORD or the first line of standard input).
    Decide {
        item: i64,
        #[arg(long)]
        user: String,
        #[arg(long)]
        step: String,
        /// approve or reject.
        #[arg(long)]
        decision: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Move late approval steps up one level.
    Escalate,
    /// Show the approval routes in force (JSON: lean, standard, major, emergency, each a list
    /// of steps {id, zh, role, group, whole}); with --set FILE, replace them.
    Workflow {
        #[arg(long)]
        set: Option<PathBuf>,
    },
    /// Close YEAR (at year_end_review): balances of projects running on carried over as
    /// next year's indicators, the rest recovered; prints the closing report.
    Close {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        /// Print the report without closing.
        #[arg(long)]
        preview: bool,
        /// text, json, or xlsx / pdf (written to --out).
        #[arg(long, default_value = "text")]
        format: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Request an adjustment of an indicator during execution (the standard report form):
    /// routine ones are approved at once by rule, the rest go for approval.
    Adjust {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        indicator: String,
        /// The change in yuan: 5000.00 more, -5000.00 less.
        #[arg(long, allow_hyphen_values = true)]
        delta: String,
        #[arg(long)]
        reason: String,
        /// The financial impact.
        #[arg(long)]
        impact: String,
        #[arg(long, default_value = "")]
        alternatives: String,
        #[arg(long)]
        strategic: bool,
        /// An emergency adjustment answering emergency case ID: drawn from the reserve fund,
        /// approved by the finance bureau's head within the case's 72 hours.
        #[arg(long)]
        emergency: Option<i64>,
        /// The reserve fund indicator to draw on (with --emergency; default: the year's only one).
        #[arg(long, requires = "emergency")]
        reserve: Option<String>,
    },
}

#[derive(Subcommand)]
enum PerformanceCommand {
    /// Set PROJECT's KPIs for YEAR from FILE (CSV: code, name, category, direction, target,
    /// weight; weights add up to 100).
    Kpis {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        project: String,
        file: PathBuf,
    },
    /// The value KPI reached.
    Actual {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        project: String,
        #[arg(long)]
        kpi: String,
        #[arg(long)]
        value: String,
    },
    /// An evaluation's score (0–100) of PROJECT: by the unit itself or a third party.
    Evaluate {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        project: String,
        /// self or third_party.
        #[arg(long)]
        by: String,
        #[arg(long)]
        score: String,
    },
    /// A department's public-satisfaction score (0–100): 30 % of its result.
    Satisfaction {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long)]
        department: String,
        #[arg(long)]
        score: String,
    },
    /// The year's scores, grades, distortion flags, department results and ladder.
    Results {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Next year's proposal from YEAR's results, saved as draft versions of YEAR + 1 (its
    /// cycle open for drafts); never applied without approval.
    Propose {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
    },
    /// Roll the three-year plan forward in YEAR: each project's amount and the two outer
    /// years, from last year's plan scaled by this year's performance.
    Roll {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long, default_value = "text")]
        format: String,
        /// Show the plan made in YEAR instead of making it.
        #[arg(long)]
        show: bool,
    },
    /// Publish YEAR's ranking of departments (result, grade, rung) on the public portal;
    /// publishing again replaces it.
    Publish {
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: i32,
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// One row per indicator (unit, codes, budget, paid in the period and to its end,
    /// execution rate, time progress, gap, the unit's stated cause) with subtotals per unit,
    /// department and region. The PDF is set in the font the binary carries (Noto Sans SC), or
    /// in BUDGETWATCH_FONT=/path/font.ttf when set.
    Execution {
        /// A month (2026-07) or a quarter (2026-Q3).
        #[arg(long)]
        period: String,
        /// The region reported on (default: the top region).
        #[arg(long)]
        region: Option<String>,
        /// xlsx or pdf.
        #[arg(long)]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// The project library: each project's tier, expiry and maturity score.
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Move project CODE to tier TO (reserve → approved → executing → completed; any →
    /// retired).
    Status {
        code: String,
        #[arg(long)]
        to: String,
    },
    /// Retire the unused reserve projects past their expiry date (default: today).
    Expire {
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Mark project CODE classified (journaled with --reason).
    Classify { code: String },
    /// Lift the classified mark of project CODE.
    Declassify { code: String },
    /// The classified projects.
    Classified,
}

#[derive(Subcommand)]
enum DocumentCommand {
    /// Attach FILE (PNG, JPEG, GIF, WebP or PDF, up to 10 MiB) to payment VOUCHER of UNIT:
    /// the invoice, contract or receipt shown on the voucher's page.
    Attach { unit: String, voucher: String, file: PathBuf },
    /// Load region boundaries (a GeoJSON FeatureCollection, `properties.code` = a region's
    /// code, Polygon or MultiPolygon; an approved basemap): the cockpit draws them as a map.
    Boundaries { file: PathBuf },
    /// The documents of payment VOUCHER of UNIT.
    List { unit: String, voucher: String },
    /// Attach FILE (PDF or image) to project CODE of the library: feasibility study, plan,
    /// estimate basis (counts towards the project's maturity).
    Project { code: String, file: PathBuf },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Subscribe URL (http://) to the warnings USER may see; the secret (at least 16
    /// characters) comes from BUDGETWATCH_WEBHOOK_SECRET or the first line of standard input.
    Add {
        url: String,
        #[arg(long)]
        user: String,
    },
    /// End webhook ID.
    Remove { id: i64 },
    /// The active webhooks.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add user NAME (a-z, 0-9, '.', '_', '-') who logs in with a password (at least 10
    /// characters).
    Add {
        name: String,
        /// The name shown on pages (default: NAME).
        #[arg(long, default_value = "")]
        display: String,
        /// The unit the person belongs to.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set user NAME's password (ends a lockout and the user's sessions).
    Password { name: String },
    /// Grant ROLE (an id such as unit_head, or a level 1-12) to NAME on a subtree.
    Grant {
        name: String,
        role: String,
        /// A region, department or unit code (the grant reaches everything under it), or *
        /// for the whole installation.
        #[arg(long, default_value = "*")]
        scope: String,
        /// The last day the grant holds (required for third_party_auditor).
        #[arg(long)]
        until: Option<String>,
    },
    /// Revoke grant GRANT (its id as `user list` shows it).
    Revoke { grant: i64 },
    /// Grant requests waiting for a second administrator (roles at or above bureau_reviewer).
    Requests,
    /// Approve grant request REQUEST (as --actor, an administrator who neither asked for it
    /// nor receives it): the grant is made.
    ApproveGrant { request: i64 },
    /// Refuse grant request REQUEST.
    RejectGrant { request: i64 },
    /// Users, their grants and lockouts.
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The roles: level, id, name, highest data class, permissions.
    Roles,
    /// Issue an API token acting as NAME, limited to SCOPES (permissions, comma-separated:
    /// ingest, read_payments, …). The secret is printed once.
    Token {
        name: String,
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        #[arg(long)]
        until: Option<String>,
    },
    /// Revoke API token ID.
    RevokeToken { id: String },
}

/// The password comes from BUDGETWATCH_PASSWORD, or else the first line of standard input.
#[derive(Subcommand)]
enum ApprovalCommand {
    /// Create (or replace) the signing key of approver USER, sealed under their password;
    /// its public key is journaled.
    Key {
        #[arg(long)]
        user: String,
    },
    /// Record the acting approver's (--actor) signed opinion on journal entry ENTRY.
    Sign {
        #[arg(long)]
        entry: i64,
        /// approve or reject (同意 / 不同意)
        #[arg(long)]
        decision: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print today's date in the installation's time zone (the setting clock.time_zone,
    /// default Asia/Shanghai), whatever the machine's TZ.
    Today,
    /// Print true if DATE is a working day, else false.
    IsWorkday { date: String },
    /// Print the date N working days after DATE (N=0: DATE if a working day, else the next).
    AddWorkdays { date: String, n: u32 },
    /// Load holiday data from a CSV file (date,kind,name); each year in it replaces the known one.
    Import { file: PathBuf },
    /// List the holidays and make-up working days of YEAR.
    List { year: i32 },
}

#[derive(Subcommand)]
enum SettingCommand {
    List,
    Get {
        #[arg(value_name = "KEY")]
        name: String,
        /// The value in force for this fiscal year (rule settings may differ by year).
        #[arg(long)]
        year: Option<i32>,
    },
    Set {
        #[arg(value_name = "KEY")]
        name: String,
        value: String,
        /// Set a rule setting for this fiscal year only.
        #[arg(long)]
        year: Option<i32>,
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

/// The as-of day of an audit command: `--as-of`, else the ground truth's, else today —
/// or December 31 of the latest year with payments when today's year has none.
async fn audit_as_of(store: &Store, run: &AuditRun, truth: Option<&str>) -> Result<Date> {
    if let Some(d) = run.as_of.as_deref().or(truth) {
        return parse_date(d);
    }
    let today = crate::clock::today();
    Ok(bw_app::audit::default_as_of(store, today).await?)
}

async fn audit_report(store: &Store, run: &AuditRun, truth: Option<&str>) -> Result<bw_app::audit::AuditReport> {
    let as_of = audit_as_of(store, run, truth).await?;
    let policy = match &run.policy {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            bw_audit::text::Policy::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => bw_audit::text::Policy::shipped(),
    };
    Ok(bw_app::audit::run(store, as_of, &policy).await?)
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

/// A step of a warning's loop from the command line.
async fn warning_step(g: &Global, command: WarningCommand) -> Result<ExitCode> {
    use bw_rules::workflow::{Judgement, Step};
    let none = Vec::new();
    let (id, step, text, files, returned) = match &command {
        WarningCommand::Explain { id, text, attachment } => (*id, Step::Explain, text, attachment, "0"),
        WarningCommand::SignOff { id, text, back } => (*id, Step::SignOff { approved: !back }, text, &none, "0"),
        WarningCommand::Judge { id, finding, text } => {
            let j = match finding.as_str() {
                "normal" => Judgement::Normal,
                "violation" => Judgement::Violation,
                "return" => Judgement::Return,
                other => bail!("unknown --finding {other:?}: normal, violation or return"),
            };
            (*id, Step::Judge(j), text, &none, "0")
        }
        WarningCommand::Plan { id, text, attachment } => (*id, Step::Plan, text, attachment, "0"),
        WarningCommand::Rectify { id, text, returned, attachment } => {
            (*id, Step::Rectify, text, attachment, returned.as_str())
        }
        WarningCommand::Verify { id, result, text } => {
            let passed = match result.as_str() {
                "passed" => true,
                "failed" => false,
                other => bail!("unknown --result {other:?}: passed or failed"),
            };
            (*id, Step::Verify { passed }, text, &none, "0")
        }
        WarningCommand::Dismiss { id, text } => (*id, Step::Dismiss, text, &none, "0"),
        WarningCommand::List { .. }
        | WarningCommand::Show { .. }
        | WarningCommand::Inquire { .. }
        | WarningCommand::Answer { .. } => return Ok(ExitCode::SUCCESS),
    };
    let returned = bw_core::Money::parse_yuan(returned).map_err(|e| anyhow::anyhow!("--returned {returned:?}: {e}"))?;
    let mut attachments = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading the attachment {}", f.display()))?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        attachments.push((name, bw_ledger::hex(&bw_ledger::sha256(&bytes))));
    }
    let store = open_for_write(g).await?;
    let state = bw_app::monitor::step(&store, &ctx(g)?, id, step, text, &attachments, returned).await?;
    println!("warning {id}: {}", state);
    Ok(ExitCode::SUCCESS)
}

/// Audit findings as a JSON array, or one line each.
fn print_findings(format: &str, findings: &[bw_audit::Finding]) -> Result<()> {
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(findings)?),
        "text" => {
            for f in findings {
                let mut vouchers = f.vouchers.iter().take(4).cloned().collect::<Vec<_>>().join(",");
                if f.vouchers.len() > 4 {
                    vouchers.push_str(&format!(",… ({})", f.vouchers.len()));
                }
                println!(
                    "{:<30} {:<14} −{:<5} {:<40} {}",
                    f.test,
                    f.unit_code.as_deref().unwrap_or("-"),
                    f.score_impact,
                    vouchers,
                    serde_json::to_string(&f.evidence)?
                );
            }
        }
        other => bail!("unknown format {other:?}: text or json"),
    }
    Ok(())
}

/// Warnings as a JSON array, or one line each.
fn print_warnings(format: &str, warnings: &[bw_app::monitor::Warning]) -> Result<()> {
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(warnings)?),
        "text" => {
            for w in warnings {
                let subject = [&w.unit_code, &w.indicator_code, &w.region_code, &w.revenue_code]
                    .iter()
                    .filter_map(|s| s.as_deref())
                    .collect::<Vec<_>>()
                    .join("/");
                let rule = bw_rules::Rule::parse(&w.rule).map_or_else(|| bw_audit::Finding::zh(&w.rule), |r| r.zh());
                println!(
                    "{:>6} {:<6} {:<18} {rule} {subject} {} {} explain by {} [{}]",
                    w.id,
                    w.level,
                    w.rule,
                    w.period,
                    w.vouchers.join(","),
                    w.explain_by,
                    w.state
                );
            }
        }
        other => bail!("unknown format {other:?}: text or json"),
    }
    Ok(())
}

async fn user(g: &Global, command: UserCommand) -> Result<ExitCode> {
    use bw_app::users;
    use bw_core::access::{Role, Scope};
    match command {
        UserCommand::Add { name, display, unit } => {
            let password = password()?;
            let store = open_for_write(g).await?;
            let idx = users::add(&store, &ctx(g)?, &name, &display, unit.as_deref(), &password).await?;
            println!("added user {name} (entry {idx})");
        }
        UserCommand::Password { name } => {
            let password = password()?;
            let store = open_for_write(g).await?;
            let idx = users::set_password(&store, &ctx(g)?, &name, &password).await?;
            println!("password of {name} set (entry {idx})");
        }
        UserCommand::Grant { name, role, scope, until } => {
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!(e))?;
            let until = until.as_deref().map(parse_date).transpose()?;
            let store = open_for_write(g).await?;
            let scope = Scope::parse(&scope);
            match users::grant(&store, &ctx(g)?, &name, role, &scope, until).await? {
                users::Granted::Made(idx) => {
                    println!("grant {idx}: {name} holds {} (level {}) on {}", role.id(), role.level(), scope.as_str())
                }
                users::Granted::Requested(id) => println!(
                    "grant request {id}: {} (level {}) on {} for {name} waits for a second administrator (user approve-grant {id})",
                    role.id(),
                    role.level(),
                    scope.as_str()
                ),
            }
        }
        UserCommand::Requests => {
            let store = open(g).await?;
            for r in users::grant_requests(&store).await? {
                let until = r.until.map(|d| format!(" until {d}")).unwrap_or_default();
                println!(
                    "request {}: {} on {} for {}{until}, asked by {}",
                    r.id, r.role, r.scope, r.user, r.requested_by
                );
            }
        }
        UserCommand::ApproveGrant { request } | UserCommand::RejectGrant { request } => {
            let approve = matches!(command, UserCommand::ApproveGrant { .. });
            let store = open_for_write(g).await?;
            let idx = users::decide_grant(&store, &ctx(g)?, request, approve).await?;
            if approve {
                println!("grant request {request} approved: grant {idx}");
            } else {
                println!("grant request {request} refused (entry {idx})");
            }
        }
        UserCommand::Revoke { grant } => {
            let store = open_for_write(g).await?;
            let idx = users::revoke(&store, &ctx(g)?, grant).await?;
            println!("grant {grant} revoked (entry {idx})");
        }
        UserCommand::List { format } => {
            let store = open(g).await?;
            let list = users::list(&store, crate::clock::now()).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&list)?),
                "text" => {
                    for u in list {
                        let unit = u.unit.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
                        let locked = u.locked_until.map(|t| format!(" locked until {t}")).unwrap_or_default();
                        println!("{} ({}){unit}{locked}", u.name, u.display_name);
                        for gr in u.grants {
                            let until = gr.until.map(|d| format!(" until {d}")).unwrap_or_default();
                            let revoked = gr.revoked_by.map(|r| format!(" revoked by entry {r}")).unwrap_or_default();
                            println!(
                                "  grant {}: {} (level {}) on {}{until}{revoked}",
                                gr.id, gr.role, gr.level, gr.scope
                            );
                        }
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        UserCommand::Roles => {
            for r in Role::ALL {
                let perms: Vec<String> = r.permissions().iter().map(|p| users::permission_id(*p)).collect();
                println!(
                    "{:>2} {:<20} {:<10} {:<10} {}",
                    r.level(),
                    r.id(),
                    r.zh(),
                    r.max_class().as_str(),
                    perms.join(",")
                );
            }
        }
        UserCommand::Token { name, scopes, until } => {
            let scopes = scopes
                .iter()
                .map(|s| users::parse_permission(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("--scopes: {e}"))?;
            let until = until.as_deref().map(parse_date).transpose()?;
            let store = open_for_write(g).await?;
            let t = users::issue_token(&store, &ctx(g)?, &name, &scopes, until).await?;
            eprintln!("token {} for {name}; the secret is shown once:", t.id);
            println!("{}", t.secret);
        }
        UserCommand::RevokeToken { id } => {
            let store = open_for_write(g).await?;
            let idx = users::revoke_token(&store, &ctx(g)?, &id).await?;
            println!("token {id} revoked (entry {idx})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An approver's password: BUDGETWATCH_PASSWORD, or the first line of standard input.
fn password() -> Result<String> {
    if let Ok(p) = std::env::var("BUDGETWATCH_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Writes a new file readable by its owner alone (a key), never over an existing one.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    bw_store::write_private(path, format!("{text}\n").as_bytes(), true)
        .with_context(|| format!("creating {}", path.display()))
}

/// A progress bar on stderr for large files; hidden when stderr is not a terminal.
fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {elapsed_precise}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar
}

pub async fn import_one(
    store: &Store,
    c: &Ctx,
    kind: Kind,
    file: &Path,
    allow_extra: bool,
    quiet: bool,
) -> Result<bool> {
    let errors_max: usize = bw_app::settings::get(store, "import.errors_max").await?.parse().unwrap_or(100);
    let big_file = std::fs::metadata(file).map(|m| m.len() > 1 << 20).unwrap_or(false);
    let bar = if big_file {
        progress_bar(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0))
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_message(format!("{} {}", kind.as_str(), file.display()));
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let opts = ImportOptions { allow_extra, errors_max, progress: Some(&progress) };
    let started = std::time::Instant::now();
    let result = import_file(store, c, kind, file, &opts).await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            let mut err = std::io::stderr().lock();
            for w in r.warnings.iter().take(50) {
                let _ = writeln!(err, "{w}");
            }
            if r.warnings.len() > 50 {
                let _ = writeln!(err, "… and {} more warnings", r.warnings.len() - 50);
            }
            if !quiet || r.added > 0 {
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "{}: {} rows, {} added, {} already recorded{}{} ({:.2} s)",
                    file.display(),
                    r.rows,
                    r.added,
                    r.unchanged,
                    r.batch
                        .map(|b| format!(", batch {b}, journal {}..{}", r.journal_first, r.journal_end))
                        .unwrap_or_default(),
                    match (r.warnings_raised, r.held) {
                        (0, _) => String::new(),
                        (n, 0) => format!(", {n} warnings raised or changed"),
                        (n, h) => format!(", {n} warnings raised or changed, {h} payments held"),
                    },
                    secs
                );
            }
            Ok(true)
        }
        Err(ImportError::Rejected { file, errors, more }) => {
            let mut err = std::io::stderr().lock();
            for e in &errors {
                let _ = writeln!(err, "{e}");
            }
            if more > 0 {
                let _ = writeln!(err, "{file}: … and {more} more errors");
            }
            let _ = writeln!(err, "{file}: refused, {} error(s); nothing was imported", errors.len() + more);
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global;
    match cli.command {
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
        Command::Import { kind, file, allow_extra } => {
            let kind = parse_kind(&kind)?;
            let store = open_for_write(&g).await?;
            if !import_one(&store, &ctx(&g)?, kind, &file, allow_extra, false).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Template { kind, xlsx, lang } => {
            let kind = parse_kind(&kind)?;
            let lang = match lang.as_str() {
                "en" => Lang::En,
                "zh" => Lang::Zh,
                other => bail!("unknown language {other:?}: en or zh"),
            };
            let mut out = std::io::stdout().lock();
            if xlsx {
                out.write_all(&bw_app::template::xlsx(kind, lang)?)?;
            } else {
                out.write_all(bw_app::template::csv(kind, lang).as_bytes())?;
            }
        }
        Command::Calendar { command } => return calendar(&g, command).await,
        Command::Setting { command } => {
            let store = open(&g).await?;
            match command {
                SettingCommand::List => {
                    for s in bw_app::settings::list(&store).await? {
                        println!("{} = {}\t(default {}; {})", s.key, s.value, s.default, s.about);
                    }
                }
                SettingCommand::Get { name, year: None } => println!("{}", bw_app::settings::get(&store, &name).await?),
                SettingCommand::Get { name, year: Some(y) } => {
                    println!("{}", bw_app::settings::get_for_year(&store, &name, y).await?)
                }
                SettingCommand::Set { name, value, year } => {
                    let store = open_for_write(&g).await?;
                    let name = match year {
                        Some(y) => format!("{name}@{y:04}"),
                        None => name,
                    };
                    let v = bw_app::settings::set(&store, &ctx(&g)?, &name, &value).await?;
                    println!("{name} = {v}");
                }
            }
        }
        Command::DemoData { seed, payments, year, out } => {
            let started = std::time::Instant::now();
            let s = bw_app::demo::generate(&bw_app::demo::DemoOptions { seed, payments, year }, &out)?;
            eprintln!(
                "wrote {}: {} regions, {} departments, {} units, {} projects, {} indicators, {} contracts, {} payments, {} revenues, {} anomalies ({:.1} s)",
                out.display(),
                s.regions,
                s.departments,
                s.units,
                s.projects,
                s.indicators,
                s.contracts,
                s.payments,
                s.revenues,
                s.anomalies,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Demo { addr, data, payments, seed, no_serve, no_scene, scene: _, accounts_unit } => {
            let scene = !no_scene;
            if !data.join("ground_truth.json").exists() {
                eprintln!("generating the demo data set ({payments} payments) in {} …", data.display());
                bw_app::demo::generate(&bw_app::demo::DemoOptions { seed, payments, year: 2025 }, &data)?;
            }
            let (backend, _) = bw_store::describe(&g.db);
            if backend != bw_store::Backend::Sqlite {
                bail!("the demo runs on a SQLite file; import into PostgreSQL with `budgetwatch import`");
            }
            let path = g.db.trim_start_matches("sqlite://");
            if Path::new(path).exists() {
                // Only a database that holds demo data alone is replaced.
                let old = Store::open(&g.db, false).await?;
                let foreign = bw_app::count_batches_not_by_reason(&old, DEMO_REASON).await?;
                old.pool().close().await;
                if foreign > 0 {
                    bail!(
                        "{path} holds data that is not the demo's; the demo imports into a fresh file: choose another --db"
                    );
                }
                for suffix in ["", "-wal", "-shm"] {
                    let p = format!("{path}{suffix}");
                    if Path::new(&p).exists() {
                        std::fs::remove_file(&p).with_context(|| format!("removing the old demo database {p}"))?;
                    }
                }
                // The old demo log is gone on purpose, and with it what its key signed.
                let head = head_path(&key_path(&g)?);
                if head.exists() {
                    std::fs::remove_file(&head).with_context(|| format!("removing {}", head.display()))?;
                }
            }
            let store = open_for_write(&g).await?;
            let c = Ctx { reason: Some(DEMO_REASON.into()), ..ctx(&g)? };
            for kind in Kind::ALL {
                let file = data.join(format!("{}.csv", kind.as_str()));
                if !import_one(&store, &c, kind, &file, false, false).await? {
                    bail!("the demo data in {} did not import", data.display());
                }
            }
            if scene {
                // The year as it was monitored: the scheduled rules as of its last day, so that
                // the inbox holds every rule's warnings (a year scripted from the imported data
                // alone, `--no-scene`, runs its own checks).
                let end = bw_core::Date::from_ymd(2025, 12, 31).context("the demo year's last day")?;
                let r = bw_app::monitor::check(&store, &c, end).await?;
                println!("checked as of {end}: {} warnings raised, {} emergency cases opened", r.raised, r.emergencies);
            }
            let logins = bw_app::users::demo_accounts(&store, &c, accounts_unit.as_deref(), scene).await?;
            let handler = logins.iter().find(|l| l.role == bw_core::access::Role::UnitHandler);
            if let Some(h) = handler.filter(|_| scene) {
                use bw_core::access::Permission;
                let approvers: Vec<(&str, &str)> = logins
                    .iter()
                    .filter(|l| l.role.has(Permission::ApproveBudget) || l.role.has(Permission::PrepareBudget))
                    .map(|l| (l.user.as_str(), l.password.as_str()))
                    .collect();
                // Finance (the bureau's reviewer) records the evaluations and makes the proposal.
                let finance = logins.iter().find(|l| l.role == bw_core::access::Role::BureauReviewer);
                let fc =
                    Ctx { actor: finance.map(|f| format!("user:{}", f.user)).unwrap_or(c.actor.clone()), ..c.clone() };
                let scene = bw_app::scene::play(&store, &fc, 2025, (&h.scope, &h.user), &approvers).await?;
                println!("{}", bw_app::scene::summary(&scene, 2025));
            }
            println!("log-ins (one per role; passwords made for this database):");
            for l in logins {
                println!(
                    "  {:>2} {:<20} password {}  on {:<12} {}",
                    l.role.level(),
                    l.user,
                    l.password,
                    l.scope,
                    l.role.zh()
                );
            }
            if !no_serve {
                server::serve(store, &addr).await?;
            }
        }
        Command::User { command } => return user(&g, command).await,
        Command::Webhook { command } => {
            use bw_app::events;
            match command {
                WebhookCommand::Add { url, user } => {
                    let secret = match std::env::var("BUDGETWATCH_WEBHOOK_SECRET") {
                        Ok(s) => s,
                        Err(_) => {
                            let mut line = String::new();
                            std::io::stdin().read_line(&mut line).context("reading the secret from standard input")?;
                            line.trim_end_matches(['\r', '\n']).to_string()
                        }
                    };
                    let store = open_for_write(&g).await?;
                    let id = events::add_webhook(&store, &ctx(&g)?, &user, &url, &secret).await?;
                    println!("webhook {id}: {url} for {user}");
                }
                WebhookCommand::Remove { id } => {
                    let store = open_for_write(&g).await?;
                    events::remove_webhook(&store, &ctx(&g)?, id).await?;
                    println!("webhook {id} removed");
                }
                WebhookCommand::List => {
                    let store = open(&g).await?;
                    for w in events::webhooks(&store).await? {
                        println!("{}	{}	{}", w.id, w.user, w.url);
                    }
                }
            }
        }
        Command::Budget { command } => budget_command(&g, command).await?,
        Command::Performance { command } => performance_command(&g, command).await?,
        Command::Report { command: ReportCommand::Execution { period, region, format, out } } => {
            let period = bw_core::report::Period::parse(&period).map_err(|e| anyhow::anyhow!("--period: {e}"))?;
            if format != "xlsx" && format != "pdf" {
                bail!("--format: xlsx or pdf, not {format:?}");
            }
            let store = open(&g).await?;
            let report = bw_app::report::execution(&store, &period, region.as_deref()).await?;
            let bytes = if format == "xlsx" {
                bw_app::report::execution_xlsx(&report)?
            } else {
                let (font, index) = crate::fonts::cjk()?;
                let footer = format!("budgetwatch · 生成于 {}", crate::clock::local_time(crate::clock::now()));
                bw_app::report::execution_pdf(&report, &font, index, &footer)?
            };
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("{}: {} rows, {} bytes", out.display(), report.rows.len(), bytes.len());
        }
        Command::Project { command } => match command {
            ProjectCommand::List { format } => {
                let store = open(&g).await?;
                let list = bw_app::library::list(&store).await?;
                if format == "json" {
                    println!("{}", serde_json::to_string(&list)?);
                } else {
                    for p in list {
                        println!(
                            "{}\t{}\t{}\t{}–{}\t{}\tmaturity {}{}",
                            p.project_code,
                            p.status,
                            p.unit_code,
                            p.start_year,
                            p.end_year,
                            p.total_amount,
                            p.maturity.score,
                            p.expires_on.map(|d| format!("\texpires {d}")).unwrap_or_default()
                        );
                    }
                }
            }
            ProjectCommand::Status { code, to } => {
                let to = bw_core::records::ProjectStatus::parse(&to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
                let store = open_for_write(&g).await?;
                bw_app::library::set_status(&store, &ctx(&g)?, &code, to).await?;
                println!("project {code} is {}", to.as_str());
            }
            ProjectCommand::Expire { as_of } => {
                let c = ctx(&g)?;
                let today = match as_of {
                    Some(d) => bw_core::Date::parse(&d).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?,
                    None => c.at.date(),
                };
                let store = open_for_write(&g).await?;
                let gone = bw_app::library::expire(&store, &c, today).await?;
                println!(
                    "{} reserve project(s) past their expiry date retired{}",
                    gone.len(),
                    if gone.is_empty() { String::new() } else { format!(": {}", gone.join(", ")) }
                );
            }
            ProjectCommand::Classify { code } => classify_project(&g, &code, true).await?,
            ProjectCommand::Declassify { code } => classify_project(&g, &code, false).await?,
            ProjectCommand::Classified => {
                let store = open(&g).await?;
                let mut codes: Vec<String> = bw_app::classified::projects(&store).await?.into_iter().collect();
                codes.sort();
                for c in codes {
                    println!("{c}");
                }
            }
        },
        Command::Document { command } => {
            use bw_app::documents;
            let read = |f: &PathBuf| std::fs::read(f).with_context(|| format!("reading {}", f.display()));
            match command {
                DocumentCommand::Attach { unit, voucher, file } => {
                    let bytes = read(&file)?;
                    let store = open_for_write(&g).await?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = documents::attach_voucher_image(&store, &ctx(&g)?, &unit, &voucher, &name, &bytes).await?;
                    println!("document {id}: {name} attached to {unit}/{voucher}");
                }
                DocumentCommand::Boundaries { file } => {
                    let bytes = read(&file)?;
                    let store = open_for_write(&g).await?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = documents::load_boundaries(&store, &ctx(&g)?, &name, &bytes).await?;
                    let regions = documents::parse_boundaries(&bytes).map(|s| s.len()).unwrap_or(0);
                    println!("document {id}: boundaries of {regions} regions loaded from {name}");
                }
                DocumentCommand::Project { code, file } => {
                    let bytes = read(&file)?;
                    let store = open_for_write(&g).await?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = documents::attach_project_document(&store, &ctx(&g)?, &code, &name, &bytes).await?;
                    println!("document {id}: {name} attached to project {code}");
                }
                DocumentCommand::List { unit, voucher } => {
                    let store = open(&g).await?;
                    let subject = documents::voucher_subject(&unit, &voucher);
                    for d in documents::list(&store, documents::DocKind::VoucherImage, &subject).await? {
                        println!("{}\t{}\t{}\t{}\t{}", d.id, d.name, d.media_type, d.size, d.sha256);
                    }
                }
            }
        }
        Command::Serve { addr } => {
            let store = open_for_write(&g).await?;
            server::serve(store, &addr).await?;
        }
        Command::Verify { format, key, witness, since_checkpoint } => {
            // The kept checkpoint comes with the installation's own key, not with a given one.
            let head = if key.is_none() { bw_store::read_kept_head(&head_path(&key_path(&g)?))? } else { None };
            let trust = bw_app::verify::Trust { key: trusted_key(&g, key)?, witnesses: witness, head };
            let store = open(&g).await?;
            let started = std::time::Instant::now();
            let r = if since_checkpoint {
                bw_app::verify::verify_since(&store, &trust).await?
            } else {
                bw_app::verify::verify_and_mark(&store, &trust).await?
            };
            let summary = format!(
                "{}: {} entries, root {}, {} checkpoints, {} rows compared ({:.2} s: Merkle {:.2}, replay {:.2}, tables {:.2})",
                if r.ok { "verified" } else { "FAILED" },
                r.entries,
                r.root,
                r.checkpoints,
                r.rows,
                started.elapsed().as_secs_f64(),
                r.timings.merkle,
                r.timings.replay,
                r.timings.tables
            );
            return print_report(&format, &r, &r.failures, r.ok, &summary);
        }
        Command::Ledger { command: LedgerCommand::VerifyExport { dir, key, witness, format } } => {
            let r = bw_app::export::verify_export(&dir, &key, &witness)?;
            let summary = format!(
                "{}: {} entries of {}, root {}, {} checkpoints, {} cosignatures, {} tiles",
                if r.ok { "verified" } else { "FAILED" },
                r.size,
                r.origin,
                r.root,
                r.checkpoints,
                r.cosignatures,
                r.tiles
            );
            return print_report(&format, &r, &r.failures, r.ok, &summary);
        }
        Command::Ledger { command: LedgerCommand::Witness { server, log_key, witness_key, state, name } } => {
            match (server, log_key, state) {
                (Some(server), Some(log_key), Some(state)) => {
                    let line = crate::witness::run(crate::witness::Options {
                        server: &server,
                        log_key: &log_key,
                        key: &witness_key,
                        state: &state,
                        name: name.as_deref(),
                    })
                    .await?;
                    println!("{line}");
                }
                _ => println!("{}", crate::witness::load_or_create_key(&witness_key, name.as_deref())?.verifier_key()),
            }
        }
        Command::Check { as_of, format } => {
            let as_of = match as_of {
                Some(d) => parse_date(&d)?,
                None => crate::clock::today(),
            };
            let store = open_for_write(&g).await?;
            let r = bw_app::monitor::check(&store, &ctx(&g)?, as_of).await?;
            eprintln!(
                "checked as of {as_of}: {} raised, {} updated, {} unchanged, {} escalated, {} withdrawn, {} emergency cases opened",
                r.raised, r.updated, r.unchanged, r.escalated, r.withdrawn, r.emergencies
            );
            let warnings = bw_app::monitor::open_warnings(&store, Some(as_of.year())).await?;
            print_warnings(&format, &warnings)?;
        }
        Command::Warning { command } => {
            let store = open(&g).await?;
            match command {
                WarningCommand::List { year, party, format } => {
                    let mut warnings = bw_app::monitor::open_warnings(&store, year).await?;
                    if let Some(p) = party {
                        warnings.retain(|w| w.parties.contains(&p));
                    }
                    print_warnings(&format, &warnings)?;
                }
                WarningCommand::Inquire { id, text, workdays } => {
                    let store = open_for_write(&g).await?;
                    let n = bw_app::monitor::inquire(&store, &ctx(&g)?, id, &text, workdays).await?;
                    println!("inquiry {n} sent on warning {id}");
                }
                WarningCommand::Answer { inquiry, text } => {
                    let store = open_for_write(&g).await?;
                    bw_app::monitor::answer(&store, &ctx(&g)?, inquiry, &text).await?;
                    println!("inquiry {inquiry} answered");
                }
                WarningCommand::Show { id } => match bw_app::monitor::warning(&store, id).await? {
                    Some(w) => {
                        let mut v = serde_json::to_value(&w)?;
                        v["steps"] = serde_json::Value::Array(bw_app::monitor::history(&store, id).await?);
                        let today = crate::clock::today();
                        v["inquiries"] = serde_json::Value::Array(bw_app::monitor::inquiries(&store, id, today).await?);
                        println!("{}", serde_json::to_string_pretty(&v)?);
                    }
                    None => bail!("no warning {id}"),
                },
                other => return warning_step(&g, other).await,
            }
        }
        Command::Rules { command: RulesCommand::List { year, format } } => {
            let store = open(&g).await?;
            let year = year.unwrap_or_else(|| crate::clock::today().year());
            let rules = bw_app::monitor::rules(&store, year).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&rules)?),
                "text" => {
                    println!("rule                handling     firing     owner       settings ({year})");
                    for r in rules {
                        let settings: Vec<String> = r.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        println!(
                            "{:<19} {:<12} {:<10} {:<11} {}  {}",
                            r.rule,
                            r.handling,
                            r.firing,
                            r.owner,
                            settings.join(" "),
                            r.name
                        );
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        Command::Rules { command: RulesCommand::Calibrate { year, format } } => {
            let store = open(&g).await?;
            let proposals = bw_app::monitor::calibrate(&store, year).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&proposals)?),
                "text" => {
                    println!(
                        "rule                current      warnings  proposed     warnings  (over {year}, as of {year}-12-31)"
                    );
                    for p in proposals {
                        let b = |x: [i64; 3]| format!("{},{},{}", x[0], x[1], x[2]);
                        println!(
                            "{:<19} {:<12} {:>8}  {:<12} {:>8}  setting set rules.{}.levels {} --year {}",
                            p.rule,
                            b(p.current),
                            p.current_warnings,
                            b(p.proposed),
                            p.proposed_warnings,
                            p.rule,
                            b(p.proposed),
                            year + 1
                        );
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        Command::Audit { command: None, run } => {
            let store = open_for_write(&g).await?;
            let report = audit_report(&store, &run, None).await?;
            let inbox = bw_app::audit::record(&store, &ctx(&g)?, &report).await?;
            let opened = bw_app::audit::open_cases(&store, &ctx(&g)?, &report).await?;
            print_findings(&run.format, &report.findings)?;
            eprintln!(
                "audited as of {}: {} findings ({} new in the warnings inbox, {} updated, {} withdrawn), {} units scored, {} special audits opened{}",
                report.as_of,
                report.findings.len(),
                inbox.raised,
                inbox.updated,
                inbox.withdrawn,
                report.scores.len(),
                opened.len(),
                if opened.is_empty() { String::new() } else { format!(" ({})", opened.join(", ")) }
            );
        }
        Command::Audit { command: Some(AuditCommand::Scores { run }), .. } => {
            let store = open_for_write(&g).await?;
            let report = audit_report(&store, &run, None).await?;
            let opened = bw_app::audit::open_cases(&store, &ctx(&g)?, &report).await?;
            match run.format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&report.scores)?),
                "text" => {
                    println!(
                        "{:>5}  {:<14} {:>6}  {:>8} {:>8}  {:<7} largest contributions",
                        "rank", "unit", "score", "findings", "warnings", "audit"
                    );
                    for u in &report.scores {
                        let top: Vec<String> = u
                            .contributions
                            .iter()
                            .take(3)
                            .map(|c| format!("{} ×{} −{}", c.source, c.count, c.points))
                            .collect();
                        println!(
                            "{:>5}  {:<14} {:>6.1}  {:>8} {:>8}  {:<7} {}",
                            u.rank,
                            u.unit_code,
                            u.score,
                            u.findings,
                            u.warnings,
                            if u.special_audit { "special" } else { "" },
                            top.join("; ")
                        );
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
            if !opened.is_empty() {
                eprintln!("special audits opened: {}", opened.join(", "));
            }
        }
        Command::Audit { command: Some(AuditCommand::Evaluate { truth, run }), .. } => {
            let text = std::fs::read_to_string(&truth).with_context(|| format!("reading {}", truth.display()))?;
            let items =
                bw_audit::evaluate::parse_truth(&text).map_err(|e| anyhow::anyhow!("{}: {e}", truth.display()))?;
            let truth_as_of = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("as_of").and_then(|d| d.as_str()).map(str::to_string));
            let store = open(&g).await?;
            let report = audit_report(&store, &run, truth_as_of.as_deref()).await?;
            let found = bw_app::audit::detections(&store, report.as_of, &report).await?;
            // Every monitoring rule and audit test is scored, listed in the truth or not.
            let always: Vec<&str> =
                bw_rules::Rule::ALL.iter().map(|r| r.id()).chain(bw_audit::TESTS.iter().map(|(id, _)| *id)).collect();
            let scores = bw_audit::evaluate::evaluate(&items, &found, &always);
            match run.format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&scores)?),
                "text" => {
                    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
                    println!("{:<30} {:>6} {:>6} {:>10} {:>7}", "test", "truth", "found", "precision", "recall");
                    for k in &scores {
                        println!(
                            "{:<30} {:>6} {:>6} {:>10} {:>7}",
                            k.test,
                            k.truth,
                            k.found,
                            show(k.precision),
                            show(k.recall)
                        );
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        Command::Audit { command: Some(AuditCommand::Benford { unit, as_of, format }), .. } => {
            let store = open(&g).await?;
            let run = AuditRun { as_of, format: format.clone(), policy: None };
            let as_of = audit_as_of(&store, &run, None).await?;
            let r = bw_app::audit::benford(&store, as_of, unit.as_deref()).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&r)?),
                "text" => {
                    for t in bw_audit::benford::Test::ALL {
                        let x = r.get(t);
                        println!(
                            "{}: N {}  MAD {:.6} ({})  chi-square {:.3}  p {:.6}",
                            t.key(),
                            x.n,
                            x.mad,
                            x.conformity,
                            x.chi_square,
                            x.p_value
                        );
                        let mut top: Vec<&bw_audit::benford::DigitRow> =
                            x.digits.iter().filter(|d| d.observed > d.expected).collect();
                        top.sort_by(|a, b| b.z.total_cmp(&a.z));
                        for d in top.iter().take(3) {
                            println!(
                                "    {:>2}: {} ({:.4} against {:.4}), Z {:.2}",
                                d.digit, d.count, d.observed, d.expected, d.z
                            );
                        }
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        Command::Audit { command: Some(AuditCommand::File { file, units, tests, as_of, format }), .. } => {
            let known: Vec<&str> = bw_audit::TESTS.iter().map(|t| t.0).collect();
            if let Some(t) = tests.iter().find(|t| !known.contains(&t.as_str())) {
                bail!("--tests: unknown test {t:?}; the tests are {}", known.join(", "));
            }
            let as_of = as_of.as_deref().map(parse_date).transpose()?;
            let read = bw_app::audit::PaymentsFile::read(&file, units.as_deref()).map_err(|e| anyhow::anyhow!(e))?;
            let payments = read.payments().map_err(|e| anyhow::anyhow!(e))?;
            let only: Vec<&str> = tests.iter().map(String::as_str).collect();
            let report = bw_app::audit::run_file(payments, as_of, &only, &bw_audit::text::Policy::shipped());
            print_findings(&format, &report.findings)?;
            eprintln!("audited {} as of {}: {} findings", file.display(), report.as_of, report.findings.len());
        }
        Command::Audit { command: Some(AuditCommand::Dbscan { eps, min_samples, file }), .. } => {
            let points = bw_app::audit::points_csv(&file).map_err(|e| anyhow::anyhow!(e))?;
            let labels = bw_audit::dbscan::dbscan(&points, eps, min_samples)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let mut out = String::with_capacity(labels.len() * 3);
            for l in labels {
                out.push_str(&l.to_string());
                out.push('\n');
            }
            std::io::stdout().lock().write_all(out.as_bytes())?;
        }
        Command::Task { command: TaskCommand::List { party, all, format } } => {
            let store = open(&g).await?;
            let today = crate::clock::today();
            let tasks = bw_app::monitor::tasks(&store, party.as_deref(), all, today).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&tasks)?),
                "text" => {
                    for t in &tasks {
                        println!(
                            "{:>8}  {:<14} {:<16} warning {:<8} due {}{}  {}",
                            t.id,
                            t.kind,
                            t.party,
                            t.warning_id,
                            t.due_on,
                            if t.overdue { " OVERDUE" } else { "" },
                            t.state
                        );
                    }
                    if tasks.is_empty() {
                        println!("no tasks");
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        Command::Task { command: TaskCommand::Done { id, text } } => {
            let store = open_for_write(&g).await?;
            bw_app::monitor::task_done(&store, &ctx(&g)?, id, &text).await?;
            println!("task {id}: done");
        }
        Command::Payment { command: PaymentCommand::Held { all, format } } => {
            let store = open(&g).await?;
            let held = bw_app::hold::list(&store, all).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&held)?),
                "text" => {
                    for h in &held {
                        println!(
                            "{:<10} {:<12} {:<16} {}  {:<14} {:>16}  warning {}  {}",
                            h.status,
                            h.unit_code,
                            h.voucher_no,
                            h.pay_date,
                            h.indicator_code,
                            h.amount.to_string(),
                            h.warning_id,
                            h.payee_name
                        );
                    }
                    if held.is_empty() {
                        println!("no held payments");
                    }
                }
                other => bail!("unknown format {other:?}: text or json"),
            }
        }
        Command::Payment { command: PaymentCommand::Release { unit, voucher, text } } => {
            let store = open_for_write(&g).await?;
            let to = bw_app::hold::decide(&store, &ctx(&g)?, &unit, &voucher, true, &text).await?;
            println!("payment {voucher} of {unit}: {to}");
        }
        Command::Payment { command: PaymentCommand::Reject { unit, voucher, text } } => {
            let store = open_for_write(&g).await?;
            let to = bw_app::hold::decide(&store, &ctx(&g)?, &unit, &voucher, false, &text).await?;
            println!("payment {voucher} of {unit}: {to}");
        }
        Command::Emergency { command } => {
            let store = open_for_write(&g).await?;
            let c = ctx(&g)?;
            match command {
                EmergencyCommand::Open { title } => {
                    let id = bw_app::emergency::open(&store, &c, "event", None, &title).await?;
                    println!("emergency case {id} opened");
                }
                EmergencyCommand::List { format } => {
                    let cases = bw_app::emergency::list(&store, c.at).await?;
                    match format.as_str() {
                        "json" => println!("{}", serde_json::to_string_pretty(&cases)?),
                        "text" => {
                            for e in cases {
                                println!(
                                    "{:>6} {:<17} {:<9} report by {} plan by {}{} {}",
                                    e.id,
                                    e.cause,
                                    e.state,
                                    e.report_by,
                                    e.plan_by,
                                    if e.overdue { " OVERDUE" } else { "" },
                                    e.title
                                );
                            }
                        }
                        other => bail!("unknown format {other:?}: text or json"),
                    }
                }
                EmergencyCommand::Report { id, text } => {
                    println!(
                        "emergency case {id}: {}",
                        bw_app::emergency::step(&store, &c, id, "report", &text).await?
                    );
                }
                EmergencyCommand::Plan { id, text } => {
                    println!("emergency case {id}: {}", bw_app::emergency::step(&store, &c, id, "plan", &text).await?);
                }
                EmergencyCommand::Close { id, text } => {
                    println!("emergency case {id}: {}", bw_app::emergency::step(&store, &c, id, "close", &text).await?);
                }
            }
        }
        Command::Approval { command } => {
            let store = open_for_write(&g).await?;
            let password = password()?;
            match command {
                ApprovalCommand::Key { user } => {
                    let vkey = bw_app::approval::register_key(&store, &ctx(&g)?, &user, &password).await?;
                    println!("{vkey}");
                }
                ApprovalCommand::Sign { entry, decision, comment } => {
                    let d = bw_app::approval::Decision::parse(&decision)
                        .ok_or_else(|| anyhow::anyhow!("unknown --decision {decision:?}: approve or reject"))?;
                    let idx = bw_app::approval::opinion(&store, &ctx(&g)?, &password, entry, d, &comment).await?;
                    println!("signed opinion on entry {entry}: journal entry {idx}");
                }
            }
        }
        Command::Ledger { command: LedgerCommand::Redact { unit, voucher, staff } } => {
            let store = open_for_write(&g).await?;
            match (voucher, staff) {
                (Some(voucher), _) => {
                    let idx = bw_app::personal::redact(&store, &ctx(&g)?, &unit, &voucher).await?;
                    println!("erased the personal data of payment {voucher} of unit {unit} (journal entry {idx})");
                }
                (None, Some(id)) => {
                    let idx = bw_app::personal::redact_staff(&store, &ctx(&g)?, &unit, &id).await?;
                    println!("erased the personal data of staff member {id} of unit {unit} (journal entry {idx})");
                }
                (None, None) => bail!("--voucher or --staff is required"),
            }
        }
        Command::Ledger { command: LedgerCommand::RotateKey } => {
            let path = key_path(&g)?;
            let store = open_for_write_with(&g, false, None, true).await?;
            let ctx = ctx(&g)?;
            let old = store.signer().ok_or_else(|| anyhow::anyhow!("no signing key"))?;
            let new = bw_ledger::note::Signer::new(old.suite(), old.name(), crate::clock::random_seed()?)?;
            // The new key is on disk before the database names it, and replaces the old
            // file only after the commit: a crash in between leaves both keys at hand.
            let mut staged = path.as_os_str().to_owned();
            staged.push(".new");
            let staged = PathBuf::from(staged);
            if staged.exists() {
                bail!(
                    "{} exists: an earlier rotation did not finish; check which key the log names (budgetwatch verify --key …)",
                    staged.display()
                );
            }
            write_private(&staged, &new.private_key_string())?;
            let vkey = new.verifier_key();
            if let Err(e) = bw_app::ledger::rotate_key(&store, &ctx, new).await {
                let _ = std::fs::remove_file(&staged);
                return Err(e.into());
            }
            let mut retired = path.as_os_str().to_owned();
            retired.push(format!(".retired-{}", ctx.at.0));
            let retired = PathBuf::from(retired);
            std::fs::rename(&path, &retired)
                .with_context(|| format!("keeping the old key as {}", retired.display()))?;
            std::fs::rename(&staged, &path).with_context(|| format!("installing the new key {}", path.display()))?;
            println!("rotated the signing key; the log's verifier key is now {vkey}");
            println!("the old key is kept as {} (destroy it once verifiers hold the new key)", retired.display());
        }
        Command::Ledger { command: LedgerCommand::AddWitness { key } } => {
            let store = open_for_write(&g).await?;
            let name = bw_app::witness::add(&store, &ctx(&g)?, &key).await?;
            println!("registered witness {name}");
        }
        Command::Ledger { command } => {
            let store = open(&g).await?;
            match command {
                LedgerCommand::VerifyExport { .. }
                | LedgerCommand::RotateKey
                | LedgerCommand::Witness { .. }
                | LedgerCommand::AddWitness { .. }
                | LedgerCommand::Redact { .. } => {
                    unreachable!("handled above")
                }
                LedgerCommand::CheckConsistency { since, key } => {
                    let note = std::fs::read_to_string(&since)
                        .with_context(|| format!("reading the saved checkpoint {}", since.display()))?;
                    let key = trusted_key(&g, key)?;
                    let out = bw_app::ledger::check_consistency(&store, &key, &note).await?;
                    println!("{out}");
                    if out["consistent"] != true {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                LedgerCommand::Export { dir } => {
                    let e = bw_app::export::export(&store, &dir).await?;
                    println!(
                        "exported {} entries (root {}), {} checkpoints, {} tiles, {} entry bundles to {}",
                        e.size,
                        e.root,
                        e.checkpoints,
                        e.tiles,
                        e.bundles,
                        dir.display()
                    );
                }
                LedgerCommand::Publish => {
                    match bw_app::witness::publish(&open_for_write(&g).await?, crate::clock::now(), true).await? {
                        Some(size) => println!("published the checkpoint of {size} entries"),
                        None => bail!("no checkpoint yet: the journal is empty"),
                    }
                }
                LedgerCommand::Witnesses => {
                    for (name, key) in bw_app::witness::list(&store).await? {
                        println!("{name}\t{key}");
                    }
                }
                LedgerCommand::Dump { from, to } => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let mut failed = None;
                    bw_app::ledger::dump(&store, from, to, |line| {
                        if failed.is_none()
                            && let Err(e) = writeln!(out, "{line}")
                        {
                            failed = Some(e);
                        }
                    })
                    .await?;
                    if let Some(e) = failed {
                        return Err(e.into());
                    }
                    out.flush()?;
                }
                LedgerCommand::Checkpoint => match store.latest_checkpoint().await? {
                    Some(note) => print!("{note}"),
                    None => bail!("no checkpoint yet: the journal is empty"),
                },
                LedgerCommand::Key { path: true } => println!("{}", key_path(&g)?.display()),
                LedgerCommand::Key { path: false } => {
                    // The installation's key, from its key file; the database only echoes it.
                    let key = trusted_key(&g, None)?;
                    match store.meta("verifier_key").await? {
                        Some(k) if k != key => bail!(
                            "the database records the verifier key {k}, not the installation's {key}: run budgetwatch verify"
                        ),
                        _ => println!("{key}"),
                    }
                }
                LedgerCommand::ProveInclusion { index, size } => {
                    println!("{}", bw_app::ledger::prove_inclusion(&store, index, size).await?);
                }
                LedgerCommand::ProveConsistency { old, new } => {
                    println!("{}", bw_app::ledger::prove_consistency(&store, old, new).await?);
                }
            }
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

async fn calendar(g: &Global, command: CalendarCommand) -> Result<ExitCode> {
    // Reading the calendar needs no database; stored years are used when one exists.
    let cal = match Store::open(&g.db, false).await {
        Ok(store) => {
            crate::clock::load_zone(&store).await?;
            bw_app::calendar::load(&store).await?
        }
        Err(bw_store::StoreError::Missing { .. }) => bw_core::calendar::WorkCalendar::shipped(),
        Err(e) => return Err(e.into()),
    };
    let warn = |y: Option<i32>| {
        if let Some(y) = y {
            eprintln!(
                "warning: no holiday data for {y}; answered from weekends alone (load it with `budgetwatch calendar import FILE`)"
            );
        }
    };
    match command {
        CalendarCommand::Today => println!("{}", crate::clock::today()),
        CalendarCommand::IsWorkday { date } => {
            let a = cal.is_workday(parse_date(&date)?);
            warn(a.unknown_year);
            println!("{}", a.value);
        }
        CalendarCommand::AddWorkdays { date, n } => {
            let a = cal.add_workdays(parse_date(&date)?, n);
            warn(a.unknown_year);
            println!("{}", a.value);
        }
        CalendarCommand::Import { file } => {
            let store = open_for_write(g).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not valid UTF-8", file.display()))?;
            let years = bw_app::calendar::import(&store, &ctx(g)?, &file.display().to_string(), &text).await?;
            let ys: Vec<String> = years.iter().map(i32::to_string).collect();
            println!("loaded holiday data for {}", ys.join(", "));
        }
        CalendarCommand::List { year } => {
            if !cal.known_years().contains(&year) {
                warn(Some(year));
            }
            for d in cal.special_days(year) {
                let kind = match d.kind {
                    bw_core::calendar::DayKind::Holiday => "holiday",
                    bw_core::calendar::DayKind::Workday => "workday",
                };
                println!("{},{},{}", d.date, kind, d.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
