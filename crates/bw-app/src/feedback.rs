//! The public's feedback channel: a registered citizen comments on a budget, the media send
//! an inquiry that the finance bureau must answer within `INQUIRY_WORKDAYS` working days
//! (tracked like a warning's deadline: overdue ones are listed as such). Nothing is
//! published before a moderator accepts it (`moderate`); its author sees its status all
//! along (`mine`). Journaled; the author is the account, shown on the portal only as a
//! pseudonym.

use bw_core::Date;
use bw_store::Store;
use bw_store::sqlx::{self, Row};
use sha2::{Digest, Sha256};

use crate::Ctx;
use crate::journal::{ActionError, act, act_projected};
use bw_core::feedback as entry;

/// Working days the bureau has to answer a media inquiry.
pub const INQUIRY_WORKDAYS: u32 = 10;
/// The longest comment or inquiry, in characters.
pub const TEXT_MAX: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Comment,
    Inquiry,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "comment" => Some(Kind::Comment),
            "inquiry" => Some(Kind::Inquiry),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Comment => "comment",
            Kind::Inquiry => "inquiry",
        }
    }
}

/// A comment or inquiry as the portal lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    /// A stable pseudonym of the author, never the account name.
    pub author: String,
    pub body: String,
    pub asked_on: String,
    pub due_on: Option<String>,
    pub answer: Option<String>,
    pub overdue: bool,
    /// `pending` (waiting for moderation), `published` or `rejected`.
    pub status: String,
    /// Why a moderator did not publish it.
    pub moderation_note: Option<String>,
}

/// A moderation state as its reader names it.
pub fn status_zh(status: &str) -> &'static str {
    match status {
        "pending" => "待审核",
        "published" => "已公开",
        "rejected" => "未予公开",
        _ => "—",
    }
}

/// Where the installation's secret for pseudonyms is kept (`meta`), made with the first
/// feedback from the caller's randomness.
const PSEUDONYM_KEY: &str = "pseudonym_key";

/// A pseudonym for an account: the first 8 hex digits of HMAC-SHA256 under the
/// installation's secret `key`. A plain hash of the name could be reversed by hashing every
/// likely account name; without the secret this cannot.
pub fn pseudonym(key: &[u8], user: &str) -> String {
    let h = crate::events::hmac_sha256(key, format!("budgetwatch/feedback-author\0{user}").as_bytes());
    format!("公众{}", h.iter().take(4).map(|b| format!("{b:02x}")).collect::<String>())
}

/// The installation's pseudonym secret, if feedback was ever given.
async fn pseudonym_key(store: &Store) -> Result<Vec<u8>, ActionError> {
    Ok(store.meta(PSEUDONYM_KEY).await?.map(String::into_bytes).unwrap_or_default())
}

fn clean(text: &str) -> Result<String, ActionError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ActionError::Invalid("the text is empty".into()));
    }
    if t.chars().count() > TEXT_MAX {
        return Err(ActionError::Invalid(format!("the text is longer than {TEXT_MAX} characters")));
    }
    Ok(t.to_string())
}

