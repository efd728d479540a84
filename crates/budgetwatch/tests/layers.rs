//! The layering of DESIGN.md, checked: domain crates know nothing of databases, HTTP, the
//! async runtime or the clock.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // tests fail by panicking

fn manifest(krate: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("Cargo.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn domain_crates_do_no_io() {
    for krate in ["bw-core", "bw-ledger", "bw-rules", "bw-audit", "bw-pdf"] {
        let deps = manifest(krate);
        let deps = deps.split("[dependencies]").nth(1).unwrap_or("");
        let deps = deps.split("\n[").next().unwrap_or("");
        for banned in ["sqlx", "axum", "tokio", "bw-store", "bw-app", "calamine", "csv"] {
            assert!(!deps.lines().any(|l| l.trim_start().starts_with(banned)), "{krate} depends on {banned}");
        }
    }
    for krate in ["bw-core", "bw-rules", "bw-audit", "bw-pdf"] {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("src");
        for entry in std::fs::read_dir(&src).expect("src") {
            let p = entry.expect("entry").path();
            if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).expect("read");
                for banned in ["SystemTime::now", "std::fs", "std::net", "Instant::now"] {
                    assert!(!text.contains(banned), "{} uses {banned}", p.display());
                }
            }
        }
    }
}
