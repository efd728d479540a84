//! The journal entries of accounts — a user added, roles granted directly or on a second
//! person's approval, grants revoked, API tokens issued and revoked — as typed data, and
//! the rows each one writes (`project`): the account service writes what `project` gives,
//! `verify` replays the journal through the same function. Passwords, sessions and lockouts
//! are operational state, never journaled.

use crate::action::Action;
use crate::projection::{Cell, Change, Changes, HashCell, Table};
use serde::{Deserialize, Serialize};

/// `users`: the accounts.
pub const USERS: Table =
    Table { name: "users", columns: &["name", "display_name", "unit_code", "journal_idx"], key_len: 1 };

/// `grants`: roles held on a subtree, keyed by the entry that made each.
pub const GRANTS: Table = Table {
    name: "grants",
    columns: &["journal_idx", "user_name", "role", "scope", "until", "revoked_idx"],
    key_len: 1,
};

/// `grant_requests`: grants waiting for (or given) a second person's decision.
pub const GRANT_REQUESTS: Table = Table {
    name: "grant_requests",
    columns: &["journal_idx", "user_name", "role", "scope", "until", "requested_by", "decided_idx", "approved"],
    key_len: 1,
};

/// `api_tokens`: bearer tokens, by id, with the SHA-256 of their secret.
pub const API_TOKENS: Table = Table {
    name: "api_tokens",
    columns: &["id", "user_name", "secret_sha256", "scopes", "until", "revoked_idx", "journal_idx"],
    key_len: 1,
};

/// The tables this module's entries write.
pub const TABLES: [&Table; 4] = [&USERS, &GRANTS, &GRANT_REQUESTS, &API_TOKENS];

/// `user.add`: an account, in a unit or the bureau's own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserAdd {
    pub name: String,
    pub display_name: String,
    pub unit: Option<String>,
}

/// `user.grant` and `user.grant_request`: a role on a scope, until a day or open-ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub user: String,
    pub role: String,
    pub scope: String,
    pub until: Option<String>,
}

/// `user.grant_approve` and `user.grant_reject`: a second person's decision on a request,
/// with what was requested.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub request: i64,
    pub user: String,
    pub role: String,
    pub scope: String,
    pub until: Option<String>,
}

/// `user.revoke`: a grant revoked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revoke {
    pub grant: i64,
    pub user: String,
}

/// `token.issue`: a token acting as a user, limited to permissions, until a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenIssue {
    pub id: String,
    pub user: String,
    pub scopes: Vec<String>,
    pub until: Option<String>,
    /// Hex of the SHA-256 of the secret (shown once, never journaled).
    pub secret_sha256: String,
}

/// `token.revoke`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRevoke {
    pub id: String,
}

/// One entry of accounts, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    UserAdd(UserAdd),
    Grant(Grant),
    GrantRequest(Grant),
    GrantApprove(Decision),
    GrantReject(Decision),
    Revoke(Revoke),
    TokenIssue(TokenIssue),
    TokenRevoke(TokenRevoke),
}

impl Entry {
    /// The entry of `action` with this data; `None` for an action not of accounts' rows.
    pub fn decode(action: Action, data: &str) -> Option<Result<Entry, serde_json::Error>> {
        fn de<T: serde::de::DeserializeOwned>(data: &str, f: fn(T) -> Entry) -> Result<Entry, serde_json::Error> {
            serde_json::from_str(data).map(f)
        }
        Some(match action {
            Action::UserAdd => de(data, Entry::UserAdd),
            Action::UserGrant => de(data, Entry::Grant),
            Action::UserGrantRequest => de(data, Entry::GrantRequest),
            Action::UserGrantApprove => de(data, Entry::GrantApprove),
            Action::UserGrantReject => de(data, Entry::GrantReject),
            Action::UserRevoke => de(data, Entry::Revoke),
            Action::TokenIssue => de(data, Entry::TokenIssue),
            Action::TokenRevoke => de(data, Entry::TokenRevoke),
            _ => return None,
        })
    }

    /// The action the entry is journaled as.
    pub fn action(&self) -> Action {
        match self {
            Entry::UserAdd(_) => Action::UserAdd,
            Entry::Grant(_) => Action::UserGrant,
            Entry::GrantRequest(_) => Action::UserGrantRequest,
            Entry::GrantApprove(_) => Action::UserGrantApprove,
            Entry::GrantReject(_) => Action::UserGrantReject,
            Entry::Revoke(_) => Action::UserRevoke,
            Entry::TokenIssue(_) => Action::TokenIssue,
            Entry::TokenRevoke(_) => Action::TokenRevoke,
        }
    }
}

/// An entry's data is its inner record's.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::UserAdd(d) => d.serialize(s),
            Entry::Grant(d) | Entry::GrantRequest(d) => d.serialize(s),
            Entry::GrantApprove(d) | Entry::GrantReject(d) => d.serialize(s),
            Entry::Revoke(d) => d.serialize(s),
            Entry::TokenIssue(d) => d.serialize(s),
            Entry::TokenRevoke(d) => d.serialize(s),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn opt(s: &Option<String>) -> Cell {
    s.as_deref().map_or(Cell::Null, text)
}

/// 64 hex digits as the 32 bytes they spell.
fn sha256_bytes(hex: &str) -> Result<[u8; 32], String> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = hex.as_bytes();
    if b.len() != 64 {
        return Err(format!("secret_sha256: {} hex digits, not 64", b.len()));
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out[i] = h << 4 | l,
            _ => return Err(format!("secret_sha256: {hex:?} is not hex")),
        }
    }
    Ok(out)
}

