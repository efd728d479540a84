//! A cluster of provinces (docs/SCALE.md). Each province runs its own budgetwatch on its own
//! PostgreSQL database, with its own journal and signing key; a payment never leaves its
//! province. The national node holds no payments: it reads the provinces' tables through
//! `postgres_fdw` foreign tables that are the partitions of one partitioned table per kind
//! (list-partitioned by the province's code), and it witnesses the provinces' logs.
//!
//! What a province shows the nation is a view in its own schema `bw_national`: the columns
//! the national figures need, with the province's code as the partition key, and without
//! the classified projects' indicators and payments (涉密) or any payee's account.

use bw_ledger::note::Checkpoint;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use sqlx::Row;
use sqlx::any::AnyPoolOptions;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The deployment file is wrong: the file and what is wrong in it.
    #[error("{file}: {detail}")]
    Config { file: String, detail: String },
    /// A database did not answer or refused a statement.
    #[error("{what}: {detail}")]
    Database { what: String, detail: String },
}

fn db_error(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> ClusterError {
    let what = what.into();
    move |e| ClusterError::Database { what, detail: e.to_string() }
}

/// The deployment file, `cluster.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub national: National,
    #[serde(rename = "province", default)]
    pub provinces: Vec<Province>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct National {
    /// The national node's own database (postgres://): the foreign servers and the
    /// partitioned tables live there.
    pub database: String,
    /// Where `cluster serve` listens.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The national witness's name, as the provinces register it.
    #[serde(default = "default_witness_name")]
    pub witness_name: String,
    /// The national witness's private key file (created by `cluster init`, mode 0600).
    pub witness_key: PathBuf,
    /// Where the witness keeps the checkpoint it cosigned last, one file per province.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// The secret a caller of the national ingestion API presents (`Authorization: Bearer`);
    /// without it the national node accepts no payments.
    #[serde(default)]
    pub ingest_token_file: Option<PathBuf>,
    /// Seconds between the witness's rounds while `cluster serve` runs.
    #[serde(default = "default_witness_seconds")]
    pub witness_seconds: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    /// The first two digits of its region codes (GB/T 2260), e.g. "32".
    pub code: String,
    /// Its name (default: the GB/T 2260 name of the code).
    #[serde(default)]
    pub name: String,
    /// The region-code prefixes routed to it (default: its code).
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Its database (postgres://).
    pub database: String,
    /// Its budgetwatch server (http://host:port), which the witness and the ingestion
    /// forwarding talk to.
    pub server: String,
    /// Its log's verifier key (`budgetwatch ledger key`).
    pub log_key: String,
    /// An API token the province issued to the national node (scope `ingest`), with which
    /// payments are forwarded to it.
    #[serde(default)]
    pub ingest_token_file: Option<PathBuf>,
}

fn default_listen() -> String {
    "127.0.0.1:8700".into()
}
fn default_witness_name() -> String {
    "national.budgetwatch/witness".into()
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("witness")
}
fn default_witness_seconds() -> u64 {
    10
}

impl Config {
    /// Reads and checks the file; relative paths in it are relative to the file's folder.
    pub fn load(path: &Path) -> Result<Config, ClusterError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClusterError::Config { file: file.clone(), detail: e.to_string() })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base).map_err(|detail| ClusterError::Config { file, detail })
    }

    pub fn parse(text: &str, base: &Path) -> Result<Config, String> {
        let mut c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut c.national.witness_key);
        resolve(&mut c.national.state_dir);
        if let Some(p) = c.national.ingest_token_file.as_mut() {
            resolve(p);
        }
        pg_target(&c.national.database).map_err(|e| format!("national.database: {e}"))?;
        if c.provinces.is_empty() {
            return Err("no [[province]]: a cluster has at least one province".into());
        }
        let mut seen: Vec<String> = Vec::new();
        for p in &mut c.provinces {
            if p.code.len() != 2 || !p.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "province code {:?}: two digits, the start of its region codes (GB/T 2260)",
                    p.code
                ));
            }
            if seen.contains(&p.code) {
                return Err(format!("province {} is listed twice", p.code));
            }
            seen.push(p.code.clone());
            if p.name.is_empty() {
                p.name = crate::demo::province_name(&p.code).unwrap_or(&p.code).to_string();
            }
            if p.prefixes.is_empty() {
                p.prefixes = vec![p.code.clone()];
            }
            if let Some(bad) =
                p.prefixes.iter().find(|x| !x.starts_with(&p.code) || !x.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(format!("province {}: prefix {bad:?} is not a region code under {}", p.code, p.code));
            }
            pg_target(&p.database).map_err(|e| format!("province {}: database: {e}", p.code))?;
            if !p.server.starts_with("http://") {
                return Err(format!("province {}: server {:?}: an http:// address", p.code, p.server));
            }
            if let Some(f) = p.ingest_token_file.as_mut() {
                resolve(f);
            }
        }
        Ok(c)
    }

    /// The province a region code belongs to: the one with the longest matching prefix.
    pub fn province_of_region(&self, region: &str) -> Option<&Province> {
        self.provinces
            .iter()
            .filter_map(|p| {
                p.prefixes
                    .iter()
                    .filter(|x| region.starts_with(x.as_str()))
                    .map(|x| (x.len(), p))
                    .max_by_key(|(n, _)| *n)
            })
            .max_by_key(|(n, _)| *n)
            .map(|(_, p)| p)
    }

    pub fn province(&self, code: &str) -> Option<&Province> {
        self.provinces.iter().find(|p| p.code == code)
    }

    /// The file the witness keeps the last cosigned checkpoint of a province in.
    pub fn state_file(&self, code: &str) -> PathBuf {
        self.national.state_dir.join(format!("{code}.checkpoint"))
    }
}

