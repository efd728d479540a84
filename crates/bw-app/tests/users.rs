//! Accounts, grants, tokens, log-ins and sessions on SQLite and PostgreSQL.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use bw_app::users::{self, ATTEMPTS_KEPT_SECONDS, LoginError};
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
        let session = users::login(s, "wang", "a long password", "10.0.0.1", now, [1; 32]).await.expect("login");
        assert_eq!(
            users::session(s, &session.secret, now).await.expect("session"),
            Some(("wang".into(), session.csrf.clone()))
        );
        let later = Timestamp(now.0 + users::SESSION_SECONDS);
        assert_eq!(users::session(s, &session.secret, later).await.expect("session"), None, "{n}: sessions expire");
        // Attempts are counted before the password is checked: of a burst of parallel
        // guesses from one address, only the pair's free share is checked at all.
        let pair = users::THROTTLES[0];
        let burst: Vec<_> = (0..24)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(
                    async move { users::login(&s, "wang", &format!("guess {i}"), "10.0.0.66", now, [2; 32]).await },
                )
            })
            .collect();
        let (mut wrong, mut throttled) = (0, 0);
        for b in burst {
            match b.await.expect("join") {
                Err(LoginError::Wrong) => wrong += 1,
                Err(LoginError::Locked(_)) => throttled += 1,
                other => panic!("{n}: {other:?}"),
            }
        }
        assert_eq!((wrong, throttled), (pair.free, 24 - pair.free), "{n}");
        // The right password from that address waits too; the owner elsewhere does not.
        assert!(
            matches!(
                users::login(s, "wang", "a long password", "10.0.0.66", now, [2; 32]).await,
                Err(LoginError::Locked(_))
            ),
            "{n}"
        );
        assert!(
            users::login(s, "wang", "a long password", "10.1.2.3", now, [3; 32]).await.is_ok(),
            "{n}: not locked out"
        );
        // Back-off: one more attempt after `base` seconds, then twice as long.
        let t1 = Timestamp(now.0 + pair.base);
        assert!(
            matches!(users::login(s, "wang", "wrong", "10.0.0.66", t1, [2; 32]).await, Err(LoginError::Wrong)),
            "{n}"
        );
        assert!(
            matches!(users::login(s, "wang", "wrong", "10.0.0.66", Timestamp(t1.0 + pair.base), [2; 32]).await, Err(LoginError::Locked(t)) if t.0 == t1.0 + 2 * pair.base),
            "{n}"
        );
        // An unknown account gets the same answers in the same order.
        for i in 0..pair.free {
            assert!(
                matches!(users::login(s, "nobody", "x", "10.0.0.77", now, [2; 32]).await, Err(LoginError::Wrong)),
                "{n}: {i}"
            );
        }
        assert!(
            matches!(users::login(s, "nobody", "x", "10.0.0.77", now, [2; 32]).await, Err(LoginError::Locked(_))),
            "{n}"
        );
        // A source spraying many accounts is slowed across all of them.
        let source = users::THROTTLES[1];
        for i in 0..source.free - pair.free {
            let _ = users::login(s, &format!("u{i}"), "x", "10.0.0.77", now, [2; 32]).await;
        }
        assert!(
            matches!(users::login(s, "wang", "x", "10.0.0.77", now, [2; 32]).await, Err(LoginError::Locked(_))),
            "{n}"
        );
        let after = Timestamp(now.0 + ATTEMPTS_KEPT_SECONDS + 1);
        assert!(
            users::login(s, "wang", "a long password", "10.0.0.66", after, [3; 32]).await.is_ok(),
            "{n}: forgotten"
        );
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
        let g = users::list(s, now).await.expect("list")[0].grants[0].id;
        users::revoke(s, &c, g).await.expect("revoke grant");
        assert!(!users::access(s, "wang", today).await.expect("access").has(Permission::ReadPayments));
        users::set_password(s, &c, "wang", "another long one").await.expect("password");
        let v = bw_app::verify::verify(s, &common::trust()).await.expect("verify");
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}

