//! Informal communications (非正式沟通记录) from the command line: `informal record` (the
//! time it is run is the time recorded) and `informal list`.

use super::*;
use bw_core::informal::{Channel, Purpose, Record};

#[derive(Subcommand)]
pub(super) enum InformalCommand {
    /// Records a consultation or pre-communication about a budget item, by the acting user
    /// (the initiator); recorded more than 24 hours after --occurred, it is marked late.
    Record {
        /// When it happened, RFC 3339 with its offset (2026-03-02T09:00:00+08:00).
        #[arg(long)]
        occurred: String,
        /// phone, wechat, meeting, visit, email or other (电话, 微信, 面谈, 走访, 邮件, 其他)
        #[arg(long)]
        channel: String,
        /// Who took part, separated by ;
        #[arg(long)]
        participants: String,
        /// consultation or pre_communication (咨询, 预沟通) — never a decision
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        conclusion: String,
        /// The indicator concerned (with --year)
        #[arg(long)]
        indicator: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        /// The project concerned
        #[arg(long)]
        project: Option<String>,
    },
    /// The records, newest first, each with `late`.
    List {
        /// Only those recorded by this user
        #[arg(long)]
        by: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
}

/// An RFC 3339 instant with any offset, as whole seconds.
fn instant(s: &str) -> Result<bw_core::Timestamp> {
    bw_app::zone::parse_instant(s)
        .with_context(|| format!("--occurred: an RFC 3339 time with its offset (2026-03-02T09:00:00+08:00), not {s:?}"))
}

pub(super) async fn dispatch(g: &Global, command: InformalCommand) -> Result<ExitCode> {
    match command {
        InformalCommand::Record { occurred, channel, participants, purpose, conclusion, indicator, year, project } => {
            let refused = |e: bw_core::informal::InformalError| anyhow::anyhow!("{e} ({})", e.code());
            let record = Record {
                occurred_at: instant(&occurred)?,
                recorded_at: bw_core::Timestamp(0),
                recorded_by: String::new(),
                channel: Channel::parse(&channel).map_err(refused)?,
                participants: participants.split(';').map(str::to_string).collect(),
                purpose: Purpose::parse(&purpose).map_err(refused)?,
                conclusion,
                year,
                indicator_code: indicator,
                project_code: project,
            };
            let store = open_for_write(g).await?;
            let (id, late) = bw_app::informal::record(&store, &ctx(g)?, record).await?;
            println!("informal record {id}{}", if late { ": late (recorded more than 24 hours after)" } else { "" });
        }
        InformalCommand::List { by, format } => {
            let records = bw_app::informal::list(&open(g).await?, by.as_deref()).await?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&records)?);
            } else {
                for s in &records {
                    let r = &s.record;
                    let item = match (&r.indicator_code, r.year, &r.project_code) {
                        (Some(i), Some(y), _) => format!("{y}/{i}"),
                        (_, _, Some(p)) => p.clone(),
                        _ => String::new(),
                    };
                    println!(
                        "{:>6} {} {:<10} {:<17} {:<16} {}{} — {}",
                        s.id,
                        crate::clock::local_time(r.occurred_at),
                        r.channel.zh(),
                        r.purpose.zh(),
                        item,
                        r.participants.join("、"),
                        if s.late { format!(" [迟报 {} 小时]", s.hours_after) } else { String::new() },
                        r.conclusion
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
