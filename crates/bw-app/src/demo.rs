//! `budgetwatch demo-data`: a realistic, deterministic province in the standard templates,
//! with anomalies of every kind the monitoring rules and audit analytics look for, listed
//! with their voucher numbers in `ground_truth.json`.
//!
//! The same seed and size always give the same bytes. The organisation grows with the
//! number of payments (about 125,000 payments a city); payments follow a seasonal curve
//! (slow start, a June and September peak, the December rise) and fall on working days.
//! Normal spending stays within 92–97.5 % of each indicator, so `block` control never
//! refuses it; the overspend anomalies sit on `warn` indicators.

use bw_core::calendar::WorkCalendar;
use bw_core::code::EconomicCode;
use bw_core::template::Kind;
use bw_core::{Date, Money};
pub mod history;
mod macros;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub seed: u64,
    pub payments: u64,
    pub year: i32,
    /// The province's two-digit code (GB/T 2260): the first two digits of every region code.
    /// `99`, the default, is the fictional 示范省; another code names its province and puts
    /// the code into voucher, invoice and contract numbers, so that the data sets of two
    /// provinces (a cluster's shards) share no document number.
    pub province: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { seed: 1, payments: 1_000_000, year: 2025, province: "99".into() }
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DemoSummary {
    pub year: i32,
    pub seed: u64,
    pub regions: usize,
    pub departments: usize,
    pub units: usize,
    pub projects: usize,
    pub indicators: usize,
    pub contracts: usize,
    pub payments: u64,
    pub revenues: usize,
    pub revenue_targets: usize,
    pub macro_indicators: usize,
    pub anomalies: usize,
}

/// One injected anomaly, as the ground-truth file lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Anomaly {
    /// The warning rule or analytics test expected to find it.
    pub kind: &'static str,
    pub unit_code: Option<String>,
    pub indicator_code: Option<String>,
    pub region_code: Option<String>,
    pub revenue_code: Option<String>,
    pub project_code: Option<String>,
    pub vouchers: Vec<String>,
    pub note: String,
}

/// The phone number of the staff member whose account has `salt`.
fn staff_phone(salt: u64) -> String {
    format!("13{:09}", salt.wrapping_mul(7919) % 1_000_000_000)
}

/// SplitMix64: small, fast, and the same everywhere.
/// (unit, payee account) pairs paid in a month.
type Paid = HashSet<(usize, String)>;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// Share of a year's spending per month: slow start, mid-year and September peaks, the
/// December rise. Sums to 1000.
const MONTH_WEIGHTS: [u64; 12] = [35, 45, 70, 75, 80, 100, 75, 70, 100, 75, 95, 180];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华",
    "建国", "志强", "海燕",
];
const FIRM_WORDS: &[&str] = &[
    "华信", "恒达", "新元", "宏远", "瑞丰", "国泰", "天成", "嘉禾", "鼎盛", "安康", "博远", "东方", "汇通", "金桥",
    "启明", "同创",
];
const FIRM_TRADES: &[(&str, &str)] = &[
    ("办公用品", "30201"),
    ("印刷", "30202"),
    ("物业管理", "30209"),
    ("信息技术", "30227"),
    ("建设工程", "31005"),
    ("医疗设备", "31002"),
    ("汽车服务", "30231"),
    ("酒店管理", "30217"),
    ("旅行社", "30211"),
    ("电力", "30206"),
];

/// Departments: (name suffix, functional code of basic spending, project functional code,
/// project category, project name stem).
const DEPARTMENTS: &[(&str, &str, &str, &str, &str)] = &[
    ("教育局", "2050101", "2050203", "education", "义务教育薄弱环节改善"),
    ("卫生健康委员会", "2100101", "2100201", "health", "基层医疗机构能力提升"),
    ("交通运输局", "2140101", "2140104", "infrastructure", "农村公路建设"),
    ("农业农村局", "2130101", "2130106", "livelihood", "高标准农田建设"),
    ("民政局", "2080201", "2080299", "livelihood", "困难群众救助"),
    ("财政局", "2010601", "2010699", "other", "预算管理一体化系统运维"),
    ("公安局", "2040201", "2040299", "other", "智慧警务平台"),
    ("住房和城乡建设局", "2120101", "2120303", "infrastructure", "老旧小区改造"),
    ("生态环境局", "2110101", "2110302", "livelihood", "水污染防治"),
    ("文化和旅游局", "2070101", "2070199", "other", "公共文化服务"),
    ("人力资源和社会保障局", "2080101", "2080199", "livelihood", "职业技能培训"),
    ("科学技术局", "2060101", "2060399", "other", "科技创新引导"),
];

/// Basic-spending indicators every unit has: (economic code, name, share of the unit's
/// basic budget in per mille).
const BASIC: &[(&str, &str, u64)] = &[
    ("30101", "基本工资", 420),
    ("30102", "津贴补贴", 180),
    ("30201", "办公费", 80),
    ("30211", "差旅费", 60),
    ("30213", "维修(护)费", 60),
    ("30217", "公务接待费", 20),
    ("30231", "公务用车运行维护费", 40),
    ("30227", "委托业务费", 140),
];

const REVENUE_CODES: &[(&str, &str, u64)] = &[
    ("10101", "增值税", 380),
    ("10104", "企业所得税", 200),
    ("10106", "个人所得税", 80),
    ("10109", "城市维护建设税", 90),
    ("10112", "房产税", 70),
    ("10118", "契税", 180),
];

const PROHIBITED_SUMMARIES: &[&str] = &["购买购物卡", "采购烟酒", "节日礼品", "高尔夫球会费", "奢侈品采购"];

struct Unit {
    code: String,
    name: String,
    department: usize,
    region: usize,
}

