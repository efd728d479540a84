//! The journal entries that keep the installation's registers — settings, witnesses,
//! approvers' keys and their opinions on entries, classified projects, special audit
//! cases, webhooks, attached documents — as typed data, and the rows each one writes
//! (`project`): their services write what `project` gives, `verify` replays the journal
//! through the same function. What a register keeps beside the journaled columns (a
//! webhook's secret, an approver's sealed key, a document's bytes) its writer adds.

use crate::Date;
use crate::action::Action;
use crate::projection::{Cell, Change, Changes, Table};
use serde::{Deserialize, Serialize};

/// `settings`: each setting's value, replaced by each change.
pub const SETTINGS: Table = Table { name: "settings", columns: &["key", "value", "journal_idx"], key_len: 1 };

/// `witnesses`: the cosigners of the log's checkpoints and their keys.
pub const WITNESSES: Table = Table { name: "witnesses", columns: &["name", "vkey", "journal_idx"], key_len: 1 };

/// `approvals`: approvers' signed opinions on journal entries.
pub const APPROVALS: Table = Table {
    name: "approvals",
    columns: &["journal_idx", "target_idx", "user_name", "decision", "comment"],
    key_len: 1,
};

/// `classified_projects`: projects whose details are withheld from the public.
pub const CLASSIFIED_PROJECTS: Table =
    Table { name: "classified_projects", columns: &["project_code", "journal_idx"], key_len: 1 };

/// `audit_cases`: special audits opened for units scored below the threshold.
pub const AUDIT_CASES: Table = Table {
    name: "audit_cases",
    columns: &["id", "year", "unit_code", "score", "opened_on", "due_on", "state", "journal_idx"],
    key_len: 1,
};

/// `user_keys`: each approver's verifier key (the sealed signing key beside it).
pub const USER_KEYS: Table = Table { name: "user_keys", columns: &["user_name", "vkey", "journal_idx"], key_len: 1 };

/// `webhooks`: event deliveries to a user's URL (the signing secret beside them).
pub const WEBHOOKS: Table = Table { name: "webhooks", columns: &["id", "user_name", "url", "removed_idx"], key_len: 1 };

/// `documents`: attached files, by the entry that attached each (the bytes beside them,
/// checked against the SHA-256 the entry records).
pub const DOCUMENTS: Table = Table {
    name: "documents",
    columns: &["id", "kind", "subject", "name", "media_type", "size", "sha256"],
    key_len: 1,
};

/// `batches`: each import, by its batch number, with the entries it wrote.
pub const BATCHES: Table = Table {
    name: "batches",
    columns: &[
        "id",
        "kind",
        "file_name",
        "file_sha256",
        "rows_added",
        "rows_unchanged",
        "actor",
        "at",
        "reason",
        "first_idx",
        "end_idx",
    ],
    key_len: 1,
};

/// The tables this module's entries write.
pub const TABLES: [&Table; 9] = [
    &SETTINGS,
    &WITNESSES,
    &APPROVALS,
    &CLASSIFIED_PROJECTS,
    &AUDIT_CASES,
    &USER_KEYS,
    &WEBHOOKS,
    &DOCUMENTS,
    &BATCHES,
];

/// `import.batch`: closes an import — its template, file, counts and the entries it wrote
/// (`first_index` up to and including `end_index`, this entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub sha256: String,
    pub rows_added: u64,
    pub rows_unchanged: u64,
    pub first_index: i64,
    pub end_index: i64,
}

/// What a batch's row takes from its entry's header.
#[derive(Clone, Copy, Debug)]
pub struct BatchHeader<'a> {
    pub batch: i64,
    pub actor: &'a str,
    /// The entry's timestamp as its header writes it.
    pub at: &'a str,
    pub reason: &'a str,
}

/// The row of `batches` an `import.batch` entry writes.
pub fn batch_row(b: &ImportBatch, h: BatchHeader<'_>) -> Change {
    let count = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
    Change::Insert {
        table: &BATCHES,
        cells: vec![
            Cell::Int(h.batch),
            text(&b.kind),
            text(&b.file),
            text(&b.sha256),
            count(b.rows_added),
            count(b.rows_unchanged),
            text(h.actor),
            text(h.at),
            text(h.reason),
            Cell::Int(b.first_index),
            Cell::Int(b.end_index + 1),
        ],
    }
}

/// `setting.set`: a setting's new value (checked against the catalogue before).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingSet {
    pub key: String,
    pub value: String,
}

/// `witness.add`: a witness's cosignature key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WitnessAdd {
    pub name: String,
    pub key: String,
}

/// `approval.opinion`: an approver's opinion on entry `entry` (whose leaf hash it names),
/// the entry closed with the approver's signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opinion {
    pub entry: i64,
    pub leaf: String,
    pub decision: String,
    pub comment: String,
}

