//! The budget cycle, performance, reports, the project library, documents and approvals.

use super::*;

pub(super) async fn budget_command(g: &Global, command: BudgetCommand) -> Result<()> {
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

pub(super) async fn performance_command(g: &Global, command: PerformanceCommand) -> Result<()> {
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

pub(super) async fn classify_project(g: &Global, code: &str, on: bool) -> Result<()> {
    let store = open_for_write(g).await?;
    let idx = bw_app::classified::classify(&store, &ctx(g)?, code, on).await?;
    println!("project {code} {} (journal entry {idx})", if on { "classified" } else { "declassified" });
    Ok(())
}

#[derive(Subcommand)]
pub(super) enum BudgetCommand {
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
pub(super) enum PerformanceCommand {
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
pub(super) enum ReportCommand {
    /// One row per indicator (unit, codes, budget, paid in the period and to its end,
    /// execution rate, time progress, gap, the unit's stated cause) with subtotals per unit,
    /// department and region. The PDF is set in the font the binary carries (Noto Sans SC), or
    /// in BUDGETWATCH_FONT=/path/font.ttf when set.
    Execution {
        #[command(flatten)]
        report: ReportArgs,
        /// Report over the provinces' Parquet folders (`export parquet`) on the columnar
        /// engine instead of the database: the nation (000000 全国) above the provinces.
        #[arg(long, num_args = 1.., value_name = "DIR")]
        parquet: Vec<PathBuf>,
    },
}

/// What an execution report covers and where it goes.
#[derive(clap::Args)]
pub(super) struct ReportArgs {
    /// A month (2026-07) or a quarter (2026-Q3).
    #[arg(long)]
    pub period: String,
    /// The region reported on (default: the top region; on the national node, the nation).
    #[arg(long)]
    pub region: Option<String>,
    /// xlsx or pdf.
    #[arg(long)]
    pub format: String,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Subcommand)]
pub(super) enum ProjectCommand {
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
pub(super) enum DocumentCommand {
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

/// The password comes from BUDGETWATCH_PASSWORD, or else the first line of standard input.
#[derive(Subcommand)]
pub(super) enum ApprovalCommand {
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

pub(super) fn check_report_format(format: &str) -> Result<()> {
    if format != "xlsx" && format != "pdf" {
        bail!("--format: xlsx or pdf, not {format:?}");
    }
    Ok(())
}

/// Writes an execution report as XLSX or PDF (the PDF in the font the binary carries).
pub(super) fn write_execution_report(
    report: &bw_app::report::ExecutionReport,
    format: &str,
    out: &std::path::Path,
) -> Result<()> {
    let bytes = if format == "xlsx" {
        bw_app::report::execution_xlsx(report)?
    } else {
        let (font, index) = crate::fonts::cjk()?;
        let footer = format!("budgetwatch · 生成于 {}", crate::clock::local_time(crate::clock::now()));
        bw_app::report::execution_pdf(report, &font, index, &footer)?
    };
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    println!("{}: {} rows, {} bytes", out.display(), report.rows.len(), bytes.len());
    Ok(())
}

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::Budget { command } => budget_command(g, command).await?,
        Command::Performance { command } => performance_command(g, command).await?,
        Command::Report {
            command: ReportCommand::Execution { report: ReportArgs { period, region, format, out }, parquet },
        } => {
            let period = bw_core::report::Period::parse(&period).map_err(|e| anyhow::anyhow!("--period: {e}"))?;
            check_report_format(&format)?;
            let report = if parquet.is_empty() {
                bw_app::report::execution(&open(g).await?, &period, region.as_deref()).await?
            } else {
                super::cluster::execution_parquet(&parquet, &period, region.as_deref()).await?
            };
            write_execution_report(&report, &format, &out)?;
        }
        Command::Project { command } => match command {
            ProjectCommand::List { format } => {
                let store = open(g).await?;
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
                let store = open_for_write(g).await?;
                bw_app::library::set_status(&store, &ctx(g)?, &code, to).await?;
                println!("project {code} is {}", to.as_str());
            }
            ProjectCommand::Expire { as_of } => {
                let c = ctx(g)?;
                let today = match as_of {
                    Some(d) => bw_core::Date::parse(&d).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?,
                    None => c.at.date(),
                };
                let store = open_for_write(g).await?;
                let gone = bw_app::library::expire(&store, &c, today).await?;
                println!(
                    "{} reserve project(s) past their expiry date retired{}",
                    gone.len(),
                    if gone.is_empty() { String::new() } else { format!(": {}", gone.join(", ")) }
                );
            }
            ProjectCommand::Classify { code } => classify_project(g, &code, true).await?,
            ProjectCommand::Declassify { code } => classify_project(g, &code, false).await?,
            ProjectCommand::Classified => {
                let store = open(g).await?;
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
                    let store = open_for_write(g).await?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = documents::attach_voucher_image(&store, &ctx(g)?, &unit, &voucher, &name, &bytes).await?;
                    println!("document {id}: {name} attached to {unit}/{voucher}");
                }
                DocumentCommand::Boundaries { file } => {
                    let bytes = read(&file)?;
                    let store = open_for_write(g).await?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = documents::load_boundaries(&store, &ctx(g)?, &name, &bytes).await?;
                    let regions = documents::parse_boundaries(&bytes).map(|s| s.len()).unwrap_or(0);
                    println!("document {id}: boundaries of {regions} regions loaded from {name}");
                }
                DocumentCommand::Project { code, file } => {
                    let bytes = read(&file)?;
                    let store = open_for_write(g).await?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = documents::attach_project_document(&store, &ctx(g)?, &code, &name, &bytes).await?;
                    println!("document {id}: {name} attached to project {code}");
                }
                DocumentCommand::List { unit, voucher } => {
                    let store = open(g).await?;
                    let subject = documents::voucher_subject(&unit, &voucher);
                    for d in documents::list(&store, documents::DocKind::VoucherImage, &subject).await? {
                        println!("{}\t{}\t{}\t{}\t{}", d.id, d.name, d.media_type, d.size, d.sha256);
                    }
                }
            }
        }
        Command::Approval { command } => {
            let store = open_for_write(g).await?;
            let password = password()?;
            match command {
                ApprovalCommand::Key { user } => {
                    let vkey = bw_app::approval::register_key(&store, &ctx(g)?, &user, &password).await?;
                    println!("{vkey}");
                }
                ApprovalCommand::Sign { entry, decision, comment } => {
                    let d = bw_app::approval::Decision::parse(&decision)
                        .ok_or_else(|| anyhow::anyhow!("unknown --decision {decision:?}: approve or reject"))?;
                    let idx = bw_app::approval::opinion(&store, &ctx(g)?, &password, entry, d, &comment).await?;
                    println!("signed opinion on entry {entry}: journal entry {idx}");
                }
            }
        }
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
