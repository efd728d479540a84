//! The demo's budget scene: after the demo province's year is imported, the other half of
//! the loop played on it so that every page has something to show — KPIs, values reached
//! and evaluations of the year's projects (one self-evaluation 95 against a third party's
//! 62, the source document's case), departments' satisfaction surveys, the ranking
//! published, the rolling plan made, next year's cycle opened with the allocation proposal
//! as drafts, and one unit's draft submitted for approval. Every step is an ordinary
//! journaled action; the figures follow from the project codes, so a scene is the same for
//! the same data.

use bw_core::budget::{Mode, Stage};
use bw_core::performance::{Category, Direction, Kpi, Milli};
use bw_store::Store;

use crate::Ctx;
use crate::journal::ActionError;
use crate::performance::{self, Evaluator};

/// What the scene did.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub projects_evaluated: usize,
    pub departments_ranked: usize,
    pub drafts: usize,
    pub submitted: Option<i64>,
    /// Journal entries the scene wrote, each an action of its own.
    pub entries: i64,
}

/// A small stable number from a code (FNV-1a), to vary the figures between projects.
fn spread(code: &str) -> u64 {
    code.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Plays the scene on `year`'s data; `submitter` (a unit handler of `unit`) submits that
/// unit's draft for `year + 1`. Each of `approvers` (user, password) gets a signing key
/// sealed under that password, so that they can decide from the pages.
pub async fn play(
    store: &Store,
    ctx: &Ctx,
    year: i32,
    (unit, submitter): (&str, &str),
    approvers: &[(&str, &str)],
) -> Result<Scene, ActionError> {
    let mut scene = Scene::default();
    let before = store.journal_size().await?;
    for (user, password) in approvers {
        crate::approval::register_key(store, ctx, user, password).await?;
    }
    let results = performance::results(store, year).await?;
    // Shares of the output target reached, in per mille: most projects near or at target,
    // some short, a few far short — every grade appears.
    const REACHED: [i64; 8] = [1000, 1000, 980, 950, 900, 850, 700, 450];
    for (i, p) in results.projects.iter().enumerate() {
        let h = spread(&p.project_code);
        let target = 10 + (h % 40) as i64;
        let kpis = [
            kpi("Q1", "完成数量", Category::Quantity, Direction::AtLeast, target * 1000, 40),
            kpi("T1", "按期完成率(%)", Category::Timeliness, Direction::AtLeast, 100_000, 20),
            kpi("E1", "受益人数(人)", Category::Social, Direction::AtLeast, target * 100_000, 20),
            kpi("S1", "服务对象满意度(%)", Category::Satisfaction, Direction::AtLeast, 90_000, 20),
        ];
        performance::set_kpis(store, ctx, year, &p.project_code, &kpis).await?;
        let reached = REACHED[(h >> 8) as usize % REACHED.len()];
        let values = [
            ("Q1", target * reached),
            ("T1", 100 * reached),
            ("E1", target * 100 * reached),
            ("S1", 80_000 + (h % 15) as i64 * 1000),
        ];
        for (code, value) in values {
            performance::record_actual(store, ctx, year, &p.project_code, code, Milli(value)).await?;
        }
        // The unit's own evaluation, a little kinder than the KPIs.
        let own = (reached / 10 + 5).min(100) * 10;
        if i == 0 {
            // The source document's case: 95 by the unit, 62 by the third party.
            performance::evaluate(store, ctx, year, &p.project_code, Evaluator::SelfEvaluation, 950).await?;
            performance::evaluate(store, ctx, year, &p.project_code, Evaluator::ThirdParty, 620).await?;
        } else {
            performance::evaluate(store, ctx, year, &p.project_code, Evaluator::SelfEvaluation, own).await?;
            if i % 4 == 1 {
                let outside = own - (h % 80) as i64;
                performance::evaluate(store, ctx, year, &p.project_code, Evaluator::ThirdParty, outside).await?;
            }
        }
        scene.projects_evaluated += 1;
    }
    let mut departments: Vec<&str> = results.projects.iter().map(|p| p.department_code.as_str()).collect();
    departments.sort_unstable();
    departments.dedup();
    for (i, d) in departments.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
        if i % 2 == 0 {
            let score = 700 + (spread(d) % 250) as i64;
            performance::record_satisfaction(store, ctx, year, d, score).await?;
        }
    }
    if !results.projects.is_empty() {
        scene.departments_ranked = performance::publish(store, ctx, year).await?.departments.len();
        performance::roll_plan(store, ctx, year).await?;
    }
    // Next year: the cycle opened, the proposal from the grades as drafts, one submitted.
    let next = year + 1;
    crate::budget::open_cycle(store, ctx, next, Mode::BottomUp).await?;
    crate::budget::advance(store, ctx, next, Stage::Preparation).await?;
    scene.drafts = performance::propose(store, ctx, year).await?.len();
    if crate::budget::versions(store, next, unit).await?.last().is_some() {
        let by = Ctx { actor: format!("user:{submitter}"), ..ctx.clone() };
        scene.submitted = Some(crate::budget::submit(store, &by, next, unit, false).await?);
    }
    scene.entries = store.journal_size().await? - before;
    Ok(scene)
}

fn kpi(code: &str, name: &str, category: Category, direction: Direction, target: i64, weight: u32) -> Kpi {
    Kpi { code: code.into(), name: name.into(), category, direction, target: Milli(target), weight, actual: None }
}

/// The scene's figures in one line.
pub fn summary(s: &Scene, year: i32) -> String {
    let submitted = s.submitted.map(|i| format!(", item {i} in review")).unwrap_or_default();
    format!(
        "budget scene: {} projects evaluated for {year}, {} departments ranked and published, {} drafts for {} proposed{submitted} ({} journal entries)",
        s.projects_evaluated,
        s.departments_ranked,
        s.drafts,
        year + 1,
        s.entries
    )
}
