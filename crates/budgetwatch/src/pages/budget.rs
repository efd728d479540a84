//! The pages of budget work after logging in (docs/BUDGET.md, docs/PERFORMANCE.md): a year's
//! cycle with its stages, control totals, drafts and approval items; one item with its route,
//! steps, deadlines, report form and the signed decision form; the year's performance
//! results and ladder; the project library. Every figure is checked against the caller's
//! grants as the API checks it. The handlers compute the figures and the words; the templates
//! (budget_year.html, approval.html, performance.html, projects.html) lay them out.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bw_app::{budget, library, performance};
use bw_core::Money;
use bw_core::access::Permission;
use bw_core::budget::{Stage, StepState};

use crate::api::{App, Caller, Problem, Via, hidden, signed_in};
use crate::text::{t, urlencode};
use crate::web::{form_csrf, layout, problem_page};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/budget/{year}", get(year_page))
        .route("/budget/{year}/open", post(open_form))
        .route("/approval/{id}", get(item_page))
        .route("/approval/{id}/decide", post(decide_form))
        .route("/performance/{year}", get(performance_page))
        .route("/projects", get(projects_page))
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
    /// The performance page: projects whose name, code or unit contains this.
    q: Option<String>,
    /// The performance page: projects of this grade (优, 良, 中, 差 or 未评价).
    grade: Option<String>,
    page: Option<usize>,
}

/// Projects a page of the performance page lists.
const PROJECT_ROWS: usize = 50;

impl PageQuery {
    fn en(&self) -> bool {
        self.lang.as_deref() == Some("en")
    }
}

/// The page, or the refusal as a page.
fn page(en: bool, caller: &Caller, here: &str, title: &str, body: Result<String, Problem>) -> Response {
    match body {
        Ok(b) => Html(layout(en, title, caller, here, &b)).into_response(),
        Err(p) => problem_page(en, caller, here, p),
    }
}

fn lang_q(en: bool) -> &'static str {
    if en { "?lang=en" } else { "" }
}

fn state_label(en: bool, state: &str) -> &'static str {
    match state {
        "in_review" => t(en, "审批中", "in review"),
        "approved" => t(en, "已批准", "approved"),
        "rejected" => t(en, "已退回", "rejected"),
        _ => t(en, "其他", "other"),
    }
}

fn kind_label(en: bool, kind: &str) -> &'static str {
    if kind == "adjustment" { t(en, "预算调整", "adjustment") } else { t(en, "预算草案", "draft") }
}

fn step_state(en: bool, s: StepState) -> &'static str {
    match s {
        StepState::Waiting => t(en, "等待", "waiting"),
        StepState::Open => t(en, "待办", "open"),
        StepState::Approved => t(en, "同意", "approved"),
        StepState::Rejected => t(en, "退回", "rejected"),
    }
}

async fn year_page(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Query(q): Query<PageQuery>,
) -> Response {
    let en = q.en();
    let here = format!("/budget/{year}{}", lang_q(en));
    let title = format!("{} {year}", t(en, "预算编制", "Budget"));
    page(en, &caller, &here, &title, year_body(&app, &caller, year, &q).await)
}

