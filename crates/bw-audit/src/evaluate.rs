//! Precision and recall of what the tests and rules found against a ground-truth file (the
//! demo generator's `ground_truth.json`, or one an auditor writes): `{"anomalies": [{"kind",
//! "unit_code", "indicator_code", "project_code", "region_code", "revenue_code",
//! "vouchers"}]}`, every field but `kind` optional; a bare array of anomalies is read too.
//!
//! A detection of kind K matches a true anomaly of kind K when they share a voucher; when
//! the anomaly lists no vouchers, when they name the same region and revenue code, else the
//! same indicator, else the same project, else the same unit. Precision is the share of
//! detections that match an anomaly; recall the share of anomalies matched.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub kind: String,
    pub unit_code: Option<String>,
    pub indicator_code: Option<String>,
    pub project_code: Option<String>,
    pub region_code: Option<String>,
    pub revenue_code: Option<String>,
    pub vouchers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct KindScore {
    pub test: String,
    pub truth: usize,
    pub found: usize,
    pub truth_matched: usize,
    pub found_matched: usize,
    /// None when nothing was found.
    pub precision: Option<f64>,
    /// None when the truth lists none.
    pub recall: Option<f64>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Reads a ground-truth file's anomalies; an error names the anomaly and field.
pub fn parse_truth(json: &str) -> Result<Vec<Item>, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o.get("anomalies").and_then(Value::as_array).ok_or("no \"anomalies\" array")?,
        _ => return Err("neither an object with \"anomalies\" nor an array".into()),
    };
    list.iter()
        .enumerate()
        .map(|(i, a)| {
            let kind =
                text(a, "kind").ok_or_else(|| format!("anomaly {}: field kind: missing or not a string", i + 1))?;
            let vouchers = match a.get("vouchers") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(vs)) => vs
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("anomaly {}: field vouchers: not a list of strings", i + 1))?,
                Some(_) => return Err(format!("anomaly {}: field vouchers: not a list", i + 1)),
            };
            Ok(Item {
                kind,
                unit_code: text(a, "unit_code"),
                indicator_code: text(a, "indicator_code"),
                project_code: text(a, "project_code"),
                region_code: text(a, "region_code"),
                revenue_code: text(a, "revenue_code"),
                vouchers,
            })
        })
        .collect()
}

/// Kinds that measure a subject (an indicator's, project's, unit's or revenue line's
/// figures): a detection is the same anomaly when it names the same subject, whichever
/// payments it lists. The others are patterns among payments, matched by a shared voucher.
const MEASURES: &[&str] = &[
    "over_budget",
    "ahead_of_schedule",
    "behind_schedule",
    "stagnant",
    "idle_funds",
    "year_end_rush",
    "revenue_shortfall",
    "project_year_end_rush",
    "low_execution",
    "low_execution_3y",
    "other_subclass",
    "association_payments",
    "revenue_jump",
];

fn matches(found: &Item, truth: &Item) -> bool {
    if found.kind != truth.kind {
        return false;
    }
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    // The 三公 budget is a unit's: its warning names the unit.
    if truth.kind == "sangong_over" {
        return same(&found.unit_code, &truth.unit_code);
    }
    if !truth.vouchers.is_empty() && !MEASURES.contains(&truth.kind.as_str()) {
        return found.vouchers.iter().any(|v| truth.vouchers.contains(v));
    }
    if truth.region_code.is_some() || truth.revenue_code.is_some() {
        return same(&found.region_code, &truth.region_code)
            && (truth.revenue_code.is_none() || same(&found.revenue_code, &truth.revenue_code));
    }
    if truth.indicator_code.is_some() {
        return same(&found.indicator_code, &truth.indicator_code)
            || (found.indicator_code.is_none() && same(&found.project_code, &truth.project_code));
    }
    if truth.project_code.is_some() {
        return same(&found.project_code, &truth.project_code);
    }
    same(&found.unit_code, &truth.unit_code)
}

