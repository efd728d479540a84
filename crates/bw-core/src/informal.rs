//! Informal communications (非正式沟通记录, chapter 10): a consultation or a
//! pre-communication about a budget item, recorded by its initiator — within 24 clock hours
//! of its happening, or marked late. Never a decision (decisions go through meetings and
//! approvals), and never a place for an account or an ID number.

use crate::Timestamp;

/// Recorded more than this many seconds after it happened, a record is late.
pub const LATE_AFTER_SECS: i64 = 24 * 3600;

/// What the communication was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 咨询
    Consultation,
    /// 预沟通
    PreCommunication,
}

impl Purpose {
    /// The purpose named in English or Chinese; a decision is refused by name.
    pub fn parse(s: &str) -> Result<Purpose, InformalError> {
        match s.trim() {
            "consultation" | "咨询" => Ok(Purpose::Consultation),
            "pre_communication" | "pre-communication" | "预沟通" => Ok(Purpose::PreCommunication),
            "decision" | "决策" | "决定" => Err(InformalError::Decision),
            other => Err(InformalError::Invalid("purpose", other.to_string())),
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Purpose::Consultation => "consultation",
            Purpose::PreCommunication => "pre_communication",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Purpose::Consultation => "咨询",
            Purpose::PreCommunication => "预沟通",
        }
    }
}

/// How it took place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Wechat,
    Meeting,
    Visit,
    Email,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Channel::Phone, Channel::Wechat, Channel::Meeting, Channel::Visit, Channel::Email, Channel::Other];

    pub fn parse(s: &str) -> Result<Channel, InformalError> {
        Channel::ALL
            .into_iter()
            .find(|c| c.id() == s.trim() || c.zh() == s.trim())
            .ok_or_else(|| InformalError::Invalid("channel", s.to_string()))
    }

    pub fn id(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Wechat => "wechat",
            Channel::Meeting => "meeting",
            Channel::Visit => "visit",
            Channel::Email => "email",
            Channel::Other => "other",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Channel::Phone => "电话",
            Channel::Wechat => "微信",
            Channel::Meeting => "面谈",
            Channel::Visit => "走访",
            Channel::Email => "邮件",
            Channel::Other => "其他",
        }
    }
}

/// One record as its initiator writes it; `recorded_at` is when it was recorded (the
/// system's clock, never the initiator's word).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    pub channel: Channel,
    pub participants: Vec<String>,
    pub purpose: Purpose,
    pub conclusion: String,
    /// The budget item concerned: an indicator of a year, or a project.
    pub year: Option<i32>,
    pub indicator_code: Option<String>,
    pub project_code: Option<String>,
}

impl Record {
    /// Recorded more than 24 clock hours after it happened.
    pub fn late(&self) -> bool {
        self.recorded_at.0 - self.occurred_at.0 > LATE_AFTER_SECS
    }

    /// The record's own mistakes (references to the budget are checked by the service).
    pub fn check(&self) -> Result<(), InformalError> {
        if self.participants.iter().all(|p| p.trim().is_empty()) {
            return Err(InformalError::Empty("participants"));
        }
        if self.conclusion.trim().is_empty() {
            return Err(InformalError::Empty("conclusion"));
        }
        if self.indicator_code.is_none() && self.project_code.is_none() {
            return Err(InformalError::NoItem);
        }
        if self.indicator_code.is_some() && self.year.is_none() {
            return Err(InformalError::Empty("year"));
        }
        if self.occurred_at > self.recorded_at {
            return Err(InformalError::Future(self.occurred_at, self.recorded_at));
        }
        for (field, text) in std::iter::once(("conclusion", self.conclusion.as_str()))
            .chain(self.participants.iter().map(|p| ("participants", p.as_str())))
        {
            if let Some(what) = sensitive(text) {
                return Err(InformalError::Sensitive(field, what));
            }
        }
        Ok(())
    }
}

/// An account or an ID number in `text`, if there is one. A run of digits, single spaces or
/// hyphens between groups allowed as people write card numbers (6222 0200 1234 5678), and not
/// part of a code (a letter before it, as in ZB990000001001): 18 digits with a valid check
/// digit, or 17 and X, is an ID number; 16 or more an account (bank cards have 16–19);
/// 12–15 an account when 账/卡 or "account" stands just before it (a unit's code has 12
/// digits and may be named). Amounts (separators, decimals) and phone numbers (11 digits)
/// are shorter.
pub fn sensitive(text: &str) -> Option<&'static str> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || i > 0 && chars[i - 1].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let mut digits = 0;
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                digits += 1;
                j += 1;
            } else if (c == ' ' || c == '-') && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let x = chars.get(j).is_some_and(|c| *c == 'X' || *c == 'x');
        if digits == 17 && x || digits == 18 && id_checksum(&chars[i..j]) {
            return Some("an ID number");
        }
        let before: String = chars[i.saturating_sub(8)..i].iter().collect::<String>().to_lowercase();
        let named = ["账", "卡", "account"].iter().any(|w| before.contains(w));
        if digits >= 16 || digits >= 12 && named {
            return Some("an account number");
        }
        i = j.max(i + 1);
    }
    None
}

