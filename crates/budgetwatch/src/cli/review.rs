//! Post-incident reviews (`review …`) and the case knowledge base (`case …`) from the command
//! line. Dates default to today; the acceptance is the audit role's (`--user`, holding
//! audit_discipline), with the criteria's values computed by the system.

use super::*;
use bw_app::reviews::{self, TakeError};
use bw_core::review::{Action, Cause, PlanItem};

#[derive(Subcommand)]
pub(super) enum ReviewCommand {
    /// Opens a review by hand (the daily check opens those of emergencies closed, red
    /// warnings archived and special audits concluded).
    Open {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        on: Option<String>,
    },
    /// Records what happened, its causes (separated by ;) and the lessons.
    Record {
        id: i64,
        #[arg(long)]
        happened: String,
        /// inaccurate_budget, slow_execution, overspending, procurement_evasion,
        /// irregular_payment, revenue_shortfall, idle_funds, weak_control, other (or 中文)
        #[arg(long)]
        causes: String,
        #[arg(long)]
        lessons: String,
    },
    /// Writes the improvement plan from a JSON file: a list of {"number", "text", "owner",
    /// "due", "criterion": {"rule", "min_level", "unit_code", "from", "to"}}.
    Plan {
        id: i64,
        #[arg(long)]
        file: PathBuf,
    },
    /// Approves the plan (its acceptance falls 3 to 6 months later).
    Approve {
        id: i64,
        #[arg(long)]
        on: Option<String>,
    },
    /// The audit role's acceptance: the criteria computed; passed, or the plan reopened.
    Accept {
        id: i64,
        #[arg(long)]
        user: String,
        #[arg(long)]
        on: Option<String>,
    },
    Close {
        id: i64,
        #[arg(long)]
        on: Option<String>,
    },
    /// Imports reviews closed in an earlier system (JSON: a list of {"reference", "unit_code",
    /// "title", "happened", "causes", "lessons", "opened_on", "closed_on"}) as cases.
    Import {
        file: PathBuf,
    },
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
    Show {
        id: i64,
    },
}

