//! Informal communications (非正式沟通记录): each recorded by its initiator as one journaled
//! action (`informal.record`), checked by `bw_core::informal` (never a decision, no account or
//! ID number) and against the budget (the indicator or project concerned exists); the time
//! recorded is the caller's clock (`Ctx::at`), so lateness is the system's judgement.

use bw_core::Timestamp;
use bw_core::action::Action;
use bw_core::informal::{InformalError, Record};
use bw_store::Store;

use crate::Ctx;
use crate::journal::{ActionError, act};

/// Why a record was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{0} ({code})", code = .0.code())]
    Refused(InformalError),
    #[error(transparent)]
    Action(#[from] ActionError),
}

/// The columns of `informal_records` as text, as `verify` compares them (`NULL` for none).
pub fn row(id: i64, r: &Record) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    vec![
        id.to_string(),
        r.occurred_at.to_string(),
        r.recorded_at.to_string(),
        r.recorded_by.clone(),
        r.channel.id().to_string(),
        serde_json::to_string(&r.participants).unwrap_or_default(),
        r.purpose.id().to_string(),
        r.conclusion.clone(),
        r.year.map_or_else(|| "NULL".into(), |y| y.to_string()),
        opt(&r.indicator_code),
        opt(&r.project_code),
        i64::from(r.late()).to_string(),
        id.to_string(),
    ]
}

/// Records `r` (its `recorded_at` and `recorded_by` are the context's): its id (the journal
/// index) and whether it is late.
pub async fn record(store: &Store, ctx: &Ctx, mut r: Record) -> Result<(i64, bool), RecordError> {
    r.recorded_at = ctx.at;
    r.recorded_by = ctx.actor.clone();
    r.participants = r.participants.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    r.conclusion = r.conclusion.trim().to_string();
    r.check().map_err(RecordError::Refused)?;
    // The item exists when it has a unit: the indicator of that year, or the project.
    if unit_of(store, &r).await?.is_none() {
        let e = match (&r.indicator_code, r.year, &r.project_code) {
            (Some(code), Some(year), _) => InformalError::UnknownItem("indicator", format!("{year}/{code}")),
            (_, _, Some(code)) => InformalError::UnknownItem("project", code.clone()),
            _ => InformalError::NoItem,
        };
        return Err(RecordError::Refused(e));
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| Action::InformalRecord.to_string());
    let (data, late) = (r.clone(), r.late());
    let idx = act(store, ctx, Action::InformalRecord, &reason, &data, async move |tx, idx| {
        let cells = row(idx, &r);
        bw_store::sqlx::query(
            "INSERT INTO informal_records (id, occurred_at, recorded_at, recorded_by, channel, participants, purpose, \
             conclusion, year, indicator_code, project_code, late, journal_idx) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $1)",
        )
        .bind(idx)
        .bind(cells[1].clone())
        .bind(cells[2].clone())
        .bind(cells[3].clone())
        .bind(cells[4].clone())
        .bind(cells[5].clone())
        .bind(cells[6].clone())
        .bind(cells[7].clone())
        .bind(r.year)
        .bind(r.indicator_code.clone())
        .bind(r.project_code.clone())
        .bind(i64::from(r.late()))
        .execute(&mut **tx)
        .await?;
        Ok(())
    })
    .await?;
    Ok((idx, late))
}

/// A stored record with its id and whether it was late.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stored {
    pub id: i64,
    #[serde(flatten)]
    pub record: Record,
    pub late: bool,
    /// Hours between its happening and its recording, to the tenth.
    pub hours_after: f64,
    /// The unit whose budget item it concerns.
    pub unit_code: Option<String>,
}

/// The unit whose budget the record's item is (the indicator's or the project's unit).
pub async fn unit_of(store: &Store, r: &Record) -> Result<Option<String>, ActionError> {
    let pool = store.pool();
    Ok(match (&r.indicator_code, r.year, &r.project_code) {
        (Some(i), Some(y), _) => bw_store::sqlx::query_as::<_, (String,)>(
            "SELECT unit_code FROM indicators WHERE year = $1 AND indicator_code = $2",
        )
        .bind(y)
        .bind(i)
        .fetch_optional(pool)
        .await?
        .map(|r| r.0),
        (_, _, Some(p)) => {
            bw_store::sqlx::query_as::<_, (String,)>("SELECT unit_code FROM projects WHERE project_code = $1")
                .bind(p)
                .fetch_optional(pool)
                .await?
                .map(|r| r.0)
        }
        _ => None,
    })
}

/// The records, newest first; `by` limits them to one recorder's.
pub async fn list(store: &Store, by: Option<&str>) -> Result<Vec<Stored>, ActionError> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<i32>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    // The item's unit in the same read: the indicator's, else the project's.
    let stored: Vec<Row> = bw_store::sqlx::query_as(
        "SELECT r.id, r.occurred_at, r.recorded_at, r.recorded_by, r.channel, r.participants, r.purpose, r.conclusion, \
         r.year, r.indicator_code, r.project_code, COALESCE(i.unit_code, p.unit_code) FROM informal_records r \
         LEFT JOIN indicators i ON i.year = r.year AND i.indicator_code = r.indicator_code \
         LEFT JOIN projects p ON p.project_code = r.project_code ORDER BY r.id DESC",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for (
        id,
        occurred,
        recorded,
        recorded_by,
        channel,
        participants,
        purpose,
        conclusion,
        year,
        indicator,
        project,
        unit_code,
    ) in stored
    {
        if by.is_some_and(|b| b != recorded_by) {
            continue;
        }
        let bad = |what: &str| ActionError::Invalid(format!("informal record {id}: {what}"));
        let record = Record {
            occurred_at: Timestamp::parse(&occurred).ok_or_else(|| bad("occurred_at"))?,
            recorded_at: Timestamp::parse(&recorded).ok_or_else(|| bad("recorded_at"))?,
            recorded_by,
            channel: bw_core::informal::Channel::parse(&channel).map_err(|_| bad("channel"))?,
            participants: serde_json::from_str(&participants).map_err(|_| bad("participants"))?,
            purpose: bw_core::informal::Purpose::parse(&purpose).map_err(|_| bad("purpose"))?,
            conclusion,
            year,
            indicator_code: indicator,
            project_code: project,
        };
        let late = record.late();
        let hours_after = ((record.recorded_at.0 - record.occurred_at.0) as f64 / 360.0).round() / 10.0;
        out.push(Stored { id, record, late, hours_after, unit_code });
    }
    Ok(out)
}
