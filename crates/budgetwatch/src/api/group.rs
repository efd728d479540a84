//! Group commit of single payments (`POST /api/v1/payments`). Requests that arrive together
//! wait in one bounded queue; a committer task takes what is queued (up to
//! `ingest.group_max`, waiting at most `ingest.group_wait_ms` for more), imports it per
//! sender as one file — one transaction, one signed checkpoint — and answers each request
//! with its own outcome once the commit is durable. A record refused by validation is
//! answered with its refusal and taken out; the rest are decided again without it, in
//! arrival order, so a refusal never depends on what else arrived. A full queue is 503 with
//! `Retry-After`: nothing is accepted that could be lost.

use super::{App, IngestReport, Problem, Refusals, cell_text, import_records, refused};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bw_app::import::RowOutcome;
use bw_core::template::Kind;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

type Record = serde_json::Map<String, serde_json::Value>;

/// One posted payment waiting for its group.
pub(crate) struct Job {
    ctx: bw_app::Ctx,
    record: Record,
    reply: oneshot::Sender<Result<Response, Problem>>,
}

/// Payments queued at most; beyond, a request is answered 503.
const QUEUE_MAX: usize = 20_000;

/// Queues one payment (already checked against the caller's permissions) and waits for its
/// answer.
pub(crate) async fn submit(app: &App, ctx: bw_app::Ctx, record: Record) -> Result<Response, Problem> {
    let queue = app.group.get_or_init(|| {
        let (tx, rx) = mpsc::channel(QUEUE_MAX);
        tokio::spawn(run(app.clone(), rx));
        tx
    });
    let (reply, answer) = oneshot::channel();
    if let Err(e) = queue.try_send(Job { ctx, record, reply }) {
        return Err(match e {
            mpsc::error::TrySendError::Full(_) => Problem::refusal(
                bw_core::refusal::Code::Busy,
                "too many payments are waiting to be recorded: send this one again in a second (Retry-After)",
            ),
            mpsc::error::TrySendError::Closed(_) => Problem::internal("the payment committer stopped"),
        });
    }
    answer.await.map_err(|_| Problem::internal("the payment committer stopped"))?
}

/// A record's field as the import reads it (trimmed text).
fn field(r: &Record, name: &str) -> String {
    r.get(name).map(cell_text).unwrap_or_default().trim().to_string()
}

async fn setting(app: &App, key: &str, default: usize) -> usize {
    bw_app::settings::get(&app.store, key).await.ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The committer: one group at a time, in arrival order.
async fn run(app: App, mut rx: mpsc::Receiver<Job>) {
    // A payment sent again while its first copy waits goes to the next group: in one file
    // the second copy would be refused as a duplicate row, sent later it is "unchanged".
    let mut carried: std::collections::VecDeque<Job> = std::collections::VecDeque::new();
    loop {
        let first = match carried.pop_front() {
            Some(j) => j,
            None => match rx.recv().await {
                Some(j) => j,
                None => return,
            },
        };
        let max = setting(&app, "ingest.group_max", 1000).await.max(1);
        let wait = std::time::Duration::from_millis(setting(&app, "ingest.group_wait_ms", 2).await as u64);
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen =
            std::collections::HashSet::from([(field(&first.record, "voucher_no"), field(&first.record, "unit_code"))]);
        let mut jobs = vec![first];
        let mut later = Vec::new();
        while jobs.len() < max {
            let next = match carried.pop_front() {
                Some(j) => j,
                None => match rx.try_recv() {
                    Ok(j) => j,
                    Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(j)) => j,
                        _ => break,
                    },
                },
            };
            if seen.insert((field(&next.record, "voucher_no"), field(&next.record, "unit_code"))) {
                jobs.push(next);
            } else {
                later.push(next);
            }
        }
        carried.extend(later);
        // One import per sender: the journal records who sent each payment.
        while !jobs.is_empty() {
            let actor = jobs[0].ctx.actor.clone();
            let (mine, rest): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|j| j.ctx.actor == actor);
            jobs = rest;
            commit(&app, mine).await;
        }
    }
}

