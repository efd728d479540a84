//! The drill-down from a region to a payment voucher and its documents.

use minijinja::context;

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/org/{code}", get(org_page))
        .route("/indicator/{code}", get(indicator_page))
        .route("/voucher/{unit}/{voucher}", get(voucher_page))
        .route("/document/{id}", get(document_page))
}

pub(super) async fn org_page(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(w): Query<When>,
) -> Response {
    let en = w.en();
    let (year, month) = w.resolve();
    let here = format!("/org/{}{}", urlencode(&code), w.query(year, month));
    match org_body(&app, &caller, &code, &w, year, month).await {
        Ok((title, body)) => Html(layout(en, &title, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

pub(super) async fn org_body(
    app: &App,
    caller: &Caller,
    code: &str,
    w: &When,
    year: i32,
    month: u32,
) -> Result<(String, String), Problem> {
    let en = w.en();
    let org = app.org().await?;
    caller.check(&org, Permission::ReadBudget, code)?;
    let level = cached_level(app, &org, code, year, month)
        .await?
        .as_ref()
        .clone()
        .ok_or_else(|| Problem::not_found(format!("no organisation node {code}")))?;
    let progress = f64::from(month) / 12.0;
    let cls = crate::api::classified(app).await?;
    let path: Vec<minijinja::Value> = level
        .path
        .iter()
        .map(|(c, n)| {
            let readable = caller.check(&org, Permission::ReadBudget, c).is_ok();
            context! { href => urlencode(c), name => n, readable => readable }
        })
        .collect();
    let children: Vec<minijinja::Value> = level
        .children
        .iter()
        .map(|c| {
            let kind = match c.kind.as_str() {
                "region" => t(en, "地区", "region"),
                "department" => t(en, "部门", "department"),
                _ => t(en, "单位", "unit"),
            };
            context! {
                href => urlencode(&c.code),
                code => &c.code,
                name => &c.name,
                kind => kind,
                figures => figure_cells(c.budget, c.paid, c.execution_rate, progress),
            }
        })
        .collect();
    let indicators: Vec<minijinja::Value> = level
        .indicators
        .iter()
        .filter(|i| !crate::api::hidden(caller, &org, &cls, &i.unit_code, &i.code))
        .map(|i| {
            context! {
                href => urlencode(&i.code),
                code => &i.code,
                project => &i.project,
                functional => minijinja::Value::from_safe_string(functional_cell(&i.functional_code)),
                economic => minijinja::Value::from_safe_string(economic_cell(&i.economic_code)),
                figures => figure_cells(i.budget, i.paid, i.execution_rate, progress),
            }
        })
        .collect();
    let reports = (level.node.kind == "region" && caller.check(&org, Permission::Export, &level.node.code).is_ok())
        .then(|| minijinja::Value::from_safe_string(report_links(en, year, month, Some(&level.node.code))));
    let body = crate::templates::render(
        "org.html",
        context! {
            w => context! {
                overview => t(en, "总览", "Overview"),
                below => t(en, "下级", "Below"),
                name => t(en, "名称", "Name"),
                indicators => t(en, "预算指标", "Budget indicators"),
                indicator => t(en, "指标", "Indicator"),
                function => t(en, "功能分类", "Function"),
                economic => t(en, "经济分类", "Economic"),
            },
            q => query(w, year, month),
            path => path,
            node => context! { name => &level.node.name, code => &level.node.code },
            period => format!("{year}-{month:02}"),
            kpis => kpis(en, &level.node, progress),
            reports => reports,
            cols => figure_cols(en),
            children => children,
            indicators => indicators,
        },
    );
    Ok((level.node.name.clone(), body))
}

/// The query of the figures' year and month (and language) that every drill-down link
/// carries, raw as the pages always wrote it: numbers and constants, no text of a user.
fn query(w: &When, year: i32, month: u32) -> minijinja::Value {
    minijinja::Value::from_safe_string(w.query(year, month))
}

pub(super) async fn indicator_page(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(w): Query<When>,
) -> Response {
    let en = w.en();
    let (year, month) = w.resolve();
    let here = format!("/indicator/{}{}", urlencode(&code), w.query(year, month));
    match indicator_body(&app, &caller, &code, &w, year, month).await {
        Ok(body) => Html(layout(en, &code, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

/// A page of payments as `indicator.html` lays them out: the columns and a row each, a
/// person's name withheld.
fn payments(en: bool, items: &[browse::PaymentRow]) -> minijinja::Value {
    let withheld = t(en, "（个人，已脱敏）", "(individual, withheld)");
    let rows: Vec<minijinja::Value> = items
        .iter()
        .map(|p| {
            context! {
                unit => segment(&p.unit_code),
                voucher => segment(&p.voucher_no),
                voucher_no => &p.voucher_no,
                date => &p.pay_date,
                payee => p.payee_name.as_deref().unwrap_or(withheld),
                amount => minijinja::Value::from_safe_string(yuan(&p.amount)),
                summary => &p.summary,
            }
        })
        .collect();
    context! {
        cols => [
            t(en, "凭证号", "Voucher"),
            t(en, "日期", "Date"),
            t(en, "收款人", "Payee"),
            t(en, "金额(元)", "Amount (yuan)"),
            t(en, "摘要", "Summary"),
        ],
        rows => rows,
    }
}

pub(super) async fn indicator_body(
    app: &App,
    caller: &Caller,
    code: &str,
    w: &When,
    year: i32,
    month: u32,
) -> Result<String, Problem> {
    let en = w.en();
    let org = app.org().await?;
    // Whether the indicator exists is told only to those who may read its unit.
    let found = drill::indicator(&app.store, code, year, month).await.map_err(Problem::internal)?;
    let Some((unit, i)) = found else {
        return Err(bw_core::access::Refusal::OutOfScope(Permission::ReadBudget, code.to_string()).into());
    };
    caller.check(&org, Permission::ReadBudget, &unit)?;
    if crate::api::hidden(caller, &org, &*crate::api::classified(app).await?, &unit, code) {
        return Err(bw_core::access::Refusal::OutOfScope(Permission::ReadBudget, code.to_string()).into());
    }
    let unit_name = org.get(&unit).map(|n| n.name.clone()).unwrap_or_default();
    let f = drill::Figures {
        code: i.code.clone(),
        name: i.code.clone(),
        kind: "indicator".into(),
        budget: i.budget,
        paid: i.paid,
        execution_rate: i.execution_rate,
    };
    // The vouchers, for whoever may read the unit's payments (`None`: the note says why not).
    let (page, next) = if caller.check(&org, Permission::ReadPayments, &unit).is_ok() {
        let after = w.after.as_deref().and_then(|a| a.split_once('/')).map(|(v, u)| (v.to_string(), u.to_string()));
        let filter = PaymentFilter {
            unit: Some(unit.clone()),
            indicator: Some(code.to_string()),
            after,
            limit: 100,
            ..PaymentFilter::default()
        };
        let (items, next) = browse::payments(&app.store, &filter).await.map_err(Problem::internal)?;
        let cls = crate::api::classified(app).await?;
        let items: Vec<browse::PaymentRow> =
            items.into_iter().filter_map(|p| crate::api::mask(caller, &org, &cls, p)).collect();
        (Some(payments(en, &items)), next.map(|n| urlencode(&n)))
    } else {
        (None, None)
    };
    Ok(crate::templates::render(
        "indicator.html",
        context! {
            w => context! {
                overview => t(en, "总览", "Overview"),
                function => t(en, "功能分类", "Function"),
                economic => t(en, "经济分类", "Economic"),
                no_vouchers => t(en, "您的角色不能查看支付凭证。", "Your roles do not show payment vouchers."),
                vouchers => t(en, "支付凭证", "Payment vouchers"),
                next => t(en, "下一页 ›", "Next page ›"),
            },
            q => query(w, year, month),
            unit => context! { href => urlencode(&unit), name => unit_name },
            code => code,
            href => urlencode(code),
            year => year,
            kpis => kpis(en, &f, f64::from(month) / 12.0),
            functional => minijinja::Value::from_safe_string(functional_cell(&i.functional_code)),
            economic => minijinja::Value::from_safe_string(economic_cell(&i.economic_code)),
            payments => page,
            next => next,
        },
    ))
}

pub(super) async fn voucher_page(
    State(app): State<App>,
    caller: Caller,
    Path((unit, voucher)): Path<(String, String)>,
    Query(w): Query<When>,
) -> Response {
    let en = w.en();
    let here = format!("/voucher/{}/{}", segment(&unit), segment(&voucher));
    match voucher_body(&app, &caller, &unit, &voucher, &w).await {
        Ok(body) => Html(layout(en, &voucher, &caller, &here, &body)).into_response(),
        Err(p) => problem_page(en, &caller, &here, p),
    }
}

pub(super) async fn voucher_body(
    app: &App,
    caller: &Caller,
    unit: &str,
    voucher: &str,
    w: &When,
) -> Result<String, Problem> {
    let en = w.en();
    let org = app.org().await?;
    caller.check(&org, Permission::ReadPayments, unit)?;
    let f = PaymentFilter {
        unit: Some(unit.to_string()),
        after: Some((voucher.to_string(), String::new())),
        limit: 1,
        ..PaymentFilter::default()
    };
    let (items, _) = browse::payments(&app.store, &f).await.map_err(Problem::internal)?;
    let cls = crate::api::classified(app).await?;
    let p = items
        .into_iter()
        .find(|p| p.voucher_no == voucher)
        .and_then(|p| crate::api::mask(caller, &org, &cls, p))
        .ok_or_else(|| Problem::not_found(format!("no payment {voucher} of unit {unit}")))?;
    let (year, month) = w.resolve();
    let unit_name = org.get(unit).map(|n| n.name.clone()).unwrap_or_default();
    let withheld = t(en, "（个人信息，已脱敏）", "(personal data, withheld)");
    let payee_type = match bw_core::records::PayeeType::parse(&p.payee_type) {
        Ok(kind) if !en => kind.zh().to_string(),
        _ => p.payee_type.clone(),
    };
    let payment = context! {
        voucher => voucher,
        indicator => &p.indicator_code,
        indicator_href => urlencode(&p.indicator_code),
        date => &p.pay_date,
        amount => minijinja::Value::from_safe_string(yuan(&p.amount)),
        economic => minijinja::Value::from_safe_string(economic_cell(&p.economic_code)),
        payee => p.payee_name.as_deref().unwrap_or(withheld),
        account => p.payee_account.as_deref().unwrap_or(withheld),
        payee_type => payee_type,
        summary => &p.summary,
        invoice => p.invoice_no.as_deref().unwrap_or("—"),
        reverses => p.reverses.as_deref().unwrap_or("—"),
        journal => p.journal_idx,
    };
    let contract = match p.contract_no.as_deref().filter(|c| !c.is_empty()) {
        Some(no) => Some(match drill::contract(&app.store, no).await.map_err(Problem::internal)? {
            Some(c) => context! {
                no => no,
                found => true,
                supplier => c.supplier_name,
                amount => c.amount.to_string(),
                paid => c.paid.to_string(),
                signed_on => c.signed_on,
                ends_on => c.ends_on,
                status => c.status,
            },
            None => context! { no => no, found => false },
        }),
        None => None,
    };
    let documents = voucher_documents(app, unit, voucher).await?;
    // The attach form, for whoever may record the unit's payments in a session of theirs.
    let attach = match (&caller.via, caller.check(&org, Permission::Ingest, unit)) {
        (Via::Session { csrf }, Ok(())) => {
            Some(context! { unit => segment(unit), voucher => segment(voucher), csrf => csrf })
        }
        _ => None,
    };
    Ok(crate::templates::render(
        "voucher.html",
        context! {
            w => context! {
                overview => t(en, "总览", "Overview"),
                title => t(en, "支付凭证", "Payment voucher"),
                unit => t(en, "单位", "Unit"),
                date => t(en, "支付日期", "Date"),
                amount => t(en, "金额(元)", "Amount (yuan)"),
                indicator => t(en, "预算指标", "Indicator"),
                economic => t(en, "经济分类", "Economic code"),
                payee => t(en, "收款人", "Payee"),
                account => t(en, "收款账号", "Account"),
                payee_type => t(en, "收款人类型", "Payee type"),
                summary => t(en, "摘要", "Summary"),
                invoice => t(en, "发票号", "Invoice"),
                reverses => t(en, "冲销凭证", "Reverses"),
                journal => t(en, "日志条目", "Journal entry"),
                contract => t(en, "合同", "Contract"),
                supplier => t(en, "供应商", "Supplier"),
                contract_amount => t(en, "合同金额(元)", "Amount (yuan)"),
                contract_paid => t(en, "已付(元)", "Paid (yuan)"),
                term => t(en, "期限", "Term"),
                status => t(en, "状态", "Status"),
                no_contract => t(en, "合同库中没有此合同。", "The contract is not in the contract register."),
                documents => t(en, "单据影像", "Attached documents"),
                none_attached => t(en, "尚无附件。", "None attached."),
                attach => t(en, "上传附件", "Attach"),
                logged => t(en, "此凭证记录在防篡改日志中：", "This voucher is recorded in the tamper-evident log:"),
                proof => t(en, "包含证明", "inclusion proof"),
            },
            q => query(w, year, month),
            unit => context! { href => urlencode(unit), code => unit, name => unit_name },
            p => payment,
            contract => contract,
            documents => documents,
            attach => attach,
        },
    ))
}

/// The voucher's attached documents as `voucher.html` shows them (images shown, PDFs
/// linked), each with its size and the start of its SHA-256.
async fn voucher_documents(app: &App, unit: &str, voucher: &str) -> Result<Vec<minijinja::Value>, Problem> {
    use bw_app::documents;
    let subject = documents::voucher_subject(unit, voucher);
    let docs =
        documents::list(&app.store, documents::DocKind::VoucherImage, &subject).await.map_err(Problem::internal)?;
    Ok(docs
        .iter()
        .map(|d| {
            context! {
                id => d.id,
                name => &d.name,
                kb => (d.size + 1023) / 1024,
                sha256 => &d.sha256[..12.min(d.sha256.len())],
                image => d.media_type.starts_with("image/"),
            }
        })
        .collect())
}

/// A document's bytes for the pages (the same checks as the API's).
pub(super) async fn document_page(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Response {
    match crate::documents_api::document_response(&app, &caller, id).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}