struct Indicator {
    code: String,
    unit: usize,
    economic: &'static str,
    amount: i64,
    control: &'static str,
    special: bool,
    project: Option<String>,
    /// Planned normal spending (fen) and its pattern.
    plan: Plan,
    /// Set aside for injected payments: normal spending is kept lower to leave room.
    reserved: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Plan {
    Normal,
    /// Payments only in the first `n` months, then nothing (stagnant).
    StopAfter(u32),
    /// No payment at all (idle special funds).
    Idle,
    /// Spends only a fraction by year end (behind schedule).
    Slow,
}

struct Payment {
    voucher: String,
    date: Date,
    unit: usize,
    indicator: usize,
    economic: String,
    payee_name: String,
    payee_account: String,
    payee_type: &'static str,
    amount: i64,
    summary: String,
    invoice: String,
    contract: String,
    reverses: String,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn line<W: Write>(w: &mut W, fields: &[&str]) -> std::io::Result<()> {
    let mut first = true;
    for f in fields {
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        w.write_all(csv_field(f).as_bytes())?;
    }
    w.write_all(b"\n")
}

/// The template's header row (the import reads the same names).
fn header<W: Write>(w: &mut W, kind: Kind) -> std::io::Result<()> {
    let names: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
    line(w, &names)
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).to_string()
}

struct Generator {
    rng: Rng,
    year: i32,
    cal: WorkCalendar,
    voucher_seq: u64,
    invoice_seq: u64,
    workdays: Vec<Vec<Date>>,
    /// What document numbers start with: empty for 示范省, the province's code otherwise.
    prefix: String,
}

impl Generator {
    fn voucher(&mut self) -> String {
        self.voucher_seq += 1;
        format!("PZ{}{}{:08}", self.prefix, self.year, self.voucher_seq)
    }
    fn invoice(&mut self) -> String {
        self.invoice_seq += 1;
        format!("{}{:08}", self.prefix, 10_000_000 + self.invoice_seq * 7 % 89_999_999)
    }
    fn day_in(&mut self, month: u32) -> Date {
        let days = &self.workdays[(month - 1) as usize];
        days[self.rng.below(days.len() as u64) as usize]
    }
    fn person(&mut self) -> String {
        format!("{}{}", self.rng.pick(SURNAMES), self.rng.pick(GIVEN))
    }
    /// The holder of the account of `salt`: one account, one name.
    fn person_of(salt: u64) -> String {
        let h = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
        format!("{}{}", SURNAMES[(h % SURNAMES.len() as u64) as usize], GIVEN[(h / 97 % GIVEN.len() as u64) as usize])
    }
    fn account(&mut self, salt: u64) -> String {
        format!("62{:017}", (salt.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995) % 100_000_000_000_000_000)
    }
}

/// The provinces of GB/T 2260 by their two-digit code, and the demo's fictional 示范省 (99).
const PROVINCES: &[(&str, &str)] = &[
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
    ("99", "示范省"),
];

/// The name of the province with this two-digit code.
pub fn province_name(code: &str) -> Option<&'static str> {
    PROVINCES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Writes the data set into `out` (created if needed) and returns what it holds.
pub fn generate(opts: &DemoOptions, out: &Path) -> std::io::Result<DemoSummary> {
    std::fs::create_dir_all(out)?;
    let year = opts.year;
    let cal = WorkCalendar::shipped();
    let mut workdays = vec![Vec::new(); 12];
    if let (Some(start), Some(end)) = (Date::from_ymd(year, 1, 1), Date::from_ymd(year, 12, 31)) {
        let mut d = start;
        while d <= end {
            if cal.is_workday(d).value {
                workdays[(d.month() - 1) as usize].push(d);
            }
            d = d.add_days(1);
        }
    }
    let province = opts.province.as_str();
    let province_name = province_name(province).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("province {province:?}: a two-digit province code of GB/T 2260 (11-65), or 99"),
        )
    })?;
    let prefix = if province == "99" { String::new() } else { province.to_string() };
    let mut g = Generator {
        rng: Rng(opts.seed ^ 0xB0D6_E7A7_C400_0000),
        year,
        cal,
        voucher_seq: 0,
        invoice_seq: 0,
        workdays,
        prefix,
    };
    let mut summary = DemoSummary { year, seed: opts.seed, ..Default::default() };
    let mut anomalies: Vec<Anomaly> = Vec::new();

    // --- Organisation: a province, cities, counties; departments; units.
    let cities = ((opts.payments + 62_500) / 125_000).clamp(1, 16) as usize;
    const CITY_NAMES: &[&str] = &[
        "江城", "临川", "青州", "云岭", "白河", "南塘", "北屯", "东陵", "西溪", "安平", "长乐", "永宁", "清源", "泰和",
        "金沙", "玉山",
    ];
    let mut regions: Vec<(String, String, Option<usize>, &str)> =
        vec![(format!("{province}0000"), province_name.into(), None, "province")];
    for (c, city) in CITY_NAMES.iter().enumerate().take(cities) {
        let code = format!("{province}{:02}00", c + 1);
        regions.push((code, format!("{city}市"), Some(0), "city"));
        let parent = regions.len() - 1;
        for k in 0..(3 + c % 2) {
            let code = format!("{province}{:02}{:02}", c + 1, k + 1);
            let name = format!("{}{}县", city.chars().next().unwrap_or('新'), ["山", "河", "阳", "安"][k]);
            regions.push((code, name, Some(parent), "county"));
        }
    }
    let mut departments: Vec<(String, String, usize, usize)> = Vec::new(); // code, name, region, kind index
    let mut units: Vec<Unit> = Vec::new();
    for (ri, (rcode, rname, _, level)) in regions.iter().enumerate() {
        let full: u64 = match *level {
            "province" => 12,
            "city" => 9,
            _ => 6,
        };
        // Smaller sets get fewer departments, so each indicator still sees enough payments.
        let n_dept = (full * opts.payments).div_ceil(cities as u64 * 125_000).clamp(1, full) as usize;
        for (di, dept) in DEPARTMENTS.iter().enumerate().take(n_dept) {
            let dcode = format!("{rcode}{:03}", di + 1);
            let dname = format!("{}{}", rname, dept.0.replace('局', if *level == "province" { "厅" } else { "局" }));
            departments.push((dcode.clone(), dname.clone(), ri, di));
            let n_units = 2 + g.rng.below(3) as usize;
            for u in 0..n_units {
                let name = if u == 0 { format!("{dname}本级") } else { format!("{dname}所属事业单位{u}") };
                units.push(Unit {
                    code: format!("{dcode}{:03}", u + 1),
                    name,
                    department: departments.len() - 1,
                    region: ri,
                });
            }
        }
    }
    {
        let mut w = BufWriter::new(File::create(out.join("units.csv"))?);
        header(&mut w, Kind::Units)?;
        for (code, name, parent, level) in &regions {
            let p = parent.map(|i| regions[i].0.clone()).unwrap_or_default();
            line(&mut w, &[code, name, &p, "region", level])?;
        }
        for (code, name, r, _) in &departments {
            line(&mut w, &[code, name, &regions[*r].0, "department", ""])?;
        }
        for u in &units {
            line(&mut w, &[&u.code, &u.name, &departments[u.department].0, "unit", ""])?;
        }
        w.flush()?;
    }
    {
        // Three staff members per unit: their accounts are among those wages are paid to.
        let mut w = BufWriter::new(File::create(out.join("staff.csv"))?);
        header(&mut w, Kind::Staff)?;
        for (ui, u) in units.iter().enumerate() {
            for k in 0..3u64 {
                let salt = ui as u64 * 1000 + k;
                let id_hash = format!("{:016x}", salt.wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x5851_F42D_4C95_7F2D);
                line(&mut w, &[&u.code, &Generator::person_of(salt), &id_hash, &g.account(salt), &staff_phone(salt)])?;
            }
        }
        w.flush()?;
    }
    summary.regions = regions.len();
    summary.departments = departments.len();
    summary.units = units.len();

    // --- Projects and indicators.
    let mut indicators: Vec<Indicator> = Vec::new();
    let mut projects_w = BufWriter::new(File::create(out.join("projects.csv"))?);
    header(&mut projects_w, Kind::Projects)?;
    let mut indicators_w = BufWriter::new(File::create(out.join("indicators.csv"))?);
    header(&mut indicators_w, Kind::Indicators)?;
    let level_scale = |ri: usize| match regions[ri].3 {
        "province" => 4,
        "city" => 2,
        _ => 1,
    };
    for (ui, u) in units.iter().enumerate() {
        let dept = DEPARTMENTS[departments[u.department].3];
        let scale = level_scale(u.region);
        // Basic budget of the unit: 2–8 million yuan times the level scale.
        let basic_total = (2_000_000 + g.rng.below(6_000_000) as i64) * 100 * scale;
        for (bi, (eco, _name, share)) in BASIC.iter().enumerate() {
            let amount = basic_total * *share as i64 / 1000 / 100 * 100;
            let control = if g.rng.below(10) == 0 { "warn" } else { "block" };
            indicators.push(Indicator {
                code: format!("ZB{}{:02}", u.code, bi + 1),
                unit: ui,
                economic: eco,
                amount,
                control,
                special: false,
                project: None,
                plan: Plan::Normal,
                reserved: false,
            });
        }
        let n_proj = 1 + g.rng.below(3) as usize;
        for pi in 0..n_proj {
            let pcode = format!("XM{}{:02}", u.code, pi + 1);
            let amount = (1_000_000 + g.rng.below(9_000_000) as i64) * 100 * scale;
            let multi = g.rng.below(3) == 0;
            let (start, end) = if multi { (year - 1, year + 1) } else { (year, year) };
            let total = if multi { amount * 3 } else { amount };
            line(
                &mut projects_w,
                &[
                    &pcode,
                    &format!("{}{}期", dept.4, pi + 1),
                    &u.code,
                    dept.3,
                    &start.to_string(),
                    &end.to_string(),
                    &yuan(total),
                    "executing",
                    "",
                ],
            )?;
            summary.projects += 1;
            let special = pi == 0 && g.rng.below(2) == 0;
            let eco = *g.rng.pick(&["31002", "31005", "30227", "30226", "31003"]);
            indicators.push(Indicator {
                code: format!("ZB{}P{}", u.code, pi + 1),
                unit: ui,
                economic: eco,
                amount,
                control: "block",
                special,
                project: Some(pcode),
                plan: Plan::Normal,
                reserved: false,
            });
        }
        // A reserve project, not yet funded, with an expiry date.
        if ui % 7 == 0 {
            let exp = Date::from_ymd(year, 6 + (ui % 6) as u32, 30).map(|d| d.to_string()).unwrap_or_default();
            line(
                &mut projects_w,
                &[
                    &format!("XM{}R1", u.code),
                    &format!("{}储备项目", dept.4),
                    &u.code,
                    dept.3,
                    &(year + 1).to_string(),
                    &(year + 2).to_string(),
                    &yuan(500_000_000),
                    "reserve",
                    &exp,
                ],
            )?;
            summary.projects += 1;
        }
    }
    projects_w.flush()?;

    // --- Anomaly plans on indicators (chosen deterministically, spread over units).
    let n_ind = indicators.len();
    let stride = (n_ind / 97).max(1);
    let mut k = 0usize;
    let mut next_ind = |pred: &dyn Fn(&Indicator) -> bool, inds: &[Indicator]| -> Option<usize> {
        for _ in 0..n_ind {
            k = (k + stride + 1) % n_ind;
            if pred(&inds[k]) && inds[k].plan == Plan::Normal && inds[k].control == "block" && !inds[k].reserved {
                return Some(k);
            }
        }
        None
    };
    let mut overspend: Vec<(usize, u64)> = Vec::new(); // (indicator, per mille of amount paid)
    for pct in [1_050u64, 1_150, 1_250] {
        if let Some(i) = next_ind(&|x| x.project.is_some(), &indicators) {
            indicators[i].control = "warn";
            overspend.push((i, pct));
        }
    }
    let mut sangong: Vec<usize> = Vec::new();
    for _ in 0..2 {
        if let Some(i) = next_ind(&|x| x.economic == "30217", &indicators) {
            indicators[i].control = "warn";
            sangong.push(i);
        }
    }
    let mut stagnant = Vec::new();
    for months in [3u32, 5] {
        if let Some(i) = next_ind(&|x| x.project.is_some(), &indicators) {
            indicators[i].plan = Plan::StopAfter(months);
            stagnant.push(i);
        }
    }
    let mut idle = Vec::new();
    for _ in 0..2 {
        if let Some(i) = next_ind(&|x| x.project.is_some(), &indicators) {
            indicators[i].special = true;
            indicators[i].plan = Plan::Idle;
            idle.push(i);
        }
    }
    let mut slow = Vec::new();
    for _ in 0..2 {
        if let Some(i) = next_ind(&|x| x.project.is_some(), &indicators) {
            indicators[i].plan = Plan::Slow;
            slow.push(i);
        }
    }
    let ahead = next_ind(&|x| x.project.is_some(), &indicators);
    let rush = next_ind(&|x| x.project.is_some(), &indicators);
    for i in [ahead, rush].into_iter().flatten() {
        indicators[i].control = "warn";
    }
    // Indicators that receive injected payments on top of normal spending.
    let mut reserve = |pred: &dyn Fn(&Indicator) -> bool, n: usize, inds: &mut Vec<Indicator>| -> Vec<usize> {
        let mut out = Vec::new();
        for _ in 0..n {
            if let Some(i) = next_ind(pred, inds) {
                inds[i].reserved = true;
                out.push(i);
            }
        }
        out
    };
    let split_inds = reserve(&|x| x.economic == "30227" && x.amount >= 70_000_000, 4, &mut indicators);
    // Large enough that May's injected duplicates stay under a month's 20 % of it.
    let dup_ind = reserve(&|x| x.economic == "30201" && x.amount >= 50_000_000, 1, &mut indicators).first().copied();
    let oos_inds = reserve(&|x| x.economic == "30201" && x.amount >= 2_000_000, 4, &mut indicators);
    // Large enough that the injected transfer (at most 83,000 yuan), paid in a June without
    // other spending on it, stays under a month's 20 % of the indicator: a personal transfer,
    // not spending ahead of schedule.
    let mut personal_inds = reserve(&|x| x.economic == "30227" && x.amount >= 100_000_000, 2, &mut indicators);
    if personal_inds.len() < 2 {
        let more =
            reserve(&|x| x.economic == "30227" && x.amount >= 50_000_000, 2 - personal_inds.len(), &mut indicators);
        personal_inds.extend(more);
    }
    // For the audit analytics' anomalies.
    let audit_inds = reserve(&|x| x.economic == "30227" && x.amount >= 100_000_000, 6, &mut indicators);
    let text_ind = reserve(&|x| x.economic == "30201" && x.amount >= 20_000_000, 1, &mut indicators).first().copied();
    let prepaid_ind =
        reserve(&|x| x.economic == "30217" && x.amount >= 30_000_000, 1, &mut indicators).first().copied();
    let assoc_ind = reserve(&|x| x.economic == "30227" && x.amount >= 50_000_000, 1, &mut indicators).first().copied();
    // Three units of one department, each with a 30227 indicator of 500,000 yuan or more.
    let split_dept: Vec<usize> = {
        let mut by_dept: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, x) in indicators.iter().enumerate() {
            if x.economic == "30227"
                && x.amount >= 50_000_000
                && x.plan == Plan::Normal
                && x.control == "block"
                && !x.reserved
            {
                let v = by_dept.entry(units[x.unit].department).or_default();
                if !v.iter().any(|&j| indicators[j].unit == x.unit) {
                    v.push(i);
                }
            }
        }
        by_dept.into_values().find(|v| v.len() >= 3).map(|v| v[..3].to_vec()).unwrap_or_default()
    };
    for &i in &split_dept {
        indicators[i].reserved = true;
    }

    for ind in &indicators {
        let u = &units[ind.unit];
        let dept = DEPARTMENTS[departments[u.department].3];
        let functional = if ind.project.is_some() { dept.2 } else { dept.1 };
        let gov = if ind.economic.starts_with("301") {
            "50101"
        } else if ind.economic.starts_with("31") {
            "50306"
        } else {
            "50201"
        };
        let fund = if ind.special { "special_transfer" } else { "general" };
        line(
            &mut indicators_w,
            &[
                &ind.code,
                &year.to_string(),
                &u.code,
                ind.project.as_deref().unwrap_or(""),
                functional,
                ind.economic,
                gov,
                fund,
                if ind.special { "true" } else { "false" },
                &yuan(ind.amount),
                ind.control,
            ],
        )?;
    }
    indicators_w.flush()?;
    summary.indicators = indicators.len();

    // --- Contracts on some project indicators: 50–70 % of the amount, paid in instalments.
    let mut contracts_w = BufWriter::new(File::create(out.join("contracts.csv"))?);
    header(&mut contracts_w, Kind::Contracts)?;
    let mut contract_of: Vec<Option<(String, String, String, i64)>> = vec![None; indicators.len()];
    for (ii, ind) in indicators.iter().enumerate() {
        if ind.project.is_none()
            || ind.plan != Plan::Normal
            || ind.control != "block"
            || ind.reserved
            || g.rng.below(3) != 0
        {
            continue;
        }
        let no = format!("HT{}{}{:06}", g.prefix, year, ii);
        let amount = ind.amount * (50 + g.rng.below(20) as i64) / 100;
        let (supplier, account) =
            (format!("{}{}有限公司", g.rng.pick(FIRM_WORDS), "建设工程"), g.account(ii as u64 + 7_000_000));
        let signed = Date::from_ymd(year, 1 + g.rng.below(3) as u32, 10).map(|d| d.to_string()).unwrap_or_default();
        line(
            &mut contracts_w,
            &[
                &no,
                &units[ind.unit].code,
                &ind.code,
                &supplier,
                &account,
                &yuan(amount),
                &signed,
                &format!("{}-12-31", year),
                "open",
            ],
        )?;
        contract_of[ii] = Some((no, supplier, account, amount));
        summary.contracts += 1;
    }
    contracts_w.flush()?;

    // --- Payments, month by month.
    let mut pay_w = BufWriter::with_capacity(1 << 20, File::create(out.join("payments.csv"))?);
    header(&mut pay_w, Kind::Payments)?;
    // About 35 injected payments and one refund in 600 come on top of normal spending.
    let anomaly_budget = if opts.payments >= 400 { 35 + opts.payments / 600 } else { 0 };
    let normal_total = opts.payments.saturating_sub(anomaly_budget);
    let weight_total: i64 = indicators.iter().filter(|i| i.plan != Plan::Idle).map(|i| i.amount).sum::<i64>().max(1);
    // Payments per indicator: a floor of two a month where the size allows (a small
    // indicator paid a few times a year is lumpy: ahead of schedule one month, behind the
    // next), the rest in proportion to its amount (largest remainder).
    let active = indicators.iter().filter(|i| i.plan != Plan::Idle).count() as u64;
    let floor = (normal_total / (2 * active.max(1))).min(24);
    let spread = normal_total - floor * active;
    let mut counts: Vec<u64> = indicators
        .iter()
        .map(|i| {
            if i.plan == Plan::Idle {
                0
            } else {
                floor + (spread as i128 * i.amount as i128 / weight_total as i128) as u64
            }
        })
        .collect();
    let mut short = normal_total.saturating_sub(counts.iter().sum());
    let mut ci = 0;
    while short > 0 && !indicators.is_empty() {
        if indicators[ci].plan != Plan::Idle {
            counts[ci] += 1;
            short -= 1;
        }
        ci = (ci + 1) % indicators.len();
    }
    // Spending plan per indicator.
    let plan_fen: Vec<i64> = indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            let rate = match ind.plan {
                Plan::Idle => 0,
                Plan::Slow => 250 + g.rng.below(100) as i64,
                Plan::StopAfter(_) => 200 + g.rng.below(100) as i64,
                Plan::Normal if overspend.iter().any(|o| o.0 == i) || sangong.contains(&i) => 900,
                Plan::Normal if Some(i) == ahead => 600,
                Plan::Normal if Some(i) == rush => 500,
                Plan::Normal if Some(i) == assoc_ind => 150,
                Plan::Normal if ind.reserved => 700,
                // Above the 90 % a year-end check measures against, refunds included.
                Plan::Normal => 920 + g.rng.below(55) as i64,
            };
            ind.amount / 1000 * rate
        })
        .collect();
    let mut written = 0u64;
    let mut contract_paid = vec![0i64; indicators.len()];
    let mut free_paid = vec![0i64; indicators.len()];
    let mut refunds_due: Vec<(Date, Payment)> = Vec::new();
    let mut paid_by_ind = vec![0i64; indicators.len()];
    // Each unit's largest payment that is not injected, and the injected ones (voucher, unit,
    // amount): a lump many times what the unit ever pays otherwise is an outlier.
    let mut unit_max = vec![0i64; units.len()];
    let mut lumps: Vec<(String, usize, i64, usize)> = Vec::new();
    // Enough firms that the busiest unit's busiest month pays each at most once; one name
    // per firm (a company payee is its name).
    let firm_pool: Vec<(String, String, &str)> = (0..1600u64)
        .map(|i| {
            let (trade, eco) = FIRM_TRADES[(i % FIRM_TRADES.len() as u64) as usize];
            let name = format!(
                "{}{}{}{}有限公司",
                ["", "长", "广", "振"][(i / 640 % 4) as usize],
                FIRM_WORDS[(i / 10 % 16) as usize],
                ["", "华", "新", "盛"][(i / 160 % 4) as usize],
                trade
            );
            (name, format!("62{:017}", 10_000_000_000 + i * 7919), eco)
        })
        .collect();
    // A unit pays a given account at most once in two months where it can (as with bills
    // and payrolls), so the normal data holds no accidental split or duplicate patterns;
    // those are injected, and listed in the ground truth.
    let payee_for =
        |g: &mut Generator, eco: &str, unit: usize, used: &mut (Paid, Paid)| -> (String, String, &'static str) {
            let matching: Vec<&(String, String, &str)> =
                firm_pool.iter().filter(|f| eco.starts_with(&f.2[..3])).collect();
            let mut attempt = 0;
            loop {
                let (name, acct, kind) = if eco.starts_with("301") {
                    let salt = unit as u64 * 1000 + g.rng.below(600);
                    (Generator::person_of(salt), g.account(salt), "individual")
                } else {
                    let f = if matching.is_empty() || g.rng.below(4) == 0 || attempt >= 12 {
                        g.rng.pick(&firm_pool)
                    } else {
                        *g.rng.pick(&matching)
                    };
                    (f.0.clone(), f.1.clone(), "company")
                };
                // Not paid this month nor last: no two payments of a unit to one payee fall
                // close together by chance, across a month's end either.
                let mut fresh = |k: (usize, String)| !used.1.contains(&k) && used.0.insert(k);
                if fresh((unit, acct.clone())) {
                    return (name, acct, kind);
                }
                attempt += 1;
                if attempt == 24 && kind == "company" {
                    // Busy months: the first firm of the pool this unit has not paid this month.
                    let start = g.rng.below(firm_pool.len() as u64) as usize;
                    for k in 0..firm_pool.len() {
                        let f = &firm_pool[(start + k) % firm_pool.len()];
                        if fresh((unit, f.1.clone())) {
                            return (f.0.clone(), f.1.clone(), "company");
                        }
                    }
                    return (name, acct, kind);
                } else if attempt == 24 {
                    return (name, acct, kind);
                }
            }
        };
    let summary_for = |eco: &str| -> &'static str {
        match eco {
            "30101" | "30102" => "发放工资津贴",
            "30201" => "购买办公用品",
            "30211" => "差旅费报销",
            "30213" => "设备维修",
            "30217" => "公务接待",
            "30231" => "公务用车加油维修",
            "30227" => "委托业务费",
            "30226" => "劳务费",
            "31002" => "设备购置",
            "31005" => "工程进度款",
            "31003" => "专用设备购置",
            _ => "支付款项",
        }
    };
    // Per indicator, the plan paid out so far (fen).
    let mut consumed = vec![0i64; indicators.len()];
    // (payee account's hash, amount) → days paid, of normal spending: no payee is paid the
    // same amount twice within a week by chance (duplicate_payment finds those; the injected
    // duplicates are listed in the truth).
    let mut recent: std::collections::HashMap<(u64, i64), Vec<i32>> = std::collections::HashMap::new();
    let account_hash = |a: &str| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        a.hash(&mut h);
        h.finish()
    };
    let mut used: (Paid, Paid) = Default::default();
    // (department, account) paid just below the procurement limit: this month's, and this
    // month's with last month's.
    let mut near_limit: (Paid, Paid) = Default::default();
    for month in 1..=12u32 {
        let mut batch: Vec<Payment> = Vec::new();
        used.1 = std::mem::take(&mut used.0);
        near_limit.1 = std::mem::take(&mut near_limit.0);
        for (ii, ind) in indicators.iter().enumerate() {
            let weight_of = |m: u32| -> u64 {
                match ind.plan {
                    Plan::Idle => 0,
                    Plan::StopAfter(n) if m > n => 0,
                    Plan::StopAfter(_) => 100,
                    Plan::Normal if Some(ii) == ahead && m == 4 => 0,
                    Plan::Normal if personal_inds.contains(&ii) && m == 6 => 0,
                    Plan::Normal if Some(ii) == rush && m == 12 => 0,
                    Plan::Normal if Some(ii) == ahead || Some(ii) == rush => 100,
                    _ => MONTH_WEIGHTS[(m - 1) as usize],
                }
            };
            let weight = weight_of(month);
            if weight == 0 {
                continue;
            }
            // Cumulative shares, so counts and money over the year add up exactly.
            let total: u64 = (1..=12).map(weight_of).sum();
            let before: u64 = (1..month).map(weight_of).sum();
            let after = before + weight;
            let n_month = counts[ii] * after / total - counts[ii] * before / total;
            if n_month == 0 {
                // A month without a payment carries its share to the next one that has one,
                // so the year's payments still add up to the plan.
                continue;
            }
            let share = |w: u64| (plan_fen[ii] as i128 * w as i128 / total as i128) as i64;
            let budget = share(after) - consumed[ii];
            consumed[ii] += budget;
            // Random split of the month's budget into n_month payments, the weights spread
            // evenly in logarithm over two decades, so amounts follow Benford's law as
            // real payments do.
            let ws: Vec<u64> = (0..n_month)
                .map(|_| (10f64.powf(2.0 * g.rng.below(1_000_000) as f64 / 1e6) * 10_000.0) as u64)
                .collect();
            let wsum: u64 = ws.iter().sum();
            let mut left = budget;
            for (j, w) in ws.iter().enumerate() {
                let amount = if j + 1 == ws.len() { left } else { (budget as i128 * *w as i128 / wsum as i128) as i64 };
                left -= amount;
                if amount <= 0 {
                    continue;
                }
                let date = g.day_in(month);
                // With a contract, the free balance is the amount less the commitment:
                // pay from the contract while it has room, else freely while that fits.
                let mut amount = amount;
                let to_contract = match &contract_of[ii] {
                    None => false,
                    Some((_, _, _, c)) => {
                        let contract_room = c - contract_paid[ii];
                        let free_room = ind.amount - c - free_paid[ii];
                        let prefer = g.rng.below(2) == 0;
                        if amount <= contract_room && (prefer || amount > free_room) {
                            true
                        } else if amount <= free_room {
                            false
                        } else if contract_room > 0 {
                            amount = contract_room;
                            true
                        } else if free_room > 0 {
                            amount = free_room;
                            false
                        } else {
                            continue;
                        }
                    }
                };
                if to_contract {
                    contract_paid[ii] += amount;
                } else {
                    free_paid[ii] += amount;
                }
                let (payee_name, payee_account, payee_type, contract) = match &contract_of[ii] {
                    Some((no, s, a, _)) if to_contract => (s.clone(), a.clone(), "company", no.clone()),
                    _ => {
                        let (n, a, t) = payee_for(&mut g, ind.economic, ind.unit, &mut used);
                        (n, a, t, String::new())
                    }
                };
                // A free purchase just below the procurement limit (90–100 % of 50,000.00)
                // goes to a firm no unit of the department paid so this month or last:
                // several units of a department buying so from one firm would be an
                // accidental year-wide split, and those are injected only, with their truth.
                let (mut payee_name, mut payee_account, mut payee_type) = (payee_name, payee_account, payee_type);
                if contract.is_empty() && (4_500_000..5_000_000).contains(&amount) {
                    let dept = units[ind.unit].department;
                    for _ in 0..24 {
                        if !near_limit.1.contains(&(dept, payee_account.clone())) {
                            break;
                        }
                        (payee_name, payee_account, payee_type) = payee_for(&mut g, ind.economic, ind.unit, &mut used);
                    }
                    near_limit.0.insert((dept, payee_account.clone()));
                    near_limit.1.insert((dept, payee_account.clone()));
                }
                let (key, day) = (account_hash(&payee_account), date.days());
                while amount > 1 && recent.get(&(key, amount)).is_some_and(|ds| ds.iter().any(|d| (d - day).abs() <= 7))
                {
                    amount -= 1;
                    if contract.is_empty() {
                        free_paid[ii] -= 1;
                    } else {
                        contract_paid[ii] -= 1;
                    }
                }
                recent.entry((key, amount)).or_default().push(day);
                let invoice = if payee_type == "company" { g.invoice() } else { String::new() };
                batch.push(Payment {
                    voucher: String::new(),
                    date,
                    unit: ind.unit,
                    indicator: ii,
                    economic: ind.economic.to_string(),
                    payee_name,
                    payee_account,
                    payee_type,
                    amount,
                    summary: summary_for(ind.economic).to_string(),
                    invoice,
                    contract,
                    reverses: String::new(),
                });
            }
        }
        // Anomalies of this month.
        let inject = |g: &mut Generator,
                      batch: &mut Vec<Payment>,
                      ii: usize,
                      amount: i64,
                      date: Date,
                      payee: (String, String, &'static str),
                      summary: &str,
                      eco: Option<&str>| {
            let ind = &indicators[ii];
            batch.push(Payment {
                voucher: format!("#A{}", batch.len()),
                date,
                unit: ind.unit,
                indicator: ii,
                economic: eco.unwrap_or(ind.economic).to_string(),
                payee_name: payee.0,
                payee_account: payee.1,
                payee_type: payee.2,
                amount,
                summary: summary.to_string(),
                invoice: if payee.2 == "company" { g.invoice() } else { String::new() },
                contract: String::new(),
                reverses: String::new(),
            });
            batch.len() - 1
        };
        let mut month_anomalies: Vec<(Anomaly, Vec<usize>)> = Vec::new();
        let new_anomaly = |kind: &'static str, ind: Option<usize>, note: String| Anomaly {
            kind,
            unit_code: ind.map(|i| units[indicators[i].unit].code.clone()),
            indicator_code: ind.map(|i| indicators[i].code.clone()),
            region_code: None,
            revenue_code: None,
            project_code: None,
            vouchers: Vec::new(),
            note,
        };
        if anomaly_budget > 0 {
            match month {
                3 | 8 => {
                    // Split purchases: four payments just under 50,000.00 to one supplier within 20 days.
                    for s in 0..2u32 {
                        let Some(&ii) = split_inds.get(if month == 3 { 0 } else { 2 } + s as usize) else {
                            continue;
                        };
                        let firm = firm_pool[(ii * 3 + s as usize) % firm_pool.len()].clone();
                        let mut idxs = Vec::new();
                        for j in 0..4u32 {
                            let d = Date::from_ymd(year, month, 3 + j * 5).unwrap_or(g.day_in(month));
                            let amt = 4_650_000 + g.rng.below(340_000) as i64;
                            idxs.push(inject(
                                &mut g,
                                &mut batch,
                                ii,
                                amt,
                                d,
                                (firm.0.clone(), firm.1.clone(), "company"),
                                "信息系统运维服务",
                                None,
                            ));
                        }
                        month_anomalies.push((
                            new_anomaly(
                                "split_purchase",
                                Some(ii),
                                "4 payments of 46,500–49,900 yuan to one supplier within 16 days".into(),
                            ),
                            idxs.clone(),
                        ));
                        month_anomalies.push((
                            new_anomaly(
                                "split_purchase_year",
                                Some(ii),
                                "4 payments of 46,500–49,900 yuan to one supplier within 16 days".into(),
                            ),
                            idxs,
                        ));
                    }
                }
                5 => {
                    // Duplicates: the same invoice paid twice; the same account and amount within 7 days.
                    if let Some(ii) = dup_ind {
                        let firm = firm_pool[ii % firm_pool.len()].clone();
                        let d = Date::from_ymd(year, 5, 12).unwrap_or(g.day_in(5));
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            1_234_500,
                            d,
                            (firm.0.clone(), firm.1.clone(), "company"),
                            "购买办公用品",
                            None,
                        );
                        let b = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            1_234_500,
                            d.add_days(8),
                            (firm.0.clone(), firm.1.clone(), "company"),
                            "购买办公用品",
                            None,
                        );
                        batch[b].invoice = batch[a].invoice.clone();
                        month_anomalies.push((
                            new_anomaly("duplicate_payment", Some(ii), "the same invoice number paid twice".into()),
                            vec![a, b],
                        ));
                        month_anomalies.push((
                            new_anomaly("duplicate_exact", Some(ii), "the same invoice number paid twice".into()),
                            vec![a, b],
                        ));
                        let c = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            876_543,
                            d.add_days(1),
                            (firm.0.clone(), firm.1.clone(), "company"),
                            "办公用品",
                            None,
                        );
                        let e = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            876_543,
                            d.add_days(4),
                            (firm.0, firm.1, "company"),
                            "办公用品",
                            None,
                        );
                        // Invoice numbers far apart (consecutive ones may differ in one digit).
                        g.invoice();
                        batch[e].invoice = g.invoice();
                        month_anomalies.push((
                            new_anomaly(
                                "duplicate_payment",
                                Some(ii),
                                "same payee account and amount within 3 days".into(),
                            ),
                            vec![c, e],
                        ));
                        month_anomalies.push((
                            new_anomaly(
                                "duplicate_same_same_different",
                                Some(ii),
                                "same payee and amount, two invoices, 3 days apart".into(),
                            ),
                            vec![c, e],
                        ));
                    }
                }
                6 => {
                    // Out of scope: prohibited purchases and a code outside the indicator.
                    for (j, text) in PROHIBITED_SUMMARIES.iter().enumerate().take(3) {
                        let Some(&ii) = oos_inds.get(j) else { continue };
                        let firm = firm_pool[(ii + j) % firm_pool.len()].clone();
                        let day = g.day_in(6);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            380_000 + j as i64 * 11_100,
                            day,
                            (firm.0, firm.1, "company"),
                            text,
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "out_of_scope",
                                Some(ii),
                                format!("summary names a prohibited purchase: {text}"),
                            ),
                            vec![a],
                        ));
                        month_anomalies.push((
                            new_anomaly("text_check", Some(ii), format!("summary names a prohibited item: {text}")),
                            vec![a],
                        ));
                    }
                    if let Some(&ii) = oos_inds.get(3) {
                        let firm = firm_pool[(ii + 5) % firm_pool.len()].clone();
                        let day = g.day_in(6);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            560_000,
                            day,
                            (firm.0, firm.1, "company"),
                            "接待用餐",
                            Some("30217"),
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "out_of_scope",
                                Some(ii),
                                "economic code 30217 charged to an office-expense (30201) indicator".into(),
                            ),
                            vec![a],
                        ));
                    }
                    // Large transfers to individuals outside wage codes.
                    for j in 0..2usize {
                        let Some(&ii) = personal_inds.get(j) else {
                            continue;
                        };
                        // Nobody on the unit's staff register: a personal transfer, not a
                        // related party.
                        let unit = indicators[ii].unit as u64;
                        let staff: Vec<String> = (0..3).map(|k| Generator::person_of(unit * 1000 + k)).collect();
                        let mut name = g.person();
                        while staff.contains(&name) {
                            name = g.person();
                        }
                        let acct = g.account(9_000_000 + j as u64);
                        let day = g.day_in(6);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            6_800_000 + j as i64 * 1_500_000,
                            day,
                            (name, acct, "individual"),
                            "咨询服务费",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "personal_account",
                                Some(ii),
                                "a transfer of 50,000 yuan or more to an individual outside wage codes".into(),
                            ),
                            vec![a],
                        ));
                        month_anomalies.push((
                            new_anomaly(
                                "union_or_individual",
                                Some(ii),
                                "more than 10,000 yuan to an individual outside wage codes".into(),
                            ),
                            vec![a],
                        ));
                    }
                }
                4 => {
                    if let Some(ii) = ahead {
                        let firm = firm_pool[ii % firm_pool.len()].clone();
                        let amt = indicators[ii].amount * 35 / 100;
                        let day = g.day_in(4);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            amt,
                            day,
                            (firm.0, firm.1, "company"),
                            summary_for(indicators[ii].economic),
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "ahead_of_schedule",
                                Some(ii),
                                "35 % of the annual amount paid in April".into(),
                            ),
                            vec![a],
                        ));
                    }
                }
                12 => {
                    if let Some(ii) = rush {
                        let firm = firm_pool[(ii + 1) % firm_pool.len()].clone();
                        let mut idxs = Vec::new();
                        for part in 0..3 {
                            let amt = indicators[ii].amount * (155 + 5 * part as i64) / 1000;
                            let d = Date::from_ymd(year, 12, 8 + part * 6).unwrap_or(g.day_in(12));
                            idxs.push(inject(
                                &mut g,
                                &mut batch,
                                ii,
                                amt,
                                d,
                                (firm.0.clone(), firm.1.clone(), "company"),
                                summary_for(indicators[ii].economic),
                                None,
                            ));
                        }
                        month_anomalies.push((
                            new_anomaly("year_end_rush", Some(ii), "48 % of the annual amount paid in December".into()),
                            idxs.clone(),
                        ));
                        // December alone is over a month's 20 % too.
                        month_anomalies.push((
                            new_anomaly(
                                "ahead_of_schedule",
                                Some(ii),
                                "48 % of the annual amount paid in December".into(),
                            ),
                            idxs.clone(),
                        ));
                        let mut a = new_anomaly(
                            "project_year_end_rush",
                            Some(ii),
                            "November and December above 50 % of the project's annual amount".into(),
                        );
                        a.project_code = indicators[ii].project.clone();
                        month_anomalies.push((a, idxs));
                    }
                }
                10 => {
                    for (ii, permille) in overspend.clone() {
                        let firm = firm_pool[(ii + 2) % firm_pool.len()].clone();
                        let amt = indicators[ii].amount / 1000 * (permille as i64 - 900);
                        let day = g.day_in(10);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ii,
                            amt,
                            day,
                            (firm.0, firm.1, "company"),
                            &format!("追加{}", summary_for(indicators[ii].economic)),
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "over_budget",
                                Some(ii),
                                format!("paid {:.1} % of the indicator", permille as f64 / 10.0),
                            ),
                            vec![a],
                        ));
                        // The overspend, paid at once in October, is more than 20 % of the
                        // amount in one month as well.
                        month_anomalies.push((
                            new_anomaly(
                                "ahead_of_schedule",
                                Some(ii),
                                format!("{} % of the indicator paid at once in October", permille / 10 - 90),
                            ),
                            vec![a],
                        ));
                    }
                    for &ii in &sangong {
                        let firm = firm_pool[(ii + 3) % firm_pool.len()].clone();
                        // 三公 is held to the unit's 三公 budget: the unit's 三公 indicators,
                        // paid so far and now, reach their sum plus a quarter of this one's
                        // amount (later payments only add; injected ones are never refunded).
                        let (budget, paid) = indicators
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.unit == indicators[ii].unit)
                            .filter(|(_, x)| EconomicCode::parse(x.economic).is_ok_and(|c| c.is_sangong()))
                            .fold((0i64, 0i64), |(b, p), (j, x)| (b + x.amount, p + free_paid[j] + contract_paid[j]));
                        let amt = (indicators[ii].amount / 1000 * 350).max(budget + indicators[ii].amount / 4 - paid);
                        let day = g.day_in(10);
                        let a = inject(&mut g, &mut batch, ii, amt, day, (firm.0, firm.1, "company"), "公务接待", None);
                        month_anomalies.push((
                            new_anomaly(
                                "sangong_over",
                                Some(ii),
                                "hospitality (30217) paid past its unit's 三公 budget by a quarter of its indicator"
                                    .into(),
                            ),
                            vec![a],
                        ));
                        // The indicator itself is over its amount too, and paid more than 20 %
                        // of it in October.
                        month_anomalies.push((
                            new_anomaly(
                                "over_budget",
                                Some(ii),
                                "the hospitality indicator paid over its amount".into(),
                            ),
                            vec![a],
                        ));
                        month_anomalies.push((
                            new_anomaly(
                                "ahead_of_schedule",
                                Some(ii),
                                "at least 35 % of the hospitality indicator paid in October".into(),
                            ),
                            vec![a],
                        ));
                    }
                }
                _ => {}
            }
        }
        // The audit analytics' anomalies.
        if anomaly_budget > 0 {
            let firm = |k: usize| firm_pool[k % firm_pool.len()].clone();
            let on = |day: u32| Date::from_ymd(year, month, day);
            match month {
                7 => {
                    if let (Some(&i0), Some(&i1), Some(&i2), Some(&i3), Some(&i4), Some(&i5)) = (
                        audit_inds.first(),
                        audit_inds.get(1),
                        audit_inds.get(2),
                        audit_inds.get(3),
                        audit_inds.get(4),
                        audit_inds.get(5),
                    ) {
                        // Invoice numbers one character apart, three weeks apart.
                        let f = firm(i0 + 11);
                        let (d1, d2) = (on(3).unwrap_or(g.day_in(7)), on(24).unwrap_or(g.day_in(7)));
                        let a = inject(
                            &mut g,
                            &mut batch,
                            i0,
                            2_345_600,
                            d1,
                            (f.0.clone(), f.1.clone(), "company"),
                            "信息系统运维服务",
                            None,
                        );
                        let b = inject(
                            &mut g,
                            &mut batch,
                            i0,
                            2_345_600,
                            d2,
                            (f.0, f.1, "company"),
                            "信息系统运维服务",
                            None,
                        );
                        let mut inv = batch[a].invoice.clone();
                        let last = if inv.ends_with('9') { '1' } else { '9' };
                        inv.pop();
                        inv.push(last);
                        batch[b].invoice = inv;
                        month_anomalies.push((
                            new_anomaly(
                                "duplicate_same_same_similar",
                                Some(i0),
                                "same payee and amount, invoice numbers one character apart".into(),
                            ),
                            vec![a, b],
                        ));
                        // One firm spelled two ways, two accounts, amounts 0.2 % apart, two days apart.
                        let f = firm(i1 + 13);
                        let short = f.0.replace("有限公司", "公司");
                        let d = on(9).unwrap_or(g.day_in(7));
                        let a = inject(
                            &mut g,
                            &mut batch,
                            i1,
                            3_456_700,
                            d,
                            (f.0.clone(), f.1.clone(), "company"),
                            "信息系统运维服务",
                            None,
                        );
                        let second_account = g.account(7_000_001);
                        let b = inject(
                            &mut g,
                            &mut batch,
                            i1,
                            3_460_100,
                            d.add_days(2),
                            (short, second_account, "company"),
                            "信息系统运维服务",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "duplicate_same_same_near",
                                Some(i1),
                                "one firm spelled two ways, amounts 0.1 % apart, 2 days apart".into(),
                            ),
                            vec![a, b],
                        ));
                        // A supplier with a staff member's phone; a fee to someone named like a staff member.
                        let unit = indicators[i2].unit as u64;
                        let phone = staff_phone(unit * 1000);
                        let day = g.day_in(7);
                        let acct = g.account(7_000_002);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            i2,
                            8_600_000,
                            day,
                            ("明远咨询服务部".into(), acct, "company"),
                            &format!("咨询服务费 联系电话{phone}"),
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly("related_party", Some(i2), "the supplier's phone is a staff member's".into()),
                            vec![a],
                        ));
                        let day = g.day_in(7);
                        let acct = g.account(7_000_003);
                        let name = Generator::person_of(indicators[i3].unit as u64 * 1000 + 1);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            i3,
                            880_000,
                            day,
                            (name, acct, "individual"),
                            "专家咨询费",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "related_party",
                                Some(i3),
                                "a fee paid to a person named like a staff member of the unit".into(),
                            ),
                            vec![a],
                        ));
                        // Two firms paid into one account.
                        let acct = g.account(7_000_004);
                        let day = g.day_in(7);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            i4,
                            3_210_000,
                            day,
                            ("恒信达商贸有限公司".into(), acct.clone(), "company"),
                            "信息系统运维服务",
                            None,
                        );
                        let day = g.day_in(7);
                        let b = inject(
                            &mut g,
                            &mut batch,
                            i5,
                            2_780_000,
                            day,
                            ("鑫源泰科技有限公司".into(), acct, "company"),
                            "信息系统运维服务",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly("shared_account", Some(i4), "two firms paid into one account".into()),
                            vec![a, b],
                        ));
                        // A trade union paid more than 10,000 yuan.
                        let day = g.day_in(7);
                        let acct = g.account(7_000_005);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            i5,
                            1_500_000,
                            day,
                            ("市直机关工会委员会".into(), acct, "company"),
                            "工会活动经费",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly("union_or_individual", Some(i5), "15,000 yuan to a trade union".into()),
                            vec![a],
                        ));
                    }
                    if let Some(ti) = text_ind {
                        let f = firm(ti + 17);
                        let day = g.day_in(7);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ti,
                            680_000,
                            day,
                            (f.0.clone(), f.1.clone(), "company"),
                            "接待用餐",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly("text_check", Some(ti), "a dinner booked as office supplies (30201)".into()),
                            vec![a],
                        ));
                        let day = g.day_in(7);
                        let a = inject(&mut g, &mut batch, ti, 990_000, day, (f.0, f.1, "company"), "购买名表", None);
                        month_anomalies
                            .push((new_anomaly("luxury_keywords", Some(ti), "a luxury watch".into()), vec![a]));
                        month_anomalies.push((
                            new_anomaly("text_check", Some(ti), "a luxury watch booked as office supplies".into()),
                            vec![a],
                        ));
                        let day = g.day_in(7);
                        let acct = g.account(7_000_006);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ti,
                            500_000,
                            day,
                            ("家乐福超市".into(), acct, "company"),
                            "购买慰问品",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly("supermarket_round_sum", Some(ti), "5,000.00 yuan at a supermarket".into()),
                            vec![a],
                        ));
                    }
                    if let Some(ai) = assoc_ind {
                        let amt = indicators[ai].amount * 78 / 100;
                        let day = g.day_in(7);
                        let acct = g.account(7_000_007);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            ai,
                            amt,
                            day,
                            ("市信息化行业协会".into(), acct, "company"),
                            "委托业务费",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "association_payments",
                                Some(ai),
                                "78 % of the indicator paid to an association".into(),
                            ),
                            vec![a],
                        ));
                        month_anomalies.push((
                            new_anomaly(
                                "ahead_of_schedule",
                                Some(ai),
                                "78 % of the indicator paid to an association in July".into(),
                            ),
                            vec![a],
                        ));
                    }
                }
                // One supplier paid just under the threshold by three units of one department.
                9 if split_dept.len() == 3 => {
                    let f = firm(split_dept[0] + 19);
                    let mut idxs = Vec::new();
                    for (j, &ii) in split_dept.iter().enumerate() {
                        let d = on(2 + 7 * j as u32).unwrap_or(g.day_in(9));
                        let amt = 4_500_000 + 150_000 * j as i64;
                        idxs.push(inject(
                            &mut g,
                            &mut batch,
                            ii,
                            amt,
                            d,
                            (f.0.clone(), f.1.clone(), "company"),
                            "信息系统运维服务",
                            None,
                        ));
                    }
                    month_anomalies.push((
                        new_anomaly(
                            "split_purchase_year",
                            Some(split_dept[0]),
                            "three units of one department pay one supplier 45,000–48,000 yuan within 14 days".into(),
                        ),
                        idxs,
                    ));
                }
                11 => {
                    if let Some(pi) = prepaid_ind {
                        let day = g.day_in(11);
                        let acct = g.account(7_000_008);
                        let a = inject(
                            &mut g,
                            &mut batch,
                            pi,
                            1_800_000,
                            day,
                            ("锦江宾馆有限公司".into(), acct, "company"),
                            "预付接待费",
                            None,
                        );
                        month_anomalies.push((
                            new_anomaly(
                                "sangong_prepaid_q4",
                                Some(pi),
                                "18,000 yuan of hospitality prepaid in November".into(),
                            ),
                            vec![a],
                        ));
                    }
                }
                _ => {}
            }
        }
        // Refunds due this month (a few normal payments are partly returned a week later).
        let mut due = Vec::new();
        refunds_due.retain(|(d, p)| {
            if d.month() == month {
                due.push(Payment {
                    voucher: String::new(),
                    date: *d,
                    unit: p.unit,
                    indicator: p.indicator,
                    economic: p.economic.clone(),
                    payee_name: p.payee_name.clone(),
                    payee_account: p.payee_account.clone(),
                    payee_type: p.payee_type,
                    amount: -(p.amount / 10).max(1),
                    summary: format!("退回{}", p.summary),
                    invoice: String::new(),
                    contract: p.contract.clone(),
                    reverses: p.voucher.clone(),
                });
                false
            } else {
                true
            }
        });
        batch.extend(due);
        // Vouchers are numbered in date order within the month.
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by_key(|&i| (batch[i].date, batch[i].unit, i));
        let mut rename = vec![String::new(); batch.len()];
        for &i in &order {
            let v = g.voucher();
            rename[i] = v;
        }
        for (a, idxs) in month_anomalies.iter_mut() {
            a.vouchers = idxs.iter().map(|i| rename[*i].clone()).collect();
            a.vouchers.sort();
        }
        anomalies.extend(month_anomalies.into_iter().map(|(a, _)| a));
        for &i in &order {
            let p = &mut batch[i];
            p.voucher = std::mem::take(&mut rename[i]);
            paid_by_ind[p.indicator] += p.amount;
            let ind = &indicators[p.indicator];
            line(
                &mut pay_w,
                &[
                    &p.voucher,
                    &p.date.to_string(),
                    &units[p.unit].code,
                    &ind.code,
                    &p.economic,
                    &p.payee_name,
                    &p.payee_account,
                    p.payee_type,
                    &yuan(p.amount),
                    &p.summary,
                    &p.invoice,
                    &p.contract,
                    &p.reverses,
                ],
            )?;
            written += 1;
        }
        // Pick refunds for later months: one in about 600 normal payments (an injected
        // anomaly keeps the figures its truth states).
        let injected: HashSet<&str> = anomalies.iter().flat_map(|a| a.vouchers.iter().map(String::as_str)).collect();
        for &i in &order {
            let p = &batch[i];
            if injected.contains(p.voucher.as_str()) {
                lumps.push((p.voucher.clone(), p.unit, p.amount, p.indicator));
            } else {
                unit_max[p.unit] = unit_max[p.unit].max(p.amount);
            }
        }
        for i in order {
            let p = &batch[i];
            if p.amount > 10_000
                && p.reverses.is_empty()
                && g.rng.below(600) == 0
                && !injected.contains(p.voucher.as_str())
            {
                let d = p.date.add_days(7);
                if d.year() == year && g.cal.is_workday(d).value && d.month() != month {
                    refunds_due.push((
                        d,
                        Payment {
                            voucher: p.voucher.clone(),
                            date: p.date,
                            unit: p.unit,
                            indicator: p.indicator,
                            economic: p.economic.clone(),
                            payee_name: p.payee_name.clone(),
                            payee_account: p.payee_account.clone(),
                            payee_type: p.payee_type,
                            amount: p.amount,
                            summary: p.summary.clone(),
                            invoice: String::new(),
                            contract: p.contract.clone(),
                            reverses: String::new(),
                        },
                    ));
                }
            }
        }
    }
    pay_w.flush()?;
    summary.payments = written;
    milestone_plans(out)?;
    for &ii in &stagnant {
        if let Plan::StopAfter(n) = indicators[ii].plan {
            anomalies.push(new_plain(
                "stagnant",
                &units[indicators[ii].unit].code,
                &indicators[ii].code,
                format!("no payment after month {n} while a balance remains"),
            ));
            anomalies.push(new_plain(
                "behind_schedule",
                &units[indicators[ii].unit].code,
                &indicators[ii].code,
                format!("spending stopped after month {n}"),
            ));
            // A special fund stopped by May is unused for over six months at the year's end.
            if indicators[ii].special && n <= 5 {
                anomalies.push(new_plain(
                    "idle_funds",
                    &units[indicators[ii].unit].code,
                    &indicators[ii].code,
                    format!("special fund unused after month {n}"),
                ));
            }
        }
    }
    for &ii in &idle {
        anomalies.push(new_plain(
            "idle_funds",
            &units[indicators[ii].unit].code,
            &indicators[ii].code,
            "special fund with no payment all year".into(),
        ));
        anomalies.push(new_plain(
            "stagnant",
            &units[indicators[ii].unit].code,
            &indicators[ii].code,
            "no payment all year".into(),
        ));
        anomalies.push(new_plain(
            "behind_schedule",
            &units[indicators[ii].unit].code,
            &indicators[ii].code,
            "nothing executed all year".into(),
        ));
    }
    // An injected payment at least five times the largest other payment of its unit stands
    // apart from everything the unit pays: an outlier in the unit's payments (DBSCAN).
    for (voucher, unit, amount, ii) in &lumps {
        if unit_max[*unit] > 0 && *amount >= 5 * unit_max[*unit] {
            anomalies.push(Anomaly {
                vouchers: vec![voucher.clone()],
                ..new_plain(
                    "dbscan_outlier",
                    &units[*unit].code,
                    &indicators[*ii].code,
                    format!("{} times the unit's largest other payment", amount / unit_max[*unit]),
                )
            });
        }
    }
    // Indicators set aside for injected payments keep their normal spending low (so that
    // `block` control takes the injections): those that end the year under 90 % executed
    // are behind schedule, and listed.
    for (ii, ind) in indicators.iter().enumerate() {
        if ind.reserved && ind.plan == Plan::Normal && paid_by_ind[ii] * 10 < ind.amount * 9 {
            anomalies.push(new_plain(
                "behind_schedule",
                &units[ind.unit].code,
                &ind.code,
                format!(
                    "set aside for injected payments: {} ‰ executed over the year",
                    paid_by_ind[ii] * 1000 / ind.amount.max(1)
                ),
            ));
        }
    }
    // Projects that spent less than 20 % of their annual amount.
    let mut projects: BTreeMap<&str, (i64, i64, usize)> = BTreeMap::new();
    for (i, ind) in indicators.iter().enumerate() {
        if let Some(pr) = &ind.project {
            let e = projects.entry(pr).or_insert((0, 0, ind.unit));
            e.0 += ind.amount;
            e.1 += paid_by_ind[i];
        }
    }
    for (pr, (amount, paid, unit)) in projects {
        if amount > 0 && paid * 100 < 20 * amount {
            anomalies.push(Anomaly {
                project_code: Some(pr.to_string()),
                indicator_code: None,
                ..new_plain(
                    "low_execution",
                    &units[unit].code,
                    "",
                    format!("{} ‰ of the project's annual amount spent", paid * 1000 / amount),
                )
            });
        }
    }
    for &ii in &slow {
        anomalies.push(new_plain(
            "behind_schedule",
            &units[indicators[ii].unit].code,
            &indicators[ii].code,
            "about 30 % executed over the year".into(),
        ));
    }

    // --- Revenues and targets per region and revenue code.
    let mut rev_w = BufWriter::new(File::create(out.join("revenues.csv"))?);
    header(&mut rev_w, Kind::Revenues)?;
    let mut tgt_w = BufWriter::new(File::create(out.join("revenue_targets.csv"))?);
    header(&mut tgt_w, Kind::RevenueTargets)?;
    let shortfall_region = regions.len() / 2;
    let mut rec = 0u64;
    for (ri, (rcode, _, _, level)) in regions.iter().enumerate() {
        let scale: i64 = match *level {
            "province" => 40,
            "city" => 10,
            _ => 3,
        };
        for (code, _, share) in REVENUE_CODES {
            let target = 100_000_000i64 * scale * *share as i64 / 1000 * 100;
            line(&mut tgt_w, &[&year.to_string(), rcode, code, &yuan(target)])?;
            summary.revenue_targets += 1;
            let shortfall = ri == shortfall_region && *code == "10101";
            let jump = ri == (shortfall_region + 1) % regions.len() && *code == "10101";
            for month in 1..=12u32 {
                let pace = if shortfall && month >= 3 {
                    65
                } else if jump && month == 7 {
                    180
                } else {
                    95 + g.rng.below(10) as i64
                };
                let month_amount = target / 12 / 100 * pace;
                let n = 8;
                for j in 0..n {
                    rec += 1;
                    let amount = month_amount / n + if j == 0 { month_amount % n } else { 0 };
                    let d = g.day_in(month);
                    line(&mut rev_w, &[&format!("SR{}{:08}", year, rec), &d.to_string(), rcode, code, &yuan(amount)])?;
                    summary.revenues += 1;
                }
            }
            if jump {
                anomalies.push(Anomaly {
                    kind: "revenue_jump",
                    unit_code: None,
                    indicator_code: None,
                    region_code: Some(rcode.clone()),
                    revenue_code: Some(code.to_string()),
                    project_code: None,
                    vouchers: Vec::new(),
                    note: "value-added tax in July at 180 % of the monthly pace".into(),
                });
            }
            if shortfall {
                anomalies.push(Anomaly {
                    kind: "revenue_shortfall",
                    unit_code: None,
                    indicator_code: None,
                    region_code: Some(rcode.clone()),
                    revenue_code: Some(code.to_string()),
                    project_code: None,
                    vouchers: Vec::new(),
                    note: "value-added tax at 65 % of the target's pace from March on".into(),
                });
            }
        }
    }
    rev_w.flush()?;
    tgt_w.flush()?;

    // --- Macro indicators per region (drawn apart from the rest: the data set is the same
    // with or without them).
    let mut macro_w = BufWriter::new(File::create(out.join("macro_indicators.csv"))?);
    header(&mut macro_w, Kind::MacroIndicators)?;
    let region_codes: Vec<String> = regions.iter().map(|r| r.0.clone()).collect();
    summary.macro_indicators = macros::write_year(&mut macro_w, opts.seed, &region_codes, year)?;
    macro_w.flush()?;

    summary.anomalies = anomalies.len();
    let cases = historical_reviews(out, &units)?;
    let truth = serde_json::json!({ "year": year, "seed": opts.seed, "as_of": format!("{year}-12-31"), "summary": &summary, "anomalies": anomalies, "cases": cases });
    let mut w = BufWriter::new(File::create(out.join("ground_truth.json"))?);
    serde_json::to_writer_pretty(&mut w, &truth).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(summary)
}

