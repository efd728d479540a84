//! `budgetwatch audit` as analysts call it.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

mod common;

use common::*;

#[test]
fn dbscan_labels_the_points_of_a_csv_one_per_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    let file = dir.path().join("points.csv");
    let mut body = String::from("x,y\n1.0,0.05\n");
    for (x, y) in [(2.0, 0.0), (2.0, 0.1), (1.9, 0.0), (1.9, 0.1), (1.95, 0.05), (2.0, 0.05)] {
        body.push_str(&format!("{x},{y}\n"));
    }
    for (x, y) in [(0.0, 0.0), (0.0, 0.1), (0.1, 0.0), (0.1, 0.1), (0.05, 0.05), (0.0, 0.05)] {
        body.push_str(&format!("{x},{y}\n"));
    }
    body.push_str("10,10\n");
    std::fs::write(&file, body).unwrap();
    let o = bw(&db, &["audit", "dbscan", "--eps", "0.92", "--min-samples", "6", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let labels: Vec<&str> = out.lines().collect();
    assert_eq!(labels, ["0", "0", "0", "0", "0", "0", "0", "1", "1", "1", "1", "1", "1", "-1"]);

    std::fs::write(&file, "x,y\n1,2\n3,abc\n").unwrap();
    let o = bw(&db, &["audit", "dbscan", "--eps", "1", "--min-samples", "2", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("points.csv:3: column y: not a number: \"abc\""), "{}", stderr(&o));
}
