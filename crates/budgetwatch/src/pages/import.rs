//! The import page: a file uploaded as bytes, read and checked as the command line reads it.

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/import", get(import_page)).route("/import/file", post(import_file))
}

pub(super) async fn import_page(caller: Caller, Query(q): Query<LangQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let csrf = caller.csrf().to_string();
    if caller.user().is_none() || !caller.access.has(Permission::Ingest) {
        let p = Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            t(en, "您的角色不能导入支付数据。", "Your roles do not record payments."),
        );
        return problem_page(en, &caller, "/import", p);
    }
    let words = minijinja::context! {
        title => t(en, "导入数据", "Import"),
        fill => t(en, "按标准模板填写（CSV 或 XLSX）：", "Fill in the standard template (CSV or XLSX):"),
        kind => t(en, "类型", "Kind"),
        payments => t(en, "支付", "Payments"),
        revenues => t(en, "收入", "Revenues"),
        upload => t(en, "上传", "Upload"),
        note => t(
            en,
            "CSV 须为 UTF-8 编码（Excel 中“另存为 CSV UTF-8”）；GBK 编码的文件会被拒绝而不会被误读。整个文件要么全部导入，要么一行也不导入；已导入的凭证再次导入不会重复入账。",
            "CSV in UTF-8 (Excel: Save as CSV UTF-8); a GBK file is refused, never misread. A file is imported whole or not at all; vouchers already recorded are not recorded twice."
        ),
        rows => t(en, "共", "rows"),
        added => t(en, "新增", "added"),
        unchanged => t(en, "已存在", "already recorded"),
        warnings => t(en, "触发预警", "warnings"),
        row => t(en, "行", "Row"),
        column => t(en, "列", "Column"),
        reason => t(en, "原因", "Reason"),
        detail => t(en, "说明", "Detail"),
    };
    let body = crate::templates::render("import.html", minijinja::context! { w => words, csrf => csrf });
    Html(layout(en, t(en, "导入", "Import"), &caller, "/import", &body)).into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct FileQuery {
    kind: String,
    #[serde(default)]
    name: String,
}

/// A file uploaded from the import page as bytes: read and checked as the command line
/// reads it; a refusal comes back with each row's reason in Chinese and the column by its
/// template name in Chinese.
pub(super) async fn import_file(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<FileQuery>,
    body: axum::body::Bytes,
) -> Response {
    use bw_core::template::Kind;
    let kind = match q.kind.as_str() {
        "payments" => Kind::Payments,
        "revenues" => Kind::Revenues,
        _ => {
            let detail = "导入类型须为支付（payments）或收入（revenues）。";
            return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"detail": detail, "errors": []})))
                .into_response();
        }
    };
    match crate::api::ingest_file(&app, &caller, kind, &q.name, &body).await {
        Ok(r) => r,
        Err(p) => {
            let errors: Vec<serde_json::Value> = p
                .errors
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(code) = e["code"].as_str().and_then(bw_core::refusal::Code::parse) {
                        e["reason"] = code.zh().into();
                    }
                    // The commonest real case gets its remedy (the reader's message names GBK).
                    if e["message"].as_str().is_some_and(|m| m.contains("GBK")) {
                        e["reason"] = "文件是 GBK 编码：请在 Excel 中“另存为 CSV UTF-8”或直接上传 XLSX".into();
                    }
                    let field = e["field"].as_str().unwrap_or("");
                    if let Some(c) = kind.columns().iter().find(|c| c.name == field) {
                        e["column"] = format!("{}（{}）", c.zh, c.name).into();
                    }
                    e
                })
                .collect();
            let detail = match (&p.zh, errors.len()) {
                (Some(zh), _) => zh.clone(),
                (None, 0) => format!("导入未成功：{}", p.detail),
                (None, n) => format!("文件中有 {n} 处问题，未导入任何记录。请按下表修改后重新上传。"),
            };
            (p.status, axum::Json(serde_json::json!({"detail": detail, "errors": errors}))).into_response()
        }
    }
}
