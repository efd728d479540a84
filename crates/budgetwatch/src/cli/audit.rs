//! The audit analytics.

use super::*;

#[derive(Args, Clone)]
pub(super) struct AuditRun {
    /// The day the audit looks from (default today; when the database holds no payment of
    /// today's year, December 31 of the latest year that has payments).
    #[arg(long)]
    pub(super) as_of: Option<String>,
    /// text or json
    #[arg(long, default_value = "text")]
    pub(super) format: String,
    /// A policy library (JSON) for the text checks instead of the shipped one.
    #[arg(long)]
    pub(super) policy: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(super) enum AuditCommand {
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

/// The as-of day of an audit command: `--as-of`, else the ground truth's, else today —
/// or December 31 of the latest year with payments when today's year has none.
pub(super) async fn audit_as_of(store: &Store, run: &AuditRun, truth: Option<&str>) -> Result<Date> {
    if let Some(d) = run.as_of.as_deref().or(truth) {
        return parse_date(d);
    }
    let today = crate::clock::today();
    Ok(bw_app::audit::default_as_of(store, today).await?)
}

pub(super) async fn audit_report(
    store: &Store,
    run: &AuditRun,
    truth: Option<&str>,
) -> Result<bw_app::audit::AuditReport> {
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

/// Audit findings as a JSON array, or one line each.
pub(super) fn print_findings(format: &str, findings: &[bw_audit::Finding]) -> Result<()> {
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

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::Audit { command: None, run, parquet } if !parquet.is_empty() => {
            let findings = super::cluster::audit_parquet(&parquet, &run).await?;
            print_findings(&run.format, &findings)?;
        }
        Command::Audit { command: None, run, .. } => {
            let store = open_for_write(g).await?;
            let report = audit_report(&store, &run, None).await?;
            let inbox = bw_app::audit::record(&store, &ctx(g)?, &report).await?;
            let opened = bw_app::audit::open_cases(&store, &ctx(g)?, &report).await?;
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
            let store = open_for_write(g).await?;
            let report = audit_report(&store, &run, None).await?;
            let opened = bw_app::audit::open_cases(&store, &ctx(g)?, &report).await?;
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
            let store = open(g).await?;
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
            let store = open(g).await?;
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
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
