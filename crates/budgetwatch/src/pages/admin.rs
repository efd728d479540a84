//! Administration of accounts, grants and grant requests.

use super::*;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/admin/users", get(admin_page).post(admin_add))
        .route("/admin/grants", post(admin_grant))
        .route("/admin/grants/{id}/revoke", post(admin_revoke))
        .route("/admin/requests/{id}/{decision}", post(admin_decide))
}

// ---- administration ----

#[derive(serde::Deserialize, Default)]
pub(super) struct AdminQuery {
    lang: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

/// Whether the caller may administer accounts on `scope` (`*`: everywhere).
pub(super) fn may_manage(caller: &Caller, org: &bw_core::org::OrgTree, scope: &str) -> Result<(), Problem> {
    if scope == "*" || scope.is_empty() {
        if caller.access.scopes(Permission::ManageUsers).contains(&bw_core::access::Scope::All) {
            return Ok(());
        }
        return Err(bw_core::access::Refusal::OutOfScope(Permission::ManageUsers, "*".into()).into());
    }
    caller.check(org, Permission::ManageUsers, scope)
}

pub(super) async fn admin_page(State(app): State<App>, caller: Caller, Query(q): Query<AdminQuery>) -> Response {
    let en = q.lang.as_deref() == Some("en");
    let here = "/admin/users";
    if caller.user().is_none() || !caller.access.has(Permission::ManageUsers) {
        let p = Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            t(en, "只有系统管理员可以管理账号。", "Only administrators manage accounts."),
        );
        return problem_page(en, &caller, here, p);
    }
    let list = match bw_app::users::list(&app.store, crate::clock::now()).await {
        Ok(l) => l,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let csrf = caller.csrf().to_string();
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    use minijinja::context;
    // A role and a scope as the administrator reads them: names, the ids beside them.
    let role_name = |id: &str| match bw_core::access::Role::parse(id) {
        Ok(r) if !en => (r.zh().to_string(), Some(id.to_string())),
        _ => (id.to_string(), None),
    };
    let scope_name = |s: &str| match (s, org.get(s)) {
        ("*", _) => t(en, "全部组织", "the whole organisation").to_string(),
        (_, Some(n)) => format!("{} {}", n.name, s),
        _ => s.to_string(),
    };
    let users: Vec<minijinja::Value> = list
        .iter()
        .map(|u| {
            let grants: Vec<minijinja::Value> = u
                .grants
                .iter()
                .filter(|g| g.revoked_by.is_none())
                .map(|g| {
                    let (role, role_id) = role_name(&g.role);
                    context! { id => g.id, role => role, role_id => role_id, level => g.level, scope => scope_name(&g.scope), until => g.until.as_deref() }
                })
                .collect();
            let locked = u
                .locked_until
                .as_deref()
                .map(|l| bw_core::Timestamp::parse(l).map(crate::clock::local_time).unwrap_or_else(|| l.to_string()));
            context! { name => u.name.as_str(), display => u.display_name.as_str(), locked => locked, unit => u.unit.as_deref().unwrap_or("—"), grants => grants }
        })
        .collect();
    // Grants of roles at or above bureau_reviewer wait for a second administrator: the
    // decision buttons only for one who neither asked for the grant nor receives it.
    let requests = match bw_app::users::grant_requests(&app.store).await {
        Ok(r) => r,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let me = format!("user:{}", caller.access.user);
    let requests: Vec<minijinja::Value> = requests
        .iter()
        .map(|r| {
            context! {
                id => r.id,
                user => r.user.as_str(),
                role => bw_core::access::Role::parse(&r.role).map(|x| x.zh().to_string()).unwrap_or_else(|_| r.role.clone()),
                scope => r.scope.as_str(),
                until => r.until.as_deref(),
                asked_by => r.requested_by.strip_prefix("user:").unwrap_or(&r.requested_by),
                may_decide => bw_core::access::second_person(&r.requested_by, &me, &r.user).is_ok(),
            }
        })
        .collect();
    let roles: Vec<minijinja::Value> = bw_core::access::Role::ALL
        .iter()
        .map(|r| context! { id => r.id(), level => r.level(), zh => r.zh() })
        .collect();
    // The scope is chosen from the organisation, never preset to the whole installation.
    let mut nodes: Vec<(String, usize, String)> = org
        .nodes()
        .map(|n| {
            let path = org.ancestors(&n.code);
            let key = path.iter().rev().map(|a| a.code.as_str()).collect::<Vec<_>>().join("/");
            (key, path.len().saturating_sub(1), format!("{}（{}）", n.name, n.code))
        })
        .collect();
    nodes.sort();
    let scopes: Vec<minijinja::Value> = nodes
        .iter()
        .map(|(key, depth, label)| {
            context! { code => key.rsplit('/').next().unwrap_or(key), indent => "　".repeat(*depth), label => label }
        })
        .collect();
    let words = context! {
        title => t(en, "账号与授权", "Accounts and grants"),
        user => t(en, "用户", "User"),
        unit => t(en, "单位", "Unit"),
        grants => t(en, "授权", "Grants"),
        locked => t(en, "锁定至", "locked until"),
        revoke => t(en, "撤销", "Revoke"),
        requests => t(en, "待第二人批准的授权", "Grants waiting for a second administrator"),
        request => t(en, "申请", "Request"),
        role => t(en, "角色", "Role"),
        scope => t(en, "范围", "Scope"),
        asked_by => t(en, "申请人", "Asked by"),
        approve => t(en, "批准", "Approve"),
        refuse => t(en, "驳回", "Refuse"),
        other_decides => t(en, "需另一位管理员批准", "another administrator decides"),
        add => t(en, "新增账号", "Add an account"),
        user_name => t(en, "用户名", "user name"),
        display => t(en, "姓名", "display name"),
        unit_code => t(en, "所属单位代码", "unit code"),
        password => t(en, "初始密码（至少10位）", "initial password (10+)"),
        password_label => t(en, "初始密码", "initial password"),
        add_button => t(en, "新增", "Add"),
        grant => t(en, "授权", "Grant a role"),
        role_label => t(en, "角色", "role"),
        scope_label => t(en, "范围（组织代码或 *）", "scope (organisation code or *)"),
        choose_scope => t(en, "请选择授权范围", "choose the scope"),
        everywhere => t(en, "全部组织", "the whole organisation"),
        until => t(en, "截止日期", "until"),
        grant_button => t(en, "授权", "Grant"),
    };
    let b = crate::templates::render(
        "admin.html",
        context! {
            w => words, csrf => csrf, done => q.done.as_deref(), error => q.error.as_deref(),
            users => users, requests => requests, roles => roles, scopes => scopes,
        },
    );
    Html(layout(en, t(en, "账号与授权", "Accounts and grants"), &caller, here, &b)).into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct AdminForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    display: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    until: String,
}

pub(super) fn admin_back(r: Result<String, String>) -> Response {
    match r {
        Ok(m) => Redirect::to(&format!("/admin/users?done={}", urlencode(&m))).into_response(),
        Err(e) => Redirect::to(&format!("/admin/users?error={}", urlencode(&e))).into_response(),
    }
}

pub(super) async fn admin_add(State(app): State<App>, caller: Caller, Form(f): Form<AdminForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let unit = f.unit.trim().to_string();
    if let Err(p) = may_manage(&caller, &org, if unit.is_empty() { "*" } else { &unit }) {
        return p.into_response();
    }
    let ctx = match caller.ctx(Some(format!("account of {}", f.name.trim()))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let (name, display, password) = (f.name.trim().to_string(), f.display, f.password);
    let done = crate::api::off_thread(move |rt| {
        let unit = (!unit.is_empty()).then_some(unit.as_str());
        rt.block_on(bw_app::users::add(&store, &ctx, &name, &display, unit, &password)).map(|_| name.clone())
    })
    .await;
    match done {
        Ok(Ok(name)) => admin_back(Ok(format!("已添加账号 {name}"))),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

pub(super) async fn admin_grant(State(app): State<App>, caller: Caller, Form(f): Form<AdminForm>) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    if f.scope.trim().is_empty() {
        return admin_back(Err("请选择授权范围：组织中的地区、部门或单位，或全部组织".into()));
    }
    let scope = bw_core::access::Scope::parse(&f.scope);
    if let Err(p) = may_manage(&caller, &org, scope.as_str()) {
        return p.into_response();
    }
    let role = match bw_core::access::Role::parse(&f.role) {
        Ok(r) => r,
        Err(_) => return admin_back(Err("请选择角色。".into())),
    };
    let until = match f.until.trim() {
        "" => None,
        d => match Date::parse(d) {
            Ok(d) => Some(d),
            Err(_) => return admin_back(Err(format!("有效期“{d}”不是日期（YYYY-MM-DD）。"))),
        },
    };
    let ctx = match caller.ctx(Some(format!("{} on {} for {}", role.id(), scope.as_str(), f.name.trim()))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (store, name) = (app.store.clone(), f.name.trim().to_string());
    let done =
        crate::api::off_thread(move |rt| rt.block_on(bw_app::users::grant(&store, &ctx, &name, role, &scope, until)))
            .await;
    match done {
        Ok(Ok(bw_app::users::Granted::Made(id))) => admin_back(Ok(format!("已授权（第 {id} 号）"))),
        Ok(Ok(bw_app::users::Granted::Requested(id))) => {
            admin_back(Ok(format!("已提交授权申请（第 {id} 号），待另一位管理员批准后生效")))
        }
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

/// Approves or refuses a grant request (a second administrator's decision).
pub(super) async fn admin_decide(
    State(app): State<App>,
    caller: Caller,
    Path((id, decision)): Path<(i64, String)>,
    Form(f): Form<AdminForm>,
) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Problem::new(StatusCode::NOT_FOUND, "not found", "approve or reject").into_response(),
    };
    if !caller.access.has(Permission::ManageUsers) {
        return Problem::new(StatusCode::FORBIDDEN, "forbidden", "only administrators decide grant requests")
            .into_response();
    }
    let ctx = match caller.ctx(Some(format!("grant request {id} {}", if approve { "approved" } else { "refused" }))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let done =
        crate::api::off_thread(move |rt| rt.block_on(bw_app::users::decide_grant(&store, &ctx, id, approve))).await;
    match done {
        Ok(Ok(idx)) if approve => admin_back(Ok(format!("已批准授权申请第 {id} 号（授权第 {idx} 号）"))),
        Ok(Ok(_)) => admin_back(Ok(format!("已拒绝授权申请第 {id} 号"))),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}

pub(super) async fn admin_revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<AdminForm>,
) -> Response {
    if let Some(r) = form_csrf(&caller, &f.csrf, "/admin/users") {
        return r;
    }
    let org = match app.org().await {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let list = match bw_app::users::list(&app.store, crate::clock::now()).await {
        Ok(l) => l,
        Err(e) => return Problem::internal(e).into_response(),
    };
    let Some(scope) = list.iter().flat_map(|u| &u.grants).find(|g| g.id == id).map(|g| g.scope.clone()) else {
        return admin_back(Err(format!("没有第 {id} 号授权")));
    };
    if let Err(p) = may_manage(&caller, &org, &scope) {
        return p.into_response();
    }
    let ctx = match caller.ctx(Some(format!("grant {id} revoked"))) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let store = app.store.clone();
    let done = crate::api::off_thread(move |rt| rt.block_on(bw_app::users::revoke(&store, &ctx, id))).await;
    match done {
        Ok(Ok(_)) => admin_back(Ok(format!("已撤销第 {id} 号授权"))),
        Ok(Err(bw_app::journal::ActionError::Invalid(m))) => admin_back(Err(account_refusal_zh(&m))),
        Ok(Err(e)) => Problem::internal(e).into_response(),
        Err(p) => p.into_response(),
    }
}
