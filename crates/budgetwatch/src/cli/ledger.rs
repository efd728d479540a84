//! The journal's proofs, export, witnesses, keys and redaction.

use super::*;

#[derive(Subcommand)]
pub(super) enum LedgerCommand {
    /// Print entries as NDJSON: {"index":I,"leaf_hash":"<hex>","entry":"<base64>"}.
    Dump {
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// One past the last entry (default: the end of the journal).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print the inclusion proof of entry INDEX in the tree of SIZE entries.
    ProveInclusion {
        #[arg(long)]
        index: u64,
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the latest signed checkpoint (C2SP signed-note around a tlog-checkpoint).
    Checkpoint,
    /// Print the installation's public verifier key (with --path: where its key file is).
    Key {
        #[arg(long)]
        path: bool,
    },
    /// Print the consistency proof from the tree of OLD entries to the tree of NEW.
    ProveConsistency {
        #[arg(long)]
        old: u64,
        #[arg(long)]
        new: Option<u64>,
    },
    /// Prove the current log extends a signed checkpoint saved earlier (exit 1 if not).
    CheckConsistency {
        /// A file holding a checkpoint note printed by `ledger checkpoint`.
        #[arg(long)]
        since: PathBuf,
        /// The log's verifier key (default: the one of the installation's key file).
        #[arg(long)]
        key: Option<String>,
    },
    /// Replace the installation's signing key: journals the new verifier key, signs that
    /// commit's checkpoint with both keys, then writes the new key to the key file (the
    /// old one is kept beside it as KEY.retired-<time>). Needs --reason.
    RotateKey,
    /// Write the entries, tiles, checkpoints and cosignatures as plain files (C2SP tlog-tiles).
    Export { dir: PathBuf },
    /// Verify an export with nothing but its files and the log's public key (exit 1 if not).
    VerifyExport {
        dir: PathBuf,
        /// The log's verifier key (as printed by `budgetwatch ledger key`).
        #[arg(long)]
        key: String,
        /// A witness's cosignature key whose cosignatures must verify (repeatable).
        #[arg(long)]
        witness: Vec<String>,
        /// text or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Publish the latest checkpoint for witnesses now (the server also does so every
    /// `ledger.publish_minutes`).
    Publish,
    /// Erase the personal data (an individual payee's name and account) of one payment on a
    /// lawful request; journaled, and every proof still verifies. Needs --reason.
    Redact {
        #[arg(long)]
        unit: String,
        /// The payment to an individual whose name and account are erased.
        #[arg(long, required_unless_present = "staff", conflicts_with = "staff")]
        voucher: Option<String>,
        /// The staff member (by id_hash) whose name, account and phone are erased.
        #[arg(long)]
        staff: Option<String>,
    },
    /// Register a witness's cosignature key (name+id+base64, type 0x04); journaled.
    AddWitness { key: String },
    /// List the registered witnesses.
    Witnesses,
    /// Act as a witness: fetch SERVER's published checkpoint, check it is consistent with the
    /// one cosigned last (STATE), cosign it with the witness key and post the cosignature
    /// back. Without --server, print the witness's public key (creating the key if needed).
    Witness {
        /// The log's base URL, e.g. http://budget.example:8080
        #[arg(long, requires_all = ["log_key", "state"])]
        server: Option<String>,
        /// The log's verifier key.
        #[arg(long)]
        log_key: Option<String>,
        /// This witness's private key file (created, mode 0600, when absent and --name is given).
        #[arg(long = "witness-key")]
        witness_key: PathBuf,
        /// The file keeping the last cosigned checkpoint.
        #[arg(long)]
        state: Option<PathBuf>,
        /// The witness's name for a new key, e.g. audit.example/witness.
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs a command of this group (`run` dispatches it here).
pub(super) async fn dispatch(g: &Global, command: Command) -> Result<ExitCode> {
    match command {
        Command::Verify { format, key, witness, since_checkpoint } => {
            // The kept checkpoint comes with the installation's own key, not with a given one.
            let head = if key.is_none() { bw_store::read_kept_head(&head_path(&key_path(g)?))? } else { None };
            let trust = bw_app::verify::Trust { key: trusted_key(g, key)?, witnesses: witness, head };
            let store = open(g).await?;
            let started = std::time::Instant::now();
            let r = if since_checkpoint {
                bw_app::verify::verify_since(&store, &trust).await?
            } else {
                bw_app::verify::verify_and_mark(&store, &trust).await?
            };
            let summary = format!(
                "{}: {} entries, root {}, {} checkpoints, {} rows compared ({:.2} s: Merkle {:.2}, replay {:.2}, tables {:.2})",
                if r.ok { "verified" } else { "FAILED" },
                r.entries,
                r.root,
                r.checkpoints,
                r.rows,
                started.elapsed().as_secs_f64(),
                r.timings.merkle,
                r.timings.replay,
                r.timings.tables
            );
            return print_report(&format, &r, &r.failures, r.ok, &summary);
        }
        Command::Ledger { command: LedgerCommand::VerifyExport { dir, key, witness, format } } => {
            let r = bw_app::export::verify_export(&dir, &key, &witness)?;
            let summary = format!(
                "{}: {} entries of {}, root {}, {} checkpoints, {} cosignatures, {} tiles",
                if r.ok { "verified" } else { "FAILED" },
                r.size,
                r.origin,
                r.root,
                r.checkpoints,
                r.cosignatures,
                r.tiles
            );
            return print_report(&format, &r, &r.failures, r.ok, &summary);
        }
        Command::Ledger { command: LedgerCommand::Witness { server, log_key, witness_key, state, name } } => {
            match (server, log_key, state) {
                (Some(server), Some(log_key), Some(state)) => {
                    let line = super::witness::run(super::witness::Options {
                        server: &server,
                        log_key: &log_key,
                        key: &witness_key,
                        state: &state,
                        name: name.as_deref(),
                    })
                    .await?;
                    println!("{line}");
                }
                _ => println!("{}", super::witness::load_or_create_key(&witness_key, name.as_deref())?.verifier_key()),
            }
        }
        Command::Ledger { command: LedgerCommand::Redact { unit, voucher, staff } } => {
            let store = open_for_write(g).await?;
            match (voucher, staff) {
                (Some(voucher), _) => {
                    let idx = bw_app::personal::redact(&store, &ctx(g)?, &unit, &voucher).await?;
                    println!("erased the personal data of payment {voucher} of unit {unit} (journal entry {idx})");
                }
                (None, Some(id)) => {
                    let idx = bw_app::personal::redact_staff(&store, &ctx(g)?, &unit, &id).await?;
                    println!("erased the personal data of staff member {id} of unit {unit} (journal entry {idx})");
                }
                (None, None) => bail!("--voucher or --staff is required"),
            }
        }
        Command::Ledger { command: LedgerCommand::RotateKey } => {
            let path = key_path(g)?;
            let store = open_for_write_with(g, false, None, true).await?;
            let ctx = ctx(g)?;
            let old = store.signer().ok_or_else(|| anyhow::anyhow!("no signing key"))?;
            let new = bw_ledger::note::Signer::new(old.suite(), old.name(), crate::clock::random_seed()?)?;
            // The new key is on disk before the database names it, and replaces the old
            // file only after the commit: a crash in between leaves both keys at hand.
            let mut staged = path.as_os_str().to_owned();
            staged.push(".new");
            let staged = PathBuf::from(staged);
            if staged.exists() {
                bail!(
                    "{} exists: an earlier rotation did not finish; check which key the log names (budgetwatch verify --key …)",
                    staged.display()
                );
            }
            write_private(&staged, &new.private_key_string())?;
            let vkey = new.verifier_key();
            if let Err(e) = bw_app::ledger::rotate_key(&store, &ctx, new).await {
                let _ = std::fs::remove_file(&staged);
                return Err(e.into());
            }
            let mut retired = path.as_os_str().to_owned();
            retired.push(format!(".retired-{}", ctx.at.0));
            let retired = PathBuf::from(retired);
            std::fs::rename(&path, &retired)
                .with_context(|| format!("keeping the old key as {}", retired.display()))?;
            std::fs::rename(&staged, &path).with_context(|| format!("installing the new key {}", path.display()))?;
            println!("rotated the signing key; the log's verifier key is now {vkey}");
            println!("the old key is kept as {} (destroy it once verifiers hold the new key)", retired.display());
        }
        Command::Ledger { command: LedgerCommand::AddWitness { key } } => {
            let store = open_for_write(g).await?;
            let name = bw_app::witness::add(&store, &ctx(g)?, &key).await?;
            println!("registered witness {name}");
        }
        Command::Ledger { command } => {
            let store = open(g).await?;
            match command {
                LedgerCommand::VerifyExport { .. }
                | LedgerCommand::RotateKey
                | LedgerCommand::Witness { .. }
                | LedgerCommand::AddWitness { .. }
                | LedgerCommand::Redact { .. } => {
                    unreachable!("handled above")
                }
                LedgerCommand::CheckConsistency { since, key } => {
                    let note = std::fs::read_to_string(&since)
                        .with_context(|| format!("reading the saved checkpoint {}", since.display()))?;
                    let key = trusted_key(g, key)?;
                    let out = bw_app::ledger::check_consistency(&store, &key, &note).await?;
                    println!("{out}");
                    if out["consistent"] != true {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                LedgerCommand::Export { dir } => {
                    let e = bw_app::export::export(&store, &dir).await?;
                    println!(
                        "exported {} entries (root {}), {} checkpoints, {} tiles, {} entry bundles to {}",
                        e.size,
                        e.root,
                        e.checkpoints,
                        e.tiles,
                        e.bundles,
                        dir.display()
                    );
                }
                LedgerCommand::Publish => {
                    match bw_app::witness::publish(&open_for_write(g).await?, crate::clock::now(), true).await? {
                        Some(size) => println!("published the checkpoint of {size} entries"),
                        None => bail!("no checkpoint yet: the journal is empty"),
                    }
                }
                LedgerCommand::Witnesses => {
                    for (name, key) in bw_app::witness::list(&store).await? {
                        println!("{name}\t{key}");
                    }
                }
                LedgerCommand::Dump { from, to } => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let mut failed = None;
                    bw_app::ledger::dump(&store, from, to, |line| {
                        if failed.is_none()
                            && let Err(e) = writeln!(out, "{line}")
                        {
                            failed = Some(e);
                        }
                    })
                    .await?;
                    if let Some(e) = failed {
                        return Err(e.into());
                    }
                    out.flush()?;
                }
                LedgerCommand::Checkpoint => match store.latest_checkpoint().await? {
                    Some(note) => print!("{note}"),
                    None => bail!("no checkpoint yet: the journal is empty"),
                },
                LedgerCommand::Key { path: true } => println!("{}", key_path(g)?.display()),
                LedgerCommand::Key { path: false } => {
                    // The installation's key, from its key file; the database only echoes it.
                    let key = trusted_key(g, None)?;
                    match store.meta("verifier_key").await? {
                        Some(k) if k != key => bail!(
                            "the database records the verifier key {k}, not the installation's {key}: run budgetwatch verify"
                        ),
                        _ => println!("{key}"),
                    }
                }
                LedgerCommand::ProveInclusion { index, size } => {
                    println!("{}", bw_app::ledger::prove_inclusion(&store, index, size).await?);
                }
                LedgerCommand::ProveConsistency { old, new } => {
                    println!("{}", bw_app::ledger::prove_consistency(&store, old, new).await?);
                }
            }
        }
        _ => bail!("internal: a command dispatched to the wrong group"),
    }
    Ok(ExitCode::SUCCESS)
}
