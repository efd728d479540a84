//! The governance loop on the web: meetings (`/meetings`, `/meeting/{id}` with its agenda
//! pack, minutes form and signature, the minutes as PDF), the action items' inbox
//! (`/actions`) and a contract's milestone ladder (`/contract/{no}`). Every form takes the
//! same service path as the command line; the board and the ladder refuse what they refuse
//! there, and the refusal is shown in Chinese with its code.

use super::*;
use bw_app::meetings;
use bw_core::meeting::{Action, Kind, Minute, Outcome, State as MeetingState};
use minijinja::context;
use std::collections::HashMap;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/meetings", get(list).post(schedule))
        .route("/meeting/{id}", get(show).post(act))
        .route("/meeting/{id}/minutes.pdf", get(minutes_pdf))
        .route("/actions", get(actions).post(act_item))
        .route("/contract/{no}", get(contract).post(act_contract))
        .route("/matters", get(matters_page).post(act_matter))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct Q {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

/// Who may see meetings: those who read warnings (the supervisors, finance, audit).
const READ: Permission = Permission::ReadWarnings;
/// Who organises them: the reviewers.
const ORGANISE: Permission = Permission::ReviewWarning;

fn refusal_zh(code: &str) -> &'static str {
    match code {
        "required_roles_missing" => "受邀人员未涵盖会议要求的角色",
        "chair_not_invited" => "主持人未在受邀人员中",
        "not_invited" => "出席人员须为受邀人员",
        "quorum_not_met" => "出席人数未达到三分之二，不能召开集体决策会议",
        "minutes_incomplete" => "纪要须对每个议题记录结果",
        "not_on_agenda" => "纪要所列议题不在议程中",
        "outcome_invalid" => "议题结果不完整或督办期限早于会议日期",
        "not_an_approver" => "只有主持人和出席人员可以签批纪要",
        "already_signed" => "已签批",
        "owner_is_follower" => "承办人与督办人不能是同一人",
        "not_the_owner" => "只有承办人可以报告办结",
        "not_the_follower" => "只有督办人可以核实或退回",
        "action_item_state_invalid" => "督办事项当前状态不允许此操作",
        "meeting_state_invalid" => "会议当前状态不允许此操作",
        "meeting_field_empty" => "必填项为空",
        "submitter_cannot_verify" => "提交人不能验收自己提交的里程碑",
        "not_a_required_verifier" => "您不持有该里程碑尚待验收的角色",
        "milestone_dependency_not_verified" => "前置里程碑尚未验收完毕",
        "milestone_disputed" => "该里程碑有争议，须由财政局负责人裁决",
        "milestone_claim_invalid" => "申报比例无效",
        "milestone_not_submitted" => "尚无待验收的申报",
        "advance_not_verified" => "预付款随合同签订支付，无需验收",
        "milestone_not_disputed" => "该里程碑没有争议",
        _ => "操作未被接受",
    }
}

fn take_message(en: bool, e: &meetings::TakeError) -> String {
    match e {
        meetings::TakeError::Refused(r) if !en => format!("{}（{}）", refusal_zh(r.code()), r.code()),
        other => other.to_string(),
    }
}

fn me(caller: &Caller) -> String {
    caller.access.user.clone()
}

fn acting(caller: &Caller) -> Result<bw_app::Ctx, Problem> {
    caller.ctx(None)
}

// ---------------------------------------------------------------- meetings list

