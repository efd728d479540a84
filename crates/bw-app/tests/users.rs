//! Accounts, grants, tokens, log-ins and sessions on SQLite and PostgreSQL.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_app::users::{self, LoginError};
use bw_core::Timestamp;
use bw_core::access::{DataClass, Permission, Role, Scope};

#[tokio::test]
async fn accounts_grants_tokens_and_sessions() {
    for db in common::databases().await {
        let s = &db.store;
        let n = db.name;
        common::seed(&db).await;
        let c = common::ctx();
        let today = c.at.date();
        users::add(s, &c, "wang", "王", Some("U2"), "a long password").await.unwrap_or_else(|e| panic!("{n}: {e}"));
        // A grant on the county reaches its department and unit, not the province's.
        users::grant(s, &c, "wang", Role::DepartmentReviewer, &Scope::parse("K1"), None).await.expect("grant");
        // Nobody grants a role to themselves, on a page or over the API (`user:NAME`).
        let himself = bw_app::Ctx { actor: "user:wang".into(), ..c.clone() };
        let r = users::grant(s, &himself, "wang", Role::UnitFinance, &Scope::parse("U2"), None).await;
        assert!(r.as_ref().is_err_and(|e| e.to_string().contains("cannot grant a role to themselves")), "{n}: {r:?}");
        let a = users::access(s, "wang", today).await.expect("access");
        let tree = users::org_tree(s).await.expect("tree");
        let path = |code: &str| tree.ancestors(code).iter().map(|x| x.code.clone()).collect::<Vec<_>>();
        let p2 = path("U2");
        let p1 = path("U1");
        let r2: Vec<&str> = p2.iter().map(String::as_str).collect();
        let r1: Vec<&str> = p1.iter().map(String::as_str).collect();
        assert_eq!(r2, ["U2", "D2", "K1", "C1", "P"], "{n}");
        assert!(a.check(Permission::ReadPayments, &r2).is_ok(), "{n}");
        assert!(a.check(Permission::ReadPayments, &r1).is_err(), "{n}");
        assert_eq!(a.class_at(&r2), DataClass::Personal);

        // Log-in, lockout, sessions.
        let now = Timestamp(c.at.0 + 60);
        let session = users::login(s, "wang", "a long password", now, [1; 32]).await.expect("login");
        assert_eq!(
            users::session(s, &session.secret, now).await.expect("session"),
            Some(("wang".into(), session.csrf.clone()))
        );
        let later = Timestamp(now.0 + users::SESSION_SECONDS);
        assert_eq!(users::session(s, &session.secret, later).await.expect("session"), None, "{n}: sessions expire");
        for i in 1..users::LOCKOUT_FAILURES {
            assert!(matches!(users::login(s, "wang", "wrong", now, [2; 32]).await, Err(LoginError::Wrong)), "{n}: {i}");
        }
        assert!(matches!(users::login(s, "wang", "wrong", now, [2; 32]).await, Err(LoginError::Locked(_))));
        assert!(matches!(users::login(s, "wang", "a long password", now, [2; 32]).await, Err(LoginError::Locked(_))));
        let after = Timestamp(now.0 + users::LOCKOUT_SECONDS + 1);
        assert!(users::login(s, "wang", "a long password", after, [3; 32]).await.is_ok(), "{n}: the lock ends");
        users::logout(s, &session.secret).await.expect("logout");
        assert_eq!(users::session(s, &session.secret, now).await.expect("session"), None);

        // Tokens: the user's grants, limited to the scopes; revocable.
        let t = users::issue_token(s, &c, "wang", &[Permission::Ingest], None).await.expect("token");
        let ta = users::token_access(s, &t.secret, today).await.expect("token access").expect("active");
        assert!(ta.check(Permission::ReadPayments, &r2).is_err(), "{n}: not in the token's scopes");
        assert!(ta.check(Permission::Ingest, &r2).is_err(), "{n}: not in the user's grants either");
        users::revoke_token(s, &c, &t.id).await.expect("revoke");
        assert!(users::token_access(s, &t.secret, today).await.expect("lookup").is_none());

        // Revocation, and the journal agrees with the tables.
        let g = users::list(s).await.expect("list")[0].grants[0].id;
        users::revoke(s, &c, g).await.expect("revoke grant");
        assert!(!users::access(s, "wang", today).await.expect("access").has(Permission::ReadPayments));
        users::set_password(s, &c, "wang", "another long one").await.expect("password");
        let v = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}