/// Records a comment or an inquiry by `author` on `subject` (an organisation or project
/// code). The id.
pub async fn submit(
    store: &Store,
    ctx: &Ctx,
    author: &str,
    kind: Kind,
    subject: &str,
    text: &str,
) -> Result<i64, ActionError> {
    let body = clean(text)?;
    let asked = ctx.today;
    let due = match kind {
        Kind::Inquiry => Some(crate::calendar::load(store).await?.add_workdays(asked, INQUIRY_WORKDAYS).value),
        Kind::Comment => None,
    };
    let data = entry::Entry::Submit(entry::Submit {
        kind: kind.as_str().into(),
        subject: subject.into(),
        author: author.into(),
        body,
        asked_on: asked,
        due_on: due,
        status: "pending".into(),
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{} on {subject}", kind.as_str()));
    let secret = {
        let h = Sha256::new().chain_update(b"budgetwatch/pseudonym-key\0").chain_update(ctx.entropy).finalize();
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(PSEUDONYM_KEY)
            .bind(secret)
            .execute(&mut **tx)
            .await?;
        Ok(bw_store::changes::apply(tx, &entry::project(&data, idx)).await?)
    })
    .await
}

/// Publishes comment or inquiry `id` waiting for moderation, or refuses it with `note` (a
/// refusal states its reason, which its author sees).
pub async fn moderate(
    store: &Store,
    ctx: &Ctx,
    by: &str,
    id: i64,
    publish: bool,
    note: &str,
) -> Result<i64, ActionError> {
    let (status, _) = state_of(store, id).await?;
    if status != "pending" {
        return Err(ActionError::Invalid(format!("feedback {id} is {status}, not waiting for moderation")));
    }
    let note = note.trim();
    if !publish && note.is_empty() {
        return Err(ActionError::Invalid("a refusal to publish states its reason".into()));
    }
    let to = if publish { "published" } else { "rejected" };
    let data = entry::Entry::Moderate(entry::Moderate { id, by: by.into(), status: to.into(), note: note.into() });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("moderation of feedback {id}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(entry::project(&data, idx))).await
}

/// Item `id`'s moderation status and the entry that answered it, if any.
async fn state_of(store: &Store, id: i64) -> Result<(String, Option<i64>), ActionError> {
    let row = sqlx::query("SELECT status, answered_idx FROM feedback WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("no feedback {id}")))?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Answers published comment or inquiry `id` (once).
pub async fn answer(store: &Store, ctx: &Ctx, by: &str, id: i64, text: &str) -> Result<i64, ActionError> {
    let body = clean(text)?;
    let (status, answered) = state_of(store, id).await?;
    if status != "published" {
        return Err(ActionError::Invalid(format!("feedback {id} is {status}: only what is published is answered")));
    }
    if let Some(i) = answered {
        return Err(ActionError::Invalid(format!("feedback {id} was answered by entry {i}")));
    }
    let data = entry::Entry::Answer(entry::Answer { id, by: by.into(), answer: body });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("answer to feedback {id}"));
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(entry::project(&data, idx))).await
}

const COLUMNS: &str = "id, kind, subject, author, body, asked_on, due_on, answer, status, moderation_note";

/// The one parameter of a selection's `$1`, if any.
enum Arg {
    None,
    Text(String),
    Int(i64),
}

/// The feedback `tail` (the WHERE and ORDER BY of the query) selects.
async fn select(store: &Store, tail: &str, arg: Arg, today: Date) -> Result<Vec<Item>, ActionError> {
    let q = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM feedback {tail}")));
    let q = match arg {
        Arg::None => q,
        Arg::Text(t) => q.bind(t),
        Arg::Int(n) => q.bind(n),
    };
    let rows = q.fetch_all(store.pool()).await?;
    items(rows, today, &pseudonym_key(store).await?)
}

/// The most recent published feedback first (up to `limit`), inquiries overdue on `today`
/// marked.
pub async fn list(store: &Store, today: Date, limit: i64) -> Result<Vec<Item>, ActionError> {
    select(store, "WHERE status = 'published' ORDER BY id DESC LIMIT $1", Arg::Int(limit), today).await
}

/// What `author` sent, the most recent first, whatever its status.
pub async fn mine(store: &Store, author: &str, today: Date) -> Result<Vec<Item>, ActionError> {
    select(store, "WHERE author = $1 ORDER BY id DESC", Arg::Text(author.to_string()), today).await
}

/// What waits for moderation, the oldest first.
pub async fn pending(store: &Store, today: Date) -> Result<Vec<Item>, ActionError> {
    select(store, "WHERE status = 'pending' ORDER BY id", Arg::None, today).await
}

/// The inquiries to answer: published or waiting for moderation, not answered yet, the
/// earliest due first (the bureau's to-do list).
pub async fn unanswered(store: &Store, today: Date) -> Result<Vec<Item>, ActionError> {
    let tail = "WHERE kind = 'inquiry' AND answer IS NULL AND status <> 'rejected' ORDER BY due_on, id";
    select(store, tail, Arg::None, today).await
}

fn items(rows: Vec<bw_store::sqlx::any::AnyRow>, today: Date, key: &[u8]) -> Result<Vec<Item>, ActionError> {
    let mut out = Vec::new();
    for r in rows {
        let due: Option<String> = r.try_get(6)?;
        let answer: Option<String> = r.try_get(7)?;
        let status: String = r.try_get(8)?;
        let overdue = answer.is_none()
            && status != "rejected"
            && due.as_deref().and_then(|d| Date::parse(d).ok()).is_some_and(|d| d < today);
        out.push(Item {
            id: r.try_get(0)?,
            kind: r.try_get(1)?,
            subject: r.try_get(2)?,
            author: pseudonym(key, &r.try_get::<String, _>(3)?),
            body: r.try_get(4)?,
            asked_on: r.try_get(5)?,
            due_on: due,
            answer,
            overdue,
            status,
            moderation_note: r.try_get(9)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_need_the_installation_secret() {
        let a = pseudonym(b"secret one", "citizen");
        assert_eq!(a, pseudonym(b"secret one", "citizen"), "stable");
        assert_ne!(a, pseudonym(b"secret two", "citizen"), "another installation, another pseudonym");
        assert_ne!(a, pseudonym(b"secret one", "citizen2"));
        assert!(a.starts_with("公众") && a.chars().count() == 10, "{a}");
        // Not the unkeyed hash anyone could compute from a guessed account name.
        let plain = Sha256::new().chain_update(b"budgetwatch/feedback-author\0").chain_update(b"citizen").finalize();
        let plain = format!("公众{}", plain.iter().take(4).map(|b| format!("{b:02x}")).collect::<String>());
        assert_ne!(a, plain);
    }
}
