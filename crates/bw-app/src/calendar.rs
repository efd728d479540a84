//! The working-day calendar as the installation knows it: the shipped years, plus years
//! loaded with `budgetwatch calendar import`, each load a journaled action.

use crate::Ctx;
use crate::journal::{ActionError, act};
use bw_core::Date;
use bw_core::action::Action;
use bw_core::calendar::{DayKind, SpecialDay, WorkCalendar, parse_calendar_csv};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

/// The shipped calendar with the stored years laid over it.
pub async fn load(store: &Store) -> Result<WorkCalendar, ActionError> {
    let mut cal = WorkCalendar::shipped();
    let years = sqlx::query("SELECT year FROM calendar_years").fetch_all(store.pool()).await?;
    let rows = sqlx::query("SELECT date, kind, name FROM calendar_days").fetch_all(store.pool()).await?;
    let mut days = Vec::new();
    for r in rows {
        let d: String = r.try_get(0)?;
        let k: String = r.try_get(1)?;
        days.push(SpecialDay {
            date: Date::parse(&d).map_err(|e| ActionError::Invalid(e.to_string()))?,
            kind: if k == "workday" { DayKind::Workday } else { DayKind::Holiday },
            name: r.try_get(2)?,
        });
    }
    for y in years {
        let year: i64 = y.try_get(0)?;
        let year = year as i32;
        cal.load_year(year, days.iter().filter(|d| d.date.year() == year).cloned().collect());
    }
    Ok(cal)
}

#[derive(serde::Serialize)]
struct LoadData {
    years: Vec<i32>,
    days: Vec<(String, &'static str, String)>,
}

/// Loads a calendar file in one journaled action; each year in it replaces what was known
/// of that year.
pub async fn import(store: &Store, ctx: &Ctx, file: &str, text: &str) -> Result<Vec<i32>, ActionError> {
    let days =
        parse_calendar_csv(text).map_err(|e| ActionError::Invalid(format!("{file}:{}: {}", e.line, e.message)))?;
    if days.is_empty() {
        return Err(ActionError::Invalid(format!("{file}: no days in the file")));
    }
    let mut years: Vec<i32> = days.iter().map(|d| d.date.year()).collect();
    years.sort_unstable();
    years.dedup();
    let data = LoadData {
        years: years.clone(),
        days: days
            .iter()
            .map(|d| {
                (d.date.to_string(), if d.kind == DayKind::Workday { "workday" } else { "holiday" }, d.name.clone())
            })
            .collect(),
    };
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("calendar import {file}"));
    let rows = data.days.clone();
    let ys = years.clone();
    act(store, ctx, Action::CalendarLoad, &reason, &data, async move |tx, idx| {
        for year in ys {
            let (start, end) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
            sqlx::query("DELETE FROM calendar_days WHERE date >= $1 AND date <= $2")
                .bind(start)
                .bind(end)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM calendar_years WHERE year = $1").bind(i64::from(year)).execute(&mut **tx).await?;
            sqlx::query("INSERT INTO calendar_years (year, journal_idx) VALUES ($1, $2)")
                .bind(i64::from(year))
                .bind(idx)
                .execute(&mut **tx)
                .await?;
        }
        for (d, k, n) in rows {
            sqlx::query("INSERT INTO calendar_days (date, kind, name, journal_idx) VALUES ($1, $2, $3, $4)")
                .bind(d)
                .bind(k)
                .bind(n)
                .bind(idx)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    })
    .await?;
    Ok(years)
}