/// A PostgreSQL URL's parts, as a foreign server needs them.
#[derive(Clone, Debug, PartialEq)]
pub struct PgTarget {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    pub password: Option<String>,
}

/// Reads postgres://user[:password]@host[:port][/dbname][?…] (no percent-escapes).
pub fn pg_target(url: &str) -> Result<PgTarget, String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| format!("{url:?}: a postgres:// URL"))?;
    let rest = rest.split('?').next().unwrap_or_default();
    let (authority, dbname) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("postgres", authority));
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (userinfo.to_string(), None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| format!("{url:?}: port {p:?}"))?),
        None => (hostport.to_string(), 5432),
    };
    if host.is_empty() || user.is_empty() {
        return Err(format!("{url:?}: a host and a user are needed"));
    }
    Ok(PgTarget {
        host,
        port,
        dbname: if dbname.is_empty() { "postgres".into() } else { dbname.into() },
        user,
        password,
    })
}

/// A connection pool that gives up soon: a province that does not answer is reported as
/// such, not waited for. One connection is tried first, once: a pool retries a refused
/// connection until its timeout, which would make every check of a stopped province slow.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let probe = tokio::time::timeout(Duration::from_secs(5), sqlx::AnyConnection::connect(url))
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    probe.close().await?;
    AnyPoolOptions::new().max_connections(4).acquire_timeout(Duration::from_secs(5)).connect(url).await
}

/// The tables the nation reads, their columns and types, and the province's query behind
/// each (`{c}` is the province's code).
struct Shared {
    name: &'static str,
    columns: &'static [(&'static str, &'static str)],
    from: &'static str,
}

