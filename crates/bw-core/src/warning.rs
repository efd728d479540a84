//! The entries of a warning's life — raised, updated by a later finding, withdrawn,
//! escalated, a step of its rectification loop, its graded-response tasks, the inquiry
//! letters sent on it and the emergency cases it (or an outside event) opens — as typed
//! data, and the rows each one writes (`project`). The monitor writes what `project` gives;
//! `verify` replays the journal through the same function.

use crate::action::Action;
use crate::money::Money;
use crate::projection::{Cell, Change, Changes, Table};
use crate::{Date, Timestamp};
use serde::{Deserialize, Serialize};

/// `warnings`: one row per warning, keyed by the index of the entry that raised it.
pub const WARNINGS: Table = Table {
    name: "warnings",
    key_len: 1,
    columns: &[
        "id",
        "wkey",
        "year",
        "rule",
        "level",
        "unit_code",
        "indicator_code",
        "region_code",
        "revenue_code",
        "period",
        "vouchers",
        "evidence",
        "raised_on",
        "explain_by",
        "plan_by",
        "state",
        "journal_idx",
        "escalations",
    ],
};

/// `response_tasks`: the graded-response tasks, keyed by the index of the entry that opened each.
pub const RESPONSE_TASKS: Table = Table {
    name: "response_tasks",
    key_len: 1,
    columns: &[
        "id",
        "warning_id",
        "kind",
        "party",
        "opened_on",
        "due_on",
        "state",
        "done_by",
        "done_at",
        "note",
        "journal_idx",
    ],
};

/// `warning_events`: each step of a warning's loop, keyed by its entry's index.
pub const WARNING_EVENTS: Table = Table {
    name: "warning_events",
    key_len: 1,
    columns: &[
        "journal_idx",
        "warning_id",
        "action",
        "from_state",
        "to_state",
        "actor",
        "at",
        "note",
        "attachments",
        "returned",
    ],
};

/// `inquiries`: inquiry letters (问询单) and their answers, keyed by the sending entry's index.
pub const INQUIRIES: Table = Table {
    name: "inquiries",
    key_len: 1,
    columns: &[
        "id",
        "warning_id",
        "question",
        "asked_by",
        "asked_at",
        "due_on",
        "answer",
        "answered_by",
        "answered_at",
        "journal_idx",
    ],
};

/// `emergencies`: emergency cases (应急处置), keyed by the opening entry's index.
pub const EMERGENCIES: Table = Table {
    name: "emergencies",
    key_len: 1,
    columns: &[
        "id",
        "cause",
        "warning_id",
        "title",
        "opened_at",
        "report_by",
        "plan_by",
        "state",
        "note",
        "journal_idx",
    ],
};

/// The tables this module's entries write.
pub const TABLES: [&Table; 5] = [&WARNINGS, &RESPONSE_TASKS, &WARNING_EVENTS, &INQUIRIES, &EMERGENCIES];

/// `warning.raise`: a finding with no warning yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Raise {
    pub key: String,
    pub year: i32,
    pub rule: String,
    pub level: String,
    pub unit_code: Option<String>,
    pub indicator_code: Option<String>,
    pub region_code: Option<String>,
    pub revenue_code: Option<String>,
    pub period: String,
    pub vouchers: Vec<String>,
    pub evidence: serde_json::Value,
    pub raised_on: Date,
    pub explain_by: Date,
    pub plan_by: Date,
    /// `open`, or `recorded` for a rule handled `record`.
    #[serde(default = "open")]
    pub state: String,
}

fn open() -> String {
    "open".into()
}

/// `warning.update`: a later finding changed the warning's level, vouchers or evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub id: i64,
    pub level: String,
    pub vouchers: Vec<String>,
    pub evidence: serde_json::Value,
    /// New dates when a check as of an earlier day finds a warning nobody has acted on
    /// (one raised as payments landed): it is dated from the earliest day it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain_by: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_by: Option<Date>,
    /// `open` again when a withdrawn warning's finding returns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `warning.withdraw`: nobody acted on the warning and its finding is no longer made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Withdraw {
    pub id: i64,
    pub from: String,
    pub as_of: Date,
}

