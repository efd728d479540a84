//! Settings: shipped defaults, overridden by journaled `setting.set` actions.

use crate::Ctx;
use crate::journal::{ActionError, act_projected};
use bw_core::registers;
use bw_core::settings::{all, split_year, validate};
use bw_store::Store;
use bw_store::sqlx::{self, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct SettingValue {
    pub key: String,
    pub value: String,
    pub default: String,
    pub about: String,
}

pub async fn list(store: &Store) -> Result<Vec<SettingValue>, ActionError> {
    let rows = sqlx::query("SELECT key, value FROM settings").fetch_all(store.pool()).await?;
    let mut set = std::collections::HashMap::new();
    for r in rows {
        set.insert(r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?);
    }
    let mut out: Vec<SettingValue> = all()
        .map(|s| SettingValue {
            key: s.key.into(),
            value: set.get(s.key).cloned().unwrap_or_else(|| s.default.into()),
            default: s.default.into(),
            about: s.about.into(),
        })
        .collect();
    // Year-scoped values follow, by key.
    let mut scoped: Vec<(&String, &String)> = set.iter().filter(|(k, _)| split_year(k).1.is_some()).collect();
    scoped.sort();
    for (k, v) in scoped {
        if let Some(s) = bw_core::settings::spec(k) {
            out.push(SettingValue {
                key: k.clone(),
                value: v.clone(),
                default: s.default.into(),
                about: s.about.into(),
            });
        }
    }
    Ok(out)
}

/// Every stored setting, read at once by code that reads many (the rules' thresholds).
pub struct Snapshot(std::collections::HashMap<String, String>);

impl Snapshot {
    pub async fn load(store: &Store) -> Result<Snapshot, ActionError> {
        let mut set = std::collections::HashMap::new();
        for r in sqlx::query("SELECT key, value FROM settings").fetch_all(store.pool()).await? {
            set.insert(r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?);
        }
        Ok(Snapshot(set))
    }

    /// Settings read elsewhere (a province's Parquet manifest), looked up as stored ones.
    pub fn from_map(set: impl IntoIterator<Item = (String, String)>) -> Snapshot {
        Snapshot(set.into_iter().collect())
    }

    /// As `get_for_year`: the year's own value, else the value for every year, else the
    /// shipped default.
    pub fn get_for_year(&self, key: &str, year: i32) -> String {
        self.0
            .get(&format!("{key}@{year:04}"))
            .or_else(|| self.0.get(key))
            .cloned()
            .unwrap_or_else(|| bw_core::settings::spec(key).map(|s| s.default.to_string()).unwrap_or_default())
    }
}

/// The value of `key` for fiscal `year`: the year's own value (`KEY@YEAR`) where one was
/// set, else the value for every year.
pub async fn get_for_year(store: &Store, key: &str, year: i32) -> Result<String, ActionError> {
    let scoped = format!("{key}@{year:04}");
    if bw_core::settings::spec(&scoped).is_some() {
        let row =
            sqlx::query("SELECT value FROM settings WHERE key = $1").bind(scoped).fetch_optional(store.pool()).await?;
        if let Some(r) = row {
            return Ok(r.try_get(0)?);
        }
    }
    get(store, key).await
}

pub async fn get(store: &Store, key: &str) -> Result<String, ActionError> {
    validate(key, bw_core::settings::spec(key).map(|s| s.default).unwrap_or(""))
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key.to_string())
        .fetch_optional(store.pool())
        .await?;
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Ok(bw_core::settings::spec(key).map(|s| s.default.to_string()).unwrap_or_default()),
    }
}

/// Changes a setting; the change is a journal entry naming who, when and why.
pub async fn set(store: &Store, ctx: &Ctx, key: &str, value: &str) -> Result<String, ActionError> {
    let value = validate(key, value).map_err(|e| ActionError::Invalid(e.to_string()))?;
    if key == crate::zone::KEY {
        crate::zone::zone(&value).map_err(ActionError::Invalid)?;
    }
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("set {key}"));
    let data = registers::Entry::SettingSet(registers::SettingSet { key: key.into(), value: value.clone() });
    act_projected(store, ctx, data.action(), &reason, &data, |idx| Ok(registers::project(&data, idx, &ctx.actor)))
        .await?;
    Ok(value)
}
