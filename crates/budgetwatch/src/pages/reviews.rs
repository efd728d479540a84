//! Post-incident reviews and the case knowledge base on the web: `/reviews` (the reviews and
//! the form to open one), `/review/{id}` (what happened, causes, lessons, the improvement
//! plan, its approval and the audit role's acceptance), `/cases` (search by words, and the
//! repeats: 屡审屡犯). The same service paths as the command line.

use super::*;
use bw_app::reviews;
use bw_core::review::{Action, Cause, Criterion, PlanItem, State as ReviewState};
use minijinja::context;
use std::collections::HashMap;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/reviews", get(list).post(open_review))
        .route("/review/{id}", get(show).post(act))
        .route("/review/{id}/report.pdf", get(report_pdf))
        .route("/cases", get(cases))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct Q {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
    q: Option<String>,
}

const READ: Permission = Permission::ReadWarnings;
const ACT: Permission = Permission::ReviewWarning;

fn refused(en: bool, e: reviews::TakeError) -> String {
    match e {
        reviews::TakeError::Refused(r) if !en => {
            let zh = match r.code() {
                "acceptance_outside_window" => "整改计划须在批准后 3 至 6 个月内验收",
                "review_state_invalid" => "复盘当前状态不允许此操作",
                "review_field_empty" => "请填写经过、原因分类和教训",
                "plan_item_invalid" => "整改事项不完整",
                "review_already_open" => "该事项已有复盘",
                _ => "操作未被接受",
            };
            format!("{zh}（{}）", r.code())
        }
        other => other.to_string(),
    }
}

