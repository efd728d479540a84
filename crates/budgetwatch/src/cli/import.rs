//! Importing files (with their progress and report), the templates, the demo data and the demo.

use super::*;

/// A progress bar on stderr for large files; hidden when stderr is not a terminal.
pub(super) fn progress_bar(len: u64) -> indicatif::ProgressBar {
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
    let opts = ImportOptions { allow_extra, errors_max, progress: Some(&progress), outcomes: false, resident: false };
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
                        (0, 0) => String::new(),
                        (0, h) => format!(", {h} payments held"),
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

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::Import { kind, file, allow_extra } => {
            let kind = parse_kind(&kind)?;
            let store = open_for_write(g).await?;
            if !import_one(&store, &ctx(g)?, kind, &file, allow_extra, false).await? {
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
        Command::DemoData { seed, payments, year, out, history, province } => {
            let started = std::time::Instant::now();
            let from = match history.as_deref() {
                None => None,
                Some(h) => {
                    let (from, to) = h
                        .split_once("..")
                        .and_then(|(a, b)| Some((a.trim().parse::<i32>().ok()?, b.trim().parse::<i32>().ok()?)))
                        .with_context(|| format!("--history: FROM..TO, e.g. 2021..{year}, not {h:?}"))?;
                    if to != year || from >= to {
                        bail!(
                            "--history: FROM..TO ends with the data set's year ({year}) and starts before it, not {h:?}"
                        );
                    }
                    Some(from)
                }
            };
            let s = bw_app::demo::generate(&bw_app::demo::DemoOptions { seed, payments, year, province }, &out)?;
            let history = from.map(|from| bw_app::demo::history::write(&out, from, year, seed)).transpose()?;
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
            if let Some(h) = history {
                eprintln!(
                    "and the years {}..{}: {} indicators, {} payments, {} revenue targets, {} revenues, {} macro indicators (planted: history.json)",
                    h.from, h.to, h.indicators, h.payments, h.revenue_targets, h.revenues, h.macro_indicators
                );
            }
        }
        Command::Demo { addr, data, payments, seed, no_serve, no_scene, scene: _, accounts_unit } => {
            let scene = !no_scene;
            if !data.join("ground_truth.json").exists() {
                eprintln!("generating the demo data set ({payments} payments) in {} …", data.display());
                bw_app::demo::generate(
                    &bw_app::demo::DemoOptions { seed, payments, year: 2025, ..Default::default() },
                    &data,
                )?;
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
                let head = head_path(&key_path(g)?);
                if head.exists() {
                    std::fs::remove_file(&head).with_context(|| format!("removing {}", head.display()))?;
                }
            }
            let store = open_for_write(g).await?;
            let c = Ctx { reason: Some(DEMO_REASON.into()), ..ctx(g)? };
            for kind in Kind::ALL {
                let file = data.join(format!("{}.csv", kind.as_str()));
                if !import_one(&store, &c, kind, &file, false, false).await? {
                    bail!("the demo data in {} did not import", data.display());
                }
            }
            // Reviews closed before: the case knowledge base's history.
            let reviews = data.join("reviews.json");
            if reviews.exists() {
                let n = super::review::import_reviews(&store, &c, &reviews).await?;
                println!("{n} earlier reviews imported as cases");
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
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
