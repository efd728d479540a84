//! Writes `bw_core::projection::Change`s: the rows an entry's projection gives, as SQL.

use crate::{StoreError, Tx};
use bw_core::projection::{Cell, Change, HashCell};
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

fn bind<'q>(q: Query<'q, Any, AnyArguments>, cell: &Cell) -> Query<'q, Any, AnyArguments> {
    match cell {
        Cell::Int(i) => q.bind(*i),
        Cell::Text(s) | Cell::Hash(HashCell::Hex(s)) => q.bind(s.clone()),
        Cell::Null => q.bind(None::<String>),
        Cell::NullInt => q.bind(None::<i64>),
        Cell::Blob(b) => q.bind(b.clone()),
        Cell::Hash(HashCell::Bytes(b)) => q.bind(b.to_vec()),
    }
}

/// `c1 = $n AND c2 = $n+1 …` over `columns` and `cells` (a NULL cell: `IS NULL`, unbound),
/// the cells to bind pushed onto `binds`.
fn conditions<'a>(
    columns: impl Iterator<Item = &'a str>,
    cells: impl Iterator<Item = &'a Cell>,
    binds: &mut Vec<&'a Cell>,
) -> String {
    let mut out = Vec::new();
    for (c, v) in columns.zip(cells) {
        if matches!(v, Cell::Null | Cell::NullInt) {
            out.push(format!("{c} IS NULL"));
        } else {
            binds.push(v);
            out.push(format!("{c} = ${}", binds.len()));
        }
    }
    out.join(" AND ")
}

/// An INSERT of `cells` into `columns`, and of `extra` cells into columns the table keeps
/// beside the journaled ones.
fn insert<'a>(name: &str, columns: &[&str], cells: &'a [Cell], extra: &'a [(&str, Cell)]) -> (String, Vec<&'a Cell>) {
    let names: Vec<&str> = columns.iter().copied().chain(extra.iter().map(|(c, _)| *c)).collect();
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let binds = cells.iter().chain(extra.iter().map(|(_, v)| v)).collect();
    (format!("INSERT INTO {name} ({}) VALUES ({})", names.join(", "), marks.join(", ")), binds)
}

/// The statements of one change, each with the cells it binds, in order; `extra` goes into
/// the row an Insert or Put writes.
fn statements<'a>(change: &'a Change, extra: &'a [(&str, Cell)]) -> Vec<(String, Vec<&'a Cell>)> {
    match change {
        Change::Insert { table, cells } => vec![insert(table.name, table.columns, cells, extra)],
        Change::Put { table, cells } => {
            let mut binds = Vec::new();
            let key = conditions(table.key().iter().copied(), cells.iter(), &mut binds);
            vec![
                (format!("DELETE FROM {} WHERE {key}", table.name), binds),
                insert(table.name, table.columns, cells, extra),
            ]
        }
        Change::Update { table, key, set, expect } => {
            let mut binds: Vec<&Cell> = set.iter().map(|(_, v)| v).collect();
            let assign: Vec<String> = set.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
            let mut conds = conditions(table.key().iter().copied(), key.iter(), &mut binds);
            if !expect.is_empty() {
                conds.push_str(" AND ");
                conds.push_str(&conditions(expect.iter().map(|(c, _)| *c), expect.iter().map(|(_, v)| v), &mut binds));
            }
            vec![(format!("UPDATE {} SET {} WHERE {conds}", table.name, assign.join(", ")), binds)]
        }
        Change::Delete { table, key, .. } => {
            let mut binds = Vec::new();
            let conds = conditions(table.key().iter().copied(), key.iter(), &mut binds);
            vec![(format!("DELETE FROM {} WHERE {conds}", table.name), binds)]
        }
    }
}

/// What a change was to find, for its error: `table [key]` and the state expected.
fn described(table: &str, key: &[Cell], expect: &[(&str, Cell)]) -> String {
    let text = |c: &Cell| match c {
        Cell::Int(i) => i.to_string(),
        Cell::Text(s) | Cell::Hash(HashCell::Hex(s)) => s.clone(),
        Cell::Null | Cell::NullInt => "NULL".into(),
        Cell::Hash(HashCell::Bytes(b)) => bw_ledger::hex(b),
        Cell::Blob(b) => bw_ledger::hex(b),
    };
    let key: Vec<String> = key.iter().map(text).collect();
    let wanted: Vec<String> = expect.iter().map(|(c, v)| format!("{c} {}", text(v))).collect();
    let with = if wanted.is_empty() { String::new() } else { format!(" with {}", wanted.join(", ")) };
    format!("{table} {}: no such row{with}", key.join("/"))
}