const SHARED: &[Shared] = &[
    Shared {
        name: "units",
        columns: &[
            ("code", "text"),
            ("name", "text"),
            ("parent_code", "text"),
            ("kind", "text"),
            ("level", "text"),
            ("region_code", "text"),
            ("department_code", "text"),
        ],
        from: "public.units t",
    },
    Shared {
        name: "indicators",
        columns: &[
            ("year", "integer"),
            ("indicator_code", "text"),
            ("unit_code", "text"),
            ("project_code", "text"),
            ("functional_code", "text"),
            ("economic_code", "text"),
            ("fund_source", "text"),
            ("special", "integer"),
            ("amount", "bigint"),
            ("control", "text"),
            ("paid", "bigint"),
            ("committed_unpaid", "bigint"),
        ],
        from: "public.indicators t WHERE NOT EXISTS (SELECT 1 FROM public.classified_projects c WHERE c.project_code = t.project_code)",
    },
    // Each indicator's payments by month, as the province's own execution report reads them.
    Shared {
        name: "indicator_months",
        columns: &[
            ("year", "integer"),
            ("indicator_code", "text"),
            ("month", "text"),
            ("paid", "bigint"),
            ("payments", "bigint"),
        ],
        from: "public.indicator_months t WHERE NOT EXISTS (SELECT 1 FROM public.indicators i JOIN public.classified_projects c \
               ON c.project_code = i.project_code WHERE i.year = t.year AND i.indicator_code = t.indicator_code)",
    },
    // The projects' names and states, as the public portal lists them.
    Shared {
        name: "projects",
        columns: &[("project_code", "text"), ("name", "text"), ("unit_code", "text"), ("status", "text")],
        from: "public.projects t WHERE NOT EXISTS (SELECT 1 FROM public.classified_projects c WHERE c.project_code = t.project_code)",
    },
    Shared {
        name: "payments",
        columns: &[
            ("unit_code", "text"),
            ("voucher_no", "text"),
            ("pay_date", "text"),
            ("year", "integer"),
            ("indicator_code", "text"),
            ("economic_code", "text"),
            ("payee_name", "text"),
            ("payee_type", "text"),
            ("amount", "bigint"),
            ("summary", "text"),
            ("invoice_no", "text"),
            ("contract_no", "text"),
            ("reverses", "text"),
            ("refunded", "bigint"),
        ],
        from: "public.payments t WHERE NOT EXISTS (SELECT 1 FROM public.indicators i JOIN public.classified_projects c \
               ON c.project_code = i.project_code WHERE i.year = t.year AND i.indicator_code = t.indicator_code)",
    },
    Shared {
        name: "warnings",
        columns: &[
            ("id", "bigint"),
            ("year", "integer"),
            ("rule", "text"),
            ("level", "text"),
            ("unit_code", "text"),
            ("indicator_code", "text"),
            ("region_code", "text"),
            ("period", "text"),
            ("raised_on", "text"),
            ("state", "text"),
        ],
        from: "public.warnings t",
    },
];

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The statements that make a province's `bw_national` views.
pub fn province_views(code: &str) -> Vec<String> {
    let mut out = vec!["CREATE SCHEMA IF NOT EXISTS bw_national".to_string()];
    for t in SHARED {
        let cols: Vec<String> = t.columns.iter().map(|(c, _)| format!("t.{c}")).collect();
        out.push(format!("DROP VIEW IF EXISTS bw_national.{}", t.name));
        out.push(format!(
            "CREATE VIEW bw_national.{} AS SELECT {}::text AS province, {} FROM {}",
            t.name,
            lit(code),
            cols.join(", "),
            t.from
        ));
    }
    out
}

/// The statements that make the national node's foreign servers and partitioned tables.
pub fn national_schema(cfg: &Config) -> Result<Vec<String>, String> {
    let mut out = vec![
        "CREATE EXTENSION IF NOT EXISTS postgres_fdw".to_string(),
        "DROP SCHEMA IF EXISTS national CASCADE".to_string(),
        "CREATE SCHEMA national".to_string(),
        "CREATE TABLE national.provinces (code text PRIMARY KEY, name text NOT NULL, server text NOT NULL)".to_string(),
    ];
    for p in &cfg.provinces {
        let t = pg_target(&p.database)?;
        let server = format!("bw_p{}", p.code);
        out.push(format!("DROP SERVER IF EXISTS {server} CASCADE"));
        // Async foreign scans: the national aggregate asks every province at once.
        out.push(format!(
            "CREATE SERVER {server} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host {}, port {}, dbname {}, \
             async_capable 'true', fetch_size '10000')",
            lit(&t.host),
            lit(&t.port.to_string()),
            lit(&t.dbname)
        ));
        let password = t.password.as_deref().map(|pw| format!(", password {}", lit(pw))).unwrap_or_default();
        out.push(format!(
            "CREATE USER MAPPING FOR CURRENT_USER SERVER {server} OPTIONS (user {}{password})",
            lit(&t.user)
        ));
        out.push(format!(
            "INSERT INTO national.provinces (code, name, server) VALUES ({}, {}, {})",
            lit(&p.code),
            lit(&p.name),
            lit(&p.server)
        ));
    }
    for t in SHARED {
        let cols: Vec<String> = t.columns.iter().map(|(c, ty)| format!("{c} {ty}")).collect();
        out.push(format!(
            "CREATE TABLE national.{} (province text NOT NULL, {}) PARTITION BY LIST (province)",
            t.name,
            cols.join(", ")
        ));
        for p in &cfg.provinces {
            out.push(format!(
                "CREATE FOREIGN TABLE national.{name}_p{code} PARTITION OF national.{name} FOR VALUES IN ({}) \
                 SERVER bw_p{code} OPTIONS (schema_name 'bw_national', table_name {})",
                lit(&p.code),
                lit(t.name),
                name = t.name,
                code = p.code
            ));
        }
    }
    Ok(out)
}

