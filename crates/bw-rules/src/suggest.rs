//! Rectification suggestions (整改建议): one template per rule, filled with the warning's
//! figures.

use crate::Rule;
use serde_json::Value;

fn text(evidence: &Value, key: &str) -> String {
    match &evidence[key] {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// The suggestion for a warning of `rule` with `evidence` on `subject` (indicator, unit or
/// revenue line).
pub fn suggestion(rule: Rule, subject: &str, evidence: &Value) -> String {
    let e = |k: &str| text(evidence, k);
    match rule {
        Rule::OverBudget => format!(
            "指标{subject}已支付{}元，超出预算{}元（{}%）。请暂停该指标新增支付，查明超支原因，按程序申请预算调整，或追回超支资金。",
            e("paid"),
            e("over"),
            e("over_pct")
        ),
        Rule::OutOfScope => format!(
            "支付（经济分类{}，{}元）超出指标{subject}的列支范围或属禁止购买事项。请说明用途，调整会计科目或退回资金，并完善审核。",
            e("economic_code"),
            e("amount")
        ),
        Rule::AheadOfSchedule => format!(
            "指标{subject}单月支付{}元，占全年预算{}%。请说明集中支付的依据（合同、进度），今后按序时进度均衡支出。",
            e("month_paid"),
            e("month_pct")
        ),
        Rule::BehindSchedule => format!(
            "指标{subject}执行率{}%，低于序时进度{}%。请分析滞后原因，制定加快执行计划；确难执行的，按程序调减或收回预算。",
            e("execution_pct"),
            e("time_progress_pct")
        ),
        Rule::Stagnant => format!(
            "指标{subject}在{}至{}连续{}个月无支付，余额{}元。请核实项目实施情况，说明停滞原因，明确后续安排；项目停止的，收回结余资金。",
            e("from"),
            e("to"),
            e("months_without_payment"),
            e("balance")
        ),
        Rule::IdleFunds => format!(
            "专项资金指标{subject}已{}个月未使用，余额{}元。请说明沉淀原因；无法使用的，按规定收回统筹。",
            e("months_unused"),
            e("balance")
        ),
        Rule::SplitPurchase => format!(
            "单位{subject}向同一账户{}在{}至{}间分{}笔支付共{}元，单笔均低于采购限额。请说明是否存在化整为零规避采购，按规定补办采购程序。",
            e("payee_account"),
            e("first"),
            e("last"),
            e("payments"),
            e("total")
        ),
        Rule::DuplicatePayment => format!(
            "指标{subject}存在疑似重复支付（{}笔）。请核对发票与合同，确属重复的立即追回，并完善报销审核。",
            e("payments")
        ),
        Rule::SangongOver => format!(
            "单位{subject}“三公”经费已支出{}元，超出预算{}元（{}%）。请立即停止超预算支出，说明原因并提出压减措施。",
            e("spent"),
            e("over"),
            e("over_pct")
        ),
        Rule::PersonalAccount => format!(
            "向个人账户支付{}元（经济分类{}）。请提供合同、劳务或报销依据，核实收款人身份，不符合规定的追回资金。",
            e("amount"),
            e("economic_code")
        ),
        Rule::YearEndRush => format!(
            "指标{subject}12月支付{}元，占全年预算{}%。请说明年末集中支出的依据，核实是否存在突击花钱，不合规的予以纠正。",
            e("december_paid"),
            e("december_pct")
        ),
        Rule::RevenueShortfall => format!(
            "收入{subject}完成{}%，已连续{}个月末落后序时进度{}%以上。请分析减收原因，研究增收措施，必要时启动预算调整。",
            e("completion_pct"),
            e("month_ends_behind"),
            e("gap_points")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_carry_the_figures() {
        let ev = serde_json::json!({"paid": "110000.01", "over": "10000.01", "over_pct": 10.0});
        let s = suggestion(Rule::OverBudget, "I1", &ev);
        assert!(s.contains("指标I1已支付110000.01元，超出预算10000.01元（10.0%）"), "{s}");
        for r in Rule::ALL {
            assert!(!suggestion(r, "X", &serde_json::json!({})).is_empty());
        }
    }
}