async fn year_body(app: &App, caller: &Caller, year: i32, q: &PageQuery) -> Result<String, Problem> {
    use minijinja::context;
    crate::api::fiscal_year(year)?;
    let en = q.en();
    signed_in(caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let readable = |unit: &str| caller.check(&org, Permission::ReadBudget, unit).is_ok();
    let words = context! {
        title => t(en, "预算编制与审批", "Budget preparation and approval"),
        last_performance => t(en, "上年绩效", "Last year's performance"),
        library => t(en, "项目库", "Project library"),
        closing => t(en, "年终结转结余报告：", "Closing report:"),
        mode => t(en, "编制方式", "Mode"),
        bottom_up => t(en, "自下而上（单位申报，逐级审核）", "bottom-up (units propose, reviewed upwards)"),
        top_down => t(en, "自上而下（先下达控制数）", "top-down (control totals first)"),
        mode_is => t(en, "编制方式：", "Mode:"),
        controls => t(en, "控制数", "Control totals"),
        department => t(en, "部门", "Department"),
        control => t(en, "控制数(元)", "Control (yuan)"),
        drafted => t(en, "草案合计(元)", "Drafts (yuan)"),
        room => t(en, "余量(元)", "Room (yuan)"),
        drafts => t(en, "单位草案（最新版本）", "Units' drafts (latest versions)"),
        unit => t(en, "单位", "Unit"),
        version => t(en, "版本", "Version"),
        total => t(en, "合计(元)", "Total (yuan)"),
        author => t(en, "编制人", "Author"),
        note => t(en, "说明", "Note"),
        items => t(en, "审批事项", "Approval items"),
        item => t(en, "编号", "Item"),
        kind => t(en, "类型", "Kind"),
        amount => t(en, "金额(元)", "Amount (yuan)"),
        route => t(en, "路径", "Route"),
        state => t(en, "状态", "State"),
        step_now => t(en, "当前步骤 · 时限", "Step now · due"),
        late => t(en, "已超时", "late"),
    };
    // Lessons of the units' reviews whose plans are not yet accepted, for drafting.
    let lessons: Vec<minijinja::Value> = bw_app::reviews::load(&app.store)
        .await
        .map_err(Problem::internal)?
        .reviews
        .values()
        .filter(|r| r.lessons_open() && !r.lessons.is_empty() && readable(&r.unit_code))
        .map(|r| context! { unit => name(&r.unit_code), title => r.title.as_str(), lessons => r.lessons.as_str(), id => r.id })
        .collect();
    let render = |cycle: minijinja::Value, not_open: Option<String>, open_form: Option<String>| {
        crate::templates::render(
            "budget_year.html",
            context! {
                lessons => lessons.clone(),
                lessons_title => t(en, "编制时须吸取的教训（复盘整改尚未验收）", "Open lessons (reviews whose plans are not yet accepted)"),
                w => words,
                year => year,
                prev => year - 1,
                next => year + 1,
                lang => lang_q(en),
                done => q.done.as_deref(),
                error => q.error.as_deref(),
                // The closing report (the year's balances and what becomes of them), as it
                // stands (also for a year imported for execution without a cycle here).
                closing => crate::budget_api::on_everything(caller, Permission::ReadBudget).is_ok(),
                cycle => cycle,
                not_open => not_open,
                open_form => open_form,
                csrf => caller.csrf(),
            },
        )
    };
    let Some(cycle) = budget::cycle(&app.store, year).await.map_err(Problem::internal)? else {
        // Who opens it, and the action for those who may.
        let roles: Vec<&str> = bw_core::access::Role::ALL
            .iter()
            .filter(|r| r.has(Permission::PrepareBudget))
            .filter(|r| !matches!(r, bw_core::access::Role::UnitHandler | bw_core::access::Role::UnitFinance))
            .map(|r| if en { r.id() } else { r.zh() })
            .collect();
        let not_open = if en {
            format!(
                "The budget cycle of {year} is not open yet. It is opened by the bureau's budget staff ({}, granted on the whole organisation).",
                roles.join(", ")
            )
        } else {
            format!("{year} 年度预算周期尚未开启。预算周期由财政部门（{}，授权范围为全部）开启。", roles.join("、"))
        };
        let may_open = crate::budget_api::on_everything(caller, Permission::PrepareBudget).is_ok()
            && matches!(caller.via, Via::Session { .. });
        let open_form = may_open.then(|| {
            if en { format!("Open the budget cycle of {year}") } else { format!("开启 {year} 年度预算周期") }
        });
        return Ok(render(minijinja::Value::from(()), Some(not_open), open_form));
    };
    // The stages, the current one marked.
    let current = Stage::parse(&cycle.stage).ok();
    let stages: Vec<minijinja::Value> = Stage::ALL
        .into_iter()
        .map(|s| context! { zh => s.zh(), id => s.as_str(), now => Some(s) == current })
        .collect();
    // Control totals against the units' latest drafts.
    let drafts = budget::latest_drafts(&app.store, year).await.map_err(Problem::internal)?;
    let controls = budget::controls(&app.store, year).await.map_err(Problem::internal)?;
    let control_rows: Vec<minijinja::Value> = controls
        .iter()
        .filter(|(d, _)| readable(d))
        .map(|(dept, control)| {
            let drafted: i64 = drafts
                .iter()
                .filter(|d| org.department_of(&d.0).is_some_and(|n| &n.code == dept))
                .map(|d| d.2.fen())
                .sum();
            let room = control.fen() - drafted;
            context! {
                name => name(dept),
                code => dept.as_str(),
                control => control.grouped(),
                drafted => Money::from_fen(drafted).grouped(),
                room => Money::from_fen(room).grouped(),
                over => room < 0,
            }
        })
        .collect();
    let people = bw_app::users::display_names(&app.store).await.map_err(Problem::internal)?;
    let draft_rows: Vec<minijinja::Value> = drafts
        .iter()
        .filter(|d| readable(&d.0))
        .map(|(unit, version, total, author, note)| {
            context! {
                name => name(unit),
                code => unit.as_str(),
                version => version,
                total => total.grouped(),
                author => minijinja::Value::from_safe_string(crate::web::actor_html(en, author, &people)),
                note => note.as_str(),
            }
        })
        .collect();
    // Approval items: drafts and adjustments, each with its open steps.
    let now = crate::clock::now();
    let items = budget::items(&app.store, Some(year)).await.map_err(Problem::internal)?;
    let item_rows: Vec<minijinja::Value> = items
        .iter()
        .filter(|i| readable(&i.unit_code))
        .map(|it| {
            let open: Vec<minijinja::Value> = it
                .steps
                .iter()
                .filter(|s| s.state == StepState::Open)
                .map(|s| {
                    context! {
                        zh => s.spec.zh.as_str(),
                        role => s.role.id(),
                        due => s.due.map(|d| d.to_string()).unwrap_or_default(),
                        late => budget::late(s, now),
                    }
                })
                .collect();
            context! {
                id => it.id,
                kind => kind_label(en, &it.kind),
                name => name(&it.unit_code),
                code => it.unit_code.as_str(),
                amount => it.amount.grouped(),
                route => it.route.as_str(),
                state => state_label(en, &it.state),
                open => open,
            }
        })
        .collect();
    let mode = if cycle.mode == "top_down" {
        t(en, "自上而下（控制数）", "top-down (control totals)")
    } else {
        t(en, "自下而上", "bottom-up")
    };
    let cycle = context! {
        stages => stages,
        mode => mode,
        has_controls => !controls.is_empty(),
        controls => control_rows,
        drafts => draft_rows,
        items => item_rows,
    };
    Ok(render(cycle, None, None))
}

async fn item_page(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Response {
    let en = q.en();
    let here = format!("/approval/{id}{}", lang_q(en));
    let title = format!("{} {id}", t(en, "审批事项", "Approval item"));
    page(en, &caller, &here, &title, item_body(&app, &caller, id, &q).await)
}

async fn item_body(app: &App, caller: &Caller, id: i64, q: &PageQuery) -> Result<String, Problem> {
    use minijinja::context;
    let en = q.en();
    let it = crate::budget_api::readable_item(app, caller, id).await?;
    let org = app.org().await?;
    let people = bw_app::users::display_names(&app.store).await.map_err(Problem::internal)?;
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    // The shared helper escapes the names it writes.
    let actor = |who: &str| minijinja::Value::from_safe_string(crate::web::actor_html(en, who, &people));
    let item = context! {
        kind => kind_label(en, &it.kind),
        unit_name => name(&it.unit_code),
        unit => it.unit_code.as_str(),
        amount => it.amount.grouped(),
        route => it.route.as_str(),
        state => state_label(en, &it.state),
        prepared_by => actor(&it.prepared_by),
    };
    // The steps and their deadlines.
    let now = crate::clock::now();
    let steps: Vec<minijinja::Value> = it
        .steps
        .iter()
        .map(|s| {
            context! {
                zh => s.spec.zh.as_str(),
                id => s.spec.id.as_str(),
                role => s.role.id(),
                escalated_from => (s.role != s.spec.role).then(|| s.spec.role.id()),
                place => if s.spec.whole { t(en, "（全局）", " (whole organisation)") } else { "" },
                state => step_state(en, s.state),
                due => s.due.map(|d| d.to_string()).unwrap_or_default(),
                late => budget::late(s, now),
                by => s.by.as_deref().map(actor).unwrap_or_else(|| minijinja::Value::from("")),
                at => s.at.map(crate::clock::local_time).unwrap_or_default(),
                comment => s.comment.as_str(),
            }
        })
        .collect();
    // What is decided: the adjustment's report form, or the draft's lines and changes.
    let adjustment = budget::adjustment(&app.store, id).await.map_err(Problem::internal)?.map(|a| {
        context! {
            indicator => a.indicator_code.as_str(),
            before => a.before.grouped(),
            after => a.before.checked_add(a.delta).unwrap_or(a.before).grouped(),
            reason => a.reason.as_str(),
            impact => a.impact.as_str(),
            alternatives => a.alternatives.as_str(),
            rule => a.rule.as_deref(),
            emergency => match (&a.reserve, a.emergency) {
                (Some(reserve), Some(case)) => Some(context! { reserve => reserve.as_str(), case => case }),
                _ => None,
            },
        }
    });
    let draft = match adjustment {
        Some(_) => None,
        None => draft_section(app, &it).await?,
    };
    // The decision form: the open steps this caller may decide (none: no form), signed with
    // the approver's own key.
    let path: Vec<&str> = org.ancestors(&it.unit_code).iter().map(|n| n.code.as_str()).collect();
    let (roles, whole) = budget::roles_at(&caller.access, &path);
    let user = format!("user:{}", caller.access.user);
    let decider = bw_core::budget::Actor { user: &user, roles: &roles, whole: &whole };
    let open: Vec<minijinja::Value> = (0..it.steps.len())
        .filter(|i| bw_core::budget::may_decide(&it.steps, &it.prepared_by, *i, &decider).is_ok())
        .map(|i| context! { id => it.steps[i].spec.id.as_str(), zh => it.steps[i].spec.zh.as_str() })
        .collect();
    let decide =
        (matches!(caller.via, Via::Session { .. }) && it.state == "in_review" && !open.is_empty()).then_some(open);
    let words = context! {
        title => t(en, "审批事项", "Approval item"),
        budget => t(en, "预算编制", "Budget"),
        kind => t(en, "类型", "Kind"),
        unit => t(en, "单位", "Unit"),
        amount => t(en, "金额(元)", "Amount (yuan)"),
        route => t(en, "审批路径", "Route"),
        state => t(en, "状态", "State"),
        prepared_by => t(en, "编制人", "Prepared by"),
        steps => t(en, "审批步骤", "Steps"),
        step => t(en, "步骤", "Step"),
        role => t(en, "角色", "Role"),
        due => t(en, "时限", "Due"),
        by => t(en, "审批人", "By"),
        at => t(en, "时间", "At"),
        comment => t(en, "意见", "Comment"),
        escalated_from => t(en, "超时上移自", "escalated from"),
        late => t(en, "已超时", "late"),
        adjustment => t(en, "预算调整申请表", "Adjustment request"),
        indicator => t(en, "指标", "Indicator"),
        reason => t(en, "理由", "Reason"),
        impact => t(en, "财务影响", "Financial impact"),
        alternatives => t(en, "备选方案", "Alternatives"),
        rule => t(en, "自动批准规则", "Approved by rule"),
        emergency_source => t(en, "应急资金来源", "Emergency source"),
        emergency_case => t(en, "应急事件", "emergency case"),
        draft => t(en, "草案", "Draft"),
        project => t(en, "项目", "Project"),
        functional => t(en, "功能分类", "Functional"),
        economic => t(en, "经济分类", "Economic"),
        total => t(en, "合计", "Total"),
        changes_from => t(en, "相对上一版的变化", "Changes from"),
        decide => t(en, "审批", "Decide"),
        approve => t(en, "同意", "Approve"),
        reject => t(en, "退回", "Reject"),
        password => t(en, "签名密码", "Signing password"),
        sign => t(en, "签名", "Sign"),
        sign_note => t(
            en,
            "密码只用于解锁您本人的签名密钥，审批以您的电子签名记入日志。",
            "The password only unseals your own signing key: the decision enters the journal with your electronic signature."
        ),
    };
    Ok(crate::templates::render(
        "approval.html",
        context! {
            w => words,
            id => id,
            year => it.year,
            lang => lang_q(en),
            done => q.done.as_deref(),
            error => q.error.as_deref(),
            item => item,
            steps => steps,
            adjustment => adjustment,
            draft => draft,
            decide => decide,
            csrf => caller.csrf(),
        },
    ))
}

/// The item's draft: its lines, total and the changes from the version before.
async fn draft_section(app: &App, it: &budget::Item) -> Result<Option<minijinja::Value>, Problem> {
    use minijinja::context;
    let versions = budget::versions(&app.store, it.year, &it.unit_code).await.map_err(Problem::internal)?;
    let Some(v) = versions.iter().find(|v| v.version == it.version) else {
        return Ok(None);
    };
    let lines: Vec<minijinja::Value> = v
        .lines
        .iter()
        .map(|line| {
            context! {
                indicator => line.indicator_code.as_str(),
                project => line.project_code.as_deref().unwrap_or(""),
                // Shared cells: the classification's name beside its code, escaped.
                functional => minijinja::Value::from_safe_string(crate::text::functional_cell(&line.functional_code)),
                economic => minijinja::Value::from_safe_string(crate::text::economic_cell(&line.economic_code)),
                amount => line.amount.grouped(),
            }
        })
        .collect();
    let changes = if it.version > 1 {
        use bw_core::budget::Change;
        let (changes, _) = budget::compare(&app.store, it.year, &it.unit_code, it.version - 1, it.version)
            .await
            .map_err(Problem::internal)?;
        let lines: Vec<String> = changes
            .into_iter()
            .map(|c| match c {
                Change::Added { line } => format!("+ {} {}", line.indicator_code, line.amount),
                Change::Removed { line } => format!("− {} {}", line.indicator_code, line.amount),
                Change::Changed { before, after } => {
                    format!("~ {} {} → {}", after.indicator_code, before.amount, after.amount)
                }
            })
            .collect();
        Some(context! { from => it.version - 1, lines => lines })
    } else {
        None
    };
    Ok(Some(context! {
        version => v.version,
        note => v.note.as_str(),
        lines => lines,
        total => v.total.grouped(),
        changes => changes,
    }))
}

#[derive(serde::Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    password: String,
}

/// A decision from the item's page: the form's CSRF token, then the same checks, service
/// and signature as the API; back to the page with what happened.
#[derive(serde::Deserialize)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mode: String,
}