/// Imports `jobs` as one file and answers each; refused records are answered and the rest
/// imported again without them.
async fn commit(app: &App, mut jobs: Vec<Job>) {
    while !jobs.is_empty() {
        let records: Vec<Record> = jobs.iter().map(|j| j.record.clone()).collect();
        let ctx = jobs[0].ctx.clone();
        match import_records(app, ctx, Kind::Payments, &records, "request").await {
            Err(p) => {
                for j in jobs {
                    let _ = j.reply.send(Err(p.clone()));
                }
                return;
            }
            Ok(Ok(report)) => {
                answer(app, jobs, report).await;
                return;
            }
            Ok(Err((errors, more))) => {
                let n = jobs.len();
                // A refusal not of one record (none is expected of a file this program
                // wrote), or a record alone: answered as it is.
                if n == 1 || errors.iter().any(|e| e.0 == 0 || e.0 as usize > n) {
                    if n == 1 {
                        let j = jobs.remove(0);
                        let _ = j.reply.send(Err(refused(errors, more)));
                        return;
                    }
                    // Each record on its own, then.
                    for j in jobs {
                        Box::pin(commit(app, vec![j])).await;
                    }
                    return;
                }
                let mut by_record: Vec<Refusals> = vec![Vec::new(); n];
                for (row, field, code, message) in errors {
                    by_record[row as usize - 1].push((1, field, code, message));
                }
                let mut kept = Vec::new();
                for (j, errs) in jobs.into_iter().zip(by_record) {
                    if errs.is_empty() {
                        kept.push(j);
                    } else {
                        let _ = j.reply.send(Err(refused(errs, 0)));
                    }
                }
                jobs = kept;
            }
        }
    }
}

/// Answers each job of a committed group with its own outcome: added or unchanged (already
/// recorded with the same content), held, its notes and the warnings that name it.
async fn answer(app: &App, jobs: Vec<Job>, report: bw_app::import::ImportReport) {
    let key = field;
    // The import reports each record's outcome by its row: record n is row n.
    let outcome: HashMap<u64, RowOutcome> = report.outcomes.iter().copied().collect();
    let raised = bw_app::browse::warnings_between(&app.store, report.journal_first, report.journal_end)
        .await
        .unwrap_or_default();
    // Indexed once for the group: a warning about payments names each of them, one about
    // an indicator as a whole (no vouchers) concerns every payment on it.
    let mut naming: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut whole: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, w) in raised.iter().enumerate() {
        let vouchers = w.vouchers.as_array().map(Vec::as_slice).unwrap_or_default();
        for v in vouchers.iter().filter_map(|v| v.as_str()) {
            naming.entry(v).or_default().push(k);
        }
        if let (true, Some(code)) = (vouchers.is_empty(), w.indicator_code.as_deref()) {
            whole.entry(code).or_default().push(k);
        }
    }
    // Notes name their record: "request:N: …".
    let mut notes_of: HashMap<usize, Vec<String>> = HashMap::new();
    for n in &report.warnings {
        if let Some((row, rest)) = n.strip_prefix("request:").and_then(|r| r.split_once(':'))
            && let Ok(row) = row.parse::<usize>()
        {
            notes_of.entry(row).or_default().push(format!("request:1:{rest}"));
        }
    }
    for (i, j) in jobs.into_iter().enumerate() {
        let (voucher, unit, indicator) =
            (key(&j.record, "voucher_no"), key(&j.record, "unit_code"), key(&j.record, "indicator_code"));
        let status = outcome.get(&(i as u64 + 1)).copied().unwrap_or(RowOutcome::Unchanged);
        let notes = notes_of.remove(&(i + 1)).unwrap_or_default();
        let mut mine: Vec<usize> = naming.get(voucher.as_str()).into_iter().flatten().copied().collect();
        mine.extend(whole.get(indicator.as_str()).into_iter().flatten().copied());
        mine.sort_unstable();
        mine.dedup();
        let warnings = mine
            .into_iter()
            .map(|k| &raised[k])
            .filter(|w| w.unit_code.as_deref().is_none_or(|u| u == unit))
            .cloned()
            .collect();
        let added = u64::from(status != RowOutcome::Unchanged);
        let r = IngestReport {
            rows: 1,
            added,
            unchanged: 1 - added,
            held: usize::from(status == RowOutcome::Held),
            batch: report.batch,
            notes,
            warnings,
        };
        let code = if added == 1 { StatusCode::CREATED } else { StatusCode::OK };
        let _ = j.reply.send(Ok((code, Json(r)).into_response()));
    }
}
