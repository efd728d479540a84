//! The warnings' loop, response tasks, held payments, emergencies and the rules.

use super::*;

#[derive(Subcommand)]
pub(super) enum RulesCommand {
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

#[derive(Subcommand)]
pub(super) enum TaskCommand {
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
pub(super) enum PaymentCommand {
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
pub(super) enum EmergencyCommand {
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
pub(super) enum WarningCommand {
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

/// A step of a warning's loop from the command line.
pub(super) async fn warning_step(g: &Global, command: WarningCommand) -> Result<ExitCode> {
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

/// Warnings as a JSON array, or one line each.
pub(super) fn print_warnings(format: &str, warnings: &[bw_app::monitor::Warning]) -> Result<()> {
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(warnings)?),
        "text" => {
            for w in warnings {
                let subject = [&w.unit_code, &w.indicator_code, &w.region_code, &w.revenue_code]
                    .iter()
                    .filter_map(|s| s.as_deref())
                    .collect::<Vec<_>>()
                    .join("/");
                let rule = match bw_rules::Rule::parse(&w.rule) {
                    Some(r) => r.zh(),
                    None => {
                        bw_app::monitor::other_warning_name(&w.rule).unwrap_or_else(|| bw_audit::Finding::zh(&w.rule))
                    }
                };
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

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::Check { as_of, format } => {
            let as_of = match as_of {
                Some(d) => parse_date(&d)?,
                None => crate::clock::today(),
            };
            let store = open_for_write(g).await?;
            let r = bw_app::monitor::check(&store, &ctx(g)?, as_of).await?;
            let mut rerated = match r.risks_rerated {
                0 => String::new(),
                n => format!(", {n} risks re-rated by their key indicators"),
            };
            if r.risks_proposed > 0 {
                rerated.push_str(&format!(", {} risks proposed (budgetwatch risk proposals)", r.risks_proposed));
            }
            eprintln!(
                "checked as of {as_of}: {} raised, {} updated, {} unchanged, {} escalated, {} withdrawn, {} emergency cases opened{rerated}",
                r.raised, r.updated, r.unchanged, r.escalated, r.withdrawn, r.emergencies
            );
            let warnings = bw_app::monitor::open_warnings(&store, Some(as_of.year())).await?;
            print_warnings(&format, &warnings)?;
        }
        Command::Warning { command } => {
            let store = open(g).await?;
            match command {
                WarningCommand::List { year, party, format } => {
                    let mut warnings = bw_app::monitor::open_warnings(&store, year).await?;
                    if let Some(p) = party {
                        warnings.retain(|w| w.parties.contains(&p));
                    }
                    print_warnings(&format, &warnings)?;
                }
                WarningCommand::Inquire { id, text, workdays } => {
                    let store = open_for_write(g).await?;
                    let n = bw_app::monitor::inquire(&store, &ctx(g)?, id, &text, workdays).await?;
                    println!("inquiry {n} sent on warning {id}");
                }
                WarningCommand::Answer { inquiry, text } => {
                    let store = open_for_write(g).await?;
                    bw_app::monitor::answer(&store, &ctx(g)?, inquiry, &text).await?;
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
                other => return warning_step(g, other).await,
            }
        }
        Command::Rules { command: RulesCommand::List { year, format } } => {
            let store = open(g).await?;
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
            let store = open(g).await?;
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
        Command::Task { command: TaskCommand::List { party, all, format } } => {
            let store = open(g).await?;
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
            let store = open_for_write(g).await?;
            bw_app::monitor::task_done(&store, &ctx(g)?, id, &text).await?;
            println!("task {id}: done");
        }
        Command::Payment { command: PaymentCommand::Held { all, format } } => {
            let store = open(g).await?;
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
            let store = open_for_write(g).await?;
            let to = bw_app::hold::decide(&store, &ctx(g)?, &unit, &voucher, true, &text).await?;
            println!("payment {voucher} of {unit}: {to}");
        }
        Command::Payment { command: PaymentCommand::Reject { unit, voucher, text } } => {
            let store = open_for_write(g).await?;
            let to = bw_app::hold::decide(&store, &ctx(g)?, &unit, &voucher, false, &text).await?;
            println!("payment {voucher} of {unit}: {to}");
        }
        Command::Emergency { command } => {
            let store = open_for_write(g).await?;
            let c = ctx(g)?;
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
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
