//! Text checks (NLP 审核): a payment's summary, segmented into words (jieba), held against its
//! economic code through the policy library — the purchases the words name and the codes they
//! belong under, and the items no budget pays for. A prohibited item is a finding; so is a
//! summary whose named purchases all belong under other codes (a dinner booked as office
//! supplies). The standard payments template carries the summary (`USE_DES`); it is the text
//! checked.

use std::collections::HashMap;

use jieba_rs::Jieba;
use serde_json::json;

use crate::{Finding, Payment, yuan};

/// The shipped policy library.
pub const DEFAULT_POLICY: &str = include_str!("../data/policy.json");

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Category {
    pub name: String,
    pub codes: Vec<String>,
    pub keywords: Vec<String>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Prohibited {
    pub term: String,
    pub why: String,
}

#[derive(Clone, Debug, serde::Deserialize)]
struct PolicyFile {
    categories: Vec<Category>,
    prohibited: Vec<Prohibited>,
}

/// The policy library with a segmenter that knows its words.
pub struct Policy {
    pub categories: Vec<Category>,
    pub prohibited: Vec<Prohibited>,
    /// Built on first use: loading the dictionary takes a few hundred milliseconds, which a
    /// run without the text test does not pay.
    jieba: std::sync::OnceLock<Jieba>,
}

/// What the policy says of one text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// The words, as segmented.
    pub words: Vec<String>,
    /// Indices into `categories` of the purchases named.
    pub categories: Vec<usize>,
    /// Indices into `prohibited` of the items named.
    pub prohibited: Vec<usize>,
}

impl Policy {
    /// Reads a policy library (JSON: `categories` [{name, codes, keywords}], `prohibited`
    /// [{term, why}]).
    pub fn parse(json: &str) -> Result<Policy, String> {
        let f: PolicyFile = serde_json::from_str(json).map_err(|e| format!("policy library: {e}"))?;
        for c in &f.categories {
            if c.codes.is_empty() || c.keywords.is_empty() {
                return Err(format!("policy library: category {} needs codes and keywords", c.name));
            }
        }
        Ok(Policy { categories: f.categories, prohibited: f.prohibited, jieba: std::sync::OnceLock::new() })
    }

    fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(|| {
            let mut jieba = Jieba::new();
            let words = self.categories.iter().flat_map(|c| c.keywords.iter());
            for w in words.chain(self.prohibited.iter().map(|p| &p.term)) {
                // A high frequency keeps the policy's words whole.
                jieba.add_word(w, Some(100_000), None);
            }
            jieba
        })
    }

    pub fn shipped() -> Policy {
        match Policy::parse(DEFAULT_POLICY) {
            Ok(p) => p,
            // The shipped file is tested; an empty library is the only other honest answer.
            Err(_) => Policy { categories: Vec::new(), prohibited: Vec::new(), jieba: std::sync::OnceLock::new() },
        }
    }

    /// Segments `text` and names the categories and prohibited items among its words (a
    /// keyword matches a word, or two or three consecutive words together).
    pub fn read(&self, text: &str) -> Reading {
        let words: Vec<&str> =
            self.jieba().cut(text, true).into_iter().map(|t| t.word).filter(|w| !w.trim().is_empty()).collect();
        let mut spans: Vec<String> = Vec::new();
        for i in 0..words.len() {
            let mut s = String::new();
            for w in words.iter().skip(i).take(3) {
                s.push_str(w);
                spans.push(s.clone());
            }
        }
        let has = |k: &str| spans.iter().any(|s| s == k);
        let categories =
            (0..self.categories.len()).filter(|&c| self.categories[c].keywords.iter().any(|k| has(k))).collect();
        let prohibited = (0..self.prohibited.len()).filter(|&p| has(&self.prohibited[p].term)).collect();
        Reading { words: words.into_iter().map(str::to_string).collect(), categories, prohibited }
    }

    fn covers(&self, category: usize, economic: &str) -> bool {
        self.categories[category].codes.iter().any(|c| economic.starts_with(c.as_str()))
    }
}