pub(super) async fn list(State(app): State<App>, caller: Caller, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let body = async {
        holding(&caller, READ)?;
        let board = meetings::load(&app.store).await.map_err(Problem::internal)?;
        let rows: Vec<minijinja::Value> = board
            .meetings
            .values()
            .rev()
            .map(|m| {
                context! {
                    id => m.id,
                    title => m.title.as_str(),
                    kind => if en { m.kind.id() } else { m.kind.zh() },
                    start => crate::clock::local_time(m.starts_at),
                    period => meetings::period_zh(&m.period),
                    state => if en { m.state.id() } else { m.state.zh() },
                    chair => m.chair.as_str(),
                    items => m.agenda.len(),
                }
            })
            .collect();
        let user = me(&caller);
        let mine = board.items.values().filter(|i| i.state.open() && (i.owner == user || i.follower == user)).count();
        let kinds: Vec<minijinja::Value> =
            Kind::ALL.iter().map(|k| context! { id => k.id(), name => if en { k.id() } else { k.zh() } }).collect();
        Ok::<String, Problem>(crate::templates::render(
            "meetings.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(),
                error => q.error.as_deref(),
                rows => rows,
                mine => mine,
                organise => caller.access.has(ORGANISE),
                kinds => kinds,
                csrf => caller.csrf().to_string(),
                w => context! {
                    title => t(en, "会议", "Meetings"),
                    intro => t(en, "月度、季度分析会，财政审计纪检联席会议，专题会，班子会议（三重一大）和应急会议：会前由系统按设置的工作日生成议程包（执行、预警、逾期整改、应急、风险、偏差、里程碑暂停付款及全部未办结督办事项），会后记录每个议题的结果，由主持人本人签批纪要，交办事项进入督办。", "Analysis meetings, joint supervision, topics, collective decisions and emergencies: the system makes the agenda pack the set working days before; the minutes give every item its outcome, signed by the chair; actions are followed up."),
                    mine => t(en, "我的督办事项", "My action items"),
                    kind => t(en, "类型", "Kind"),
                    start => t(en, "时间", "Time"),
                    period => t(en, "分析期间", "Period"),
                    state => t(en, "状态", "State"),
                    chair => t(en, "主持人", "Chair"),
                    name => t(en, "会议", "Meeting"),
                    items => t(en, "议题", "Items"),
                    none => t(en, "暂无会议。", "No meetings."),
                    add => t(en, "安排会议", "Schedule a meeting"),
                    title_f => t(en, "会议名称", "Title"),
                    location => t(en, "地点", "Location"),
                    period_f => t(en, "分析期间（YYYY-MM 或 YYYY-Qn，可空）", "Period (YYYY-MM or YYYY-Qn, optional)"),
                    chair_f => t(en, "主持人（账号）", "Chair (user)"),
                    save => t(en, "安排", "Schedule"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "会议", "Meetings"), "/meetings", body)
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    chair: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    period: String,
}

pub(super) async fn schedule(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<Q>,
    Form(f): Form<ScheduleForm>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, &f.csrf, "/meetings") {
        return r;
    }
    let outcome = async {
        holding(&caller, ORGANISE).map_err(|p| p.detail)?;
        let kind = Kind::parse(&f.kind).ok_or_else(|| t(en, "请选择会议类型。", "Choose a kind.").to_string())?;
        let start = bw_app::zone::parse_local(&crate::clock::zone(), &f.start)
            .ok_or_else(|| t(en, "请填写会议时间。", "Give the time.").to_string())?;
        let action = Action::Schedule {
            kind,
            title: f.title.clone(),
            starts_at: start,
            ends_at: bw_core::Timestamp(start.0 + 2 * 3600),
            location: f.location.clone(),
            period: f.period.trim().to_string(),
            chair: f.chair.trim().to_string(),
            required_roles: kind.default_roles().iter().map(|r| r.to_string()).collect(),
            series: None,
        };
        let ctx = acting(&caller).map_err(|p| p.detail)?;
        let ids = meetings::schedule(&app.store, &ctx, action, None, 1).await.map_err(|e| take_message(en, &e))?;
        Ok(format!("{} {}", t(en, "已安排会议", "Scheduled meeting"), ids.first().copied().unwrap_or_default()))
    }
    .await;
    back_to("/meetings", en, outcome)
}

// ---------------------------------------------------------------- one meeting

pub(super) async fn show(State(app): State<App>, caller: Caller, Path(id): Path<i64>, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/meeting/{id}");
    let body = async {
        holding(&caller, READ)?;
        let board = meetings::load(&app.store).await.map_err(Problem::internal)?;
        let m = board.meetings.get(&id).ok_or_else(|| Problem::not_found(format!("no meeting {id}")))?;
        let pack = meetings::stored_pack(&app.store, id).await.map_err(Problem::internal)?;
        let pack_ctx = pack.as_ref().map(|(entry, sha, p)| pack_context(en, *entry, sha, p));
        let agenda: Vec<minijinja::Value> = m
            .agenda
            .iter()
            .map(|a| {
                let minute = m.minutes.iter().find(|x| x.number == a.number);
                let outcome = minute.map(|x| outcome_text(en, &x.outcome)).unwrap_or_default();
                context! { number => a.number, title => a.title.as_str(), source => a.source.as_str(), outcome => outcome }
            })
            .collect();
        let names = bw_app::users::display_names(&app.store).await.map_err(Problem::internal)?;
        let person = |u: &str| match names.get(u).filter(|n| !n.is_empty() && n.as_str() != u) {
            Some(n) => format!("{n}（{u}）"),
            None => u.to_string(),
        };
        let invited: Vec<String> = m
            .invited
            .iter()
            .map(|i| format!("{}：{}", person(&i.user), i.roles.iter().map(|r| role_name(en, r)).collect::<Vec<_>>().join("、")))
            .collect();
        let user = me(&caller);
        let may_organise = caller.access.has(ORGANISE);
        Ok::<String, Problem>(crate::templates::render(
            "meeting.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(),
                error => q.error.as_deref(),
                csrf => caller.csrf().to_string(),
                m => context! {
                    id => m.id,
                    title => m.title.as_str(),
                    kind => if en { m.kind.id() } else { m.kind.zh() },
                    start => crate::clock::local_time(m.starts_at),
                    end => crate::clock::local_time(m.ends_at),
                    location => m.location.as_str(),
                    period => meetings::period_zh(&m.period),
                    chair => person(&m.chair),
                    state => if en { m.state.id() } else { m.state.zh() },
                    state_id => m.state.id(),
                    roles => m.required_roles.iter().map(|r| role_name(en, r)).collect::<Vec<_>>().join("、"),
                    invited => invited.join("；"),
                    present => m.present.iter().map(|u| person(u)).collect::<Vec<_>>().join("；"),
                    approvals => m.approvals.iter().map(|u| person(u)).collect::<Vec<_>>().join("；"),
                },
                agenda => agenda,
                pack => pack_ctx,
                can_prepare => may_organise && matches!(m.state, MeetingState::Scheduled | MeetingState::Invited),
                can_hold => may_organise && m.state == MeetingState::Invited,
                can_minute => may_organise && m.state == MeetingState::Held,
                can_sign => m.state == MeetingState::Held && !m.minutes.is_empty() && (m.chair == user || m.present.contains(&user)) && !m.approvals.contains(&user),
                invitees => m.invited.iter().map(|i| i.user.clone()).collect::<Vec<_>>(),
                approved => m.state == MeetingState::MinutesApproved,
                w => context! {
                    kind => t(en, "类型", "Kind"), start => t(en, "时间", "Time"), location => t(en, "地点", "Location"),
                    period => t(en, "分析期间", "Period"), chair => t(en, "主持人", "Chair"), state => t(en, "状态", "State"),
                    roles => t(en, "必须参会的角色", "Required roles"), invited => t(en, "受邀人员", "Invited"),
                    present => t(en, "出席人员", "Present"), approvals => t(en, "纪要签批", "Signed by"),
                    agenda => t(en, "议程", "Agenda"), outcome => t(en, "结果", "Outcome"),
                    pack => t(en, "议程包（会议材料）", "Agenda pack"), no_pack => t(en, "尚未生成议程包。", "No pack yet."),
                    make_pack => t(en, "立即生成议程包", "Make the pack now"), invite => t(en, "发送通知（账号以；分隔）", "Invite (users separated by ;)"),
                    item => t(en, "增加议题", "Add an item"), hold => t(en, "记录召开（出席人员）", "Record it held (present)"),
                    minutes => t(en, "会议纪要", "Minutes"), information => t(en, "听取汇报", "Information"),
                    decision => t(en, "决定", "Decision"), action => t(en, "交办督办", "Action"),
                    result => t(en, "表决结果", "Result"), text => t(en, "决议或说明", "Resolution or note"),
                    owner => t(en, "承办人", "Owner"), follower => t(en, "督办人", "Follower"), due => t(en, "期限", "Due"),
                    save => t(en, "保存纪要", "Save the minutes"), sign => t(en, "本人签批纪要（签名密码）", "Sign the minutes (signing password)"),
                    cancel => t(en, "取消会议（原因）", "Cancel (reason)"), pdf => t(en, "纪要 PDF", "Minutes PDF"),
                    oparl => t(en, "OParl 导出", "OParl export"), send => t(en, "提交", "Send"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "会议", "Meeting"), &here, body)
}

fn outcome_text(en: bool, o: &Outcome) -> String {
    match o {
        Outcome::Information { note } => format!(
            "{}{}",
            t(en, "听取汇报", "Information"),
            if note.is_empty() { String::new() } else { format!("：{note}") }
        ),
        Outcome::Decision { result, resolution } => format!("{}：{result}。{resolution}", t(en, "决定", "Decision")),
        Outcome::Action { title, owner, follower, due, .. } => format!(
            "{}：{title}（{} {owner}；{} {follower}；{} {due}）",
            t(en, "交办", "Action"),
            t(en, "承办", "owner"),
            t(en, "督办", "follower"),
            t(en, "期限", "due")
        ),
    }
}

/// An emergency case's state as people read it.
fn emergency_state(en: bool, s: &str) -> &str {
    if en {
        return s;
    }
    match s {
        "open" => "处置中",
        "reported" => "已报告，待调整方案",
        "planned" => "方案执行中",
        "closed" => "已结束",
        other => other,
    }
}

/// A role id as people read it.
fn role_name(en: bool, id: &str) -> String {
    match bw_core::access::Role::parse(id) {
        Ok(r) if !en => r.zh().to_string(),
        _ => id.to_string(),
    }
}

fn pack_context(en: bool, entry: i64, sha: &str, p: &meetings::Pack) -> minijinja::Value {
    let counts = |c: &meetings::Counts| -> String {
        if c.total == 0 {
            return "0".into();
        }
        let levels: Vec<String> = ["red", "orange", "yellow", "blue"]
            .iter()
            .filter_map(|l| c.by_level.get(*l).map(|n| format!("{}{n}", crate::web::level_name(en, l))))
            .collect();
        let rules: Vec<String> =
            c.by_rule.iter().map(|(r, n)| format!("{} {n}", crate::web::rule_name(en, r))).collect();
        format!(
            "{}（{}）{}",
            c.total,
            levels.join("，"),
            if rules.is_empty() { String::new() } else { format!("：{}", rules.join("；")) }
        )
    };
    let e = &p.execution;
    context! {
        entry => entry,
        sha => sha,
        from => p.from.as_str(),
        to => p.to.as_str(),
        budget => wan(e.budget),
        paid => wan(e.paid_to_date),
        in_period => wan(e.paid_in_period),
        rate => format!("{:.1}%", e.rate_permille as f64 / 10.0),
        elapsed => format!("{:.1}%", e.elapsed_permille as f64 / 10.0),
        departments => e.by_department.iter().map(|d| context! { name => d.name.as_str(), budget => wan(d.budget), paid => wan(d.paid_to_date), rate => format!("{:.1}%", d.rate_permille as f64 / 10.0) }).collect::<Vec<_>>(),
        opened => counts(&p.warnings.opened),
        escalated => counts(&p.warnings.escalated),
        overdue => counts(&p.warnings.overdue),
        rectifications => p.overdue_rectifications.first.iter().map(|w| format!("#{} {} {} {}（{} {}）", w.id, crate::web::level_name(en, &w.level), crate::web::rule_name(en, &w.rule), w.subject, t(en, "期限", "due"), w.due)).collect::<Vec<_>>(),
        rect_count => p.overdue_rectifications.count,
        emergencies => p.emergencies.first.iter().map(|x| format!("#{} {}（{}）", x.id, x.title, emergency_state(en, &x.state))).collect::<Vec<_>>(),
        risks => p.top_risks.iter().map(|r| format!("{}（{} {}）", r.title, t(en, "评分", "score"), r.score)).collect::<Vec<_>>(),
        deviations => p.deviations.iter().map(|d| format!("{}：{} {:.1}%，{} {:+.1} {}", d.name, t(en, "执行率", "rate"), d.rate_permille as f64 / 10.0, t(en, "偏离时序进度", "gap"), d.gap_permille as f64 / 10.0, t(en, "个百分点", "points"))).collect::<Vec<_>>(),
        holds => p.milestone_holds.first.iter().map(|h| format!("{}：{} {} {}（{} {}）", h.contract_no, t(en, "暂停付款", "held"), wan(h.held), t(en, "万元", "10k yuan"), h.payments, t(en, "笔", "payments"))).collect::<Vec<_>>(),
        items => p.action_items.iter().map(|i| {
            let state = serde_json::from_value::<bw_core::meeting::ItemState>(serde_json::json!(i.state)).map(|s| if en { s.id() } else { s.zh() }).unwrap_or(i.state.as_str());
            format!("#{} {}（{} {}，{} {}，{} {}）", i.id, i.title, t(en, "承办", "owner"), i.owner, t(en, "期限", "due"), i.due, t(en, "状态", "state"), state)
        }).collect::<Vec<_>>(),
        w => context! {
            execution => t(en, "预算执行", "Execution"), budget => t(en, "预算(万元)", "Budget (10k yuan)"),
            paid => t(en, "累计支出(万元)", "Paid (10k yuan)"), in_period => t(en, "本期支出(万元)", "Paid in the period (10k yuan)"),
            rate => t(en, "执行率", "Rate"), elapsed => t(en, "时序进度", "Year elapsed"),
            opened => t(en, "本期新增预警", "Warnings raised"), escalated => t(en, "升级预警", "Escalated"),
            overdue => t(en, "逾期未整改", "Overdue"), emergencies => t(en, "应急处置", "Emergencies"),
            risks => t(en, "重大风险", "Top risks"), deviations => t(en, "执行进度偏差", "Deviations"),
            holds => t(en, "里程碑未验收暂停付款", "Milestone holds"), items => t(en, "未办结督办事项", "Open action items"),
            none => t(en, "无", "none"), digest => t(en, "议程包 SHA-256（已记入日志）", "Pack SHA-256 (journaled)"),
        },
    }
}

pub(super) async fn act(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<Q>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/meeting/{id}");
    if let Some(r) = form_csrf(&caller, f.get("csrf").map(String::as_str).unwrap_or(""), &here) {
        return r;
    }
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let list = |s: String| -> Vec<String> {
        s.split([';', '；', ',', '，']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
    };
    let outcome = async {
        let ctx = acting(&caller).map_err(|p| p.detail)?;
        let op = field("op");
        if op != "approve" {
            holding(&caller, ORGANISE).map_err(|p| p.detail)?;
        }
        let done = match op.as_str() {
            "invite" => {
                let mut invitees = Vec::new();
                for u in list(field("users")) {
                    invitees.push(meetings::invitee(&app.store, &u, ctx.today).await.map_err(|e| e.to_string())?);
                }
                meetings::take(&app.store, &ctx, Action::Invite { id, invitees })
                    .await
                    .map(|_| t(en, "已发送通知", "Invited"))
            }
            "pack" => meetings::make_pack(&app.store, &ctx, id)
                .await
                .map(|_| t(en, "议程包已生成并记入日志", "Pack made and journaled")),
            "item" => meetings::take(&app.store, &ctx, Action::AddItem { id, title: field("title"), public: false })
                .await
                .map(|_| t(en, "已增加议题", "Item added")),
            "hold" => meetings::take(&app.store, &ctx, Action::Hold { id, present: list(field("present")) })
                .await
                .map(|_| t(en, "已记录召开", "Held")),
            "cancel" => meetings::take(&app.store, &ctx, Action::Cancel { id, reason: field("reason") })
                .await
                .map(|_| t(en, "会议已取消", "Cancelled")),
            "minutes" => {
                let board = meetings::load(&app.store).await.map_err(|e| e.to_string())?;
                let m = board.meetings.get(&id).ok_or_else(|| format!("no meeting {id}"))?;
                let mut minutes = Vec::new();
                for a in &m.agenda {
                    let n = a.number;
                    let outcome = match field(&format!("o{n}")).as_str() {
                        "decision" => {
                            Outcome::Decision { result: field(&format!("r{n}")), resolution: field(&format!("x{n}")) }
                        }
                        "action" => Outcome::Action {
                            title: field(&format!("x{n}")),
                            owner: field(&format!("ow{n}")),
                            follower: field(&format!("fo{n}")),
                            due: Date::parse(&field(&format!("du{n}"))).map_err(|_| {
                                format!("{} {n}: {}", t(en, "议题", "item"), t(en, "请填写期限", "give the due date"))
                            })?,
                            link_kind: None,
                            link_code: None,
                        },
                        _ => Outcome::Information { note: field(&format!("x{n}")) },
                    };
                    minutes.push(Minute { number: n, outcome });
                }
                meetings::take(&app.store, &ctx, Action::Minutes { id, minutes })
                    .await
                    .map(|_| t(en, "纪要已保存", "Minutes saved"))
            }
            "approve" => {
                let signer = bw_app::approval::unlock(&app.store, &caller.access.user, &field("password"))
                    .await
                    .map_err(|_| {
                        t(en, "签名密码不正确，或尚未登记签名密钥。", "Wrong signing password, or no signing key.")
                            .to_string()
                    })?;
                let ctx = bw_app::Ctx { actor: format!("user:{}", caller.access.user), ..ctx };
                meetings::approve(&app.store, &ctx, &signer, id).await.map(|_| t(en, "已签批", "Signed"))
            }
            _ => return Err(t(en, "未知操作。", "Unknown action.").to_string()),
        };
        done.map(str::to_string).map_err(|e| take_message(en, &e))
    }
    .await;
    back_to(&here, en, outcome)
}

pub(super) async fn minutes_pdf(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    holding(&caller, READ)?;
    let board = meetings::load(&app.store).await.map_err(Problem::internal)?;
    let m = board.meetings.get(&id).ok_or_else(|| Problem::not_found(format!("no meeting {id}")))?;
    let (font, index) = crate::figures_api::report_font()?;
    let bytes =
        meetings::minutes_pdf(m, &crate::clock::local_time(m.starts_at), &font, index).map_err(Problem::internal)?;
    crate::figures_api::report_file(bytes, true, &format!("meeting-{id}-minutes"))
}

// ---------------------------------------------------------------- action items

pub(super) async fn actions(State(app): State<App>, caller: Caller, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let body = async {
        if caller.user().is_none() {
            return Err(bw_core::access::Refusal::NoPermission(READ).into());
        }
        let board = meetings::load(&app.store).await.map_err(Problem::internal)?;
        let user = me(&caller);
        let all = caller.access.has(ORGANISE);
        let today = today();
        let rows: Vec<minijinja::Value> = board
            .items
            .values()
            .rev()
            .filter(|i| all || i.owner == user || i.follower == user)
            .map(|i| {
                let meeting = board.meetings.get(&i.meeting).map(|m| m.title.clone()).unwrap_or_default();
                context! {
                    id => i.id, title => i.title.as_str(), meeting => meeting, meeting_id => i.meeting,
                    owner => i.owner.as_str(), follower => i.follower.as_str(), due => i.due.to_string(),
                    state => if en { i.state.id() } else { i.state.zh() },
                    overdue => i.overdue(today), level => i.level,
                    may_done => i.state.open() && i.owner == user,
                    may_check => i.state == bw_core::meeting::ItemState::Done && i.follower == user,
                    history => i.history.iter().map(|h| format!("{} {} {} {}", crate::clock::local_time(h.at), h.by, h.what, h.text)).collect::<Vec<_>>(),
                }
            })
            .collect();
        Ok::<String, Problem>(crate::templates::render(
            "actions.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(),
                error => q.error.as_deref(),
                csrf => caller.csrf().to_string(),
                rows => rows,
                w => context! {
                    title => t(en, "督办事项", "Action items"),
                    intro => t(en, "会议纪要交办的事项：承办人报告办结并附证明材料，督办人核实办结或退回；逾期未办的事项升级一级并给出新期限，未办结前每次会议都列入议程。", "Actions from minutes: the owner reports them done with evidence, the follower verifies or returns them; overdue ones are escalated; until verified they are on every meeting's agenda."),
                    item => t(en, "事项", "Item"), meeting => t(en, "会议", "Meeting"), owner => t(en, "承办人", "Owner"),
                    follower => t(en, "督办人", "Follower"), due => t(en, "期限", "Due"), state => t(en, "状态", "State"),
                    overdue => t(en, "逾期", "overdue"), level => t(en, "已升级", "escalated"),
                    report => t(en, "报告办结（说明）", "Report done (note)"), verify => t(en, "核实办结", "Verify"),
                    ret => t(en, "退回（原因）", "Return (reason)"), none => t(en, "暂无督办事项。", "No action items."),
                    send => t(en, "提交", "Send"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "督办事项", "Action items"), "/actions", body)
}

pub(super) async fn act_item(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<Q>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, f.get("csrf").map(String::as_str).unwrap_or(""), "/actions") {
        return r;
    }
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let outcome = async {
        let ctx =
            bw_app::Ctx { actor: format!("user:{}", caller.access.user), ..acting(&caller).map_err(|p| p.detail)? };
        let item: i64 = field("item").parse().map_err(|_| t(en, "未指定事项。", "No item.").to_string())?;
        let (action, msg) = match field("op").as_str() {
            "done" => {
                (Action::Done { item, evidence: Vec::new(), text: field("text") }, t(en, "已报告办结", "Reported done"))
            }
            "verify" => (Action::Check { item, pass: true, text: field("text") }, t(en, "已核实办结", "Verified")),
            "return" => (Action::Check { item, pass: false, text: field("text") }, t(en, "已退回", "Returned")),
            _ => return Err(t(en, "未知操作。", "Unknown action.").to_string()),
        };
        meetings::take(&app.store, &ctx, action).await.map(|_| msg.to_string()).map_err(|e| take_message(en, &e))
    }
    .await;
    back_to("/actions", en, outcome)
}

// ---------------------------------------------------------------- a contract's milestones

pub(super) async fn contract(
    State(app): State<App>,
    caller: Caller,
    Path(no): Path<String>,
    Query(q): Query<Q>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/contract/{}", urlencode(&no));
    let body = async {
        let loaded = bw_app::milestones::load(&app.store, &no)
            .await
            .map_err(Problem::internal)?
            .ok_or_else(|| Problem::not_found(format!("contract {no} has no milestones")))?;
        let org = app.org().await?;
        caller.check(&org, Permission::ReadBudget, &loaded.contract.unit_code)?;
        let s = loaded.status(today());
        let unit = org.get(&loaded.contract.unit_code).map(|n| n.name.clone()).unwrap_or_default();
        let user = me(&caller);
        let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &loaded.contract.unit_code, today())
            .await
            .map_err(Problem::internal)?;
        let mut docs = std::collections::HashMap::new();
        for m in &s.milestones {
            let subject = bw_app::documents::milestone_subject(&s.contract_no, m.seq);
            let list = bw_app::documents::list(&app.store, bw_app::documents::DocKind::MilestoneEvidence, &subject)
                .await
                .map_err(Problem::internal)?;
            docs.insert(m.seq, list);
        }
        let rows: Vec<minijinja::Value> = s
            .milestones
            .iter()
            .map(|m| {
                let docs: Vec<minijinja::Value> = docs
                    .get(&m.seq)
                    .map(|l| l.iter().map(|d| context! { id => d.id, name => d.name.as_str() }).collect())
                    .unwrap_or_default();
                let kind = bw_core::milestone::Kind::parse(m.kind).map(|k| if en { k.id() } else { k.zh() }).unwrap_or(m.kind);
                let opinions = m.claim.as_ref().map(|c| c.opinions.iter().map(|(r, u)| format!("{r}: {u}")).collect::<Vec<_>>().join("；")).unwrap_or_default();
                let claimed = m.claim.as_ref().map(|c| format!("{}‰ {} {}", c.permille, t(en, "由", "by"), c.by)).unwrap_or_default();
                context! {
                    seq => m.seq, name => m.name.as_str(), kind => kind, amount => crate::text::yuan(&m.amount),
                    released => crate::text::yuan(&m.released), state => state_zh(en, m.state), state_id => m.state,
                    permille => m.verified_permille, criterion => m.criterion.as_str(),
                    verifiers => m.verifiers.iter().map(|r| role_name(en, r)).collect::<Vec<_>>().join("、"), after => m.depends_on.iter().map(u32::to_string).collect::<Vec<_>>().join("、"),
                    pro_rata => m.pro_rata, due => m.due_date.clone().unwrap_or_default(), overdue => m.overdue,
                    claimed => claimed, opinions => opinions, advance => m.kind == "advance", docs => docs,
                }
            })
            .collect();
        Ok::<String, Problem>(crate::templates::render(
            "contract.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(),
                error => q.error.as_deref(),
                csrf => caller.csrf().to_string(),
                c => context! {
                    no => s.contract_no.as_str(), unit => unit, supplier => s.supplier_name.as_str(),
                    amount => crate::text::yuan(&s.amount), releasable => crate::text::yuan(&s.releasable),
                    paid => crate::text::yuan(&s.paid), held => crate::text::yuan(&s.held), retention => crate::text::yuan(&s.retention),
                },
                rows => rows,
                held => loaded.held.iter().map(|h| format!("{} {} {}", h.1, h.2, h.3.grouped())).collect::<Vec<_>>(),
                may_act => !roles.is_empty(),
                roles => roles.iter().map(|r| role_name(en, r)).collect::<Vec<_>>().join("、"),
                w => context! {
                    title => t(en, "合同里程碑", "Contract milestones"),
                    intro => t(en, "合同资金只按已验收的里程碑拨付：超出可拨付额的付款在导入时暂停（milestone_not_verified），待验收人员本人签名确认后自动放行；到期未验收只预警，不放款。", "Funds are released only by verified milestones: a payment beyond the releasable amount is held in its import and released by the verifiers' signed opinions; a passed due date only warns."),
                    unit => t(en, "单位", "Unit"), supplier => t(en, "供应商", "Supplier"), amount => t(en, "合同金额(元)", "Amount (yuan)"),
                    releasable => t(en, "可拨付(元)", "Releasable"), paid => t(en, "已支付(元)", "Paid"), held => t(en, "暂停支付(元)", "Held"),
                    retention => t(en, "未释放质保金(元)", "Retention withheld"), seq => t(en, "序号", "No."), name => t(en, "里程碑", "Milestone"),
                    kind => t(en, "类型", "Kind"), released => t(en, "已释放(元)", "Released"), state => t(en, "状态", "State"),
                    criterion => t(en, "验收标准", "Criterion"), verifiers => t(en, "验收角色", "Verifier roles"),
                    after => t(en, "前置", "After"), due => t(en, "计划日期", "Due"), overdue => t(en, "逾期未验收", "overdue"),
                    claim => t(en, "申报", "Claim"), opinions => t(en, "已签意见", "Opinions"),
                    submit => t(en, "申报完成比例‰", "Claim done (‰)"),
                    files => t(en, "证明材料（PDF 或图片）", "Evidence (PDF or images)"),
                    uploading => t(en, "正在上传", "Uploading"),
                    verify => t(en, "本人签名验收（签名密码）", "Verify with my signature (signing password)"),
                    dispute => t(en, "提出争议（原因）", "Dispute (reason)"), resolve => t(en, "裁决争议", "Resolve"),
                    stands => t(en, "申报成立", "Claim stands"), void => t(en, "申报作废", "Claim void"),
                    held_list => t(en, "暂停支付的凭证", "Held payments"), my_roles => t(en, "您在该单位的角色", "Your roles here"),
                    send => t(en, "提交", "Send"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "合同里程碑", "Contract milestones"), &here, body)
}

fn state_zh(en: bool, s: &str) -> &str {
    if en {
        return s;
    }
    match s {
        "released_on_signing" => "签约即付",
        "disputed" => "有争议",
        "verified" => "已验收",
        "submitted" => "待验收",
        "partly_verified" => "部分验收",
        _ => "未申报",
    }
}

pub(super) async fn act_contract(
    State(app): State<App>,
    caller: Caller,
    Path(no): Path<String>,
    Query(q): Query<Q>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/contract/{}", urlencode(&no));
    if let Some(r) = form_csrf(&caller, f.get("csrf").map(String::as_str).unwrap_or(""), &here) {
        return r;
    }
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let outcome = async {
        let user = caller.user().ok_or_else(|| t(en, "请先登录。", "Log in first.").to_string())?.to_string();
        let loaded = bw_app::milestones::load(&app.store, &no)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("contract {no} has no milestones"))?;
        let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &loaded.contract.unit_code, today())
            .await
            .map_err(|e| e.to_string())?;
        if roles.is_empty() {
            return Err(t(en, "您在该合同的单位没有角色。", "You hold no role at the contract's unit.").to_string());
        }
        let ctx = bw_app::Ctx { actor: format!("user:{user}"), ..acting(&caller).map_err(|p| p.detail)? };
        let seq: u32 = field("seq").parse().map_err(|_| t(en, "未指定里程碑。", "No milestone.").to_string())?;
        let refused = |e: bw_app::milestones::MilestoneActionError| {
            if en { e.to_string() } else { format!("{}（{}）", refusal_zh(e.code()), e.code()) }
        };
        let done = match field("op").as_str() {
            "submit" => {
                let permille = field("permille").parse().unwrap_or(1000);
                let evidence = field("evidence").split_whitespace().map(str::to_string).collect();
                bw_app::milestones::submit(&app.store, &ctx, &no, seq, permille, evidence).await.map_err(refused)?
            }
            "verify" => {
                let signer = bw_app::approval::unlock(&app.store, &user, &field("password")).await.map_err(|_| {
                    t(en, "签名密码不正确，或尚未登记签名密钥。", "Wrong signing password, or no signing key.")
                        .to_string()
                })?;
                bw_app::milestones::verify(&app.store, &ctx, &signer, &no, seq, &roles, &field("text"))
                    .await
                    .map_err(refused)?
            }
            "dispute" => {
                bw_app::milestones::dispute(&app.store, &ctx, &no, seq, &field("text")).await.map_err(refused)?
            }
            "resolve" => bw_app::milestones::resolve(
                &app.store,
                &ctx,
                &no,
                seq,
                field("stands") == "true",
                &roles,
                &field("text"),
            )
            .await
            .map_err(refused)?,
            _ => return Err(t(en, "未知操作。", "Unknown action.").to_string()),
        };
        let released = done.released.len();
        Ok(format!(
            "{}{}",
            t(en, "已记录", "Recorded"),
            if released > 0 {
                format!("，{} {released} {}", t(en, "放行暂停支付", "released"), t(en, "笔", "payments"))
            } else {
                String::new()
            }
        ))
    }
    .await;
    back_to(&here, en, outcome)
}

// ---------------------------------------------------------------- major matters

pub(super) async fn matters_page(State(app): State<App>, caller: Caller, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let body = async {
        if caller.user().is_none() || !(caller.access.has(READ) || caller.access.has(Permission::ReadBudget)) {
            return Err(bw_core::access::Refusal::NoPermission(Permission::ReadBudget).into());
        }
        let org = app.org().await?;
        let all = bw_app::matters::load(&app.store).await.map_err(Problem::internal)?;
        let limits = bw_app::matters::limits(&app.store).await.map_err(Problem::internal)?;
        let today = today();
        let user = me(&caller);
        let mut rows = Vec::new();
        for m in all.matters.values().rev() {
            if caller.check(&org, Permission::ReadBudget, &m.unit_code).is_err() && !(m.copied_to_audit && caller.access.has(Permission::RunAudit)) {
                continue;
            }
            let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &m.unit_code, today).await.map_err(Problem::internal)?;
            let may_decide = matches!(m.state, bw_core::matter::MatterState::Routed | bw_core::matter::MatterState::OralReported)
                && m.route.role().is_some_and(|r| roles.iter().any(|x| x == r));
            let tally = m.tally.as_ref().map(|x| {
                format!(
                    "{} {}，{} {}，{} {}",
                    x.for_,
                    t(en, "同意", "for"),
                    x.against,
                    t(en, "不同意", "against"),
                    x.deferred,
                    t(en, "缓议", "deferred")
                )
            });
            rows.push(context! {
                id => m.id, title => m.title.as_str(), on => m.reported_on.to_string(),
                unit => org.get(&m.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| m.unit_code.clone()),
                amount => crate::text::yuan(&m.amount.to_string()),
                category => m.category.map(|c| if en { c.id() } else { c.zh() }),
                route => if en { m.route.id() } else { m.route.zh() },
                state => if en { m.state.id() } else { m.state.zh() },
                green => m.oral.is_some(), copied => m.copied_to_audit,
                due => m.written_due.map(|d| d.to_string()), late => m.written_late(today),
                report => m.report.as_ref().map(|r| format!("{}｜{}｜{}", r.background, r.financial_impact, r.alternatives)),
                oral => m.oral.as_deref(), tally => tally, decision => m.decision_text.as_str(),
                may_decide => may_decide,
                collective => m.route == bw_core::matter::Route::CollectiveDecision && !matches!(m.state, bw_core::matter::MatterState::Adopted | bw_core::matter::MatterState::Rejected),
                oral_pending => m.state == bw_core::matter::MatterState::OralReported,
            });
        }
        let categories: Vec<minijinja::Value> = bw_core::matter::Category::ALL
            .iter()
            .map(|c| context! { id => c.id(), name => if en { c.id() } else { c.zh() } })
            .collect();
        Ok::<String, Problem>(crate::templates::render(
            "matters.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(), error => q.error.as_deref(), csrf => caller.csrf().to_string(),
                rows => rows, categories => categories, organise => caller.access.has(ORGANISE),
                limits => format!("{} {}‰；{} {}；{} {}", t(en, "超预算", "over budget by"), limits.over_budget_permille, t(en, "财政局负责人", "bureau head from"), limits.t1.grouped(), t(en, "集体决策", "collective from"), limits.t2.grouped()),
                w => context! {
                    title => t(en, "重大事项", "Major matters"),
                    intro => t(en, "重大事项按设置的阈值分级报送：超预算 10% 及以上或战略调整报主管部门负责人，金额达到 T1 报财政局负责人，达到 T2 或属三重一大事项提交班子会议集体决策（须达到法定人数且每位出席成员发表意见）。紧急事项走绿色通道：先口头报告，1 个工作日内补交书面报告，同时抄送审计备案。", "Matters are routed by the thresholds: 10 % over budget or a strategic change to the department head, T1 to the bureau head, T2 or a 三重一大 category to a collective decision (quorum and every present member's opinion). Emergencies take the green channel: oral first, the written form within one working day, audit copied."),
                    limits => t(en, "当前阈值", "Thresholds"), on => t(en, "日期", "Date"), unit => t(en, "单位", "Unit"),
                    name => t(en, "事项", "Matter"), amount => t(en, "金额(元)", "Amount (yuan)"), route => t(en, "报送", "Route"),
                    state => t(en, "状态", "State"), green => t(en, "绿色通道", "green channel"), copied => t(en, "已抄送审计", "audit copied"),
                    due => t(en, "书面报告期限", "written due"), late => t(en, "逾期未补报", "late"), report => t(en, "报告单", "Report"),
                    none => t(en, "暂无重大事项。", "No matters."), submit => t(en, "报送重大事项（标准报告单）", "Report a matter (standard form)"),
                    oral_f => t(en, "绿色通道：口头报告", "Green channel: oral report"), unit_code => t(en, "单位编码", "Unit code"),
                    title_f => t(en, "事项名称", "Title"), budget => t(en, "相关预算(元)", "Budget (yuan)"), spend => t(en, "预计支出(元)", "Spend (yuan)"),
                    strategic => t(en, "战略调整", "Strategic change"), category => t(en, "三重一大类别", "三重一大 category"),
                    background => t(en, "背景", "Background"), impact => t(en, "财务影响", "Financial impact"), alternatives => t(en, "备选方案", "Alternatives"),
                    summary => t(en, "口头报告要点", "Summary"), send => t(en, "提交", "Send"), adopt => t(en, "同意", "Adopt"), reject => t(en, "不同意", "Reject"),
                    written => t(en, "补交书面报告", "Written form"), meeting => t(en, "班子会议编号", "Meeting"),
                    opinions => t(en, "出席成员意见（账号:同意/不同意/缓议，以；分隔）", "Opinions (user:for/against/defer; separated by ;)"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "重大事项", "Major matters"), "/matters", body)
}

pub(super) async fn act_matter(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<Q>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, f.get("csrf").map(String::as_str).unwrap_or(""), "/matters") {
        return r;
    }
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let outcome = async {
        let user = caller.user().ok_or_else(|| t(en, "请先登录。", "Log in first.").to_string())?.to_string();
        let ctx = bw_app::Ctx { actor: format!("user:{user}"), ..acting(&caller).map_err(|p| p.detail)? };
        let refused = |e: bw_app::matters::TakeError| match e {
            bw_app::matters::TakeError::Refused(r) if !en => format!(
                "{}（{}）",
                match r.code() {
                    "report_form_incomplete" => "报告单须填写背景、财务影响和备选方案",
                    "quorum_not_met" => "出席人数未达到三分之二，不能作出集体决策",
                    "opinions_missing" => "每位出席成员都须发表意见",
                    "not_a_member" => "发表意见者须为会议成员",
                    "matter_route_invalid" => "该事项不在此决策路径上",
                    _ => "操作未被接受",
                },
                r.code()
            ),
            other => other.to_string(),
        };
        let money = |k: &str| {
            bw_core::Money::parse_yuan(&field(k))
                .map_err(|_| format!("{k}: {}", t(en, "金额格式不正确", "not an amount")))
        };
        let facts = || -> Result<bw_core::matter::Facts, String> {
            Ok(bw_core::matter::Facts {
                unit_code: field("unit"),
                title: field("title"),
                category: bw_core::matter::Category::parse(&field("category")),
                amount: money("amount")?,
                budget: if field("budget").is_empty() { bw_core::Money::ZERO } else { money("budget")? },
                spend: if field("spend").is_empty() { bw_core::Money::ZERO } else { money("spend")? },
                strategic: field("strategic") == "on",
            })
        };
        let report = || bw_core::matter::Report {
            background: field("background"),
            financial_impact: field("impact"),
            alternatives: field("alternatives"),
        };
        let id = || field("id").parse::<i64>().map_err(|_| t(en, "未指定事项。", "No matter.").to_string());
        match field("op").as_str() {
            "submit" => {
                let id = bw_app::matters::submit(&app.store, &ctx, facts()?, report()).await.map_err(refused)?;
                Ok(format!("{} {id}", t(en, "已报送，编号", "Reported as")))
            }
            "oral" => {
                let id = bw_app::matters::oral(&app.store, &ctx, facts()?, &field("summary")).await.map_err(refused)?;
                Ok(format!("{} {id}", t(en, "已口头报告并抄送审计，编号", "Reported orally, audit copied:")))
            }
            "written" => {
                let action = bw_core::matter::Action::Written { id: id()?, report: report(), on: ctx.today };
                bw_app::matters::take(&app.store, &ctx, action).await.map_err(refused)?;
                Ok(t(en, "书面报告已补交", "Written form in").to_string())
            }
            "decide" => {
                let id = id()?;
                let all = bw_app::matters::load(&app.store).await.map_err(|e| e.to_string())?;
                let unit = all.matters.get(&id).map(|m| m.unit_code.clone()).unwrap_or_default();
                let roles = bw_app::milestones::roles_at_unit(&app.store, &user, &unit, ctx.today)
                    .await
                    .map_err(|e| e.to_string())?;
                bw_app::matters::decide(&app.store, &ctx, id, field("adopt") == "true", &field("text"), &roles)
                    .await
                    .map_err(refused)?;
                Ok(t(en, "已决策", "Decided").to_string())
            }
            "collective" => {
                let mut opinions = std::collections::BTreeMap::new();
                for pair in field("opinions").split([';', '；']).map(str::trim).filter(|p| !p.is_empty()) {
                    let (who, what) = pair.split_once([':', '：']).ok_or_else(|| format!("{pair}?"))?;
                    let o = match what.trim() {
                        "for" | "同意" => bw_core::matter::Opinion::For,
                        "against" | "不同意" => bw_core::matter::Opinion::Against,
                        _ => bw_core::matter::Opinion::Defer,
                    };
                    opinions.insert(who.trim().to_string(), o);
                }
                let meeting =
                    field("meeting").parse().map_err(|_| t(en, "请填写会议编号。", "Give the meeting.").to_string())?;
                bw_app::matters::collective(&app.store, &ctx, id()?, meeting, opinions).await.map_err(refused)?;
                Ok(t(en, "已记录集体决策", "Collective decision recorded").to_string())
            }
            _ => Err(t(en, "未知操作。", "Unknown action.").to_string()),
        }
    }
    .await;
    back_to("/matters", en, outcome)
}
