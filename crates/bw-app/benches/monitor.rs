//! Monitoring figures for docs/BENCHMARKS.md (`cargo bench -p bw-app --bench monitor`); not a
//! test. BW_BENCH_DB names a database with a year of demo payments (bench/out/bench.db
//! after bench/import.sh; BW_BENCH_KEY its signing key, if its log is signed); a copy of it
//! is used. Times a full `check` (the first may rebuild
//! the cache of payment-rule findings), then imports one payment at a time — each like an
//! existing one, to the same unit, indicator and payee — and reports what the rules firing
//! at payment time add to each import (`ImportReport::rules_time`).

use bw_app::Ctx;
use bw_core::template::Kind;
use bw_core::{Date, Timestamp};
use bw_store::Store;
use bw_store::sqlx::{self, Row};
use std::time::Instant;

fn pct(sorted: &[f64], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(source) = std::env::var("BW_BENCH_DB") else {
        println!("BW_BENCH_DB unset: nothing to time");
        return Ok(());
    };
    let n: usize = std::env::var("BW_BENCH_PAYMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let dir = std::env::temp_dir().join(format!("bw-monitor-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("monitor.db");
    std::fs::copy(&source, &db)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let mut store = Store::open(db.to_str().unwrap_or("monitor.db"), false).await?;
        // A log whose checkpoints are signed takes no commit without its key (BW_BENCH_KEY,
        // the file `--key-file` names).
        if let Ok(path) = std::env::var("BW_BENCH_KEY") {
            let signer = bw_ledger::note::Signer::parse_private_key(std::fs::read_to_string(&path)?.trim())?;
            let head = dir.join("monitor.key.head");
            if let Ok(h) = std::fs::read(format!("{path}.head")) {
                std::fs::write(&head, h)?;
            }
            store.set_signer(signer, Some(head)).await?;
        }
        let ctx = Ctx { actor: "bench".into(), at: Timestamp(1_795_735_800), today: Timestamp(1_795_735_800).date(), reason: None, entropy: [7; 32] };
        let year: i64 =
            sqlx::query("SELECT CAST(MAX(year) AS BIGINT) FROM payments").fetch_one(store.pool()).await?.try_get(0)?;
        let year = year as i32;
        let as_of = Date::from_ymd(year, 12, 31).ok_or("year")?;
        for round in ["first", "second"] {
            let t = Instant::now();
            let r = bw_app::monitor::check(&store, &ctx, as_of).await?;
            println!(
                "check as of {as_of} ({round}): {:.2} s — {} raised, {} updated, {} unchanged",
                t.elapsed().as_secs_f64(),
                r.raised,
                r.updated,
                r.unchanged
            );
        }
        let templates = sqlx::query(
            "SELECT p.unit_code, p.indicator_code, p.economic_code, p.payee_name, p.payee_account FROM payments p \
             JOIN indicators i ON i.year = p.year AND i.indicator_code = p.indicator_code \
             WHERE p.year = $1 AND p.payee_type = 'company' AND p.amount > 0 AND i.amount - i.paid - i.committed_unpaid > 100000 \
             ORDER BY p.voucher_no LIMIT $2",
        )
        .bind(i64::from(year))
        .bind(n as i64 * 7)
        .fetch_all(store.pool())
        .await?;
        let header = "voucher_no,pay_date,unit_code,indicator_code,economic_code,payee_name,payee_account,payee_type,amount,summary\n";
        let (mut rules, mut total) = (Vec::new(), Vec::new());
        for (k, r) in templates.iter().step_by(7).take(n).enumerate() {
            let cell = |i: usize| r.try_get::<String, _>(i);
            let body = format!(
                "{header}BENCH{k:06},{year}-11-{:02},{},{},{},{},{},company,100.00,办公用品\n",
                1 + k % 28,
                cell(0)?,
                cell(1)?,
                cell(2)?,
                cell(3)?.replace(',', " "),
                cell(4)?
            );
            let file = dir.join("one.csv");
            std::fs::write(&file, body)?;
            let t = Instant::now();
            let report = bw_app::import::import_file(&store, &ctx, Kind::Payments, &file, &Default::default()).await?;
            total.push(t.elapsed().as_secs_f64() * 1e3);
            rules.push(report.rules_time.as_secs_f64() * 1e3);
        }
        rules.sort_by(f64::total_cmp);
        total.sort_by(f64::total_cmp);
        println!(
            "one-payment imports ({}): rules at payment time median {:.2} ms, p99 {:.2} ms, max {:.2} ms; whole import median {:.2} ms, p99 {:.2} ms",
            rules.len(),
            pct(&rules, 50),
            pct(&rules, 99),
            rules.last().copied().unwrap_or(0.0),
            pct(&total, 50),
            pct(&total, 99)
        );
        let t = Instant::now();
        let r = bw_app::monitor::check(&store, &ctx, as_of).await?;
        println!("check after them: {:.2} s — {} raised, {} updated", t.elapsed().as_secs_f64(), r.raised, r.updated);
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
