//! DBSCAN on 200,000 points (`cargo bench -p bw-audit --bench dbscan`); not a test. Ten
//! blobs in the plane plus uniform noise, generated from a fixed seed; prints the time and
//! the number of clusters. With BW_DBSCAN_OUT=FILE also writes the points as CSV, for the
//! same run of scikit-learn.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 200_000usize;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut points = Vec::with_capacity(n);
    for i in 0..n {
        if i % 20 == 0 {
            points.push(vec![next() * 100.0, next() * 100.0]);
        } else {
            let c = (i % 10) as f64;
            // A rough normal from the sum of four uniforms.
            let g = |u: f64, v: f64, w: f64, z: f64| (u + v + w + z - 2.0) * 1.5;
            let (a, b, c2, d) = (next(), next(), next(), next());
            let (e, f, h, k) = (next(), next(), next(), next());
            points.push(vec![10.0 + c * 9.0 + g(a, b, c2, d), 50.0 + (c % 3.0) * 15.0 + g(e, f, h, k)]);
        }
    }
    if let Ok(out) = std::env::var("BW_DBSCAN_OUT") {
        let mut s = String::from("x,y\n");
        for p in &points {
            s.push_str(&format!("{},{}\n", p[0], p[1]));
        }
        std::fs::write(out, s)?;
    }
    for (eps, k) in [(0.3, 10), (0.5, 20)] {
        let t = Instant::now();
        let labels = bw_audit::dbscan::dbscan(&points, eps, k)?;
        let clusters = labels.iter().copied().max().unwrap_or(-1) + 1;
        let noise = labels.iter().filter(|l| **l == -1).count();
        println!(
            "dbscan {n} points, eps {eps}, min_samples {k}: {:.3} s, {clusters} clusters, {noise} noise",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