#[tokio::test]
async fn a_grant_at_or_above_bureau_reviewer_takes_a_second_administrator() {
    use bw_app::users::Granted;
    for db in common::databases().await {
        let (s, n) = (&db.store, db.name);
        common::seed(&db).await;
        let c = common::ctx();
        let today = c.at.date();
        for (name, display) in [("zhang", "张"), ("li", "李"), ("puppet", "傀儡")] {
            users::add(s, &c, name, display, None, "a long password").await.unwrap_or_else(|e| panic!("{n}: {e}"));
        }
        // The installation's first high grant has nobody to approve it: made at once.
        let first = users::grant(s, &c, "zhang", Role::Admin, &Scope::All, None).await.unwrap();
        assert!(matches!(first, Granted::Made(_)), "{n}: {first:?}");
        // The administrator makes a puppet account bureau head: only a request.
        let zhang = bw_app::Ctx { actor: "user:zhang".into(), ..c.clone() };
        let asked = users::grant(s, &zhang, "puppet", Role::BureauHead, &Scope::All, None).await.unwrap();
        let Granted::Requested(id) = asked else { panic!("{n}: {asked:?}") };
        assert!(!users::access(s, "puppet", today).await.unwrap().has(Permission::CloseWarning), "{n}");
        let again = users::grant(s, &zhang, "puppet", Role::BureauHead, &Scope::All, None).await;
        assert!(again.is_err_and(|e| e.to_string().contains("already requested")), "{n}");
        // Neither the requester (on a page or with --actor), nor the grantee, nor a
        // non-administrator decides it.
        for (actor, why) in [
            ("user:zhang", "asked for this grant"),
            ("zhang", "asked for this grant"),
            ("user:puppet", "cannot approve a grant to themselves"),
            ("user:li", "may not decide grant requests"),
        ] {
            let who = bw_app::Ctx { actor: actor.into(), ..c.clone() };
            let r = users::decide_grant(s, &who, id, true).await;
            assert!(r.as_ref().is_err_and(|e| e.to_string().contains(why)), "{n}: {actor}: {r:?}");
        }
        assert_eq!(users::grant_requests(s).await.unwrap().len(), 1, "{n}");
        // A second administrator (li, granted admin by the operator and approved by zhang).
        let Granted::Requested(li_admin) = users::grant(s, &c, "li", Role::Admin, &Scope::All, None).await.unwrap()
        else {
            panic!("{n}: a second admin is requested too")
        };
        users::decide_grant(s, &zhang, li_admin, true).await.unwrap();
        assert!(users::access(s, "li", today).await.unwrap().has(Permission::ManageUsers), "{n}");
        let li = bw_app::Ctx { actor: "user:li".into(), ..c.clone() };
        let refused = users::decide_grant(s, &li, id, false).await.unwrap();
        assert!(refused > id, "{n}");
        assert!(users::grant_requests(s).await.unwrap().is_empty(), "{n}");
        assert!(!users::access(s, "puppet", today).await.unwrap().has(Permission::CloseWarning), "{n}: refused");
        let r = users::decide_grant(s, &li, id, true).await;
        assert!(r.is_err_and(|e| e.to_string().contains("no grant request")), "{n}: decided once");
        // Asked again and approved by li: the grant is made and named by the decision.
        let Granted::Requested(id) =
            users::grant(s, &zhang, "puppet", Role::BureauHead, &Scope::All, None).await.unwrap()
        else {
            panic!("{n}")
        };
        let grant = users::decide_grant(s, &li, id, true).await.unwrap();
        assert!(users::access(s, "puppet", today).await.unwrap().has(Permission::CloseWarning), "{n}");
        let listed = users::list(s, c.at).await.unwrap();
        assert!(listed.iter().flat_map(|u| &u.grants).any(|g| g.id == grant && g.role == "bureau_head"), "{n}");
        // The journal holds the four eyes: verify rebuilds the requests and the grants.
        let v = bw_app::verify::verify(s, &common::trust()).await.unwrap();
        assert!(v.ok, "{n}: {:?}", v.failures);
    }
}
