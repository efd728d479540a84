//! Milestone-triggered release from the command line (`contract milestones|submit|verify|
//! dispute|resolve|status`): each person acts as themselves (`--user`), with the roles they
//! hold at the contract's unit; a verification is signed with the verifier's own key
//! (password from BUDGETWATCH_PASSWORD or standard input).

use super::*;
use bw_app::milestones::{self, MilestoneActionError};

#[derive(Subcommand)]
pub(super) enum ContractCommand {
    /// The contracts with milestones and their figures, or one contract's milestone plan.
    Milestones {
        contract_no: Option<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Claims a milestone done (all of it, or --permille of a pro-rata one) with its evidence.
    Submit {
        contract_no: String,
        seq: u32,
        /// Who claims it (someone of the contract's unit)
        #[arg(long)]
        user: String,
        /// The share done, in ‰ (default: all of it)
        #[arg(long, default_value_t = 1000)]
        permille: u16,
        /// An evidence document (a PDF or an image, kept with the milestone; the claim names
        /// its SHA-256); repeat for more
        #[arg(long = "evidence")]
        evidence: Vec<PathBuf>,
        /// An evidence document's SHA-256, when the document is kept elsewhere; repeat for more
        #[arg(long = "evidence-sha256")]
        evidence_sha256: Vec<String>,
    },
    /// Gives a verifier's signed opinion on a milestone's open claim (password from
    /// BUDGETWATCH_PASSWORD or standard input).
    Verify {
        contract_no: String,
        seq: u32,
        #[arg(long)]
        user: String,
        /// The opinion (验收意见)
        #[arg(long, default_value = "")]
        opinion: String,
    },
    /// Disputes a milestone: frozen until a bureau head resolves it.
    Dispute {
        contract_no: String,
        seq: u32,
        #[arg(long)]
        user: String,
        #[arg(long)]
        reason: String,
    },
    /// A bureau head resolves a dispute: the claim stands (--stands) or is void (--void).
    Resolve {
        contract_no: String,
        seq: u32,
        #[arg(long)]
        user: String,
        #[arg(long, conflicts_with = "void", required_unless_present = "void")]
        stands: bool,
        #[arg(long)]
        void: bool,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// A contract's amount, releasable, paid, held and retention, and each milestone's state.
    Status {
        contract_no: String,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
}

fn refused(e: MilestoneActionError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The roles `user` holds at the contract's unit, and a context acting as them.
async fn acting(g: &Global, store: &Store, no: &str, user: &str) -> Result<(Ctx, Vec<String>)> {
    let loaded = milestones::load(store, no).await?.with_context(|| {
        format!("contract {no:?} has no milestones (import them with the contract_milestones template)")
    })?;
    let mut c = ctx(g)?;
    c.actor = format!("user:{user}");
    let roles = milestones::roles_at_unit(store, user, &loaded.contract.unit_code, c.today).await?;
    Ok((c, roles))
}

fn print_done(what: &str, done: &milestones::Done) {
    println!("{what} (entry {}){}", done.entry, if done.verified { ": verified, its share released" } else { "" });
    for (unit, voucher, amount) in &done.released {
        println!("released held payment {voucher} of {unit}: {amount}");
    }
}

pub(super) async fn dispatch(g: &Global, command: ContractCommand) -> Result<ExitCode> {
    match command {
        ContractCommand::Milestones { contract_no, format } => {
            let store = open(g).await?;
            let today = crate::clock::today();
            match contract_no {
                Some(no) => {
                    let l = milestones::load(&store, &no)
                        .await?
                        .with_context(|| format!("contract {no:?} has no milestones"))?;
                    let s = l.status(today);
                    if format == "json" {
                        println!("{}", serde_json::to_string_pretty(&s.milestones)?);
                    } else {
                        for m in &s.milestones {
                            println!(
                                "{}\t{}\t{}\t{}\t{}\tverifiers {}\tafter {}\tdue {}",
                                m.seq,
                                m.kind,
                                m.name,
                                m.amount,
                                if m.pro_rata { "pro-rata" } else { "all-or-nothing" },
                                m.verifiers.join(";"),
                                m.depends_on.iter().map(u32::to_string).collect::<Vec<_>>().join(";"),
                                m.due_date.as_deref().unwrap_or("-"),
                            );
                        }
                    }
                }
                None => {
                    let all: Vec<milestones::Status> =
                        milestones::contracts(&store).await?.iter().map(|l| l.status(today)).collect();
                    if format == "json" {
                        println!("{}", serde_json::to_string_pretty(&all)?);
                    } else {
                        for s in &all {
                            println!(
                                "{}\t{}\tamount {}\treleasable {}\tpaid {}\theld {}",
                                s.contract_no, s.unit_code, s.amount, s.releasable, s.paid, s.held
                            );
                        }
                    }
                }
            }
        }
        ContractCommand::Submit { contract_no, seq, user, permille, evidence, evidence_sha256 } => {
            let store = open_for_write(g).await?;
            let (c, roles) = acting(g, &store, &contract_no, &user).await?;
            if roles.is_empty() {
                bail!("{user} holds no role at the contract's unit: only its people claim a milestone (forbidden)");
            }
            // Each document is kept with the milestone; the claim names their digests.
            let mut digests = evidence_sha256;
            for f in &evidence {
                let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let (id, sha) =
                    bw_app::documents::attach_milestone_evidence(&store, &c, &contract_no, seq, &name, &bytes).await?;
                println!("document {id}: {name} kept as evidence, SHA-256 {sha}");
                digests.push(sha);
            }
            let done = milestones::submit(&store, &c, &contract_no, seq, permille, digests).await.map_err(refused)?;
            print_done(&format!("milestone {seq} of {contract_no} submitted: {permille}‰"), &done);
        }
        ContractCommand::Verify { contract_no, seq, user, opinion } => {
            let password = super::accounts::password()?;
            let store = open_for_write(g).await?;
            let (c, roles) = acting(g, &store, &contract_no, &user).await?;
            let signer = bw_app::approval::unlock(&store, &user, &password).await?;
            let done =
                milestones::verify(&store, &c, &signer, &contract_no, seq, &roles, &opinion).await.map_err(refused)?;
            print_done(&format!("milestone {seq} of {contract_no}: opinion of {user} signed"), &done);
        }
        ContractCommand::Dispute { contract_no, seq, user, reason } => {
            let store = open_for_write(g).await?;
            let (c, roles) = acting(g, &store, &contract_no, &user).await?;
            if roles.is_empty() {
                bail!("{user} holds no role at the contract's unit (forbidden)");
            }
            let done = milestones::dispute(&store, &c, &contract_no, seq, &reason).await.map_err(refused)?;
            print_done(&format!("milestone {seq} of {contract_no} disputed"), &done);
        }
        ContractCommand::Resolve { contract_no, seq, user, stands, void, text } => {
            let store = open_for_write(g).await?;
            let (c, roles) = acting(g, &store, &contract_no, &user).await?;
            let stands = stands && !void;
            let done =
                milestones::resolve(&store, &c, &contract_no, seq, stands, &roles, &text).await.map_err(refused)?;
            let how = if stands { "the claim stands" } else { "the claim is void" };
            print_done(&format!("milestone {seq} of {contract_no} resolved: {how}"), &done);
        }
        ContractCommand::Status { contract_no, format } => {
            let store = open(g).await?;
            let l = milestones::load(&store, &contract_no)
                .await?
                .with_context(|| format!("contract {contract_no:?} has no milestones"))?;
            let s = l.status(crate::clock::today());
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!(
                    "contract {} ({}): amount {}, releasable {}, paid {}, held {}, retention {}",
                    s.contract_no, s.supplier_name, s.amount, s.releasable, s.paid, s.held, s.retention
                );
                for m in &s.milestones {
                    println!(
                        "  {}\t{}\t{}\t{}\t{}‰\treleased {}{}",
                        m.seq,
                        m.name,
                        m.kind,
                        m.state,
                        m.verified_permille,
                        m.released,
                        if m.overdue { "\toverdue" } else { "" }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