/// What `cluster init` did.
#[derive(Debug, Serialize)]
pub struct InitReport {
    pub provinces: Vec<String>,
    pub tables: Vec<&'static str>,
}

/// Makes the provinces' views and the national node's partitioned tables (again, if they
/// exist: the national node holds nothing of its own that this drops).
pub async fn init(cfg: &Config) -> Result<InitReport, ClusterError> {
    for p in &cfg.provinces {
        let what = format!("province {} ({})", p.code, p.name);
        let pool = connect(&p.database).await.map_err(db_error(what.clone()))?;
        for sql in province_views(&p.code) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.map_err(db_error(what.clone()))?;
        }
        pool.close().await;
    }
    let pool = connect(&cfg.national.database).await.map_err(db_error("the national database"))?;
    let dbname = pg_target(&cfg.national.database)
        .map_err(|detail| ClusterError::Config { file: "national.database".into(), detail })?
        .dbname;
    let mut statements =
        national_schema(cfg).map_err(|detail| ClusterError::Config { file: "cluster".into(), detail })?;
    // A national aggregate is computed in each province and only the sums travel.
    statements.push(format!("ALTER DATABASE \"{}\" SET enable_partitionwise_aggregate = on", dbname.replace('"', "")));
    statements.push(format!("ALTER DATABASE \"{}\" SET enable_partitionwise_join = on", dbname.replace('"', "")));
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.map_err(db_error("the national database"))?;
    }
    pool.close().await;
    Ok(InitReport {
        provinces: cfg.provinces.iter().map(|p| p.code.clone()).collect(),
        tables: SHARED.iter().map(|t| t.name).collect(),
    })
}

/// One province as `cluster status` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct ProvinceStatus {
    pub code: String,
    pub name: String,
    pub reachable: bool,
    pub payments: Option<i64>,
    pub journal_size: Option<i64>,
    /// The largest checkpoint the national witness has cosigned in the province's log.
    pub cosigned_size: Option<i64>,
    /// Why it could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NationalStatus {
    /// Payments counted through the partitioned table; null unless every province answered
    /// (never a partial sum).
    pub payments: Option<i64>,
    pub complete: bool,
    /// The provinces that did not answer, by name.
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub provinces: Vec<ProvinceStatus>,
    pub national: NationalStatus,
}

impl ProvinceStatus {
    fn unread(p: &Province, error: Option<String>) -> ProvinceStatus {
        ProvinceStatus {
            code: p.code.clone(),
            name: p.name.clone(),
            reachable: false,
            payments: None,
            journal_size: None,
            cosigned_size: None,
            error,
        }
    }
}

async fn province_status(p: &Province, witness: &str) -> ProvinceStatus {
    let mut s = ProvinceStatus::unread(p, None);
    let read = async {
        let pool = connect(&p.database).await?;
        let payments: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM payments").fetch_one(&pool).await?.try_get(0)?;
        let size: i64 = sqlx::query("SELECT size FROM journal_head WHERE id = 1").fetch_one(&pool).await?.try_get(0)?;
        let cosigned = cosigned_size(&pool, witness).await?;
        pool.close().await;
        Ok::<_, sqlx::Error>((payments, size, cosigned))
    };
    match read.await {
        Ok((payments, size, cosigned)) => {
            s.reachable = true;
            s.payments = Some(payments);
            s.journal_size = Some(size);
            s.cosigned_size = Some(cosigned.unwrap_or(0));
        }
        Err(e) => s.error = Some(e.to_string()),
    }
    s
}