/// A grant's row, made by the entry at `ix`.
fn grant_row(ix: &Cell, user: &str, role: &str, scope: &str, until: &Option<String>) -> Vec<Cell> {
    vec![ix.clone(), text(user), text(role), text(scope), opt(until), Cell::NullInt]
}

/// The rows `entry`, journaled at index `idx` by `actor`, writes; an error when a figure it
/// carries does not parse.
pub fn project(entry: &Entry, idx: i64, actor: &str) -> Result<Changes, String> {
    let ix = Cell::Int(idx);
    Ok(match entry {
        Entry::UserAdd(u) => {
            vec![Change::Insert { table: &USERS, cells: vec![text(&u.name), text(&u.display_name), opt(&u.unit), ix] }]
        }
        Entry::Grant(g) => {
            vec![Change::Insert { table: &GRANTS, cells: grant_row(&ix, &g.user, &g.role, &g.scope, &g.until) }]
        }
        Entry::GrantRequest(g) => vec![Change::Insert {
            table: &GRANT_REQUESTS,
            cells: vec![
                ix,
                text(&g.user),
                text(&g.role),
                text(&g.scope),
                opt(&g.until),
                text(actor),
                Cell::NullInt,
                Cell::NullInt,
            ],
        }],
        Entry::GrantApprove(d) | Entry::GrantReject(d) => {
            let approve = matches!(entry, Entry::GrantApprove(_));
            // Decided once, on what was requested.
            let decided = Change::Update {
                table: &GRANT_REQUESTS,
                key: vec![Cell::Int(d.request)],
                set: vec![("decided_idx", ix.clone()), ("approved", Cell::Int(i64::from(approve)))],
                expect: vec![
                    ("decided_idx", Cell::NullInt),
                    ("user_name", text(&d.user)),
                    ("role", text(&d.role)),
                    ("scope", text(&d.scope)),
                ],
            };
            let mut out = vec![decided];
            if approve {
                out.push(Change::Insert {
                    table: &GRANTS,
                    cells: grant_row(&ix, &d.user, &d.role, &d.scope, &d.until),
                });
            }
            out
        }
        Entry::Revoke(r) => vec![Change::Update {
            table: &GRANTS,
            key: vec![Cell::Int(r.grant)],
            set: vec![("revoked_idx", ix)],
            expect: vec![("revoked_idx", Cell::NullInt)],
        }],
        Entry::TokenIssue(t) => vec![Change::Insert {
            table: &API_TOKENS,
            cells: vec![
                text(&t.id),
                text(&t.user),
                Cell::Hash(HashCell::Bytes(sha256_bytes(&t.secret_sha256)?)),
                Cell::Text(t.scopes.join(",")),
                opt(&t.until),
                Cell::NullInt,
                ix,
            ],
        }],
        Entry::TokenRevoke(t) => vec![Change::Update {
            table: &API_TOKENS,
            key: vec![text(&t.id)],
            set: vec![("revoked_idx", ix)],
            expect: vec![("revoked_idx", Cell::NullInt)],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_before_they_were_typed_decode_and_fit_their_tables() {
        let sha = "ab".repeat(32);
        let token = format!(
            r#"{{"id":"tok_1","scopes":["read_payments"],"secret_sha256":"{sha}","until":null,"user":"unit-handler"}}"#
        );
        let old = [
            (Action::UserAdd, r#"{"name":"u1","display_name":"张三","unit":null}"#.to_string()),
            (Action::UserGrant, r#"{"user":"u1","role":"unit_handler","scope":"U1","until":null}"#.into()),
            (Action::UserGrantRequest, r#"{"user":"u1","role":"admin","scope":"*","until":"2026-12-31"}"#.into()),
            (
                Action::UserGrantApprove,
                r#"{"request":5,"user":"u1","role":"admin","scope":"*","until":"2026-12-31"}"#.into(),
            ),
            (Action::UserGrantReject, r#"{"request":5,"user":"u1","role":"admin","scope":"*","until":null}"#.into()),
            (Action::UserRevoke, r#"{"grant":3,"user":"u1"}"#.into()),
            (Action::TokenIssue, token),
            (Action::TokenRevoke, r#"{"id":"tok_1"}"#.into()),
        ];
        for (action, data) in &old {
            let e = Entry::decode(*action, data).unwrap().unwrap();
            assert_eq!(e.action(), *action);
            for c in project(&e, 9, "admin").unwrap() {
                c.check().unwrap();
            }
        }
        let approve = project(&Entry::decode(old[3].0, &old[3].1).unwrap().unwrap(), 9, "admin").unwrap();
        assert_eq!(approve.len(), 2, "an approval decides the request and makes the grant");
        let reject = project(&Entry::decode(old[4].0, &old[4].1).unwrap().unwrap(), 9, "admin").unwrap();
        assert_eq!(reject.len(), 1, "a refusal only decides");
        let issued = project(&Entry::decode(old[6].0, &old[6].1).unwrap().unwrap(), 9, "admin").unwrap();
        let Change::Insert { cells, .. } = &issued[0] else { panic!("a token is inserted") };
        assert_eq!(cells[2], Cell::Hash(HashCell::Bytes([0xab; 32])));
        assert!(sha256_bytes("zz").is_err() && sha256_bytes(&"g".repeat(64)).is_err());
    }
}
