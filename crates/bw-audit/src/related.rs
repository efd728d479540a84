//! Related parties (关联交易): payments whose payee is one of the unit's own people, matched
//! against the staff register — the payee account is a staff member's bank account, a staff
//! member's phone number appears in the payee name or summary, or an individual payee has
//! the name of a staff member of the paying unit — outside wages, welfare and travel
//! reimbursement (301xx, 303xx, 30211), where paying one's own staff is the purpose. And
//! payee accounts that receive money under more than one payee name.

use std::collections::{BTreeMap, HashMap};

use bw_core::code::EconomicCode;
use bw_core::records::PayeeType;
use serde_json::json;

use crate::duplicates::distinct;
use crate::normalize::{FxMap, Ids, number, payee_name};
use crate::{Finding, Payment, Staff, yuan};

/// Codes under which a payment to staff is what the code is for.
fn staff_purpose(economic: &str) -> bool {
    EconomicCode::parse(economic).is_ok_and(|c| c.is_wage_or_welfare()) || economic.starts_with("30211")
}

/// Runs of at least seven digits in `s` (phone numbers written into a name or summary).
fn digit_runs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars().map(crate::normalize::half_width).chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else {
            if cur.len() >= 7 {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    out
}

pub fn run(payments: &[Payment], staff: &[Staff], out: &mut Vec<Finding>) {
    let mut by_account: HashMap<String, &Staff> = HashMap::new();
    let mut by_phone: HashMap<String, &Staff> = HashMap::new();
    let mut by_name: HashMap<(&str, String), &Staff> = HashMap::new();
    for s in staff {
        if !s.bank_account.trim().is_empty() {
            by_account.entry(number(&s.bank_account).into_owned()).or_insert(s);
        }
        let phone: String = s.phone.chars().filter(char::is_ascii_digit).collect();
        if phone.len() >= 7 {
            by_phone.entry(phone).or_insert(s);
        }
        if !s.name.trim().is_empty() {
            by_name.entry((s.unit.as_str(), payee_name(&s.name))).or_insert(s);
        }
    }
    // Each payee account, normalised once per distinct spelling, as an id.
    let mut spelled: FxMap<&str, u32> = FxMap::default();
    let mut ids: Ids<String> = Ids::default();
    let account: Vec<usize> = payments
        .iter()
        .map(|x| {
            *spelled.entry(x.payee_account.as_ref()).or_insert_with(|| ids.id(number(&x.payee_account).into_owned()))
                as usize
        })
        .collect();
    let accounts = ids.keys;
    let mut names_memo: FxMap<&str, String> = FxMap::default();
    // (how, staff id) → payments, one finding each.
    let mut hits: BTreeMap<(String, &str, &str), Vec<usize>> = BTreeMap::new();
    if !staff.is_empty() {
        let is_staff_purpose: FxMap<&str, bool> =
            payments.iter().map(|x| (x.economic.as_ref(), staff_purpose(&x.economic))).collect();
        for (i, x) in payments.iter().enumerate() {
            if !x.amount.is_positive() || is_staff_purpose[x.economic.as_ref()] {
                continue;
            }
            let found = if let Some(s) = by_account.get(&accounts[account[i]]) {
                Some(("account", *s))
            } else if let Some(s) =
                digit_runs(&x.payee_name).iter().chain(&digit_runs(&x.summary)).find_map(|d| by_phone.get(d))
            {
                Some(("phone", *s))
            } else if x.payee_type == PayeeType::Individual {
                let name = names_memo.entry(x.payee_name.as_ref()).or_insert_with(|| payee_name(&x.payee_name));
                by_name.get(&(x.unit.as_ref(), name.clone())).map(|s| ("name", *s))
            } else {
                None
            };
            if let Some((how, s)) = found {
                hits.entry((x.unit.to_string(), how, s.id_hash.as_str())).or_default().push(i);
            }
        }
    }
    for ((unit, how, id), ps) in hits {
        // The matched person: by identity hash, in the paying unit for a name match.
        let s = staff.iter().find(|s| s.id_hash == id && (how != "name" || s.unit == unit));
        let total: i64 = ps.iter().map(|&i| payments[i].amount.fen()).sum();
        let (name, staff_unit) = s.map_or(("", ""), |s| (s.name.as_str(), s.unit.as_str()));
        out.push(
            Finding::new(
                "related_party",
                Some(&unit),
                ps.iter().map(|&i| payments[i].voucher.to_string()).collect(),
                total,
            )
            .with("match", json!(how))
            .with("staff_name", json!(name))
            .with("staff_unit", json!(staff_unit))
            .with("payees", json!(distinct(ps.iter().map(|&i| payments[i].payee_name.as_ref()))))
            .with("payments", json!(ps.len()))
            .with("total", yuan(total)),
        );
    }

    // One account, several payee names.
    let mut names: Vec<Vec<usize>> = vec![Vec::new(); accounts.len()];
    for (i, x) in payments.iter().enumerate() {
        if x.amount.is_positive() && !x.payee_account.trim().is_empty() {
            names[account[i]].push(i);
        }
    }
    let mut shared: Vec<(String, Vec<usize>)> = names
        .into_iter()
        .enumerate()
        .filter_map(|(acct, ps)| {
            // The first payment under each distinct name (spellings compared raw first).
            let mut firsts: Vec<usize> = Vec::new();
            let mut seen: Vec<String> = Vec::new();
            let mut raw: FxMap<&str, ()> = FxMap::default();
            for i in ps {
                if raw.insert(payments[i].payee_name.as_ref(), ()).is_some() {
                    continue;
                }
                let n = payee_name(&payments[i].payee_name);
                if !seen.contains(&n) {
                    seen.push(n);
                    firsts.push(i);
                }
            }
            (firsts.len() > 1).then(|| (accounts[acct].clone(), firsts))
        })
        .collect();
    shared.sort();
    for (acct, ps) in shared {
        let total: i64 = ps.iter().map(|&i| payments[i].amount.fen()).sum();
        out.push(
            Finding::new(
                "shared_account",
                Some(&payments[ps[0]].unit),
                ps.iter().map(|&i| payments[i].voucher.to_string()).collect(),
                total,
            )
            .with("payee_account", json!(acct))
            .with("payee_names", json!(ps.iter().map(|&i| payments[i].payee_name.as_ref()).collect::<Vec<_>>()))
            .with("units", json!(distinct(ps.iter().map(|&i| payments[i].unit.as_ref())))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::pay;

    fn staff(unit: &str, name: &str, account: &str, phone: &str) -> Staff {
        Staff {
            unit: unit.into(),
            name: name.into(),
            id_hash: format!("h-{name}"),
            bank_account: account.into(),
            phone: phone.into(),
        }
    }

    #[test]
    fn payees_matched_against_staff() {
        let reg = vec![
            staff("U1", "张伟", "6222000011112222", "13800001111"),
            staff("U1", "李娜", "6222999", "139 0000 2222"),
        ];
        let mut ps = vec![
            // A firm paid into a staff member's account.
            pay("V1", "U1", "2025-02-01", "某咨询有限公司", 2_000_000, "I1"),
            // The phone of a staff member in the summary.
            pay("V2", "U1", "2025-02-02", "某服务部", 300_000, "I2"),
            // A consulting fee to someone named like the unit's staff member.
            pay("V3", "U1", "2025-02-03", "李娜", 500_000, ""),
            // Wages to staff are what wages are.
            pay("V4", "U1", "2025-02-04", "张伟", 800_000, ""),
            // The same name in another unit is another person.
            pay("V5", "U2", "2025-02-05", "李娜", 500_000, ""),
        ];
        ps[0].payee_account = "6222 0000 1111 2222".into();
        ps[1].summary = "服务费 联系人13900002222".into();
        ps[2].payee_type = PayeeType::Individual;
        ps[2].payee_account = "P3".into();
        ps[3].payee_type = PayeeType::Individual;
        ps[3].payee_account = "6222000011112222".into();
        ps[3].economic = "30101".into();
        ps[4].payee_type = PayeeType::Individual;
        ps[4].payee_account = "P5".into();
        let mut out = Vec::new();
        run(&ps, &reg, &mut out);
        let related: Vec<(&str, &str, Vec<&str>)> = out
            .iter()
            .filter(|f| f.test == "related_party")
            .map(|f| {
                let s = |k: &str| f.evidence[k].as_str().unwrap_or("");
                (s("match"), s("staff_name"), f.vouchers.iter().map(String::as_str).collect())
            })
            .collect();
        // Each match names the person matched.
        assert_eq!(
            related,
            vec![("account", "张伟", vec!["V1"]), ("name", "李娜", vec!["V3"]), ("phone", "李娜", vec!["V2"])]
        );
        // The firm and 张伟 share an account.
        let shared: Vec<&Finding> = out.iter().filter(|f| f.test == "shared_account").collect();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].vouchers, vec!["V1", "V4"]);
    }
}