/// The national count: grouped by province so that each province counts its own rows (an
/// aggregate pushed down into an async foreign scan per province) and only the counts
/// travel; a plain `count(*)` would be a partial aggregate, which postgres_fdw does not
/// push down, and every row would cross the network.
pub const COUNT_NATIONAL: &str =
    "SELECT CAST(SUM(n) AS BIGINT) FROM (SELECT province, COUNT(*) AS n FROM national.payments GROUP BY province) s";

/// Each province read directly, and the national count through the foreign partitions.
pub async fn status(cfg: &Config) -> Status {
    let witness = cfg.national.witness_name.as_str();
    // Every province is asked at once; one that does not answer costs its timeout once.
    let handles: Vec<_> = cfg
        .provinces
        .iter()
        .map(|p| {
            let (p, w) = (p.clone(), witness.to_string());
            tokio::spawn(async move { province_status(&p, &w).await })
        })
        .collect();
    let mut provinces = Vec::with_capacity(handles.len());
    for (h, p) in handles.into_iter().zip(&cfg.provinces) {
        provinces.push(h.await.unwrap_or_else(|e| ProvinceStatus::unread(p, Some(e.to_string()))));
    }
    let missing: Vec<String> =
        provinces.iter().filter(|p| !p.reachable).map(|p| format!("{}（{}）", p.name, p.code)).collect();
    let counted = async {
        let pool = connect(&cfg.national.database).await?;
        let n: Option<i64> = sqlx::query(COUNT_NATIONAL).fetch_one(&pool).await?.try_get(0)?;
        let n = n.unwrap_or(0);
        pool.close().await;
        Ok::<_, sqlx::Error>(n)
    };
    let national = if missing.is_empty() {
        match counted.await {
            Ok(n) => NationalStatus { payments: Some(n), complete: true, missing, error: None },
            Err(e) => NationalStatus { payments: None, complete: false, missing, error: Some(e.to_string()) },
        }
    } else {
        NationalStatus { payments: None, complete: false, missing, error: None }
    };
    Status { provinces, national }
}