/// Whether 18 digits (separators skipped) carry a valid GB 11643 check digit.
fn id_checksum(run: &[char]) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let d: Vec<u32> = run.iter().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 18 {
        return false;
    }
    let sum: u32 = d.iter().zip(W).map(|(a, w)| a * w).sum();
    b"10X98765432"[(sum % 11) as usize] == b'0' + d[17] as u8
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InformalError {
    #[error(
        "an informal communication is never a decision: record consultation or pre_communication, and take the decision to a meeting or an approval"
    )]
    Decision,
    #[error("{1} in the {0}: informal records hold no account or ID number")]
    Sensitive(&'static str, &'static str),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{0}: {1:?} is not one of the allowed values")]
    Invalid(&'static str, String),
    #[error("no budget item: name the indicator (with its year) or the project concerned")]
    NoItem,
    #[error("it happened at {0}, after it was recorded ({1})")]
    Future(Timestamp, Timestamp),
    #[error("no {0} {1}")]
    UnknownItem(&'static str, String),
}

impl InformalError {
    /// The refusal's stable code.
    pub fn code(&self) -> &'static str {
        match self {
            InformalError::Decision => "informal_record_is_not_a_decision",
            InformalError::Sensitive(..) => "sensitive_data_in_informal_record",
            InformalError::Empty(_) => "informal_field_empty",
            InformalError::Invalid(..) => "informal_value_invalid",
            InformalError::NoItem => "informal_budget_item_missing",
            InformalError::Future(..) => "informal_occurred_after_recording",
            InformalError::UnknownItem(..) => "unknown_budget_item",
        }
    }

    /// The general refusal code an API answer carries.
    pub fn refusal(&self) -> crate::refusal::Code {
        use crate::refusal::Code;
        match self {
            InformalError::Empty(_) | InformalError::NoItem => Code::MissingValue,
            _ => Code::InvalidValue,
        }
    }

    /// The refusal as a Chinese page tells it.
    pub fn zh(&self) -> String {
        match self {
            InformalError::Decision => "非正式沟通只能用于咨询或预沟通，不能作出决定；决定须经会议或审批。".into(),
            InformalError::Sensitive(..) => "非正式沟通记录中不得包含银行账号或身份证号。".into(),
            InformalError::Empty(what) => format!(
                "请填写{}。",
                match *what {
                    "participants" => "参与人",
                    "conclusion" => "沟通结论",
                    "year" => "指标年度",
                    _ => "必填内容",
                }
            ),
            InformalError::Invalid(what, v) => {
                format!("{}“{v}”不正确。", if *what == "channel" { "沟通方式" } else { "沟通目的" })
            }
            InformalError::NoItem => "请注明所涉预算事项（指标或项目）。".into(),
            InformalError::Future(..) => "发生时间晚于记录时间。".into(),
            InformalError::UnknownItem(what, code) => {
                format!("没有{}“{code}”。", if *what == "indicator" { "该指标" } else { "该项目" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(occurred: &str, recorded: &str) -> Record {
        Record {
            occurred_at: Timestamp::parse(occurred).expect("occurred"),
            recorded_at: Timestamp::parse(recorded).expect("recorded"),
            recorded_by: "unit-finance".into(),
            channel: Channel::Phone,
            participants: vec!["张三".into(), "李四".into()],
            purpose: Purpose::Consultation,
            conclusion: "就设备购置指标的调剂口径交换意见，待正式申请后审核。".into(),
            year: Some(2026),
            indicator_code: Some("I1".into()),
            project_code: None,
        }
    }

    #[test]
    fn late_after_twenty_four_clock_hours() {
        // 09:00 Beijing on 2 March is 01:00 UTC.
        assert!(!record("2026-03-02T01:00:00Z", "2026-03-03T01:00:00Z").late(), "24 hours exactly: on time");
        assert!(record("2026-03-02T01:00:00Z", "2026-03-03T01:00:01Z").late(), "a second more: late");
        assert_eq!(record("2026-03-02T01:00:00Z", "2026-03-02T01:00:00Z").check(), Ok(()));
        let future = record("2026-03-03T01:00:00Z", "2026-03-02T01:00:00Z").check();
        assert_eq!(future.map_err(|e| e.code()), Err("informal_occurred_after_recording"));
    }

    #[test]
    fn never_a_decision_and_no_account_or_id_number() {
        assert_eq!(Purpose::parse("decision"), Err(InformalError::Decision));
        assert_eq!(Purpose::parse("决策").map_err(|e| e.code()), Err("informal_record_is_not_a_decision"));
        assert_eq!(Purpose::parse("预沟通"), Ok(Purpose::PreCommunication));
        let mut r = record("2026-03-02T01:00:00Z", "2026-03-02T02:00:00Z");
        for text in [
            "请汇入 6222 0200 1234 5678 901",
            "账号6222020012345678",
            "对公账户：110001234567",
            "身份证 11010519491231002X",
            "110105194912310021 的人",
        ] {
            r.conclusion = text.into();
            assert_eq!(r.check().map_err(|e| e.code()), Err("sensitive_data_in_informal_record"), "{text}");
        }
        for text in [
            "金额 1,234,567.00 元",
            "电话 13800138000",
            "2026-03-02 会商",
            "指标 ZB990000001001 调剂",
            "单位 990000001001 的经费",
        ] {
            r.conclusion = text.into();
            assert_eq!(r.check(), Ok(()), "{text}");
        }
        r.conclusion = "同意".into();
        r.participants = vec!["王五 6222020012345678".into()];
        assert_eq!(r.check().map_err(|e| e.code()), Err("sensitive_data_in_informal_record"));
        r.participants = vec![" ".into()];
        assert_eq!(r.check().map_err(|e| e.code()), Err("informal_field_empty"));
    }
}