/// The words of `text` as the shipped policy's segmenter cuts them (the case knowledge base
/// searches by them).
pub fn segment(text: &str) -> Vec<String> {
    static SHIPPED: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    SHIPPED.get_or_init(Policy::shipped).read(text).words
}

pub fn run(payments: &[Payment], policy: &Policy, out: &mut Vec<Finding>) {
    // Summaries repeat: each distinct text is segmented once.
    let mut seen: HashMap<&str, Reading> = HashMap::new();
    for x in payments.iter().filter(|x| x.amount.is_positive()) {
        let r = seen.entry(x.summary.as_ref()).or_insert_with(|| policy.read(&x.summary));
        if r.prohibited.is_empty() && r.categories.is_empty() {
            continue;
        }
        let named: Vec<&str> = r.categories.iter().map(|&c| policy.categories[c].name.as_str()).collect();
        let finding = |rule: &str| {
            Finding::new("text_check", Some(&x.unit), vec![x.voucher.to_string()], x.amount.fen())
                .with("rule", json!(rule))
                .with("summary", json!(x.summary))
                .with("words", json!(r.words))
                .with("economic_code", json!(x.economic))
                .with("amount", yuan(x.amount.fen()))
                .with("named_purchases", json!(named))
        };
        if !r.prohibited.is_empty() {
            let items: Vec<&str> = r.prohibited.iter().map(|&p| policy.prohibited[p].term.as_str()).collect();
            let why: Vec<&str> = r.prohibited.iter().map(|&p| policy.prohibited[p].why.as_str()).collect();
            out.push(finding("prohibited").with("items", json!(items)).with("why", json!(why)));
        } else if !r.categories.iter().any(|&c| policy.covers(c, &x.economic)) {
            let belongs: Vec<&str> =
                r.categories.iter().flat_map(|&c| policy.categories[c].codes.iter().map(String::as_str)).collect();
            out.push(finding("category").with("belongs_under", json!(belongs)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::pay;

    #[test]
    fn the_shipped_library_reads() {
        let p = Policy::parse(DEFAULT_POLICY).unwrap_or_else(|e| panic!("{e}"));
        let r = p.read("购买办公用品");
        assert_eq!(r.categories.iter().map(|&c| p.categories[c].name.as_str()).collect::<Vec<_>>(), vec!["办公用品"]);
        let r = p.read("节日慰问购买购物卡");
        assert_eq!(r.prohibited.iter().map(|&i| p.prohibited[i].term.as_str()).collect::<Vec<_>>(), vec!["购物卡"]);
        assert!(r.words.contains(&"购物卡".to_string()), "{:?}", r.words);
    }

    #[test]
    fn summaries_against_codes() {
        let policy = Policy::shipped();
        let mut ps = vec![
            pay("V1", "U1", "2025-03-01", "某酒店", 300_000, ""),
            pay("V2", "U1", "2025-03-02", "某商贸公司", 200_000, ""),
            pay("V3", "U1", "2025-03-03", "某文具店", 50_000, ""),
            pay("V4", "U1", "2025-03-04", "某汽修厂", 80_000, ""),
            pay("V5", "U1", "2025-03-05", "某公司", 80_000, ""),
        ];
        ps[0].summary = "接待用餐".into(); // booked as office supplies (30201)
        ps[1].summary = "采购高档白酒".into();
        ps[2].summary = "购买办公用品".into();
        ps[3].summary = "公务用车加油维修".into();
        ps[3].economic = "30231".into();
        ps[4].summary = "支付款项".into();
        let mut out = Vec::new();
        run(&ps, &policy, &mut out);
        let got: Vec<(&str, &str)> =
            out.iter().map(|f| (f.vouchers[0].as_str(), f.evidence["rule"].as_str().unwrap_or(""))).collect();
        assert_eq!(got, vec![("V1", "category"), ("V2", "prohibited")]);
        assert_eq!(out[0].evidence["belongs_under"], json!(["30217"]));
    }

    #[test]
    fn a_bad_library_is_refused() {
        assert!(Policy::parse("{}").is_err());
        assert!(Policy::parse(r#"{"categories":[{"name":"x","codes":[],"keywords":["a"]}],"prohibited":[]}"#).is_err());
    }
}