fn new_plain(kind: &'static str, unit: &str, indicator: &str, note: String) -> Anomaly {
    Anomaly {
        kind,
        unit_code: Some(unit.to_string()),
        indicator_code: Some(indicator.to_string()),
        region_code: None,
        revenue_code: None,
        project_code: None,
        vouchers: Vec::new(),
        note,
    }
}

/// The milestone plans' file (合同里程碑): empty, as the year's contracts are nearly paid by
/// its end; the demo's scene gives one contract its plan and verifies it (`scene`).
fn milestone_plans(out: &Path) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(out.join("contract_milestones.csv"))?);
    header(&mut w, Kind::ContractMilestones)?;
    w.flush()
}

/// An earlier review: (reference, unit index, opened, closed, causes, title, what happened,
/// lessons).
type Earlier = (
    &'static str,
    usize,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
);

/// Reviews closed in an earlier system (`reviews.json`, imported by the demo with `review
/// import`): the case knowledge base's history, with repeats planted — the same unit and
/// cause within three years — beside near misses (the same cause a day over three years on,
/// another cause, another unit). Their truth: the repeats as (case, earlier) references, and
/// a query whose similar cases are named.
fn historical_reviews(out: &Path, units: &[Unit]) -> std::io::Result<serde_json::Value> {
    let unit = |i: usize| units.get(i % units.len().max(1)).map(|u| u.code.clone()).unwrap_or_default();
    let rows: [Earlier; 10] = [
        (
            "R2021-01",
            0,
            "2021-05-10",
            "2021-09-30",
            &["procurement_evasion"],
            "办公设备分批采购规避政府采购",
            "同一批办公设备拆分为五次采购，每次金额均低于政府采购限额，未履行集中采购程序。",
            "同类货物按年度合并预算、统一采购；财务审核增加同一供应商累计金额提示。",
        ),
        (
            "R2023-02",
            0,
            "2023-11-20",
            "2024-03-31",
            &["procurement_evasion"],
            "办公家具化整为零采购",
            "办公家具分三批向同一家具公司采购，合计超过采购限额，构成化整为零规避政府采购。",
            "再次发生同类问题，采购计划须经财务和纪检会签；纳入年度考核。",
        ),
        (
            "R2022-03",
            1,
            "2022-03-15",
            "2022-07-31",
            &["overspending"],
            "会议费超预算支出",
            "年度会议费超出预算百分之十八，未履行预算调整程序。",
            "会议计划年初编报，超出须先调剂后支出。",
        ),
        (
            "R2025-04",
            1,
            "2025-04-01",
            "2025-08-31",
            &["overspending"],
            "培训费超预算支出",
            "培训费超出预算百分之十二，事前未申请调整。",
            "培训计划与预算同步审批。",
        ),
        (
            "R2022-05",
            2,
            "2022-08-01",
            "2022-12-31",
            &["idle_funds"],
            "专项资金闲置超过一年",
            "上级补助的专项资金到账后一年未使用，项目前期工作未完成。",
            "项目储备前置，资金到位即可执行；闲置资金按规定收回。",
        ),
        (
            "R2024-06",
            2,
            "2024-02-01",
            "2024-06-30",
            &["slow_execution"],
            "项目支出进度滞后",
            "基建项目年末执行率不足百分之六十，施工许可办理延误。",
            "开工手续提前办理，按月调度进度。",
        ),
        (
            "R2025-07",
            2,
            "2025-06-30",
            "2025-11-30",
            &["idle_funds"],
            "专项资金再次闲置",
            "新到专项资金半年未支出，与前次问题原因相同。",
            "资金与项目同步下达，闲置超过半年即收回统筹。",
        ),
        (
            "R2023-08",
            3,
            "2023-06-01",
            "2023-10-31",
            &["irregular_payment"],
            "向个人账户支付工程款",
            "工程款支付至施工队负责人个人账户，未支付至合同单位账户。",
            "对公支付必须付至合同约定账户，个人账户支付须专项审批。",
        ),
        (
            "R2024-09",
            4,
            "2024-09-01",
            "2024-12-31",
            &["irregular_payment"],
            "重复支付服务费",
            "同一张发票的物业服务费支付两次，事后追回。",
            "发票号唯一性校验，支付前查重。",
        ),
        (
            "R2024-10",
            3,
            "2024-12-01",
            "2025-04-30",
            &["weak_control", "irregular_payment"],
            "支付审核缺失",
            "零星工程款再次支付到个人账户，支付审核环节形同虚设。",
            "建立支付双人复核，收款账户与合同比对。",
        ),
    ];
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|(r, u, opened, closed, causes, title, happened, lessons)| {
            serde_json::json!({
                "reference": r, "unit_code": unit(*u), "title": title, "happened": happened,
                "causes": causes, "lessons": lessons, "opened_on": opened, "closed_on": closed,
            })
        })
        .collect();
    let mut w = BufWriter::new(File::create(out.join("reviews.json"))?);
    serde_json::to_writer_pretty(&mut w, &list).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(serde_json::json!({
        "repeats": [["R2023-02", "R2021-01"], ["R2025-07", "R2022-05"], ["R2024-10", "R2023-08"]],
        "similar": [{"query": "分批采购办公家具规避政府采购限额", "expected": ["R2023-02", "R2021-01"]}],
    }))
}