/// `warning.escalate`: an explanation or plan overdue; one level up, a new deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalate {
    pub id: i64,
    /// `explanation` or `plan`.
    pub overdue: String,
    pub from: String,
    pub level: String,
    pub escalations: i64,
    pub explain_by: Date,
    pub plan_by: Date,
}

/// `warning.step`: one step of the rectification loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: i64,
    pub step: String,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub note: String,
    /// (file name, SHA-256) of each attachment.
    #[serde(default)]
    pub attachments: Vec<(String, String)>,
    #[serde(default)]
    pub returned: Money,
    pub explain_by: Date,
    pub plan_by: Date,
}

/// `task.open`: the graded-response task a warning's level calls for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskOpen {
    pub warning_id: i64,
    pub kind: String,
    pub party: String,
    pub opened_on: Date,
    pub due_on: Date,
}

/// `task.update`: a task withdrawn with its warning, or open again from new dates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskUpdate {
    pub id: i64,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<Date>,
}

/// `task.done`: a task finished, with what was done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskDone {
    pub id: i64,
    pub note: String,
}

/// `inquiry.send`: an inquiry letter on a warning, due on a working day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InquirySend {
    pub warning_id: i64,
    pub question: String,
    pub due_on: Date,
}

/// `inquiry.answer`: the answer to an inquiry letter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InquiryAnswer {
    pub inquiry: i64,
    pub answer: String,
}

/// `emergency.open`: a case, with its report and plan due in clock hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmergencyOpen {
    /// `overspend`, `revenue_shortfall` or `event`.
    pub cause: String,
    pub warning_id: Option<i64>,
    pub title: String,
    pub opened_at: Timestamp,
    pub report_by: Timestamp,
    pub plan_by: Timestamp,
}

/// `emergency.step`: a case moved on (open → reported → planned → closed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmergencyStep {
    pub id: i64,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// One entry of a warning's life, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Raise(Raise),
    Update(Update),
    Withdraw(Withdraw),
    Escalate(Escalate),
    Step(Step),
    TaskOpen(TaskOpen),
    TaskUpdate(TaskUpdate),
    TaskDone(TaskDone),
    InquirySend(InquirySend),
    InquiryAnswer(InquiryAnswer),
    EmergencyOpen(EmergencyOpen),
    EmergencyStep(EmergencyStep),
}

/// Who wrote an entry, when, and where it is in the journal: what rows take from its header.
#[derive(Clone, Copy, Debug)]
pub struct Meta<'a> {
    pub idx: i64,
    pub actor: &'a str,
    /// The entry's timestamp as its header writes it.
    pub at: &'a str,
}

impl Entry {
    /// The entry of `action` with this data; `None` for an action not of a warning's life.
    pub fn decode(action: Action, data: &str) -> Option<Result<Entry, serde_json::Error>> {
        fn de<T: serde::de::DeserializeOwned>(data: &str, f: fn(T) -> Entry) -> Result<Entry, serde_json::Error> {
            serde_json::from_str(data).map(f)
        }
        Some(match action {
            Action::WarningRaise => de(data, Entry::Raise),
            Action::WarningUpdate => de(data, Entry::Update),
            Action::WarningWithdraw => de(data, Entry::Withdraw),
            Action::WarningEscalate => de(data, Entry::Escalate),
            Action::WarningStep => de(data, Entry::Step),
            Action::TaskOpen => de(data, Entry::TaskOpen),
            Action::TaskUpdate => de(data, Entry::TaskUpdate),
            Action::TaskDone => de(data, Entry::TaskDone),
            Action::InquirySend => de(data, Entry::InquirySend),
            Action::InquiryAnswer => de(data, Entry::InquiryAnswer),
            Action::EmergencyOpen => de(data, Entry::EmergencyOpen),
            Action::EmergencyStep => de(data, Entry::EmergencyStep),
            _ => return None,
        })
    }

