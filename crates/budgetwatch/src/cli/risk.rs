//! The risk register (风险清单) from the command line.

use super::*;
use bw_core::risk::{Action, Category, Level, Matrix, Rating, Register, Response, Risk, Treatment};

#[derive(Subcommand)]
pub(super) enum RiskCommand {
    /// Adds a risk: category, scope, owner, cause → event → consequence and its inherent
    /// likelihood × impact (1–5); the current and residual ratings default to it.
    Add {
        #[arg(long)]
        title: String,
        /// revenue, expenditure, external or internal (收入风险, 支出风险, 外部风险, 内部风险)
        #[arg(long)]
        category: String,
        /// KIND:CODE, the kind one of region, department, unit, project, indicator.
        #[arg(long)]
        scope: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        cause: String,
        #[arg(long)]
        event: String,
        #[arg(long, default_value = "")]
        consequence: String,
        /// The inherent rating, LIKELIHOOD,IMPACT.
        #[arg(long)]
        inherent: String,
        #[arg(long)]
        current: Option<String>,
        #[arg(long)]
        residual: Option<String>,
    },
    /// The register: each risk with its level, treatment and next review (overdue in
    /// working days); --level keeps one level.
    List {
        #[arg(long)]
        level: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// One risk with its history.
    Show {
        id: i64,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// A new current (and residual) rating with its evidence.
    Assess {
        id: i64,
        #[arg(long)]
        current: String,
        #[arg(long)]
        residual: Option<String>,
        #[arg(long)]
        evidence: String,
    },
    /// The treatment — avoid, reduce, share or accept (规避, 降低, 分担, 承受) — with its
    /// response items, each "WHAT|OWNER|DUE".
    Treat {
        id: i64,
        #[arg(long)]
        treatment: String,
        #[arg(long = "response")]
        responses: Vec<String>,
    },
    /// The acceptance of a risk treated by acceptance: approved by someone other than its
    /// owner, until a date.
    Accept {
        id: i64,
        #[arg(long)]
        approver: String,
        #[arg(long)]
        until: String,
    },
    /// Records a review today.
    Review {
        id: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The risk's event has happened (风险事件已发生): recorded, and an emergency case opened
    /// with it.
    Materialise {
        id: i64,
        #[arg(long)]
        note: String,
    },
    /// The risks the key risk indicators proposed (open first), for a reviewer to adopt or
    /// reject.
    Proposals {
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Adopts a proposal: the risk is added at the proposed likelihood and this impact.
    Adopt {
        id: i64,
        #[arg(long)]
        owner: String,
        /// 1–5
        #[arg(long)]
        impact: u8,
    },
    /// Rejects a proposal, saying why.
    Reject {
        id: i64,
        #[arg(long)]
        note: String,
    },
    /// Counts of risks in each likelihood × impact cell of their current rating.
    Heatmap {
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// A new matrix (five rows of five levels, H/M/L, likelihood 1 to 5 down, impact 1 to 5
    /// across, rows separated by /) and review intervals in days (high, medium, low): every
    /// risk re-levelled in the same journaled step.
    Matrix {
        #[arg(long)]
        cells: Option<String>,
        #[arg(long, value_delimiter = ',')]
        review_days: Vec<u32>,
    },
}

fn rating(s: &str) -> Result<Rating> {
    let (l, i) = s.split_once(',').with_context(|| format!("a rating is LIKELIHOOD,IMPACT, not {s:?}"))?;
    let (l, i): (u8, u8) = (l.trim().parse()?, i.trim().parse()?);
    Ok(Rating::new(l, i)?)
}

/// One line of the register.
#[derive(serde::Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    risk: &'a Risk,
    review_due: Date,
    overdue_workdays: i64,
}

pub(super) async fn dispatch(g: &Global, command: RiskCommand) -> Result<ExitCode> {
    let write = |action: Action| async move {
        let store = open_for_write(g).await?;
        let idx = bw_app::risk::take(&store, &ctx(g)?, action).await?;
        Ok::<i64, anyhow::Error>(idx)
    };
    let today = crate::clock::today();
    match command {
        RiskCommand::Add { title, category, scope, owner, cause, event, consequence, inherent, current, residual } => {
            let category = Category::parse(&category)
                .with_context(|| format!("--category: revenue, expenditure, external or internal, not {category:?}"))?;
            let (kind, code) = scope.split_once(':').with_context(|| format!("--scope is KIND:CODE, not {scope:?}"))?;
            let inherent = rating(&inherent)?;
            let current = current.as_deref().map(rating).transpose()?.unwrap_or(inherent);
            let residual = residual.as_deref().map(rating).transpose()?.unwrap_or(current);
            let idx = write(Action::Add {
                title,
                category,
                scope_kind: kind.to_string(),
                scope_code: code.to_string(),
                owner,
                cause,
                event,
                consequence,
                inherent,
                current,
                residual,
                on: today,
            })
            .await?;
            println!("risk {idx}: added");
        }
        RiskCommand::Assess { id, current, residual, evidence } => {
            let residual = residual.as_deref().map(rating).transpose()?;
            write(Action::Assess { id, current: rating(&current)?, residual, evidence, on: today }).await?;
            println!("risk {id}: assessed");
        }
        RiskCommand::Treat { id, treatment, responses } => {
            let treatment = Treatment::parse(&treatment)
                .with_context(|| format!("--treatment: avoid, reduce, share or accept, not {treatment:?}"))?;
            let responses = responses
                .iter()
                .map(|r| {
                    let parts: Vec<&str> = r.split('|').map(str::trim).collect();
                    match parts.as_slice() {
                        [what, owner, due] => {
                            Ok(Response { what: what.to_string(), owner: owner.to_string(), due: parse_date(due)? })
                        }
                        _ => bail!("--response is \"WHAT|OWNER|YYYY-MM-DD\", not {r:?}"),
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            write(Action::Treat { id, treatment, responses, on: today }).await?;
            println!("risk {id}: treatment {}", treatment.id());
        }
        RiskCommand::Accept { id, approver, until } => {
            write(Action::Accept { id, approver, until: parse_date(&until)?, on: today }).await?;
            println!("risk {id}: accepted until {until}");
        }
        RiskCommand::Materialise { id, note } => {
            write(Action::Materialise { id, note, on: today }).await?;
            println!("risk {id}: materialised; an emergency case is open");
        }
        RiskCommand::Proposals { format } => {
            let reg = bw_app::risk::load(&open(g).await?).await?;
            let mut proposals: Vec<&bw_core::risk::Proposal> = reg.proposals.values().collect();
            // Open first, then the newest.
            proposals.sort_by_key(|p| (p.state != "open", std::cmp::Reverse(p.id)));
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&proposals)?);
            } else {
                for p in proposals {
                    println!(
                        "{:>6} {:<8} {:<11} {}:{} L{} {} — {}",
                        p.id,
                        p.state,
                        p.category.id(),
                        p.scope_kind,
                        p.scope_code,
                        p.likelihood,
                        p.title,
                        p.evidence
                    );
                }
            }
        }
        RiskCommand::Adopt { id, owner, impact } => {
            let idx = write(Action::Adopt { id, owner, impact, on: today }).await?;
            println!("proposal {id}: adopted as risk {idx}");
        }
        RiskCommand::Reject { id, note } => {
            write(Action::Reject { id, note, on: today }).await?;
            println!("proposal {id}: rejected");
        }
        RiskCommand::Review { id, note } => {
            write(Action::Review { id, note, on: today }).await?;
            println!("risk {id}: reviewed on {today}");
        }
        RiskCommand::Matrix { cells, review_days } => {
            let store = open(g).await?;
            let mut matrix = bw_app::risk::load(&store).await?.matrix;
            if let Some(c) = cells {
                matrix.cells = Matrix::parse_cells(&c)?;
            }
            if !review_days.is_empty() {
                let [h, m, l] = review_days[..] else { bail!("--review-days: three numbers (high, medium, low)") };
                matrix.review_days = [h, m, l];
            }
            drop(store);
            write(Action::Matrix { matrix }).await?;
            println!("risk matrix: set; every risk re-levelled");
        }
        RiskCommand::List { level, format } => {
            let store = open(g).await?;
            let reg = bw_app::risk::load(&store).await?;
            let calendar = bw_app::calendar::load(&store).await?;
            let want = level
                .as_deref()
                .map(|l| Level::parse(l).with_context(|| format!("--level: high, medium or low, not {l:?}")))
                .transpose()?;
            let lines = lines(&reg, &calendar, today, want);
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&lines)?);
            } else {
                for l in &lines {
                    let r = l.risk;
                    let overdue = if l.overdue_workdays > 0 {
                        format!(" 逾期 {} 个工作日", l.overdue_workdays)
                    } else {
                        String::new()
                    };
                    println!(
                        "{:>8}  {} {}×{}  {:<6} {}  {}:{}  owner {}  review by {}{overdue}",
                        r.id,
                        r.level.zh(),
                        r.current.likelihood,
                        r.current.impact,
                        r.category.zh(),
                        r.title,
                        r.scope_kind,
                        r.scope_code,
                        r.owner,
                        l.review_due,
                    );
                }
            }
        }
        RiskCommand::Show { id, format } => {
            let store = open(g).await?;
            let reg = bw_app::risk::load(&store).await?;
            let calendar = bw_app::calendar::load(&store).await?;
            let r = reg.risks.get(&id).with_context(|| format!("no risk {id}"))?;
            let line = Line {
                risk: r,
                review_due: reg.review_due(r, &calendar),
                overdue_workdays: reg.overdue_workdays(r, &calendar, today),
            };
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&line)?);
            } else {
                println!(
                    "{} · {} · {} ({}×{})",
                    r.title,
                    r.category.zh(),
                    r.level.zh(),
                    r.current.likelihood,
                    r.current.impact
                );
                println!("{} → {} → {}", r.cause, r.event, r.consequence);
                println!("owner {} · review by {}", r.owner, line.review_due);
                for e in &r.history {
                    println!("  {} {} (entry {})", e.on, e.what, e.idx);
                }
            }
        }
        RiskCommand::Heatmap { format } => {
            let store = open(g).await?;
            let reg = bw_app::risk::load(&store).await?;
            let h = reg.heatmap();
            if format == "json" {
                let cells: Vec<serde_json::Value> = (0..5)
                    .flat_map(|l| (0..5).map(move |i| (l, i)))
                    .map(|(l, i)| {
                        let level = reg.matrix.cells[l][i];
                        serde_json::json!({"likelihood": l + 1, "impact": i + 1, "level": level, "count": h[l][i]})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&cells)?);
            } else {
                println!("likelihood ↓ impact →    1    2    3    4    5");
                for l in (0..5).rev() {
                    let row: Vec<String> =
                        (0..5).map(|i| format!("{}{:>3}", reg.matrix.cells[l][i].zh(), h[l][i])).collect();
                    println!("{:>21} {}", l + 1, row.join(" "));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn lines<'a>(
    reg: &'a Register,
    calendar: &bw_core::calendar::WorkCalendar,
    today: Date,
    level: Option<Level>,
) -> Vec<Line<'a>> {
    let mut out: Vec<Line> = reg
        .risks
        .values()
        .filter(|r| level.is_none_or(|l| r.level == l))
        .map(|r| Line {
            risk: r,
            review_due: reg.review_due(r, calendar),
            overdue_workdays: reg.overdue_workdays(r, calendar, today),
        })
        .collect();
    // Highest level first, then the earliest review.
    out.sort_by(|a, b| b.risk.level.cmp(&a.risk.level).then(a.review_due.cmp(&b.review_due)));
    out
}
