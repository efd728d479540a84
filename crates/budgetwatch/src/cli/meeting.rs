//! Meetings and action items from the command line (`meeting …`, `action …`): each person
//! acts as themselves where it matters (`--user`: the minutes' signature, an action item's
//! owner and follower); times are RFC 3339 with their offset.

use super::*;
use bw_app::meetings::{self, TakeError};
use bw_core::meeting::{Action, Kind, Minute};

#[derive(Subcommand)]
pub(super) enum MeetingCommand {
    /// Schedules a meeting, or a series (--repeat monthly|quarterly --count N).
    Schedule {
        /// monthly_analysis, quarterly_analysis, joint_supervision, topic,
        /// collective_decision or emergency
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: String,
        /// RFC 3339 with its offset (2026-04-08T09:00:00+08:00)
        #[arg(long)]
        start: String,
        /// Hours it lasts
        #[arg(long, default_value_t = 2)]
        hours: u32,
        /// The chair (a user)
        #[arg(long)]
        chair: String,
        #[arg(long, default_value = "")]
        location: String,
        /// The period reviewed: YYYY-MM or YYYY-Qn (default: the month before it)
        #[arg(long, default_value = "")]
        period: String,
        /// The roles that must be invited, separated by ; (default: the kind's)
        #[arg(long)]
        roles: Option<String>,
        #[arg(long)]
        repeat: Option<String>,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Invites users (separated by ;): their roles must cover the meeting's required roles.
    Invite {
        id: i64,
        #[arg(long)]
        users: String,
    },
    /// Generates, hashes and journals the agenda pack now, and prints it.
    Pack {
        id: i64,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Adds an item to the agenda by hand.
    Item {
        id: i64,
        #[arg(long)]
        title: String,
        #[arg(long)]
        public: bool,
    },
    /// Records the meeting held, with who was present (separated by ;).
    Hold {
        id: i64,
        #[arg(long)]
        present: String,
    },
    /// Records the minutes from a JSON file: a list of {"number", "outcome": "information" |
    /// "decision" (with "result", "resolution") | "action" (with "title", "owner", "follower",
    /// "due", and "link_kind", "link_code")}.
    Minutes {
        id: i64,
        #[arg(long)]
        file: PathBuf,
    },
    /// Signs the minutes as --user (the approval key's password from BUDGETWATCH_PASSWORD or
    /// standard input); the chair's signature approves them.
    Approve {
        id: i64,
        #[arg(long)]
        user: String,
    },
    /// Cancels a meeting not yet held.
    Cancel {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// The meetings, newest first.
    List {
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// One meeting with its agenda, minutes and latest pack.
    Show {
        id: i64,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The meeting as an OParl 1.0 `Meeting` object with its agenda items embedded.
    ExportOparl {
        id: i64,
        /// The installation's address the objects' URLs are under
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
    },
}

#[derive(Subcommand)]
pub(super) enum ActionCommand {
    /// Action items: all, or those a user owns or follows.
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The owner reports it done, with evidence documents (their SHA-256 are recorded).
    Done {
        id: i64,
        #[arg(long)]
        user: String,
        #[arg(long = "evidence")]
        evidence: Vec<PathBuf>,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// The follower verifies it: closed.
    Verify {
        id: i64,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// The follower returns it: open again.
    Return {
        id: i64,
        #[arg(long)]
        user: String,
        #[arg(long)]
        text: String,
    },
}

fn refused(e: TakeError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn as_user(g: &Global, user: &str) -> Result<Ctx> {
    Ok(Ctx { actor: format!("user:{user}"), ..ctx(g)? })
}

fn list(s: &str) -> Vec<String> {
    s.split([';', '；']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
}

fn instant(s: &str) -> Result<bw_core::Timestamp> {
    bw_app::zone::parse_instant(s)
        .with_context(|| format!("--start: an RFC 3339 time with its offset (2026-04-08T09:00:00+08:00), not {s:?}"))
}

pub(super) async fn dispatch(g: &Global, command: MeetingCommand) -> Result<ExitCode> {
    match command {
        MeetingCommand::Schedule { kind, title, start, hours, chair, location, period, roles, repeat, count } => {
            let kind = Kind::parse(&kind).with_context(|| {
                format!("--kind: one of {}", Kind::ALL.iter().map(|k| k.id()).collect::<Vec<_>>().join(", "))
            })?;
            let starts_at = instant(&start)?;
            let required_roles = match roles {
                Some(r) => list(&r),
                None => kind.default_roles().iter().map(|r| r.to_string()).collect(),
            };
            let first = Action::Schedule {
                kind,
                title,
                starts_at,
                ends_at: bw_core::Timestamp(starts_at.0 + i64::from(hours.max(1)) * 3600),
                location,
                period,
                chair,
                required_roles,
                series: None,
            };
            let store = open_for_write(g).await?;
            let ids = meetings::schedule(&store, &ctx(g)?, first, repeat.as_deref(), count).await.map_err(refused)?;
            for id in ids {
                println!("meeting {id} scheduled");
            }
        }
        MeetingCommand::Invite { id, users } => {
            let store = open_for_write(g).await?;
            let c = ctx(g)?;
            let mut invitees = Vec::new();
            for u in list(&users) {
                invitees.push(meetings::invitee(&store, &u, c.today).await?);
            }
            let n = invitees.len();
            let idx = meetings::take(&store, &c, Action::Invite { id, invitees }).await.map_err(refused)?;
            println!("meeting {id}: {n} invited (entry {idx})");
        }
        MeetingCommand::Pack { id, format } => {
            let store = open_for_write(g).await?;
            let (idx, pack, sha) = meetings::make_pack(&store, &ctx(g)?, id).await.map_err(refused)?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&pack)?);
            } else {
                println!(
                    "meeting {id}: agenda pack for {} ({}..{}), sha256 {sha} (entry {idx})",
                    pack.period, pack.from, pack.to
                );
                let e = &pack.execution;
                println!(
                    "  execution: budget {}, paid {} ({}‰; {}‰ of the year gone), paid in the period {}",
                    e.budget, e.paid_to_date, e.rate_permille, e.elapsed_permille, e.paid_in_period
                );
                println!(
                    "  warnings: {} opened, {} escalated, {} overdue; emergencies {}; risks {}; deviations {}; milestone holds {}; action items carried {}",
                    pack.warnings.opened.total,
                    pack.warnings.escalated.total,
                    pack.warnings.overdue.total,
                    pack.emergencies.count,
                    pack.top_risks.len(),
                    pack.deviations.len(),
                    pack.milestone_holds.count,
                    pack.action_items.len()
                );
            }
        }
        MeetingCommand::Item { id, title, public } => {
            let store = open_for_write(g).await?;
            let idx = meetings::take(&store, &ctx(g)?, Action::AddItem { id, title, public }).await.map_err(refused)?;
            println!("meeting {id}: item added (entry {idx})");
        }
        MeetingCommand::Hold { id, present } => {
            let store = open_for_write(g).await?;
            let idx = meetings::take(&store, &ctx(g)?, Action::Hold { id, present: list(&present) })
                .await
                .map_err(refused)?;
            println!("meeting {id} held (entry {idx})");
        }
        MeetingCommand::Minutes { id, file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let minutes: Vec<Minute> =
                serde_json::from_str(&text).with_context(|| format!("{}: not a list of minutes", file.display()))?;
            let store = open_for_write(g).await?;
            let idx = meetings::take(&store, &ctx(g)?, Action::Minutes { id, minutes }).await.map_err(refused)?;
            println!("meeting {id}: minutes recorded (entry {idx})");
        }
        MeetingCommand::Approve { id, user } => {
            let password = super::accounts::password()?;
            let store = open_for_write(g).await?;
            let signer = bw_app::approval::unlock(&store, &user, &password).await?;
            let idx = meetings::approve(&store, &as_user(g, &user)?, &signer, id).await.map_err(refused)?;
            let board = meetings::load(&store).await?;
            let state = board.meetings.get(&id).map(|m| m.state.id()).unwrap_or("");
            println!("meeting {id}: minutes signed by {user} (entry {idx}); {state}");
        }
        MeetingCommand::Cancel { id, reason } => {
            let store = open_for_write(g).await?;
            let idx = meetings::take(&store, &ctx(g)?, Action::Cancel { id, reason }).await.map_err(refused)?;
            println!("meeting {id} cancelled (entry {idx})");
        }
        MeetingCommand::List { format } => {
            let board = meetings::load(&open(g).await?).await?;
            let all: Vec<&bw_core::meeting::Meeting> = board.meetings.values().rev().collect();
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for m in all {
                    println!("{}\t{}\t{}\t{}\t{}\t{}", m.id, m.kind.id(), m.starts_at, m.state.id(), m.period, m.title);
                }
            }
        }
        MeetingCommand::Show { id, format } => {
            let store = open(g).await?;
            let board = meetings::load(&store).await?;
            let m = board.meetings.get(&id).with_context(|| format!("no meeting {id}"))?;
            let pack = meetings::stored_pack(&store, id).await?;
            if format == "json" {
                let out = serde_json::json!({
                    "meeting": m,
                    "pack": pack.as_ref().map(|p| serde_json::json!({"entry": p.0, "sha256": p.1, "pack": p.2})),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!(
                    "meeting {} {} ({}) {} chair {} — {}",
                    m.id,
                    m.title,
                    m.kind.zh(),
                    m.starts_at,
                    m.chair,
                    m.state.zh()
                );
                for a in &m.agenda {
                    let outcome = m
                        .minutes
                        .iter()
                        .find(|x| x.number == a.number)
                        .map(|x| serde_json::to_string(&x.outcome).unwrap_or_default())
                        .unwrap_or_default();
                    println!("  {}. {} [{}] {outcome}", a.number, a.title, a.source);
                }
            }
        }
        MeetingCommand::ExportOparl { id, base } => {
            let store = open(g).await?;
            let board = meetings::load(&store).await?;
            let m = board.meetings.get(&id).with_context(|| format!("no meeting {id}"))?;
            let tz = bw_app::zone::installation(&store).await?;
            println!("{}", serde_json::to_string_pretty(&meetings::oparl(m, &base, &tz))?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn dispatch_action(g: &Global, command: ActionCommand) -> Result<ExitCode> {
    match command {
        ActionCommand::List { user, format } => {
            let board = meetings::load(&open(g).await?).await?;
            let today = crate::clock::today();
            let items: Vec<serde_json::Value> = board
                .items
                .values()
                .filter(|i| user.as_deref().is_none_or(|u| i.owner == u || i.follower == u))
                .map(|i| {
                    let mut v = serde_json::to_value(i).unwrap_or_default();
                    v["overdue"] = serde_json::json!(i.overdue(today));
                    v
                })
                .collect();
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for i in
                    board.items.values().filter(|i| user.as_deref().is_none_or(|u| i.owner == u || i.follower == u))
                {
                    println!(
                        "{}\t{}\towner {}\tfollower {}\tdue {}{}\t{}",
                        i.id,
                        i.state.id(),
                        i.owner,
                        i.follower,
                        i.due,
                        if i.overdue(today) { " (overdue)" } else { "" },
                        i.title
                    );
                }
            }
        }
        ActionCommand::Done { id, user, evidence, text } => {
            let mut digests = Vec::new();
            for f in &evidence {
                let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                digests.push(bw_ledger::hex(&bw_ledger::sha256(&bytes)));
            }
            let store = open_for_write(g).await?;
            let action = Action::Done { item: id, evidence: digests, text };
            let idx = meetings::take(&store, &as_user(g, &user)?, action).await.map_err(refused)?;
            println!("action item {id} done (entry {idx})");
        }
        ActionCommand::Verify { id, user, text } => {
            let store = open_for_write(g).await?;
            let action = Action::Check { item: id, pass: true, text };
            let idx = meetings::take(&store, &as_user(g, &user)?, action).await.map_err(refused)?;
            println!("action item {id} verified (entry {idx})");
        }
        ActionCommand::Return { id, user, text } => {
            let store = open_for_write(g).await?;
            let action = Action::Check { item: id, pass: false, text };
            let idx = meetings::take(&store, &as_user(g, &user)?, action).await.map_err(refused)?;
            println!("action item {id} returned (entry {idx})");
        }
    }
    Ok(ExitCode::SUCCESS)
}
