//! The working-day calendar and the settings.

use super::*;

#[derive(Subcommand)]
pub(super) enum CalendarCommand {
    /// Print today's date in the installation's time zone (the setting clock.time_zone,
    /// default Asia/Shanghai), whatever the machine's TZ.
    Today,
    /// Print true if DATE is a working day, else false.
    IsWorkday { date: String },
    /// Print the date N working days after DATE (N=0: DATE if a working day, else the next).
    AddWorkdays { date: String, n: u32 },
    /// Load holiday data from a CSV file (date,kind,name); each year in it replaces the known one.
    Import { file: PathBuf },
    /// List the holidays and make-up working days of YEAR.
    List { year: i32 },
}

#[derive(Subcommand)]
pub(super) enum SettingCommand {
    List,
    Get {
        #[arg(value_name = "KEY")]
        name: String,
        /// The value in force for this fiscal year (rule settings may differ by year).
        #[arg(long)]
        year: Option<i32>,
    },
    Set {
        #[arg(value_name = "KEY")]
        name: String,
        value: String,
        /// Set a rule setting for this fiscal year only.
        #[arg(long)]
        year: Option<i32>,
    },
}

pub(super) async fn calendar(g: &Global, command: CalendarCommand) -> Result<ExitCode> {
    // Reading the calendar needs no database; stored years are used when one exists.
    let cal = match Store::open(&g.db, false).await {
        Ok(store) => {
            crate::clock::load_zone(&store).await?;
            bw_app::calendar::load(&store).await?
        }
        Err(bw_store::StoreError::Missing { .. }) => bw_core::calendar::WorkCalendar::shipped(),
        Err(e) => return Err(e.into()),
    };
    let warn = |y: Option<i32>| {
        if let Some(y) = y {
            eprintln!(
                "warning: no holiday data for {y}; answered from weekends alone (load it with `budgetwatch calendar import FILE`)"
            );
        }
    };
    match command {
        CalendarCommand::Today => println!("{}", crate::clock::today()),
        CalendarCommand::IsWorkday { date } => {
            let a = cal.is_workday(parse_date(&date)?);
            warn(a.unknown_year);
            println!("{}", a.value);
        }
        CalendarCommand::AddWorkdays { date, n } => {
            let a = cal.add_workdays(parse_date(&date)?, n);
            warn(a.unknown_year);
            println!("{}", a.value);
        }
        CalendarCommand::Import { file } => {
            let store = open_for_write(g).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not valid UTF-8", file.display()))?;
            let years = bw_app::calendar::import(&store, &ctx(g)?, &file.display().to_string(), &text).await?;
            let ys: Vec<String> = years.iter().map(i32::to_string).collect();
            println!("loaded holiday data for {}", ys.join(", "));
        }
        CalendarCommand::List { year } => {
            if !cal.known_years().contains(&year) {
                warn(Some(year));
            }
            for d in cal.special_days(year) {
                let kind = match d.kind {
                    bw_core::calendar::DayKind::Holiday => "holiday",
                    bw_core::calendar::DayKind::Workday => "workday",
                };
                println!("{},{},{}", d.date, kind, d.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::Calendar { command } => return calendar(g, command).await,
        Command::Setting { command } => {
            let store = open(g).await?;
            match command {
                SettingCommand::List => {
                    for s in bw_app::settings::list(&store).await? {
                        println!("{} = {}\t(default {}; {})", s.key, s.value, s.default, s.about);
                    }
                }
                SettingCommand::Get { name, year: None } => println!("{}", bw_app::settings::get(&store, &name).await?),
                SettingCommand::Get { name, year: Some(y) } => {
                    println!("{}", bw_app::settings::get_for_year(&store, &name, y).await?)
                }
                SettingCommand::Set { name, value, year } => {
                    let store = open_for_write(g).await?;
                    let name = match year {
                        Some(y) => format!("{name}@{y:04}"),
                        None => name,
                    };
                    let v = bw_app::settings::set(&store, &ctx(g)?, &name, &value).await?;
                    println!("{name} = {v}");
                }
            }
        }
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
