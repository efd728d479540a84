//! Audit analytics over files and the database (the tests themselves live in `bw-audit`).

use std::path::Path;

/// Reads a numeric CSV — a header row, then one point per row — for `audit dbscan`; an
/// error names the file, the row (1 = the header) and the column.
pub fn points_csv(path: &Path) -> Result<Vec<Vec<f64>>, String> {
    let file = path.display();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(|e| format!("{file}: {e}"))?;
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("{file}:1: {e}"))?.iter().map(|h| h.trim().to_string()).collect();
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| format!("{file}:{row}: {e}"))?;
        if record.len() != header.len() {
            return Err(format!("{file}:{row}: {} values, the header names {}", record.len(), header.len()));
        }
        let mut point = Vec::with_capacity(record.len());
        for (c, cell) in record.iter().enumerate() {
            let v: f64 = cell
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| format!("{file}:{row}: column {}: not a number: {cell:?}", header[c]))?;
            point.push(v);
        }
        points.push(point);
    }
    Ok(points)
}
