//! Major matters (重大事项) from the command line: reported with the standard form or orally
//! through the green channel, decided by the routed authority (`--user`, holding the route's
//! role at the matter's unit) or collectively at a held collective-decision meeting.

use super::*;
use bw_app::matters::{self, TakeError};
use bw_core::matter::{Category, Facts, Opinion, Report};

#[derive(Args)]
pub(super) struct FactsArgs {
    #[arg(long)]
    unit: String,
    #[arg(long)]
    title: String,
    /// The matter's amount (yuan)
    #[arg(long)]
    amount: String,
    /// The budget of the item concerned (yuan)
    #[arg(long, default_value = "0")]
    budget: String,
    /// What would be spent on it with the matter (yuan)
    #[arg(long, default_value = "0")]
    spend: String,
    #[arg(long)]
    strategic: bool,
    /// major_decision, appointment, major_project or large_funds (三重一大)
    #[arg(long)]
    category: Option<String>,
}

impl FactsArgs {
    fn facts(self) -> Result<Facts> {
        let money = |s: &str, what: &str| bw_core::Money::parse_yuan(s).map_err(|e| anyhow::anyhow!("--{what}: {e}"));
        Ok(Facts {
            amount: money(&self.amount, "amount")?,
            budget: money(&self.budget, "budget")?,
            spend: money(&self.spend, "spend")?,
            category: self
                .category
                .map(|c| Category::parse(&c).with_context(|| format!("--category: unknown {c:?}")))
                .transpose()?,
            unit_code: self.unit,
            title: self.title,
            strategic: self.strategic,
        })
    }
}

#[derive(Subcommand)]
pub(super) enum MatterCommand {
    /// Reports a matter with the standard form (background, financial impact, alternatives).
    Submit {
        #[command(flatten)]
        facts: FactsArgs,
        #[arg(long)]
        background: String,
        #[arg(long)]
        impact: String,
        #[arg(long)]
        alternatives: String,
    },
    /// The green channel: an oral report now; the written form is due one working day on and
    /// audit is copied.
    Oral {
        #[command(flatten)]
        facts: FactsArgs,
        #[arg(long)]
        summary: String,
    },
    /// The written form of a green-channel matter.
    Written {
        id: i64,
        #[arg(long)]
        background: String,
        #[arg(long)]
        impact: String,
        #[arg(long)]
        alternatives: String,
    },
    /// The routed authority's decision (--adopt or --reject).
    Decide {
        id: i64,
        #[arg(long)]
        user: String,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        adopt: bool,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// A collective decision at a held collective-decision meeting, with every present
    /// member's opinion ("user:for;user:against;user:defer").
    Collective {
        id: i64,
        #[arg(long)]
        meeting: i64,
        #[arg(long)]
        opinions: String,
    },
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
}

fn refused(e: TakeError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub(super) async fn dispatch(g: &Global, command: MatterCommand) -> Result<ExitCode> {
    let report = |background: String, impact: String, alternatives: String| Report {
        background,
        financial_impact: impact,
        alternatives,
    };
    match command {
        MatterCommand::Submit { facts, background, impact, alternatives } => {
            let store = open_for_write(g).await?;
            let id = matters::submit(&store, &ctx(g)?, facts.facts()?, report(background, impact, alternatives))
                .await
                .map_err(refused)?;
            let m = matters::load(&store).await?.matters.remove(&id).context("the matter just reported")?;
            println!("matter {id}: routed to {} ({})", m.route.id(), m.route.zh());
        }
        MatterCommand::Oral { facts, summary } => {
            let store = open_for_write(g).await?;
            let id = matters::oral(&store, &ctx(g)?, facts.facts()?, &summary).await.map_err(refused)?;
            let m = matters::load(&store).await?.matters.remove(&id).context("the matter just reported")?;
            println!(
                "matter {id}: green channel, routed to {}; the written form due {}; audit copied",
                m.route.id(),
                m.written_due.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        MatterCommand::Written { id, background, impact, alternatives } => {
            let store = open_for_write(g).await?;
            let c = ctx(g)?;
            let action =
                bw_core::matter::Action::Written { id, report: report(background, impact, alternatives), on: c.today };
            matters::take(&store, &c, action).await.map_err(refused)?;
            let m = matters::load(&store).await?.matters.remove(&id).context("the matter")?;
            println!("matter {id}: written form in{}", if m.written_late(c.today) { " (late)" } else { "" });
        }
        MatterCommand::Decide { id, user, adopt, reject, text } => {
            let store = open_for_write(g).await?;
            let c = Ctx { actor: format!("user:{user}"), ..ctx(g)? };
            let unit = matters::load(&store)
                .await?
                .matters
                .get(&id)
                .map(|m| m.unit_code.clone())
                .with_context(|| format!("no matter {id}"))?;
            let roles = bw_app::milestones::roles_at_unit(&store, &user, &unit, c.today).await?;
            matters::decide(&store, &c, id, adopt && !reject, &text, &roles).await.map_err(refused)?;
            println!("matter {id}: {}", if adopt && !reject { "adopted" } else { "rejected" });
        }
        MatterCommand::Collective { id, meeting, opinions } => {
            let mut map = std::collections::BTreeMap::new();
            for pair in opinions.split([';', '；']).map(str::trim).filter(|p| !p.is_empty()) {
                let (who, what) =
                    pair.split_once(':').with_context(|| format!("--opinions: user:opinion, not {pair:?}"))?;
                let o = match what.trim() {
                    "for" | "同意" => Opinion::For,
                    "against" | "不同意" => Opinion::Against,
                    "defer" | "缓议" => Opinion::Defer,
                    other => bail!("--opinions: for, against or defer, not {other:?}"),
                };
                map.insert(who.trim().to_string(), o);
            }
            let store = open_for_write(g).await?;
            matters::collective(&store, &ctx(g)?, id, meeting, map).await.map_err(refused)?;
            let m = matters::load(&store).await?.matters.remove(&id).context("the matter")?;
            let t = m.tally.clone().unwrap_or(bw_core::matter::Decision {
                adopted: false,
                for_: 0,
                against: 0,
                deferred: 0,
            });
            println!("matter {id}: {} ({} for, {} against, {} deferred)", m.state.id(), t.for_, t.against, t.deferred);
        }
        MatterCommand::List { format } => {
            let all = matters::load(&open(g).await?).await?;
            let today = crate::clock::today();
            let list: Vec<serde_json::Value> = all
                .matters
                .values()
                .rev()
                .map(|m| {
                    let mut v = serde_json::to_value(m).unwrap_or_default();
                    v["written_late"] = serde_json::json!(m.written_late(today));
                    v
                })
                .collect();
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for m in all.matters.values().rev() {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        m.id,
                        m.reported_on,
                        m.unit_code,
                        m.route.id(),
                        m.state.id(),
                        m.title
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
