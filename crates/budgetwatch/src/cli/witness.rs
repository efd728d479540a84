//! `budgetwatch ledger witness`: the program a witness (the audit office, the people's
//! congress) runs on its own machine. One round: fetch the log's published checkpoint,
//! check it against the one this witness cosigned last (kept in its state file) with the
//! log's consistency proof, cosign, save the new state, post the cosignature back.

use anyhow::{Context as _, Result, anyhow, bail};
use bw_app::witness::{Step, check_step};
use bw_ledger::Hash;
use bw_ledger::note::{Checkpoint, Cosigner, Verifier, split_note};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use std::path::Path;

/// A plain HTTP/1.1 exchange (the witness talks to one server; TLS, where needed, is a
/// reverse proxy's job in front of budgetwatch and a tunnel on the witness's side).
async fn http(method: hyper::Method, url: &str, body: Option<String>) -> Result<(u16, String)> {
    let headers = [(hyper::header::CONTENT_TYPE.as_str(), "text/plain; charset=utf-8")];
    let (status, _, bytes) = request(method, url, &headers, Bytes::from(body.unwrap_or_default())).await?;
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// One HTTP/1.1 request on its own connection: the status, the answer's headers and body.
pub(crate) async fn request(
    method: hyper::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Result<(u16, hyper::HeaderMap, Bytes)> {
    let rest = url.strip_prefix("http://").ok_or_else(|| anyhow!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let stream =
        tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connecting to {authority}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path).header(hyper::header::HOST, authority);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = sender.send_request(req.body(Full::new(body))?).await.with_context(|| format!("requesting {url}"))?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await?.to_bytes();
    Ok((status, headers, bytes))
}

async fn get_ok(url: &str) -> Result<String> {
    let (status, body) = http(hyper::Method::GET, url, None).await?;
    if status != 200 {
        bail!("{url}: HTTP {status}: {body}");
    }
    Ok(body)
}

fn parse_proof(json: &str) -> Option<Vec<Hash>> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["proof"]
        .as_array()?
        .iter()
        .map(|h| {
            let s = h.as_str()?;
            let mut out = [0u8; 32];
            if s.len() != 64 {
                return None;
            }
            for (i, b) in out.iter_mut().enumerate() {
                *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some(out)
        })
        .collect()
}

pub struct Options<'a> {
    pub server: &'a str,
    pub log_key: &'a str,
    pub key: &'a Path,
    pub state: &'a Path,
    pub name: Option<&'a str>,
}

/// Reads the witness key, or creates it (mode 0600) when absent and a name is given.
pub fn load_or_create_key(path: &Path, name: Option<&str>) -> Result<Cosigner> {
    if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Cosigner::parse_private_key(&text).with_context(|| format!("the witness key {}", path.display()));
    }
    let name = name.ok_or_else(|| anyhow!("{} does not exist: give --name to create a witness key", path.display()))?;
    let cosigner = Cosigner::from_seed(name, crate::clock::random_seed()?)?;
    super::write_private(path, &cosigner.private_key_string())?;
    eprintln!(
        "created the witness key {}; register its public key with the log: budgetwatch ledger add-witness {}",
        path.display(),
        cosigner.verifier_key()
    );
    Ok(cosigner)
}

/// One witnessing round; returns the line printed for the operator.
pub async fn run(o: Options<'_>) -> Result<String> {
    let cosigner = load_or_create_key(o.key, o.name)?;
    let log = Verifier::parse(o.log_key).context("--log-key")?;
    let base = o.server.trim_end_matches('/');
    let last = match std::fs::read_to_string(o.state) {
        Ok(text) => Some(Checkpoint::parse(&text).with_context(|| format!("the state file {}", o.state.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", o.state.display())),
    };
    let note = get_ok(&format!("{base}/api/v1/ledger/checkpoint")).await?;
    let need = last.as_ref().map(|l| l.size);
    let proof_text = match (need, Checkpoint::parse(split_note(&note)?.0)) {
        (Some(old), Ok(cp)) if cp.size > old => {
            Some(get_ok(&format!("{base}/api/v1/ledger/consistency?old={old}&new={}", cp.size)).await?)
        }
        _ => None,
    };
    let step = check_step(&log, last.as_ref(), &note, |_, _| proof_text.as_deref().and_then(parse_proof))
        .map_err(|e| anyhow!("refusing to cosign: {e}"))?;
    let cp = match step {
        Step::Unchanged => {
            return Ok(format!("unchanged: {} entries, already cosigned", last.map(|l| l.size).unwrap_or(0)));
        }
        Step::Cosign(cp) => cp,
    };
    let body = cp.text();
    let line = cosigner.cosign(&body, crate::clock::now().0.max(0) as u64);
    // The state moves before the post: this witness never signs a tree inconsistent with
    // one it has signed, even if the post fails.
    let tmp = o.state.with_extension("tmp");
    std::fs::write(&tmp, &body).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, o.state).with_context(|| format!("writing {}", o.state.display()))?;
    let cosigned = format!("{}\n{line}\n", note.trim_end_matches('\n'));
    let (status, answer) =
        http(hyper::Method::POST, &format!("{base}/api/v1/ledger/cosignatures"), Some(cosigned)).await?;
    if status != 200 {
        bail!("the log refused the cosignature of {} entries: HTTP {status}: {answer}", cp.size);
    }
    Ok(format!("cosigned {} entries: {line}", cp.size))
}
