//! Hashing and tree-building rates, for docs/BENCHMARKS.md (`cargo bench -p bw-ledger`).
//! Not a test: it prints figures and asserts nothing.

use bw_ledger::Suite;
use bw_ledger::merkle::{self, MemoryTree};
use std::time::Instant;

fn main() {
    for suite in Suite::ALL {
        // 64-byte-class inputs: interior node hashes (65 bytes).
        let n = 1_000_000u32;
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let t = Instant::now();
        let mut acc = a;
        for _ in 0..n {
            acc = suite.node(&acc, &b);
        }
        let node_rate = f64::from(n) / t.elapsed().as_secs_f64();
        // Leaves of 516 bytes, the demo journal's mean entry size, on one core and on all.
        let entries: Vec<Vec<u8>> = (0..200_000u32).map(|i| format!("{i:0>516}").into_bytes()).collect();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let t = Instant::now();
        let one: Vec<_> = refs.iter().map(|e| suite.leaf(e)).collect();
        let leaf_one = refs.len() as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let all = suite.leaves(&refs);
        let leaf_all = refs.len() as f64 / t.elapsed().as_secs_f64();
        assert_eq!(one, all);
        // The tree over 1,000,000 leaves (interior hashes only).
        let t = Instant::now();
        let mut tree = MemoryTree::new(suite);
        for i in 0..1_000_000u64 {
            let mut h = [0u8; 32];
            h[..8].copy_from_slice(&i.to_le_bytes());
            tree.push(h);
        }
        let root = merkle::root(&mut tree, 1_000_000);
        let tree_secs = t.elapsed().as_secs_f64();
        println!(
            "{}: node hashes {:.2} M/s (one core); 516-byte leaves {:.0} k/s one core, {:.0} k/s all cores; tree of 1,000,000 leaves {:.3} s{}",
            suite.name(),
            node_rate / 1e6,
            leaf_one / 1e3,
            leaf_all / 1e3,
            tree_secs,
            if root.is_ok() && acc != a { "" } else { " (?)" }
        );
    }
}