/// Writes `changes` in the transaction. An update whose row is missing, or does not hold
/// what the entry expects, and a required delete that finds nothing are errors: the entry
/// describes a state the tables are not in.
pub async fn apply(tx: &mut Tx, changes: &[Change]) -> Result<(), StoreError> {
    apply_with(tx, changes, &[]).await
}

/// As `apply`, the first row inserted also given `extra`: columns a table keeps beside the
/// journaled ones (a webhook's secret, a document's bytes, an approver's sealed key), which
/// `verify` does not rebuild.
pub async fn apply_with(tx: &mut Tx, changes: &[Change], mut extra: &[(&str, Cell)]) -> Result<(), StoreError> {
    for change in changes {
        let mine =
            if matches!(change, Change::Insert { .. } | Change::Put { .. }) { std::mem::take(&mut extra) } else { &[] };
        for (sql, cells) in statements(change, mine) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in cells {
                q = bind(q, c);
            }
            let done = q.execute(&mut **tx).await?;
            match change {
                Change::Update { table, key, expect, .. } if done.rows_affected() != 1 => {
                    return Err(StoreError::Journal(described(table.name, key, expect)));
                }
                Change::Delete { table, key, required: true } if done.rows_affected() == 0 => {
                    return Err(StoreError::Journal(described(table.name, key, &[])));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bw_core::projection::Table;
    use bw_core::warning::{RESPONSE_TASKS, WARNINGS};

    #[test]
    fn statements_name_the_table_its_columns_and_the_expected_state() {
        let insert = Change::Insert { table: &RESPONSE_TASKS, cells: vec![Cell::Null; RESPONSE_TASKS.columns.len()] };
        let s = statements(&insert, &[]);
        assert!(s[0].0.starts_with("INSERT INTO response_tasks (id, warning_id, kind,"), "{}", s[0].0);
        assert!(s[0].0.ends_with("$10, $11)"), "{}", s[0].0);
        assert_eq!(s[0].1.len(), 11);
        let update = Change::update(
            &WARNINGS,
            5,
            vec![("state", Cell::Text("withdrawn".into())), ("journal_idx", Cell::Int(9))],
            vec![("state", Cell::Text("open".into()))],
        );
        let s = statements(&update, &[]);
        assert_eq!(s[0].0, "UPDATE warnings SET state = $1, journal_idx = $2 WHERE id = $3 AND state = $4");
        assert_eq!(s[0].1.len(), 4);
    }

    #[test]
    fn a_put_replaces_by_the_whole_key_and_a_null_is_matched_with_is_null() {
        const T: Table = Table { name: "t", columns: &["year", "code", "amount", "revoked"], key_len: 2 };
        let cells = vec![Cell::Int(2026), Cell::Text("D1".into()), Cell::Int(5), Cell::NullInt];
        let put = Change::Put { table: &T, cells };
        let s = statements(&put, &[]);
        assert_eq!(s[0].0, "DELETE FROM t WHERE year = $1 AND code = $2");
        assert_eq!(s[1].0, "INSERT INTO t (year, code, amount, revoked) VALUES ($1, $2, $3, $4)");
        let revoke = Change::Update {
            table: &T,
            key: vec![Cell::Int(2026), Cell::Text("D1".into())],
            set: vec![("revoked", Cell::Int(7))],
            expect: vec![("revoked", Cell::NullInt)],
        };
        let s = statements(&revoke, &[]);
        assert_eq!(s[0].0, "UPDATE t SET revoked = $1 WHERE year = $2 AND code = $3 AND revoked IS NULL");
        assert_eq!(s[0].1.len(), 3);
        let extra = [("secret", Cell::Text("s3cret".into()))];
        let s = statements(&put, &extra);
        assert_eq!(s[1].0, "INSERT INTO t (year, code, amount, revoked, secret) VALUES ($1, $2, $3, $4, $5)");
        assert_eq!(s[1].1.len(), 5);
        let delete = Change::Delete { table: &T, key: vec![Cell::Int(2026)], required: false };
        let s = statements(&delete, &[]);
        assert_eq!(s[0].0, "DELETE FROM t WHERE year = $1");
    }
}