#[derive(Subcommand)]
pub(super) enum CaseCommand {
    /// Searches the cases (reviews and archived warnings) by their words, best first.
    Search {
        query: String,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The cases most like a warning.
    Similar {
        #[arg(long)]
        warning: i64,
        #[arg(long, default_value_t = 3)]
        limit: usize,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The same unit repeating the same cause within three years (屡审屡犯).
    Repeats {
        #[arg(long, default_value = "text")]
        format: String,
    },
}

fn refused(e: TakeError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn day(on: Option<String>) -> Result<bw_core::Date> {
    match on {
        Some(s) => bw_core::Date::parse(&s).map_err(|e| anyhow::anyhow!("--on: {e}")),
        None => Ok(crate::clock::today()),
    }
}

pub(super) fn causes(s: &str) -> Result<Vec<Cause>> {
    s.split([';', '；', ','])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| Cause::parse(c).with_context(|| format!("unknown cause {c:?}")))
        .collect()
}

#[derive(serde::Deserialize)]
struct Imported {
    reference: String,
    unit_code: String,
    title: String,
    happened: String,
    causes: Vec<String>,
    lessons: String,
    opened_on: String,
    closed_on: String,
}

/// Imports the closed reviews of `file` (a JSON list), all or none; how many.
pub(super) async fn import_reviews(store: &Store, c: &Ctx, file: &std::path::Path) -> Result<usize> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let rows: Vec<Imported> =
        serde_json::from_str(&text).with_context(|| format!("{}: not a list of reviews", file.display()))?;
    let mut actions = Vec::new();
    for (n, r) in rows.into_iter().enumerate() {
        let date = |s: &str, what: &str| {
            bw_core::Date::parse(s).map_err(|e| anyhow::anyhow!("{}: review {}: {what}: {e}", file.display(), n + 1))
        };
        actions.push(Action::Import {
            causes: causes(&r.causes.join(";")).with_context(|| format!("{}: review {}", file.display(), n + 1))?,
            opened_on: date(&r.opened_on, "opened_on")?,
            closed_on: date(&r.closed_on, "closed_on")?,
            reference: r.reference,
            unit_code: r.unit_code,
            title: r.title,
            happened: r.happened,
            lessons: r.lessons,
        });
    }
    let n = actions.len();
    reviews::take_all(store, c, actions).await.map_err(refused)?;
    Ok(n)
}

pub(super) async fn dispatch(g: &Global, command: ReviewCommand) -> Result<ExitCode> {
    match command {
        ReviewCommand::Open { unit, title, on } => {
            let store = open_for_write(g).await?;
            let action = Action::Open { source: "manual".into(), unit_code: unit, title, on: day(on)? };
            let id = reviews::take(&store, &ctx(g)?, action).await.map_err(refused)?;
            println!("review {id} opened");
        }
        ReviewCommand::Record { id, happened, causes: c, lessons } => {
            let store = open_for_write(g).await?;
            let action = Action::Record { id, happened, causes: causes(&c)?, lessons };
            let idx = reviews::take(&store, &ctx(g)?, action).await.map_err(refused)?;
            println!("review {id}: recorded (entry {idx})");
        }
        ReviewCommand::Plan { id, file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let items: Vec<PlanItem> =
                serde_json::from_str(&text).with_context(|| format!("{}: not a list of plan items", file.display()))?;
            let store = open_for_write(g).await?;
            let idx = reviews::take(&store, &ctx(g)?, Action::Plan { id, items }).await.map_err(refused)?;
            println!("review {id}: plan written (entry {idx})");
        }
        ReviewCommand::Approve { id, on } => {
            let on = day(on)?;
            let store = open_for_write(g).await?;
            let idx = reviews::take(&store, &ctx(g)?, Action::ApprovePlan { id, on }).await.map_err(refused)?;
            let (from, to) = bw_core::review::acceptance_window(on);
            println!("review {id}: plan approved on {on} (entry {idx}); accepted from {from} to {to}");
        }
        ReviewCommand::Accept { id, user, on } => {
            let store = open_for_write(g).await?;
            let c = Ctx { actor: format!("user:{user}"), ..ctx(g)? };
            let access = bw_app::users::access(&store, &user, c.today).await?;
            if !access.grants.iter().any(|gr| gr.role == bw_core::access::Role::AuditDiscipline) {
                bail!("{user} does not hold audit_discipline: the audit role accepts an improvement plan (forbidden)");
            }
            let (idx, values) = reviews::accept(&store, &c, id, day(on)?).await.map_err(refused)?;
            let pass = values.iter().all(|(_, v)| *v == 0);
            println!(
                "review {id}: {} (entry {idx}); {}",
                if pass { "accepted" } else { "failed: the plan is reopened" },
                values.iter().map(|(n, v)| format!("item {n}: {v} warnings")).collect::<Vec<_>>().join(", ")
            );
        }
        ReviewCommand::Close { id, on } => {
            let store = open_for_write(g).await?;
            let idx = reviews::take(&store, &ctx(g)?, Action::Close { id, on: day(on)? }).await.map_err(refused)?;
            println!("review {id} closed (entry {idx})");
        }
        ReviewCommand::Import { file } => {
            let store = open_for_write(g).await?;
            let n = import_reviews(&store, &ctx(g)?, &file).await?;
            println!("{n} reviews imported as cases");
        }
        ReviewCommand::List { format } => {
            let all = reviews::load(&open(g).await?).await?;
            let list: Vec<&bw_core::review::Review> = all.reviews.values().rev().collect();
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for r in list {
                    println!("{}\t{}\t{}\t{}\t{}", r.id, r.opened_on, r.unit_code, r.state.id(), r.title);
                }
            }
        }
        ReviewCommand::Show { id } => {
            let all = reviews::load(&open(g).await?).await?;
            let r = all.reviews.get(&id).with_context(|| format!("no review {id}"))?;
            println!("{}", serde_json::to_string_pretty(r)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn dispatch_case(g: &Global, command: CaseCommand) -> Result<ExitCode> {
    let store = open(g).await?;
    let print = |format: &str, cases: Vec<(bw_app::reviews::Case, Option<f64>)>| -> Result<()> {
        if format == "json" {
            let out: Vec<serde_json::Value> = cases
                .iter()
                .map(|(c, s)| {
                    let mut v = serde_json::to_value(c).unwrap_or_default();
                    if let Some(s) = s {
                        v["score"] = serde_json::json!((s * 1000.0).round() / 1000.0);
                    }
                    v
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            for (c, s) in cases {
                let causes: Vec<&str> = c.causes.iter().map(|x| x.zh()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    c.key,
                    c.on,
                    c.unit_code,
                    causes.join("、"),
                    c.title,
                    s.map(|s| format!("\t{s:.3}")).unwrap_or_default()
                );
            }
        }
        Ok(())
    };
    match command {
        CaseCommand::Search { query, limit, format } => {
            let all = reviews::cases(&store).await?;
            let found =
                reviews::search(&all, &query, limit).into_iter().map(|(i, s)| (all[i].clone(), Some(s))).collect();
            print(&format, found)?;
        }
        CaseCommand::Similar { warning, limit, format } => {
            let found =
                reviews::similar_to_warning(&store, warning, limit).await?.into_iter().map(|c| (c, None)).collect();
            print(&format, found)?;
        }
        CaseCommand::Repeats { format } => {
            let all = reviews::cases(&store).await?;
            let reps = reviews::repeats(&all);
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&reps)?);
            } else {
                for r in reps {
                    println!("{}\t{}\t{} repeats {}", r.unit_code, r.cause.zh(), r.case, r.earlier);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