pub(super) async fn list(State(app): State<App>, caller: Caller, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let body = async {
        holding(&caller, READ)?;
        let org = app.org().await?;
        let all = reviews::load(&app.store).await.map_err(Problem::internal)?;
        let rows: Vec<minijinja::Value> = all
            .reviews
            .values()
            .rev()
            .map(|r| {
                let causes: Vec<&str> = r.causes.iter().map(|c| if en { c.id() } else { c.zh() }).collect();
                context! {
                    id => r.id, title => r.title.as_str(), on => r.opened_on.to_string(),
                    unit => org.get(&r.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| r.unit_code.clone()),
                    causes => causes.join("、"), state => if en { r.state.id() } else { r.state.zh() },
                    reference => r.reference.as_deref(),
                }
            })
            .collect();
        Ok::<String, Problem>(crate::templates::render(
            "reviews.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(), error => q.error.as_deref(), csrf => caller.csrf().to_string(),
                rows => rows, may_open => caller.access.has(ACT),
                w => context! {
                    title => t(en, "复盘", "Reviews"),
                    intro => t(en, "应急处置结束、红色预警归档、专项审计结束后由系统开启复盘；记录经过、原因分类和教训，制定可由系统计算验收标准的整改计划，批准后 3 至 6 个月内由审计纪检验收，未通过则重新修订（PDCA）。已结案的复盘进入案例库。", "A review opens when an emergency closes, a red warning is archived or a special audit concludes; what happened, its causes and lessons; an improvement plan with criteria the system computes, accepted by audit 3 to 6 months after approval, reopened on a fail."),
                    cases => t(en, "案例库", "Case knowledge base"), on => t(en, "日期", "Date"), unit => t(en, "单位", "Unit"),
                    name => t(en, "复盘", "Review"), causes => t(en, "原因", "Causes"), state => t(en, "状态", "State"),
                    none => t(en, "暂无复盘。", "No reviews."), add => t(en, "开启复盘", "Open a review"),
                    unit_code => t(en, "单位编码", "Unit code"), title_f => t(en, "事项", "Title"), save => t(en, "开启", "Open"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "复盘", "Reviews"), "/reviews", body)
}

pub(super) async fn open_review(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<Q>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    if let Some(r) = form_csrf(&caller, f.get("csrf").map(String::as_str).unwrap_or(""), "/reviews") {
        return r;
    }
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let outcome = async {
        holding(&caller, ACT).map_err(|p| p.detail)?;
        let org = app.org().await.map_err(|p| p.detail)?;
        let unit = field("unit");
        if org.get(&unit).is_none() {
            return Err(t(en, "单位编码不存在。", "Unknown unit.").to_string());
        }
        let ctx = caller.ctx(None).map_err(|p| p.detail)?;
        let action = Action::Open { source: "manual".into(), unit_code: unit, title: field("title"), on: ctx.today };
        let id = reviews::take(&app.store, &ctx, action).await.map_err(|e| refused(en, e))?;
        Ok(format!("{} {id}", t(en, "已开启复盘", "Opened review")))
    }
    .await;
    back_to("/reviews", en, outcome)
}

pub(super) async fn show(State(app): State<App>, caller: Caller, Path(id): Path<i64>, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/review/{id}");
    let body = async {
        holding(&caller, READ)?;
        let org = app.org().await?;
        let all = reviews::load(&app.store).await.map_err(Problem::internal)?;
        let r = all.reviews.get(&id).ok_or_else(|| Problem::not_found(format!("no review {id}")))?;
        let causes: Vec<&str> = r.causes.iter().map(|c| if en { c.id() } else { c.zh() }).collect();
        let plan: Vec<minijinja::Value> = r
            .plan
            .iter()
            .map(|it| {
                let c = &it.criterion;
                let criterion = format!(
                    "{} {} {} {} {} {} {}–{}",
                    org.get(&c.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| c.unit_code.clone()),
                    t(en, "无", "no"),
                    crate::web::level_name(en, &c.min_level),
                    t(en, "及以上", "or above"),
                    crate::web::rule_name(en, &c.rule),
                    t(en, "预警", "warning"),
                    c.from,
                    c.to
                );
                context! { number => it.number, text => it.text.as_str(), owner => it.owner.as_str(), due => it.due.to_string(), criterion => criterion }
            })
            .collect();
        let acceptances: Vec<String> = r
            .acceptances
            .iter()
            .map(|a| {
                let values: Vec<String> = a.values.iter().map(|(n, v)| format!("#{n}: {v}")).collect();
                format!("{} {} {}（{}）", a.on, a.by, if a.pass { t(en, "通过", "passed") } else { t(en, "未通过，计划重新修订", "failed: plan reopened") }, values.join("，"))
            })
            .collect();
        let window = r.approved_on.map(|d| {
            let (from, to) = bw_core::review::acceptance_window(d);
            format!("{from} – {to}")
        });
        let may = caller.access.has(ACT);
        let audit = caller.access.grants.iter().any(|g| g.role == bw_core::access::Role::AuditDiscipline);
        let all_causes: Vec<minijinja::Value> =
            Cause::ALL.iter().map(|c| context! { id => c.id(), name => if en { c.id() } else { c.zh() } }).collect();
        Ok::<String, Problem>(crate::templates::render(
            "review.html",
            context! {
                lang => if en { "?lang=en" } else { "" },
                done => q.done.as_deref(), error => q.error.as_deref(), csrf => caller.csrf().to_string(),
                r => context! {
                    id => r.id, title => r.title.as_str(), source => r.source.as_str(), reference => r.reference.as_deref(),
                    unit => org.get(&r.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| r.unit_code.clone()),
                    unit_code => r.unit_code.as_str(), on => r.opened_on.to_string(),
                    state => if en { r.state.id() } else { r.state.zh() }, happened => r.happened.as_str(),
                    causes => causes.join("、"), lessons => r.lessons.as_str(),
                    approved => r.approved_on.map(|d| d.to_string()), window => window,
                },
                plan => plan, acceptances => acceptances, all_causes => all_causes,
                can_record => may && matches!(r.state, ReviewState::Open | ReviewState::Planned),
                can_plan => may && !r.causes.is_empty() && matches!(r.state, ReviewState::Open | ReviewState::Planned),
                can_approve => may && r.state == ReviewState::Planned,
                can_accept => audit && r.state == ReviewState::Approved,
                can_close => may && r.state == ReviewState::Accepted,
                w => context! {
                    source => t(en, "来源", "Source"), unit => t(en, "单位", "Unit"), on => t(en, "开启日期", "Opened"),
                    state => t(en, "状态", "State"), happened => t(en, "经过", "What happened"), causes => t(en, "原因分类", "Causes"),
                    lessons => t(en, "教训", "Lessons"), plan => t(en, "整改计划", "Improvement plan"), owner => t(en, "责任人", "Owner"),
                    due => t(en, "期限", "Due"), criterion => t(en, "验收标准（系统计算）", "Criterion (computed)"),
                    approved => t(en, "批准日期", "Approved"), window => t(en, "验收期间", "Acceptance window"),
                    acceptances => t(en, "验收记录", "Acceptances"), record => t(en, "记录经过、原因与教训", "Record"),
                    add_item => t(en, "整改事项（规则编码、最低级别、起止日期）", "Plan item (rule, lowest level, period)"),
                    approve => t(en, "批准整改计划", "Approve the plan"), accept => t(en, "审计验收（系统计算各项标准）", "Accept (the criteria computed)"),
                    close => t(en, "结案", "Close"), send => t(en, "提交", "Send"), text => t(en, "整改措施", "Measure"),
                    pdf => t(en, "复盘报告 PDF", "Review report (PDF)"),
                    rule => t(en, "规则", "Rule"), level => t(en, "最低级别", "Lowest level"), from => t(en, "起", "From"), to => t(en, "止", "To"),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "复盘", "Review"), &here, body)
}

pub(super) async fn act(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<Q>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = format!("/review/{id}");
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    if let Some(r) = form_csrf(&caller, &get("csrf"), &here) {
        return r;
    }
    let outcome = async {
        let ctx = caller.ctx(None).map_err(|p| p.detail)?;
        let op = get("op");
        if op == "accept" {
            if !caller.access.grants.iter().any(|g| g.role == bw_core::access::Role::AuditDiscipline) {
                return Err(t(en, "验收由审计纪检人员进行。", "The audit role accepts.").to_string());
            }
            let ctx = bw_app::Ctx { actor: format!("user:{}", caller.access.user), ..ctx };
            let (_, values) = reviews::accept(&app.store, &ctx, id, ctx.today).await.map_err(|e| refused(en, e))?;
            let pass = values.iter().all(|(_, v)| *v == 0);
            return Ok(if pass {
                t(en, "验收通过", "Accepted")
            } else {
                t(en, "验收未通过，整改计划重新修订", "Failed: the plan is reopened")
            }
            .to_string());
        }
        holding(&caller, ACT).map_err(|p| p.detail)?;
        let action = match op.as_str() {
            "record" => Action::Record {
                id,
                happened: get("happened"),
                causes: f.iter().filter(|(n, _)| n == "cause").filter_map(|(_, v)| Cause::parse(v)).collect(),
                lessons: get("lessons"),
            },
            "plan" => {
                let all = reviews::load(&app.store).await.map_err(|e| e.to_string())?;
                let r = all.reviews.get(&id).ok_or_else(|| format!("no review {id}"))?;
                let date =
                    |k: &str| Date::parse(&get(k)).map_err(|_| t(en, "请填写日期。", "Give the dates.").to_string());
                let mut items = r.plan.clone();
                items.push(PlanItem {
                    number: items.len() as u32 + 1,
                    text: get("text"),
                    owner: get("owner"),
                    due: date("due")?,
                    criterion: Criterion {
                        rule: get("rule"),
                        min_level: get("level"),
                        unit_code: r.unit_code.clone(),
                        from: date("from")?,
                        to: date("to")?,
                    },
                });
                Action::Plan { id, items }
            }
            "approve" => Action::ApprovePlan { id, on: ctx.today },
            "close" => Action::Close { id, on: ctx.today },
            _ => return Err(t(en, "未知操作。", "Unknown action.").to_string()),
        };
        reviews::take(&app.store, &ctx, action).await.map_err(|e| refused(en, e))?;
        Ok(t(en, "已记录", "Recorded").to_string())
    }
    .await;
    back_to(&here, en, outcome)
}

pub(super) async fn cases(State(app): State<App>, caller: Caller, Query(q): Query<Q>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let body = async {
        holding(&caller, READ)?;
        let org = app.org().await?;
        let all = reviews::cases(&app.store).await.map_err(Problem::internal)?;
        let query = q.q.clone().unwrap_or_default();
        let unit = |c: &str| org.get(c).map(|n| n.name.clone()).unwrap_or_else(|| c.to_string());
        let case = |c: &reviews::Case| {
            let causes: Vec<&str> = c.causes.iter().map(|x| if en { x.id() } else { x.zh() }).collect();
            let href = if c.kind == "review" { format!("/review/{}", c.id) } else { format!("/warning/{}", c.id) };
            context! { href => href, title => c.title.as_str(), on => c.on.to_string(), unit => unit(&c.unit_code), causes => causes.join("、"), text => c.text.chars().take(120).collect::<String>() }
        };
        let found: Vec<minijinja::Value> = if query.trim().is_empty() {
            Vec::new()
        } else {
            reviews::search(&all, &query, 20).into_iter().map(|(i, _)| case(&all[i])).collect()
        };
        let by_key: HashMap<&str, &reviews::Case> = all.iter().map(|c| (c.key.as_str(), c)).collect();
        let repeats: Vec<minijinja::Value> = reviews::repeats(&all)
            .iter()
            .map(|r| {
                let title = |k: &str| by_key.get(k).map(|c| format!("{}（{}）", c.title, c.on)).unwrap_or_default();
                context! { unit => unit(&r.unit_code), cause => if en { r.cause.id() } else { r.cause.zh() }, case => title(&r.case), earlier => title(&r.earlier) }
            })
            .collect();
        Ok::<String, Problem>(crate::templates::render(
            "cases.html",
            context! {
                lang => if en { "?lang=en" } else { "" }, en => en, query => query, found => found, repeats => repeats, total => all.len(),
                w => context! {
                    title => t(en, "案例库", "Case knowledge base"),
                    intro => t(en, "已结案的复盘和已归档的预警（含说明与整改）按中文分词检索；同一单位三年内同一原因再次发生的标为屡审屡犯，并计入该单位的风险评分。", "Closed reviews and archived warnings searched by their words; the same unit repeating a cause within three years is flagged and counts in its risk score."),
                    search => t(en, "检索", "Search"), cases => t(en, "件案例", "cases"), none => t(en, "没有相关案例。", "No case matches."),
                    repeats => t(en, "屡审屡犯", "Repeats"), unit => t(en, "单位", "Unit"), cause => t(en, "原因", "Cause"),
                    case => t(en, "本次", "Case"), earlier => t(en, "前次", "Earlier"), no_repeats => t(en, "暂无屡审屡犯。", "No repeats."),
                },
            },
        ))
    }
    .await;
    page_answer(en, &caller, t(en, "案例库", "Cases"), "/cases", body)
}

pub(super) async fn report_pdf(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    holding(&caller, READ)?;
    let org = app.org().await?;
    let all = reviews::load(&app.store).await.map_err(Problem::internal)?;
    let r = all.reviews.get(&id).ok_or_else(|| Problem::not_found(format!("no review {id}")))?;
    let unit = org.get(&r.unit_code).map(|n| n.name.clone()).unwrap_or_else(|| r.unit_code.clone());
    let (font, index) = crate::figures_api::report_font()?;
    let bytes = reviews::report_pdf(r, &unit, &font, index).map_err(Problem::internal)?;
    crate::figures_api::report_file(bytes, true, &format!("review-{id}"))
}
