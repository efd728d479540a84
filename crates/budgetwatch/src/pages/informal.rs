//! Informal communications on the web (`/informal`): the records the reader may read, newest
//! first, late ones marked, and the form to record one — the same path as the API
//! (`informal_api::take`): the time the form is sent is the time recorded.

use super::*;
use bw_core::informal::{Channel, Purpose};
use minijinja::context;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/informal", get(page).post(record))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct Q {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct F {
    #[serde(default)]
    csrf: String,
    /// `YYYY-MM-DDTHH:MM` as the browser's datetime-local field sends it, in the
    /// installation's time zone.
    #[serde(default)]
    occurred: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    item: String,
}

pub(super) async fn page(State(app): State<App>, caller: Caller, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    match body(&app, &caller, &q, en).await {
        Ok(b) => Html(layout(en, t(en, "非正式沟通记录", "Informal communications"), &caller, "/informal", &b))
            .into_response(),
        Err(p) => problem_page(en, &caller, "/informal", p),
    }
}

async fn body(app: &App, caller: &Caller, q: &Q, en: bool) -> Result<String, Problem> {
    let record = crate::informal_api::RECORD;
    if caller.user().is_none() || !caller.access.has(record) {
        return Err(bw_core::access::Refusal::NoPermission(record).into());
    }
    let org = app.org().await?;
    let me = format!("user:{}", caller.access.user);
    let all = bw_app::informal::list(&app.store, None).await.map_err(Problem::internal)?;
    let rows: Vec<minijinja::Value> = all
        .iter()
        .filter(|s| {
            s.record.recorded_by == me
                || s.unit_code.as_deref().is_some_and(|u| caller.check(&org, crate::informal_api::READ, u).is_ok())
        })
        .take(200)
        .map(|s| {
            let r = &s.record;
            let item = match (&r.indicator_code, r.year, &r.project_code) {
                (Some(i), Some(y), _) => format!("{y} {i}"),
                (_, _, Some(p)) => p.clone(),
                _ => String::new(),
            };
            let unit = s.unit_code.as_deref().and_then(|u| org.get(u)).map(|n| n.name.clone()).unwrap_or_default();
            context! {
                id => s.id,
                occurred => crate::clock::local_time(r.occurred_at),
                recorded => crate::clock::local_time(r.recorded_at),
                by => r.recorded_by.trim_start_matches("user:"),
                channel => if en { r.channel.id() } else { r.channel.zh() },
                purpose => if en { r.purpose.id() } else { r.purpose.zh() },
                participants => r.participants.join("、"),
                conclusion => r.conclusion.as_str(),
                item => item,
                unit => unit,
                late => s.late,
                hours => s.hours_after,
            }
        })
        .collect();
    let channels: Vec<minijinja::Value> =
        Channel::ALL.iter().map(|c| context! { id => c.id(), name => if en { c.id() } else { c.zh() } }).collect();
    let purposes: Vec<minijinja::Value> = [Purpose::Consultation, Purpose::PreCommunication]
        .iter()
        .map(|p| context! { id => p.id(), name => if en { p.id() } else { p.zh() } })
        .collect();
    Ok(crate::templates::render(
        "informal.html",
        context! {
            lang => if en { "?lang=en" } else { "" },
            done => q.done.as_deref(),
            error => q.error.as_deref(),
            rows => rows,
            channels => channels,
            purposes => purposes,
            csrf => caller.csrf().to_string(),
            w => context! {
                title => t(en, "非正式沟通记录", "Informal communications"),
                intro => t(en, "咨询或预沟通的结论须在发生后 24 小时内由发起人记录并关联预算事项；超过 24 小时记录的标为迟报。非正式沟通不得作出决定，记录中不得包含银行账号或身份证号。", "A consultation or pre-communication is recorded by its initiator within 24 hours, linked to the budget item; later, it is marked late. Never a decision; no account or ID number."),
                occurred => t(en, "发生时间", "Occurred"),
                recorded => t(en, "记录时间", "Recorded"),
                by => t(en, "记录人", "By"),
                channel => t(en, "方式", "Channel"),
                purpose => t(en, "目的", "Purpose"),
                participants => t(en, "参与人（以；分隔）", "Participants (separated by ;)"),
                who => t(en, "参与人", "Participants"),
                conclusion => t(en, "结论", "Conclusion"),
                item => t(en, "预算事项（年度 指标编码，或项目编码）", "Budget item (YEAR INDICATOR, or a project code)"),
                item_short => t(en, "预算事项", "Budget item"),
                unit => t(en, "单位", "Unit"),
                late => t(en, "迟报", "late"),
                hours => t(en, "小时后记录", "hours after"),
                none => t(en, "暂无记录。", "No records."),
                add => t(en, "记录一次沟通", "Record a communication"),
                save => t(en, "记录", "Record"),
            },
        },
    ))
}

pub(super) async fn record(State(app): State<App>, caller: Caller, Query(q): Query<Q>, Form(f): Form<F>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, &f.csrf, "/informal") {
        return r;
    }
    let lang = if en { "&lang=en" } else { "" };
    let outcome = async {
        // The field's local time, in the installation's zone.
        let local = f.occurred.trim();
        let occurred = bw_app::zone::parse_local(&crate::clock::zone(), local)
            .ok_or_else(|| t(en, "请填写发生时间。", "Give the time it happened.").to_string())?;
        let item = f.item.split_whitespace().collect::<Vec<_>>();
        let (year, indicator, project) = match item.as_slice() {
            [y, i] if y.parse::<i32>().is_ok() => (y.parse().ok(), Some(i.to_string()), None),
            [p] => (None, None, Some(p.to_string())),
            _ => (None, None, None),
        };
        let posted = crate::informal_api::Posted::new(
            occurred.to_string(),
            f.channel.clone(),
            f.participants.split(['；', ';']).map(str::to_string).collect(),
            f.purpose.clone(),
            f.conclusion.clone(),
            year,
            indicator,
            project,
        );
        crate::informal_api::take(&app, &caller, posted)
            .await
            .map_err(|p| p.zh.clone().filter(|_| !en).unwrap_or(p.detail))
    }
    .await;
    match outcome {
        Ok((id, _)) => Redirect::to(&format!(
            "/informal?done={}{lang}",
            urlencode(&format!("{} {id}", t(en, "已记录，编号", "Recorded as")))
        ))
        .into_response(),
        Err(e) => Redirect::to(&format!("/informal?error={}{lang}", urlencode(&e))).into_response(),
    }
}