/// Scores per kind: those of `always` (the twelve monitoring rules and the audit tests, so
/// that a kind the truth does not list and nothing found still shows), then the truth's in
/// its order of first appearance, then kinds found that the truth does not list (each of
/// their findings unmatched: precision 0).
pub fn evaluate(truth: &[Item], found: &[Item], always: &[&str]) -> Vec<KindScore> {
    let mut kinds: Vec<&str> = always.to_vec();
    for k in truth.iter().chain(found).map(|i| i.kind.as_str()) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let mut by_kind: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for f in found {
        by_kind.entry(&f.kind).or_default().push(f);
    }
    kinds
        .into_iter()
        .map(|k| {
            let ts: Vec<&Item> = truth.iter().filter(|t| t.kind == k).collect();
            let fs = by_kind.get(k).cloned().unwrap_or_default();
            let truth_matched = ts.iter().filter(|t| fs.iter().any(|f| matches(f, t))).count();
            let found_matched = fs.iter().filter(|f| ts.iter().any(|t| matches(f, t))).count();
            KindScore {
                test: k.to_string(),
                truth: ts.len(),
                found: fs.len(),
                truth_matched,
                found_matched,
                precision: (!fs.is_empty()).then(|| found_matched as f64 / fs.len() as f64),
                recall: (!ts.is_empty()).then(|| truth_matched as f64 / ts.len() as f64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str, vouchers: &[&str]) -> Item {
        Item { kind: kind.into(), vouchers: vouchers.iter().map(|v| v.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn precision_and_recall_per_kind() {
        let truth = parse_truth(
            r#"{"anomalies":[
                {"kind":"duplicate_exact","vouchers":["A","B"]},
                {"kind":"duplicate_exact","vouchers":["C","D"]},
                {"kind":"revenue_jump","region_code":"R1","revenue_code":"10101"},
                {"kind":"low_execution","unit_code":"U1","indicator_code":null,"project_code":"P1"}
            ]}"#,
        )
        .unwrap_or_default();
        assert_eq!(truth.len(), 4);
        let found = vec![
            item("duplicate_exact", &["B", "A"]),
            item("duplicate_exact", &["X", "Y"]),
            Item { region_code: Some("R1".into()), revenue_code: Some("10101".into()), ..item("revenue_jump", &[]) },
            Item { region_code: Some("R2".into()), revenue_code: Some("10101".into()), ..item("revenue_jump", &[]) },
            Item { unit_code: Some("U1".into()), project_code: Some("P1".into()), ..item("low_execution", &[]) },
        ];
        let s = evaluate(&truth, &found, &[]);
        assert_eq!(
            s.iter().map(|k| k.test.as_str()).collect::<Vec<_>>(),
            ["duplicate_exact", "revenue_jump", "low_execution"]
        );
        // Kinds found that the truth does not list, and kinds asked for, are scored too.
        let extra = vec![item("benford", &["Z"])];
        let s2 = evaluate(&truth, &extra, &["stagnant"]);
        let by = |k: &str| s2.iter().find(|x| x.test == k).cloned();
        assert_eq!(by("stagnant").map(|x| (x.truth, x.found, x.precision, x.recall)), Some((0, 0, None, None)));
        assert_eq!(by("benford").map(|x| (x.truth, x.found, x.precision)), Some((0, 1, Some(0.0))));
        assert_eq!(s2[0].test, "stagnant");
        assert_eq!((s[0].precision, s[0].recall), (Some(0.5), Some(0.5)));
        assert_eq!((s[1].precision, s[1].recall), (Some(0.5), Some(1.0)));
        assert_eq!((s[2].precision, s[2].recall), (Some(1.0), Some(1.0)));
    }

    #[test]
    fn bad_truth_files_are_named() {
        assert_eq!(parse_truth(r#"[{"vouchers":[]}]"#), Err("anomaly 1: field kind: missing or not a string".into()));
        assert!(parse_truth("{}").is_err());
        assert_eq!(
            parse_truth(r#"[{"kind":"x","vouchers":"A"}]"#),
            Err("anomaly 1: field vouchers: not a list".into())
        );
    }
}