    /// The action the entry is journaled as.
    pub fn action(&self) -> Action {
        match self {
            Entry::Raise(_) => Action::WarningRaise,
            Entry::Update(_) => Action::WarningUpdate,
            Entry::Withdraw(_) => Action::WarningWithdraw,
            Entry::Escalate(_) => Action::WarningEscalate,
            Entry::Step(_) => Action::WarningStep,
            Entry::TaskOpen(_) => Action::TaskOpen,
            Entry::TaskUpdate(_) => Action::TaskUpdate,
            Entry::TaskDone(_) => Action::TaskDone,
            Entry::InquirySend(_) => Action::InquirySend,
            Entry::InquiryAnswer(_) => Action::InquiryAnswer,
            Entry::EmergencyOpen(_) => Action::EmergencyOpen,
            Entry::EmergencyStep(_) => Action::EmergencyStep,
        }
    }
}

/// An entry's data is its inner record's.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Raise(d) => d.serialize(s),
            Entry::Update(d) => d.serialize(s),
            Entry::Withdraw(d) => d.serialize(s),
            Entry::Escalate(d) => d.serialize(s),
            Entry::Step(d) => d.serialize(s),
            Entry::TaskOpen(d) => d.serialize(s),
            Entry::TaskUpdate(d) => d.serialize(s),
            Entry::TaskDone(d) => d.serialize(s),
            Entry::InquirySend(d) => d.serialize(s),
            Entry::InquiryAnswer(d) => d.serialize(s),
            Entry::EmergencyOpen(d) => d.serialize(s),
            Entry::EmergencyStep(d) => d.serialize(s),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn opt(s: &Option<String>) -> Cell {
    s.as_deref().map_or(Cell::Null, text)
}

fn date(d: Date) -> Cell {
    Cell::Text(d.to_string())
}

/// The vouchers as the `vouchers` column holds them: a JSON array.
pub fn vouchers_json(vouchers: &[String]) -> String {
    serde_json::to_string(vouchers).unwrap_or_else(|_| "[]".into())
}

