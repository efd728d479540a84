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
        Cell::Hash(HashCell::Bytes(b)) => q.bind(b.to_vec()),
    }
}

/// The statement of one change and the cells it binds, in order.
fn statement(change: &Change) -> (String, Vec<&Cell>) {
    match change {
        Change::Insert { table, cells } => {
            let marks: Vec<String> = (1..=cells.len()).map(|i| format!("${i}")).collect();
            let sql =
                format!("INSERT INTO {} ({}) VALUES ({})", table.name, table.columns.join(", "), marks.join(", "));
            (sql, cells.iter().collect())
        }
        Change::Update { table, set, expect, .. } => {
            let assign: Vec<String> = set.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}", i + 1)).collect();
            let mut sql =
                format!("UPDATE {} SET {} WHERE {} = ${}", table.name, assign.join(", "), table.key(), set.len() + 1);
            for (i, (c, _)) in expect.iter().enumerate() {
                sql.push_str(&format!(" AND {c} = ${}", set.len() + 2 + i));
            }
            (sql, set.iter().map(|(_, v)| v).collect())
        }
    }
}

/// Writes `changes` in the transaction. An update whose row is missing, or does not hold
/// what the entry expects, is an error: the entry describes a state the tables are not in.
pub async fn apply(tx: &mut Tx, changes: &[Change]) -> Result<(), StoreError> {
    for change in changes {
        let (sql, cells) = statement(change);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in cells {
            q = bind(q, c);
        }
        if let Change::Update { key, expect, .. } = change {
            q = q.bind(*key);
            for (_, v) in expect {
                q = bind(q, v);
            }
        }
        let done = q.execute(&mut **tx).await?;
        if let Change::Update { table, key, expect, .. } = change
            && done.rows_affected() != 1
        {
            let wanted: Vec<String> = expect.iter().map(|(c, v)| format!("{c} {v:?}")).collect();
            return Err(StoreError::Journal(format!(
                "{} {key}: no such row{}",
                table.name,
                if wanted.is_empty() { String::new() } else { format!(" with {}", wanted.join(", ")) }
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bw_core::warning::{RESPONSE_TASKS, WARNINGS};

    #[test]
    fn statements_name_the_table_its_columns_and_the_expected_state() {
        let insert = Change::Insert { table: &RESPONSE_TASKS, cells: vec![Cell::Null; RESPONSE_TASKS.columns.len()] };
        let (sql, cells) = statement(&insert);
        assert!(sql.starts_with("INSERT INTO response_tasks (id, warning_id, kind,"), "{sql}");
        assert!(sql.ends_with("$10, $11)"), "{sql}");
        assert_eq!(cells.len(), 11);
        let update = Change::Update {
            table: &WARNINGS,
            key: 5,
            set: vec![("state", Cell::Text("withdrawn".into())), ("journal_idx", Cell::Int(9))],
            expect: vec![("state", Cell::Text("open".into()))],
        };
        let (sql, cells) = statement(&update);
        assert_eq!(sql, "UPDATE warnings SET state = $1, journal_idx = $2 WHERE id = $3 AND state = $4");
        assert_eq!(cells.len(), 2);
    }
}