/// The national witness's record of a province's last cosigned checkpoint.
pub fn witnessed(cfg: &Config, code: &str) -> Result<Option<Checkpoint>, ClusterError> {
    let path = cfg.state_file(code);
    match std::fs::read_to_string(&path) {
        Ok(text) => Checkpoint::parse(&text)
            .map(Some)
            .map_err(|e| ClusterError::Config { file: path.display().to_string(), detail: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ClusterError::Config { file: path.display().to_string(), detail: e.to_string() }),
    }
}

/// The latest published checkpoint's size and the largest one cosigned by `witness`.
pub async fn published_and_cosigned(pool: &AnyPool, witness: &str) -> Result<(Option<i64>, Option<i64>), sqlx::Error> {
    let published: Option<i64> =
        sqlx::query("SELECT CAST(MAX(size) AS BIGINT) FROM checkpoints WHERE published_at IS NOT NULL")
            .fetch_one(pool)
            .await?
            .try_get(0)?;
    Ok((published, cosigned_size(pool, witness).await?))
}

/// The largest checkpoint of a province's log that `witness` has cosigned.
async fn cosigned_size(pool: &AnyPool, witness: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT CAST(MAX(size) AS BIGINT) FROM cosignatures WHERE witness = $1")
        .bind(witness)
        .fetch_one(pool)
        .await?
        .try_get(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[national]
database = "postgres://postgres@127.0.0.1:55440/national"
witness_key = "national.key"
ingest_token_file = "national.token"

[[province]]
code = "32"
database = "postgres://postgres@127.0.0.1:55441/postgres"
server = "http://127.0.0.1:8741"
log_key = "k+1+AAAA"

[[province]]
code = "33"
name = "浙江"
prefixes = ["3301", "33"]
database = "postgres://bw:secret@db33.example:5433/bw"
server = "http://127.0.0.1:8742"
log_key = "k+2+AAAA"
"#;

    #[test]
    fn reads_the_file_with_defaults_and_paths_beside_it() {
        let c = Config::parse(FILE, Path::new("/srv/cluster")).unwrap();
        assert_eq!(c.national.witness_key, PathBuf::from("/srv/cluster/national.key"));
        assert_eq!(c.national.state_dir, PathBuf::from("/srv/cluster/witness"));
        assert_eq!(c.national.listen, "127.0.0.1:8700");
        assert_eq!(c.provinces[0].name, "江苏省");
        assert_eq!(c.provinces[0].prefixes, vec!["32".to_string()]);
        assert_eq!(c.provinces[1].name, "浙江");
        assert_eq!(c.state_file("33"), PathBuf::from("/srv/cluster/witness/33.checkpoint"));
    }

    #[test]
    fn routes_a_region_by_its_longest_prefix() {
        let c = Config::parse(FILE, Path::new(".")).unwrap();
        assert_eq!(c.province_of_region("320105").map(|p| p.code.as_str()), Some("32"));
        assert_eq!(c.province_of_region("330102").map(|p| p.code.as_str()), Some("33"));
        assert_eq!(c.province_of_region("110000").map(|p| p.code.as_str()), None);
    }

    #[test]
    fn refuses_what_cannot_be_a_cluster() {
        let twice = FILE.replace("code = \"33\"", "code = \"32\"");
        assert!(Config::parse(&twice, Path::new(".")).unwrap_err().contains("listed twice"));
        let bad = FILE.replace("prefixes = [\"3301\", \"33\"]", "prefixes = [\"3201\"]");
        assert!(Config::parse(&bad, Path::new(".")).unwrap_err().contains("not a region code under 33"));
        let code = FILE.replace("code = \"33\"", "code = \"330\"");
        assert!(Config::parse(&code, Path::new(".")).unwrap_err().contains("two digits"));
        let url = FILE.replace("postgres://bw:secret@db33.example:5433/bw", "mysql://x");
        assert!(Config::parse(&url, Path::new(".")).unwrap_err().contains("postgres:// URL"));
        assert!(
            Config::parse("[national]\ndatabase = \"postgres://h/n\"\nwitness_key = \"k\"\n", Path::new("."))
                .unwrap_err()
                .contains("at least one province")
        );
    }

    #[test]
    fn reads_a_postgres_url_for_the_foreign_server() {
        let t = pg_target("postgres://bw:secret@db33.example:5433/bw?sslmode=disable").unwrap();
        assert_eq!(
            t,
            PgTarget {
                host: "db33.example".into(),
                port: 5433,
                dbname: "bw".into(),
                user: "bw".into(),
                password: Some("secret".into())
            }
        );
        let d = pg_target("postgresql://postgres@127.0.0.1").unwrap();
        assert_eq!((d.port, d.dbname.as_str(), d.password), (5432, "postgres", None));
    }

    #[test]
    fn a_province_shows_no_classified_project_and_no_account() {
        let views = province_views("32").join(";\n");
        assert!(views.contains("'32'::text AS province"));
        assert!(!views.contains("payee_account"));
        // Every view of indicators' money leaves the classified projects out.
        for view in ["indicators", "indicator_months", "projects", "payments"] {
            let sql =
                province_views("32").into_iter().find(|v| v.starts_with(&format!("CREATE VIEW bw_national.{view} ")));
            assert!(sql.is_some_and(|v| v.contains("classified_projects")), "{view}: {views}");
        }
        assert_eq!(views.matches("classified_projects").count(), 4, "{views}");
        let c = Config::parse(FILE, Path::new(".")).unwrap();
        let national = national_schema(&c).unwrap().join(";\n");
        assert!(national.contains("async_capable 'true'"));
        assert!(national.contains("password 'secret'"));
        assert!(national.contains(
            "CREATE FOREIGN TABLE national.payments_p33 PARTITION OF national.payments FOR VALUES IN ('33') SERVER bw_p33"
        ));
    }
}
