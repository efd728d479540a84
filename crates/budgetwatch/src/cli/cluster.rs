//! `budgetwatch cluster`: a national node over provinces (docs/SCALE.md).

use super::Global;
use anyhow::{Context as _, Result};
use bw_app::cluster::{Config, Province};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub(crate) enum ClusterCommand {
    /// Make the provinces' views (schema bw_national) and the national node's partitioned
    /// tables over them (postgres_fdw foreign partitions, async foreign scans); create the
    /// national witness key if absent and print it for the provinces to register.
    Init {
        #[arg(long)]
        config: PathBuf,
    },
    /// Each province's reachability, payments, journal size and the size the national
    /// witness cosigned; the national count through the partitions. Exit 3 when a province
    /// does not answer (the national count is then null, never a partial sum).
    Status {
        #[arg(long)]
        config: PathBuf,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Verify every province's journal (leaf hashes, tiles, checkpoints, every table rebuilt)
    /// against its log key and the national witness's record, and that its latest
    /// published checkpoint carries the national cosignature. Exit 0 only if all hold.
    Verify {
        #[arg(long)]
        config: PathBuf,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// One witness round now: cosign each province's published checkpoint once it is
    /// consistent with the one cosigned before.
    Cosign {
        #[arg(long)]
        config: PathBuf,
    },
    /// The execution report of a month or a quarter over every province, read through the
    /// partitions on the national node: the nation (000000 全国) above the provinces, or the
    /// part under --region. Fails, naming them, when provinces do not answer (exit 3).
    Report {
        #[arg(long)]
        config: PathBuf,
        #[command(flatten)]
        report: super::budget::ReportArgs,
    },
    /// Serve the national node: the national cockpit, drill-down and portal read through the
    /// provinces' partitions, payments forwarded to their province, witness rounds.
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// Where to listen (default: national.listen of the file).
        #[arg(long)]
        addr: Option<String>,
    },
}

pub(super) async fn dispatch(_g: &Global, command: ClusterCommand) -> Result<ExitCode> {
    match command {
        ClusterCommand::Init { config } => {
            let cfg = load(&config)?;
            let key = super::witness::load_or_create_key(&cfg.national.witness_key, Some(&cfg.national.witness_name))?;
            std::fs::create_dir_all(&cfg.national.state_dir)
                .with_context(|| format!("creating {}", cfg.national.state_dir.display()))?;
            let r = bw_app::cluster::init(&cfg).await?;
            println!(
                "national node ready: {} over the provinces {}",
                r.tables.iter().map(|t| format!("national.{t}")).collect::<Vec<_>>().join(", "),
                r.provinces.join(", ")
            );
            println!("the national witness's key; each province registers it once:");
            println!(
                "  budgetwatch --db PROVINCE_DB --key-file PROVINCE_KEY ledger add-witness {}",
                key.verifier_key()
            );
            Ok(ExitCode::SUCCESS)
        }
        ClusterCommand::Status { config, format } => {
            let cfg = load(&config)?;
            let s = bw_app::cluster::status(&cfg).await;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                for p in &s.provinces {
                    match (p.reachable, p.payments, p.journal_size, p.cosigned_size) {
                        (true, Some(n), Some(size), Some(cosigned)) => println!(
                            "{} {}: {n} payments, journal {size} entries, cosigned by the nation up to {cosigned}",
                            p.code, p.name
                        ),
                        _ => println!(
                            "{} {}: NOT REACHABLE ({})",
                            p.code,
                            p.name,
                            p.error.as_deref().unwrap_or("no answer")
                        ),
                    }
                }
                match s.national.payments {
                    Some(n) => println!("national: {n} payments through the partitions (complete)"),
                    None if !s.national.missing.is_empty() => {
                        println!("national: INCOMPLETE, missing {}", s.national.missing.join("、"))
                    }
                    None => println!(
                        "national: INCOMPLETE ({})",
                        s.national.error.as_deref().unwrap_or("the national database did not answer")
                    ),
                }
            }
            Ok(if s.national.complete { ExitCode::SUCCESS } else { ExitCode::from(3) })
        }
        ClusterCommand::Verify { config, format } => {
            let cfg = load(&config)?;
            let vkey = super::witness::load_or_create_key(&cfg.national.witness_key, None)?.verifier_key();
            let mut all = true;
            let mut out = Vec::new();
            for p in &cfg.provinces {
                let v = verify_province(&cfg, p, &vkey).await;
                all &= v.ok;
                if format != "json" {
                    println!("{} {}: {}", p.code, p.name, v.summary);
                    for f in v.failures.iter().take(10) {
                        println!("  {f}");
                    }
                }
                out.push(v);
            }
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "ok": all, "provinces": out }))?);
            } else {
                println!("{}", if all { "cluster verified" } else { "cluster verification FAILED" });
            }
            Ok(if all { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        ClusterCommand::Cosign { config } => {
            let cfg = load(&config)?;
            let mut all = true;
            for (p, r) in cfg.provinces.iter().zip(cosign_all(&cfg).await) {
                match r {
                    Ok(line) => println!("{} {}: {line}", p.code, p.name),
                    Err(e) => {
                        all = false;
                        println!("{} {}: {e:#}", p.code, p.name)
                    }
                }
            }
            Ok(if all { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        ClusterCommand::Report { config, report: super::budget::ReportArgs { period, region, format, out } } => {
            let cfg = load(&config)?;
            let period = bw_core::report::Period::parse(&period).map_err(|e| anyhow::anyhow!("--period: {e}"))?;
            super::budget::check_report_format(&format)?;
            let pool = bw_app::cluster::connect(&cfg.national.database).await.context("the national database")?;
            let report = crate::national::execution_report(&pool, &cfg, &period, region.as_deref()).await;
            pool.close().await;
            match report {
                Ok(report) => {
                    super::budget::write_execution_report(&report, &format, &out)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ crate::national::ReportError::Incomplete(_)) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(3))
                }
                Err(e) => Err(e.into()),
            }
        }
        ClusterCommand::Serve { config, addr } => {
            let cfg = load(&config)?;
            let addr = addr.unwrap_or_else(|| cfg.national.listen.clone());
            crate::national::serve(cfg, &addr).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load(path: &Path) -> Result<Config> {
    Ok(Config::load(path)?)
}

/// One witness round over every province, in the file's order.
pub(crate) async fn cosign_all(cfg: &Config) -> Vec<Result<String>> {
    let mut out = Vec::new();
    for p in &cfg.provinces {
        let state = cfg.state_file(&p.code);
        out.push(
            super::witness::run(super::witness::Options {
                server: &p.server,
                log_key: &p.log_key,
                key: &cfg.national.witness_key,
                state: &state,
                name: None,
            })
            .await,
        );
    }
    out
}

#[derive(serde::Serialize)]
struct ProvinceVerdict {
    code: String,
    ok: bool,
    summary: String,
    entries: u64,
    published_size: Option<i64>,
    cosigned_size: Option<i64>,
    failures: Vec<String>,
}

async fn verify_province(cfg: &Config, p: &Province, witness_vkey: &str) -> ProvinceVerdict {
    let mut v = ProvinceVerdict {
        code: p.code.clone(),
        ok: false,
        summary: String::new(),
        entries: 0,
        published_size: None,
        cosigned_size: None,
        failures: Vec::new(),
    };
    // Asked once first: a store's pool would wait a minute for a province that is down.
    if let Err(e) = bw_app::cluster::connect(&p.database).await {
        v.summary = format!("NOT REACHABLE: {e}");
        return v;
    }
    let store = match bw_store::Store::open(&p.database, false).await {
        Ok(s) => s,
        Err(e) => {
            v.summary = format!("NOT REACHABLE: {e}");
            return v;
        }
    };
    // What the nation cosigned last must still be in the province's log: a history
    // rewritten after it, even re-signed with the province's own key, does not extend it.
    let head = match bw_app::cluster::witnessed(cfg, &p.code) {
        Ok(h) => h,
        Err(e) => {
            v.summary = format!("FAILED: {e}");
            return v;
        }
    };
    let trust = bw_app::verify::Trust { key: p.log_key.clone(), witnesses: vec![witness_vkey.to_string()], head };
    let r = match bw_app::verify::verify(&store, &trust).await {
        Ok(r) => r,
        Err(e) => {
            v.summary = format!("FAILED: {e}");
            return v;
        }
    };
    v.entries = r.entries;
    v.failures = r.failures.iter().map(|f| f.to_string()).collect();
    match bw_app::cluster::published_and_cosigned(store.pool(), &cfg.national.witness_name).await {
        Ok((published, cosigned)) => {
            v.published_size = published;
            v.cosigned_size = cosigned;
            match (published, cosigned) {
                (None, _) => v.failures.push("no checkpoint published for witnesses".into()),
                (Some(p), c) if c != Some(p) => v.failures.push(format!(
                    "the latest published checkpoint ({p} entries) carries no national cosignature (cosigned up to {})",
                    c.unwrap_or(0)
                )),
                _ => {}
            }
        }
        Err(e) => v.failures.push(format!("reading the checkpoints: {e}")),
    }
    store.pool().close().await;
    v.ok = r.ok && v.failures.is_empty();
    v.summary = if v.ok {
        format!(
            "verified: {} entries, root {}, the latest published checkpoint ({} entries) cosigned by the nation",
            r.entries,
            r.root,
            v.published_size.unwrap_or(0)
        )
    } else {
        format!("FAILED: {} problems", v.failures.len())
    };
    v
}

/// `export parquet DIR [--year Y]`.
pub(super) async fn export(g: &Global, command: super::ExportCommand) -> Result<ExitCode> {
    let super::ExportCommand::Parquet { dir, year } = command;
    let store = super::open(g).await?;
    let year = match year {
        Some(y) => y,
        None => bw_columnar::latest_year(&store)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no indicators: nothing to export (give --year)"))?,
    };
    let started = std::time::Instant::now();
    let m = bw_columnar::export_year(&store, year, &dir).await?;
    let rows: Vec<String> = m.rows.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!(
        "{}: {} {} {year}: {} ({:.1} s)",
        dir.display(),
        m.province,
        m.name,
        rows.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The year of the folders (they must agree) and the as-of day: `--as-of`, else the year's
/// last day.
fn parquet_year(national: &bw_columnar::National) -> Result<i32> {
    let mut years: Vec<i32> = national.manifests.iter().map(|m| m.year).collect();
    years.dedup();
    match years.as_slice() {
        [y] => Ok(*y),
        _ => anyhow::bail!("the folders hold different years ({years:?}): one year at a time"),
    }
}

/// `audit --parquet DIR…`: every test of each province over its own files, by its own
/// thresholds (as the province's own `audit` finds them), then the tests only the nation
/// can run.
pub(super) async fn audit_parquet(dirs: &[PathBuf], run: &super::audit::AuditRun) -> Result<Vec<bw_audit::Finding>> {
    let national = bw_columnar::National::open(dirs).await?;
    let year = parquet_year(&national)?;
    let as_of = match &run.as_of {
        Some(d) => super::parse_date(d)?,
        None => bw_core::Date::from_ymd(year, 12, 31).ok_or_else(|| anyhow::anyhow!("year {year}"))?,
    };
    let policy = match &run.policy {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            bw_audit::text::Policy::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => bw_audit::text::Policy::shipped(),
    };
    let started = std::time::Instant::now();
    let mut findings = Vec::new();
    let mut counts = Vec::new();
    let first = bw_core::Date::from_ymd(year, 1, 1).ok_or_else(|| anyhow::anyhow!("year {year}"))?;
    for m in &national.manifests {
        let payments = national.payments(&m.province, first, as_of).await?;
        let n = payments.len();
        // Erased personal values match nobody, as in the province's own run.
        let staff = national.staff(&m.province).await?.into_iter().map(bw_app::personal::matchable).collect();
        let data = bw_audit::Data {
            year,
            as_of: Some(as_of),
            payments,
            indicators: national.indicators(&m.province).await?,
            revenues: national.revenue_months(&m.province, as_of).await?,
            staff,
        };
        // The province's own thresholds; no open warnings (they weigh in the ranking only).
        let settings = bw_app::settings::Snapshot::from_map(m.settings.clone());
        let (params, weights) = bw_app::audit::params(&settings, year);
        let units = national.unit_codes(&m.province).await?;
        let report = bw_app::audit::run_data(&data, &params, &weights, &policy, units, &[]);
        counts.push(format!("{} {}: {n} payments, {} findings", m.province, m.name, report.findings.len()));
        findings.extend(report.findings.into_iter().map(|f| f.with("province", serde_json::json!(m.province))));
    }
    let cross = national.cross_province_invoices().await?;
    counts.push(format!("across provinces: {} findings", cross.len()));
    findings.extend(cross);
    eprintln!(
        "audited {} provinces' Parquet as of {as_of} ({:.1} s): {}",
        national.manifests.len(),
        started.elapsed().as_secs_f64(),
        counts.join("; ")
    );
    Ok(findings)
}

/// `report execution --parquet DIR…`: the execution report over the provinces' files, the
/// nation above them (or the region given).
pub(super) async fn execution_parquet(
    dirs: &[PathBuf],
    period: &bw_core::report::Period,
    region: Option<&str>,
) -> Result<bw_app::report::ExecutionReport> {
    let national = bw_columnar::National::open(dirs).await?;
    let year = parquet_year(&national)?;
    if year != period.year {
        anyhow::bail!("--period: the folders hold {year}, not {}", period.year);
    }
    let tree = national.org_tree().await?;
    let key = |m: u32| format!("{year:04}-{m:02}");
    let lines = national.execution_lines(year, &key(period.first_month), &key(period.last_month)).await?;
    let root = region.unwrap_or(bw_columnar::NATION.0).to_string();
    let rows = bw_core::report::execution(&tree, &root, &lines, period).map_err(|e| anyhow::anyhow!("{e}"))?;
    let region_name = tree.get(&root).map(|n| n.name.clone()).unwrap_or_default();
    Ok(bw_app::report::ExecutionReport { period: *period, region_code: root, region_name, rows })
}