/// The rows `entry`, journaled at `meta`, writes.
pub fn project(entry: &Entry, meta: Meta<'_>) -> Changes {
    let ix = Cell::Int(meta.idx);
    let update = |table: &'static Table, id: i64, mut set: Vec<(&'static str, Cell)>, expect| {
        set.push(("journal_idx", ix.clone()));
        Change::update(table, id, set, expect)
    };
    match entry {
        Entry::Raise(r) => vec![Change::Insert {
            table: &WARNINGS,
            cells: vec![
                ix.clone(),
                text(&r.key),
                Cell::Int(i64::from(r.year)),
                text(&r.rule),
                text(&r.level),
                opt(&r.unit_code),
                opt(&r.indicator_code),
                opt(&r.region_code),
                opt(&r.revenue_code),
                text(&r.period),
                Cell::Text(vouchers_json(&r.vouchers)),
                Cell::Text(r.evidence.to_string()),
                date(r.raised_on),
                date(r.explain_by),
                date(r.plan_by),
                text(&r.state),
                ix.clone(),
                Cell::Int(0),
            ],
        }],
        Entry::Update(u) => {
            let mut set = vec![
                ("level", text(&u.level)),
                ("vouchers", Cell::Text(vouchers_json(&u.vouchers))),
                ("evidence", Cell::Text(u.evidence.to_string())),
            ];
            for (column, d) in [("raised_on", u.raised_on), ("explain_by", u.explain_by), ("plan_by", u.plan_by)] {
                if let Some(d) = d {
                    set.push((column, date(d)));
                }
            }
            if let Some(s) = &u.state {
                set.push(("state", text(s)));
            }
            vec![update(&WARNINGS, u.id, set, vec![])]
        }
        Entry::Withdraw(w) => {
            vec![update(&WARNINGS, w.id, vec![("state", text("withdrawn"))], vec![("state", text(&w.from))])]
        }
        Entry::Escalate(e) => vec![update(
            &WARNINGS,
            e.id,
            vec![
                ("level", text(&e.level)),
                ("escalations", Cell::Int(e.escalations)),
                ("explain_by", date(e.explain_by)),
                ("plan_by", date(e.plan_by)),
            ],
            vec![],
        )],
        Entry::Step(s) => vec![
            update(
                &WARNINGS,
                s.id,
                vec![("state", text(&s.to)), ("explain_by", date(s.explain_by)), ("plan_by", date(s.plan_by))],
                vec![("state", text(&s.from))],
            ),
            Change::Insert {
                table: &WARNING_EVENTS,
                cells: vec![
                    ix.clone(),
                    Cell::Int(s.id),
                    text(&s.step),
                    text(&s.from),
                    text(&s.to),
                    text(meta.actor),
                    text(meta.at),
                    text(&s.note),
                    Cell::Text(serde_json::to_string(&s.attachments).unwrap_or_else(|_| "[]".into())),
                    Cell::Int(s.returned.fen()),
                ],
            },
        ],
        Entry::TaskOpen(t) => vec![Change::Insert {
            table: &RESPONSE_TASKS,
            cells: vec![
                ix.clone(),
                Cell::Int(t.warning_id),
                text(&t.kind),
                text(&t.party),
                date(t.opened_on),
                date(t.due_on),
                text("open"),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                ix.clone(),
            ],
        }],
        Entry::TaskUpdate(t) => {
            let mut set = vec![("state", text(&t.state))];
            // Dates move together: both or neither.
            if let (Some(o), Some(d)) = (t.opened_on, t.due_on) {
                set.extend([("opened_on", date(o)), ("due_on", date(d))]);
            }
            vec![update(&RESPONSE_TASKS, t.id, set, vec![])]
        }
        Entry::TaskDone(t) => vec![update(
            &RESPONSE_TASKS,
            t.id,
            vec![
                ("state", text("done")),
                ("done_by", text(meta.actor)),
                ("done_at", text(meta.at)),
                ("note", text(&t.note)),
            ],
            vec![("state", text("open"))],
        )],
        Entry::InquirySend(q) => vec![Change::Insert {
            table: &INQUIRIES,
            cells: vec![
                ix.clone(),
                Cell::Int(q.warning_id),
                text(&q.question),
                text(meta.actor),
                text(meta.at),
                date(q.due_on),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                ix.clone(),
            ],
        }],
        Entry::InquiryAnswer(a) => vec![update(
            &INQUIRIES,
            a.inquiry,
            vec![("answer", text(&a.answer)), ("answered_by", text(meta.actor)), ("answered_at", text(meta.at))],
            vec![],
        )],
        Entry::EmergencyOpen(o) => vec![Change::Insert {
            table: &EMERGENCIES,
            cells: vec![
                ix.clone(),
                text(&o.cause),
                o.warning_id.map_or(Cell::NullInt, Cell::Int),
                text(&o.title),
                Cell::Text(o.opened_at.to_string()),
                Cell::Text(o.report_by.to_string()),
                Cell::Text(o.plan_by.to_string()),
                text("open"),
                text(""),
                ix.clone(),
            ],
        }],
        Entry::EmergencyStep(st) => vec![update(
            &EMERGENCIES,
            st.id,
            vec![("state", text(&st.to)), ("note", text(&st.note))],
            vec![("state", text(&st.from))],
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn meta() -> Meta<'static> {
        Meta { idx: 42, actor: "bureau-reviewer", at: "2025-03-04T09:00:00+08:00" }
    }

    #[test]
    fn every_change_names_columns_of_its_table() {
        let raise = Entry::Raise(Raise {
            key: "split_purchase/U1/6222".into(),
            year: 2025,
            rule: "split_purchase".into(),
            level: "yellow".into(),
            unit_code: Some("U1".into()),
            indicator_code: None,
            region_code: None,
            revenue_code: None,
            period: "2025-03".into(),
            vouchers: vec!["V1".into(), "V2".into()],
            evidence: serde_json::json!({"total": "120000.00"}),
            raised_on: d("2025-03-04"),
            explain_by: d("2025-03-06"),
            plan_by: d("2025-03-13"),
            state: "open".into(),
        });
        let step = Entry::Step(Step {
            id: 7,
            step: "explain".into(),
            from: "open".into(),
            to: "explained".into(),
            note: "split by accident".into(),
            attachments: vec![("scan.pdf".into(), "ab".repeat(32))],
            returned: Money::ZERO,
            explain_by: d("2025-03-06"),
            plan_by: d("2025-03-13"),
        });
        let done = Entry::TaskDone(TaskDone { id: 9, note: "checked".into() });
        let case = Entry::EmergencyOpen(EmergencyOpen {
            cause: "event".into(),
            warning_id: None,
            title: "暴雨".into(),
            opened_at: Timestamp(1_700_000_000),
            report_by: Timestamp(1_700_086_400),
            plan_by: Timestamp(1_700_259_200),
        });
        let asked = Entry::InquirySend(InquirySend { warning_id: 7, question: "why".into(), due_on: d("2025-03-11") });
        let answered = Entry::InquiryAnswer(InquiryAnswer { inquiry: 8, answer: "because".into() });
        for e in [raise, step, done, case, asked, answered] {
            for c in project(&e, meta()) {
                c.check().unwrap();
                if let Change::Update { set, .. } = c {
                    assert!(set.iter().any(|(c, v)| *c == "journal_idx" && *v == Cell::Int(42)));
                }
            }
        }
    }

    #[test]
    fn a_raise_is_a_row_keyed_by_its_entry_with_vouchers_as_json() {
        let data = r#"{"key":"k","year":2025,"rule":"duplicate_payment","level":"orange","unit_code":"U1",
            "indicator_code":null,"region_code":null,"revenue_code":null,"period":"2025",
            "vouchers":["V1"],"evidence":{"b":1,"a":2},"raised_on":"2025-05-01","explain_by":"2025-05-06",
            "plan_by":"2025-05-13"}"#;
        let e = Entry::decode(Action::WarningRaise, data).unwrap().unwrap();
        let Change::Insert { table, cells } = &project(&e, meta())[0] else { panic!("not an insert") };
        assert_eq!(table.name, "warnings");
        assert_eq!(cells[0], Cell::Int(42));
        assert_eq!(cells[10], Cell::Text(r#"["V1"]"#.into()));
        assert_eq!(cells[11], Cell::Text(r#"{"a":2,"b":1}"#.into()));
        // An entry written before the state was journaled raised an open warning.
        assert_eq!(cells[15], Cell::Text("open".into()));
        assert_eq!(cells[17], Cell::Int(0));
    }

    #[test]
    fn a_step_requires_the_state_it_was_taken_from_and_logs_an_event() {
        let e = Entry::Step(Step {
            id: 7,
            step: "rectify".into(),
            from: "rectifying".into(),
            to: "rectified".into(),
            note: "money back".into(),
            attachments: vec![],
            returned: Money::from_fen(12_345),
            explain_by: d("2025-03-06"),
            plan_by: d("2025-03-13"),
        });
        let changes = project(&e, meta());
        let Change::Update { key, expect, .. } = &changes[0] else { panic!("not an update") };
        assert_eq!(
            (key.clone(), expect.clone()),
            (vec![Cell::Int(7)], vec![("state", Cell::Text("rectifying".into()))])
        );
        let Change::Insert { table, cells } = &changes[1] else { panic!("not an insert") };
        assert_eq!(table.name, "warning_events");
        assert_eq!(cells[5], Cell::Text("bureau-reviewer".into()));
        assert_eq!(cells[9], Cell::Int(12_345));
    }

    #[test]
    fn entries_decode_to_what_they_encode() {
        let u = Entry::Update(Update {
            id: 3,
            level: "red".into(),
            vouchers: vec![],
            evidence: serde_json::json!({}),
            raised_on: None,
            explain_by: None,
            plan_by: None,
            state: Some("open".into()),
        });
        let text = serde_json::to_string(&u).unwrap();
        assert!(!text.contains("raised_on"), "{text}");
        assert_eq!(Entry::decode(Action::WarningUpdate, &text).unwrap().unwrap(), u);
        assert!(Entry::decode(Action::PaymentRecord, "{}").is_none());
    }
}