/// Opens a year's cycle from its page (prepare_budget on the whole organisation).
async fn open_form(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Query(q): Query<PageQuery>,
    Form(f): Form<OpenForm>,
) -> Response {
    let en = q.en();
    let lang = if en { "&lang=en" } else { "" };
    if let Some(r) = form_csrf(&caller, &f.csrf, &format!("/budget/{year}")) {
        return r;
    }
    let back = |key: &str, message: &str| {
        Redirect::to(&format!("/budget/{year}?{key}={}{lang}", urlencode(message))).into_response()
    };
    if let Err(p) =
        crate::api::fiscal_year(year).and_then(|_| crate::budget_api::on_everything(&caller, Permission::PrepareBudget))
    {
        return back("error", &if en { p.detail } else { p.zh.unwrap_or(p.detail) });
    }
    let Ok(mode) = bw_core::budget::Mode::parse(&f.mode) else {
        return back("error", t(en, "请选择编制方式。", "Choose the mode."));
    };
    let ctx = match caller.ctx(Some(format!("budget cycle of {year} opened"))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    match crate::api::off_thread(move |rt| rt.block_on(budget::open_cycle(&store, &ctx, year, mode))).await {
        Ok(Ok(_)) => back(
            "done",
            &if en {
                format!("The cycle of {year} is open.")
            } else {
                format!("{year} 年度预算周期已开启，进入调研与目标阶段。")
            },
        ),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => {
            back("error", &if en { m } else { format!("未能开启：{m}") })
        }
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn decide_form(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
    Form(f): Form<DecideForm>,
) -> Response {
    let lang = if q.en() { "&lang=en" } else { "" };
    if let Some(r) = form_csrf(&caller, &f.csrf, &format!("/approval/{id}")) {
        return r;
    }
    let ruling = (f.step.as_str(), f.decision.as_str(), f.comment.as_str());
    match crate::budget_api::decide_as(&app, &caller, id, ruling, f.password).await {
        Ok((outcome, _)) => {
            use bw_core::budget::Outcome;
            let step = bw_core::access::Role::parse(&f.step).map(|r| r.zh()).unwrap_or(f.step.as_str());
            let done = if q.en() {
                format!("{} {} → {outcome:?}", f.step, f.decision)
            } else {
                let what = if f.decision == "approve" { "同意" } else { "不同意" };
                let now = match outcome {
                    Outcome::Pending => "等待其余步骤",
                    Outcome::Approved => "全部步骤已同意，审批通过",
                    Outcome::Rejected => "已退回编制人",
                };
                format!("{step}：{what}（已签名）。{now}。")
            };
            Redirect::to(&format!("/approval/{id}?done={}{lang}", urlencode(&done))).into_response()
        }
        Err(p) => {
            let message = match (&p.zh, q.en()) {
                (Some(zh), false) => zh.clone(),
                (None, false) if p.detail.contains("password") || p.detail.contains("key") => {
                    format!("签名未成功：签名密码不对，或尚无签名密钥。（{}）", p.detail)
                }
                (None, false) => format!("未成功：{}", p.detail),
                _ => p.detail.clone(),
            };
            Redirect::to(&format!("/approval/{id}?error={}{lang}", urlencode(&message))).into_response()
        }
    }
}

async fn performance_page(
    State(app): State<App>,
    caller: Caller,
    Path(year): Path<i32>,
    Query(q): Query<PageQuery>,
) -> Response {
    let en = q.en();
    let here = format!("/performance/{year}{}", lang_q(en));
    let title = format!("{} {year}", t(en, "绩效评价", "Performance"));
    page(en, &caller, &here, &title, performance_body(&app, &caller, year, &q).await)
}

async fn performance_body(app: &App, caller: &Caller, year: i32, q: &PageQuery) -> Result<String, Problem> {
    crate::api::fiscal_year(year)?;
    use bw_core::performance::{ProjectAction, points_text};
    use minijinja::context;
    let en = q.en();
    signed_in(caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    // Both change only with the journal: kept until it grows.
    let r = app
        .cached(format!("performance/{year}"), || async {
            performance::results(&app.store, year).await.map_err(Problem::internal)
        })
        .await?;
    let names = app
        .cached("project-names".into(), || async {
            let list = library::list(&app.store).await.map_err(Problem::internal)?;
            Ok(list
                .into_iter()
                .map(|e| (e.project_code, e.name))
                .collect::<std::collections::HashMap<String, String>>())
        })
        .await?;
    let opt = |p: Option<i64>| p.map(points_text).unwrap_or_else(|| "—".into());
    let classified = bw_app::classified::projects(&app.store).await.map_err(Problem::internal)?;
    let shown = |p: &&performance::ProjectResult| {
        caller.check(&org, Permission::ReadBudget, &p.unit_code).is_ok()
            && !hidden(caller, &org, &classified, &p.unit_code, &p.project_code)
    };
    let visible: Vec<&performance::ProjectResult> = r.projects.iter().filter(shown).collect();
    // The grades at a glance, each a filter; then a search and pages of 50.
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let grade = q.grade.as_deref().filter(|g| !g.is_empty());
    let link = |g: Option<&str>, page: usize| {
        let mut s = format!("/performance/{year}?page={page}");
        if let Some(g) = g {
            s.push_str(&format!("&grade={}", urlencode(g)));
        }
        if let Some(x) = search {
            s.push_str(&format!("&q={}", urlencode(x)));
        }
        if en {
            s.push_str("&lang=en");
        }
        s + "#projects"
    };
    let grades: Vec<minijinja::Value> = ["优", "良", "中", "差", "未评价"]
        .into_iter()
        .map(|g| {
            context! {
                href => link(Some(g), 1),
                name => g,
                count => visible.iter().filter(|p| p.grade_zh == g).count(),
                chosen => grade == Some(g),
            }
        })
        .collect();
    let visible_count = visible.len();
    let matching: Vec<&performance::ProjectResult> = visible
        .into_iter()
        .filter(|p| grade.is_none_or(|g| p.grade_zh == g))
        .filter(|p| {
            search.is_none_or(|x| {
                p.project_code.contains(x)
                    || names.get(&p.project_code).is_some_and(|n| n.contains(x))
                    || name(&p.unit_code).contains(x)
            })
        })
        .collect();
    let pages = matching.len().div_ceil(PROJECT_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let rows: Vec<minijinja::Value> = matching
        .iter()
        .skip((page - 1) * PROJECT_ROWS)
        .take(PROJECT_ROWS)
        .map(|p| {
            let action = match p.action {
                _ if !p.evaluated => t(en, "未评价，按原安排", "not evaluated: as planned"),
                ProjectAction::Prioritise => t(en, "优先保障", "prioritised"),
                ProjectAction::Keep => t(en, "保持", "kept"),
                ProjectAction::Cut => t(en, "改进后压减", "cut after plan improvement"),
                ProjectAction::Suspend => t(en, "取消或暂停", "cancelled or suspended"),
            };
            context! {
                name => names.get(&p.project_code).map(String::as_str).unwrap_or(""),
                code => p.project_code.as_str(),
                unit_name => name(&p.unit_code),
                unit => p.unit_code.as_str(),
                budget => p.budget.grouped(),
                kpi => opt(p.kpi_score),
                self_score => opt(p.self_score),
                third_party => opt(p.third_party_score),
                distorted => p.distorted,
                score => if p.evaluated { points_text(p.score) } else { "—".into() },
                grade => p.grade_zh,
                action => action,
            }
        })
        .collect();
    let departments: Vec<minijinja::Value> = r
        .departments
        .iter()
        .map(|d| {
            context! {
                rank => d.rank,
                name => name(&d.department),
                code => d.department.as_str(),
                result => points_text(d.result),
                change => match d.change_pct {
                    0 => "—".to_string(),
                    c => format!("{c:+}%"),
                },
                interview => if d.interview { t(en, "，约谈负责人", ", head interviewed") } else { "" },
            }
        })
        .collect();
    // Departments with nothing evaluated are not ranked: listed as such, never as 0 or 差.
    let mut unranked: Vec<&str> = r
        .projects
        .iter()
        .map(|p| p.department_code.as_str())
        .filter(|d| !d.is_empty() && !r.departments.iter().any(|x| x.department == *d))
        .collect();
    unranked.sort_unstable();
    unranked.dedup();
    let interviews = performance::interviews(&app.store, year).await.map_err(Problem::internal)?;
    let published = performance::published(&app.store, year).await.map_err(Problem::internal)?;
    let words = context! {
        title => t(en, "绩效评价与预算安排", "Performance and allocation"),
        budget => t(en, "预算编制", "Budget"),
        projects => t(en, "项目", "Projects"),
        all => t(en, "全部", "all"),
        placeholder => t(en, "项目名称、编码或单位", "Project name, code or unit"),
        search_label => t(en, "搜索项目", "Search projects"),
        search => t(en, "搜索", "Search"),
        project => t(en, "项目", "Project"),
        unit => t(en, "单位", "Unit"),
        budget_yuan => t(en, "预算(元)", "Budget (yuan)"),
        kpi => t(en, "指标得分", "KPI score"),
        self_score => t(en, "自评", "Self"),
        third_party => t(en, "第三方", "Third party"),
        score => t(en, "得分", "Score"),
        grade => t(en, "等级", "Grade"),
        next_year => t(en, "下年安排", "Next year"),
        distorted => t(en, "失真", "distorted"),
        distorted_title => t(en, "自评与第三方评价相差超过 15 分", "self and third-party scores more than 15 points apart"),
        previous => t(en, "‹ 上一页", "‹ Previous"),
        next => t(en, "下一页 ›", "Next ›"),
        departments => t(en, "部门排名与预算阶梯", "Departments: ranking and ladder"),
        rank => t(en, "名次", "Rank"),
        department => t(en, "部门", "Department"),
        result => t(en, "综合得分", "Result"),
        next_budget => t(en, "下年预算", "Next year's budget"),
        not_evaluated => t(en, "未评价", "not evaluated"),
        not_ranked => t(en, "不参与排名，按原安排", "not ranked: as planned"),
        interview => t(en, "已安排约谈：", "Interview scheduled:"),
        by => t(en, "截至", "by"),
        published => t(en, "排名已于", "Ranking published on"),
        see_portal => t(en, "在阳光预算查看", "see the public portal"),
        not_published => t(
            en,
            "排名尚未公开（budgetwatch performance publish）。",
            "The ranking is not published yet (budgetwatch performance publish)."
        ),
    };
    Ok(crate::templates::render(
        "performance.html",
        context! {
            w => words,
            en => en,
            year => year,
            prev => year - 1,
            next => year + 1,
            lang => lang_q(en),
            visible => visible_count,
            grades => grades,
            all => link(None, 1),
            search => search.unwrap_or(""),
            grade => grade,
            rows => rows,
            pager => pager(en, page, pages, |p| link(grade, p)),
            departments => departments,
            unranked => unranked.iter().map(|d| context! { name => name(d), code => *d }).collect::<Vec<_>>(),
            interviews => interviews
                .iter()
                .map(|i| context! {
                    name => name(&i.department_code),
                    code => i.department_code.as_str(),
                    due => i.due_on.as_str(),
                })
                .collect::<Vec<_>>(),
            published => published.as_ref().map(|p| p.published_at.as_str()),
        },
    ))
}

/// The pager under a list of `pages` pages at `page` (none for a single page): the links to
/// the pages before and after, and where the reader is.
fn pager(en: bool, page: usize, pages: usize, link: impl Fn(usize) -> String) -> Option<minijinja::Value> {
    (pages > 1).then(|| {
        minijinja::context! {
            previous => (page > 1).then(|| link(page - 1)),
            at => if en { format!("page {page} of {pages}") } else { format!("第 {page} / {pages} 页") },
            next => (page < pages).then(|| link(page + 1)),
        }
    })
}

async fn projects_page(State(app): State<App>, caller: Caller, Query(q): Query<PageQuery>) -> Response {
    let en = q.en();
    let here = format!("/projects{}", lang_q(en));
    page(en, &caller, &here, t(en, "项目库", "Project library"), projects_body(&app, &caller, &q).await)
}

async fn projects_body(app: &App, caller: &Caller, q: &PageQuery) -> Result<String, Problem> {
    use minijinja::context;
    let en = q.en();
    signed_in(caller)?;
    let org = app.org().await?;
    caller.nodes(&org, Permission::ReadBudget, false)?;
    let classified = bw_app::classified::projects(&app.store).await.map_err(Problem::internal)?;
    let name = |code: &str| org.get(code).map(|n| n.name.clone()).unwrap_or_else(|| code.to_string());
    let projects = library::list(&app.store).await.map_err(Problem::internal)?;
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let matching: Vec<&library::Entry> = projects
        .iter()
        .filter(|p| {
            caller.check(&org, Permission::ReadBudget, &p.unit_code).is_ok()
                && !hidden(caller, &org, &classified, &p.unit_code, &p.project_code)
        })
        .filter(|p| {
            search.is_none_or(|x| p.project_code.contains(x) || p.name.contains(x) || name(&p.unit_code).contains(x))
        })
        .collect();
    let pages = matching.len().div_ceil(PROJECT_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let link = |page: usize| {
        let mut s = format!("/projects?page={page}");
        if let Some(x) = search {
            s.push_str(&format!("&q={}", urlencode(x)));
        }
        if en {
            s.push_str("&lang=en");
        }
        s
    };
    let rows: Vec<minijinja::Value> = matching
        .iter()
        .skip((page - 1) * PROJECT_ROWS)
        .take(PROJECT_ROWS)
        .map(|p| {
            let tier = match p.status.as_str() {
                "reserve" => t(en, "储备", "reserve"),
                "approved" => t(en, "已批复", "approved"),
                "executing" => t(en, "执行中", "executing"),
                "completed" => t(en, "已完成", "completed"),
                _ => t(en, "已退出", "retired"),
            };
            let m = &p.maturity;
            let parts = [
                (m.kpis, t(en, "目标", "KPIs")),
                (m.estimate, t(en, "测算", "estimate")),
                (m.documents, t(en, "资料", "documents")),
            ];
            let missing: Vec<&str> = parts.iter().filter(|(has, _)| !has).map(|(_, n)| *n).collect();
            context! {
                name => p.name.as_str(),
                code => p.project_code.as_str(),
                unit_name => name(&p.unit_code),
                unit => p.unit_code.as_str(),
                tier => tier,
                start => p.start_year,
                end => p.end_year,
                total => p.total_amount.grouped(),
                expires => p.expires_on.as_deref().unwrap_or(""),
                score => m.score,
                missing => missing.join("、"),
            }
        })
        .collect();
    let words = context! {
        title => t(en, "项目库", "Project library"),
        note => t(
            en,
            "储备 → 已批复 → 执行中 → 已完成，任一阶段可退出；只有已批复和执行中的项目可以安排资金。成熟度：绩效目标 40 分、成本测算 30 分、项目资料 30 分。",
            "Reserve → approved → executing → completed, any of them → retired; only approved and executing projects receive money. Maturity: KPI targets 40, cost estimate 30, documents 30."
        ),
        placeholder => t(en, "项目名称、编码或单位", "Project name, code or unit"),
        search_label => t(en, "搜索项目", "Search projects"),
        search => t(en, "搜索", "Search"),
        projects => t(en, "个项目", "projects"),
        project => t(en, "项目", "Project"),
        unit => t(en, "单位", "Unit"),
        tier => t(en, "阶段", "Tier"),
        years => t(en, "年度", "Years"),
        total => t(en, "总额(元)", "Total (yuan)"),
        expires => t(en, "储备到期", "Expires"),
        maturity => t(en, "成熟度", "Maturity"),
        missing => t(en, "缺", "missing"),
        previous => t(en, "‹ 上一页", "‹ Previous"),
        next => t(en, "下一页 ›", "Next ›"),
    };
    Ok(crate::templates::render(
        "projects.html",
        context! {
            w => words,
            en => en,
            search => search.unwrap_or(""),
            matching => matching.len(),
            rows => rows,
            pager => pager(en, page, pages, link),
        },
    ))
}
