//! Ledger figures for docs/BENCHMARKS.md (`cargo bench -p bw-app --bench ledger`); not a
//! test. With BW_BENCH_DB naming a database (e.g. bench/out/bench.db after
//! bench/import.sh), times inclusion and consistency proofs read from its tiles; always
//! times appending entries (journal, tiles, signed checkpoint) to a fresh SQLite file.

use bw_store::{JournalWriter, Store};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        if let Ok(db) = std::env::var("BW_BENCH_DB") {
            let store = Store::open(&db, false).await?;
            let size = store.journal_size().await? as u64;
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            let mut times = Vec::new();
            for _ in 0..500 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let t = Instant::now();
                bw_app::ledger::prove_inclusion(&store, x % size, None).await?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            println!(
                "inclusion proofs in a tree of {size}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (500 random entries)",
                times[250], times[495], times[499]
            );
            let t = Instant::now();
            for old in [1, 1000, size / 3, size - 1] {
                bw_app::ledger::prove_consistency(&store, old, None).await?;
            }
            println!("consistency proofs: {:.3} ms each", t.elapsed().as_secs_f64() * 1e3 / 4.0);
        } else {
            println!("BW_BENCH_DB unset: proof timings skipped");
        }
        let dir = std::env::temp_dir().join(format!("bw-append-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("append.db");
        let mut store = Store::open(path.to_str().unwrap_or("append.db"), true).await?;
        store.set_signer(bw_ledger::note::Signer::from_seed("bench.local/append", [1; 32])?, None).await?;
        let n = 200_000i64;
        let t = Instant::now();
        let (mut tx, size) = store.begin_write().await?;
        let mut journal = JournalWriter::new(size, &store, bw_core::Timestamp(0));
        for i in 0..n {
            journal.append(format!("{{\"v\":1,\"action\":\"bench\",\"data\":{{\"i\":{i:0>480}}}}}").into_bytes());
            if journal.should_flush() {
                journal.flush(&mut tx).await?;
            }
        }
        journal.finish(&mut tx).await?;
        tx.commit().await?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "append: {n} entries of ~510 bytes in one commit (leaf hash, insert, tiles, signed checkpoint): {:.2} µs per entry",
            secs * 1e6 / n as f64
        );
        let t = Instant::now();
        for _ in 0..100 {
            let (mut tx, size) = store.begin_write().await?;
            let mut journal = JournalWriter::new(size, &store, bw_core::Timestamp(0));
            journal.append(b"{\"v\":1,\"action\":\"bench\",\"data\":{}}".to_vec());
            journal.finish(&mut tx).await?;
            tx.commit().await?;
        }
        println!("append: one entry per commit: {:.2} ms per commit", t.elapsed().as_secs_f64() * 10.0);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    })
}