/// `project.classify`: a project classified, or declassified.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classify {
    pub project_code: String,
    pub classified: bool,
}

/// `audit_case.open`: a special audit of a unit, with its risk score and deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditCaseOpen {
    pub year: i32,
    pub unit_code: String,
    /// The score as shown, one decimal.
    pub score: String,
    pub opened_on: Date,
    pub due_on: Date,
}

/// `project.status`: a project of the library moved from one tier to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectStatus {
    pub project_code: String,
    pub from: String,
    pub to: String,
}

/// `key.register`: an approver's verifier key, replacing an earlier one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRegister {
    pub user: String,
    pub key: String,
}

/// `webhook.add`: a delivery URL for a user's events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookAdd {
    pub user: String,
    pub url: String,
}

/// `webhook.remove`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookRemove {
    pub id: i64,
}

/// `document.attach`: a file attached to a subject, by its size and SHA-256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentAttach {
    pub kind: String,
    pub subject: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

/// One entry of the registers, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    SettingSet(SettingSet),
    WitnessAdd(WitnessAdd),
    Opinion(Opinion),
    Classify(Classify),
    AuditCaseOpen(AuditCaseOpen),
    KeyRegister(KeyRegister),
    ProjectStatus(ProjectStatus),
    WebhookAdd(WebhookAdd),
    WebhookRemove(WebhookRemove),
    DocumentAttach(DocumentAttach),
}

impl Entry {
    /// The entry of `action` with this data; `None` for an action not of the registers.
    pub fn decode(action: Action, data: &str) -> Option<Result<Entry, serde_json::Error>> {
        Some(match action {
            Action::SettingSet => serde_json::from_str(data).map(Entry::SettingSet),
            Action::WitnessAdd => serde_json::from_str(data).map(Entry::WitnessAdd),
            Action::ApprovalOpinion => serde_json::from_str(data).map(Entry::Opinion),
            Action::ProjectClassify => serde_json::from_str(data).map(Entry::Classify),
            Action::AuditCaseOpen => serde_json::from_str(data).map(Entry::AuditCaseOpen),
            Action::KeyRegister => serde_json::from_str(data).map(Entry::KeyRegister),
            Action::ProjectStatus => serde_json::from_str(data).map(Entry::ProjectStatus),
            Action::WebhookAdd => serde_json::from_str(data).map(Entry::WebhookAdd),
            Action::WebhookRemove => serde_json::from_str(data).map(Entry::WebhookRemove),
            Action::DocumentAttach => serde_json::from_str(data).map(Entry::DocumentAttach),
            _ => return None,
        })
    }

    /// The action the entry is journaled as.
    pub fn action(&self) -> Action {
        match self {
            Entry::SettingSet(_) => Action::SettingSet,
            Entry::WitnessAdd(_) => Action::WitnessAdd,
            Entry::Opinion(_) => Action::ApprovalOpinion,
            Entry::Classify(_) => Action::ProjectClassify,
            Entry::AuditCaseOpen(_) => Action::AuditCaseOpen,
            Entry::KeyRegister(_) => Action::KeyRegister,
            Entry::ProjectStatus(_) => Action::ProjectStatus,
            Entry::WebhookAdd(_) => Action::WebhookAdd,
            Entry::WebhookRemove(_) => Action::WebhookRemove,
            Entry::DocumentAttach(_) => Action::DocumentAttach,
        }
    }
}

/// An entry's data is its inner record's.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::SettingSet(d) => d.serialize(s),
            Entry::WitnessAdd(d) => d.serialize(s),
            Entry::Opinion(d) => d.serialize(s),
            Entry::Classify(d) => d.serialize(s),
            Entry::AuditCaseOpen(d) => d.serialize(s),
            Entry::KeyRegister(d) => d.serialize(s),
            Entry::ProjectStatus(d) => d.serialize(s),
            Entry::WebhookAdd(d) => d.serialize(s),
            Entry::WebhookRemove(d) => d.serialize(s),
            Entry::DocumentAttach(d) => d.serialize(s),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// The rows `entry`, journaled at index `idx` by `actor`, writes.
pub fn project(entry: &Entry, idx: i64, actor: &str) -> Changes {
    let ix = Cell::Int(idx);
    match entry {
        Entry::SettingSet(s) => vec![Change::Put { table: &SETTINGS, cells: vec![text(&s.key), text(&s.value), ix] }],
        Entry::WitnessAdd(w) => {
            vec![Change::Insert { table: &WITNESSES, cells: vec![text(&w.name), text(&w.key), ix] }]
        }
        Entry::Opinion(o) => vec![Change::Insert {
            table: &APPROVALS,
            cells: vec![ix, Cell::Int(o.entry), text(actor), text(&o.decision), text(&o.comment)],
        }],
        Entry::Classify(c) if c.classified => {
            vec![Change::Insert { table: &CLASSIFIED_PROJECTS, cells: vec![text(&c.project_code), ix] }]
        }
        Entry::Classify(c) => {
            vec![Change::Delete { table: &CLASSIFIED_PROJECTS, key: vec![text(&c.project_code)], required: true }]
        }
        Entry::AuditCaseOpen(a) => vec![Change::Insert {
            table: &AUDIT_CASES,
            cells: vec![
                ix.clone(),
                Cell::Int(i64::from(a.year)),
                text(&a.unit_code),
                text(&a.score),
                Cell::Text(a.opened_on.to_string()),
                Cell::Text(a.due_on.to_string()),
                text("open"),
                ix,
            ],
        }],
        Entry::KeyRegister(k) => vec![Change::Put { table: &USER_KEYS, cells: vec![text(&k.user), text(&k.key), ix] }],
        // The row keeps the entry that imported the project.
        Entry::ProjectStatus(p) => vec![Change::Update {
            table: &crate::projection::PROJECTS,
            key: vec![text(&p.project_code)],
            set: vec![("status", text(&p.to))],
            expect: vec![("status", text(&p.from))],
        }],
        Entry::WebhookAdd(w) => {
            vec![Change::Insert { table: &WEBHOOKS, cells: vec![ix, text(&w.user), text(&w.url), Cell::NullInt] }]
        }
        Entry::WebhookRemove(w) => vec![Change::Update {
            table: &WEBHOOKS,
            key: vec![Cell::Int(w.id)],
            set: vec![("removed_idx", ix)],
            expect: vec![("removed_idx", Cell::NullInt)],
        }],
        Entry::DocumentAttach(d) => vec![Change::Insert {
            table: &DOCUMENTS,
            cells: vec![
                ix,
                text(&d.kind),
                text(&d.subject),
                text(&d.name),
                text(&d.media_type),
                Cell::Int(i64::try_from(d.size).unwrap_or(i64::MAX)),
                text(&d.sha256),
            ],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_before_they_were_typed_decode_and_fit_their_tables() {
        let old = [
            (Action::SettingSet, r#"{"key":"rules.over_budget.handling","value":"warn"}"#),
            (Action::WitnessAdd, r#"{"name":"w1","key":"w1+abcd+AQID"}"#),
            (Action::ApprovalOpinion, r#"{"entry":12,"leaf":"00ff","decision":"approve","comment":"同意"}"#),
            (Action::ProjectClassify, r#"{"classified":true,"project_code":"XM1"}"#),
            (Action::ProjectClassify, r#"{"classified":false,"project_code":"XM1"}"#),
            (
                Action::AuditCaseOpen,
                r#"{"year":2026,"unit_code":"U1","score":"42.5","opened_on":"2026-11-30","due_on":"2026-12-28"}"#,
            ),
            (Action::KeyRegister, r#"{"user":"bureau-head","key":"bureau-head+0011+AQID"}"#),
            (Action::WebhookAdd, r#"{"url":"http://127.0.0.1:9/hook","user":"admin"}"#),
            (Action::WebhookRemove, r#"{"id":4}"#),
            (Action::ProjectStatus, r#"{"from":"reserve","project_code":"XM1","to":"approved"}"#),
            (
                Action::DocumentAttach,
                r#"{"kind":"explanation","media_type":"application/pdf","name":"说明.pdf","sha256":"ab","size":3,"subject":"12"}"#,
            ),
        ];
        for (action, data) in old {
            let e = Entry::decode(action, data).unwrap().unwrap();
            assert_eq!(e.action(), action);
            for c in project(&e, 9, "bureau-head") {
                c.check().unwrap();
            }
        }
        let batch: ImportBatch = serde_json::from_str(
            r#"{"kind":"payments","file":"p.csv","sha256":"ab","rows_added":3,"rows_unchanged":0,"first_index":10,"end_index":13}"#,
        )
        .unwrap();
        let row = batch_row(&batch, BatchHeader { batch: 2, actor: "import", at: "2026-01-05T00:00:00Z", reason: "r" });
        row.check().unwrap();
        let Change::Insert { cells, .. } = row else { panic!("a batch is inserted") };
        assert_eq!(cells[10], Cell::Int(14), "the end is the index after the batch's own entry");
        let declassified = project(&Entry::decode(old[4].0, old[4].1).unwrap().unwrap(), 9, "x");
        assert!(matches!(&declassified[0], Change::Delete { required: true, .. }), "only what is classified");
    }
}
