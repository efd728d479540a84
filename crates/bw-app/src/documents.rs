//! Files kept with the records: images (or PDFs) of a payment voucher's documents — the
//! invoice, the contract, the receipt — and the region boundaries (GeoJSON) the cockpit
//! draws its map from. Each is journaled as `document.attach` with its name, media type,
//! size and SHA-256; the bytes are stored beside it and `verify` checks them against the
//! hash. Documents are added, never replaced: the latest boundaries file is the map.

use bw_store::Store;
use bw_store::sqlx::{self, Row};
use sha2::{Digest, Sha256};

use crate::Ctx;
use crate::journal::{ActionError, act};
use bw_core::projection::Cell;
use bw_core::registers;

/// The largest voucher image.
pub const IMAGE_MAX: usize = 10 * 1024 * 1024;
/// The largest boundaries file.
pub const BOUNDARIES_MAX: usize = 32 * 1024 * 1024;

/// What a document belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// An image of a payment voucher's documents; the subject is `UNIT/VOUCHER`.
    VoucherImage,
    /// Region boundaries as a GeoJSON FeatureCollection; the subject is `regions`.
    Boundaries,
    /// A project's document in the library (feasibility study, plan, estimate basis); the
    /// subject is the project's code.
    ProjectDocument,
    /// A supporting document of a step of a warning's loop (an explanation's evidence, a
    /// plan, a rectification report, a refund's receipt); the subject is `warning/ID`.
    WarningAttachment,
    /// The evidence of a contract milestone's claim (an acceptance report, a supervisor's
    /// certificate); the subject is `contract/NO/SEQ`.
    MilestoneEvidence,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::VoucherImage => "voucher_image",
            DocKind::Boundaries => "boundaries",
            DocKind::ProjectDocument => "project_document",
            DocKind::WarningAttachment => "warning_attachment",
            DocKind::MilestoneEvidence => "milestone_evidence",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        match s {
            "voucher_image" => Some(DocKind::VoucherImage),
            "boundaries" => Some(DocKind::Boundaries),
            "project_document" => Some(DocKind::ProjectDocument),
            "warning_attachment" => Some(DocKind::WarningAttachment),
            "milestone_evidence" => Some(DocKind::MilestoneEvidence),
            _ => None,
        }
    }
}

/// A document without its bytes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Document {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

/// The media type of an image or PDF, told by its first bytes (what a client claims is not
/// trusted: the file is served back with this type).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// The subject of a voucher's images.
pub fn voucher_subject(unit: &str, voucher: &str) -> String {
    format!("{unit}/{voucher}")
}

fn file_name(name: &str) -> Result<String, ActionError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().count() > 200 || base.chars().any(char::is_control) {
        return Err(ActionError::Invalid(format!("{name:?}: a file name of 1 to 200 characters is needed")));
    }
    Ok(base.to_string())
}

/// A scan's name and media type: a PDF or an image (PNG, JPEG, GIF, WebP) of at most
/// `IMAGE_MAX` bytes, told by its bytes.
fn scanned(name: &str, bytes: &[u8]) -> Result<(String, &'static str), ActionError> {
    let name = file_name(name)?;
    if bytes.len() > IMAGE_MAX {
        return Err(ActionError::Invalid(format!("{name}: larger than {} MiB", IMAGE_MAX / (1024 * 1024))));
    }
    let media = sniff(bytes)
        .ok_or_else(|| ActionError::Invalid(format!("{name}: not a PNG, JPEG, GIF, WebP image or a PDF")))?;
    Ok((name, media))
}

/// Attaches an image (PNG, JPEG, GIF, WebP) or PDF to payment `voucher` of `unit`. The id.
pub async fn attach_voucher_image(
    store: &Store,
    ctx: &Ctx,
    unit: &str,
    voucher: &str,
    name: &str,
    bytes: &[u8],
) -> Result<i64, ActionError> {
    let (name, media) = scanned(name, bytes)?;
    let found = sqlx::query("SELECT 1 FROM payments WHERE unit_code = $1 AND voucher_no = $2")
        .bind(unit.to_string())
        .bind(voucher.to_string())
        .fetch_optional(store.pool())
        .await?;
    if found.is_none() {
        return Err(ActionError::Invalid(format!("no payment {voucher} of unit {unit}")));
    }
    attach(store, ctx, DocKind::VoucherImage, &voucher_subject(unit, voucher), &name, media, bytes).await
}

/// Attaches a document (PDF or image, up to 10 MiB) to project `code` of the library. The id.
pub async fn attach_project_document(
    store: &Store,
    ctx: &Ctx,
    code: &str,
    name: &str,
    bytes: &[u8],
) -> Result<i64, ActionError> {
    let (name, media) = scanned(name, bytes)?;
    let found = sqlx::query("SELECT 1 FROM projects WHERE project_code = $1")
        .bind(code.to_string())
        .fetch_optional(store.pool())
        .await?;
    if found.is_none() {
        return Err(ActionError::Invalid(format!("no project {code} in the project library")));
    }
    attach(store, ctx, DocKind::ProjectDocument, code, &name, media, bytes).await
}

/// The subject of a warning's attachments.
pub fn warning_subject(id: i64) -> String {
    format!("warning/{id}")
}

/// Attaches a supporting document (PDF or image, up to 10 MiB) to warning `id`, for a step
/// of its loop to name. The id.
pub async fn attach_to_warning(
    store: &Store,
    ctx: &Ctx,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> Result<i64, ActionError> {
    let (name, media) = scanned(name, bytes)?;
    let found = sqlx::query("SELECT 1 FROM warnings WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    if found.is_none() {
        return Err(ActionError::Invalid(format!("no warning {id}")));
    }
    attach(store, ctx, DocKind::WarningAttachment, &warning_subject(id), &name, media, bytes).await
}

/// The subject of a milestone's evidence.
pub fn milestone_subject(contract: &str, seq: u32) -> String {
    format!("contract/{contract}/{seq}")
}

/// Keeps a milestone claim's evidence (PDF or image, up to 10 MiB) with the milestone: (id,
/// SHA-256), the digest the claim names.
pub async fn attach_milestone_evidence(
    store: &Store,
    ctx: &Ctx,
    contract: &str,
    seq: u32,
    name: &str,
    bytes: &[u8],
) -> Result<(i64, String), ActionError> {
    let (name, media) = scanned(name, bytes)?;
    let found = sqlx::query("SELECT 1 FROM contract_milestones WHERE contract_no = $1 AND seq = $2")
        .bind(contract.to_string())
        .bind(i64::from(seq))
        .fetch_optional(store.pool())
        .await?;
    if found.is_none() {
        return Err(ActionError::Invalid(format!("contract {contract} has no milestone {seq}")));
    }
    let id =
        attach(store, ctx, DocKind::MilestoneEvidence, &milestone_subject(contract, seq), &name, media, bytes).await?;
    Ok((id, hex(&Sha256::digest(bytes))))
}

/// Loads region boundaries: a GeoJSON FeatureCollection whose features carry the region's
/// code in `properties.code` and a Polygon or MultiPolygon geometry. Every feature must name
/// a region of the organisation. The id.
pub async fn load_boundaries(store: &Store, ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<i64, ActionError> {
    let name = file_name(name)?;
    if bytes.len() > BOUNDARIES_MAX {
        return Err(ActionError::Invalid(format!("{name}: larger than {} MiB", BOUNDARIES_MAX / (1024 * 1024))));
    }
    let shapes = parse_boundaries(bytes).map_err(|e| ActionError::Invalid(format!("{name}: {e}")))?;
    let tree = crate::users::org_tree(store).await?;
    for s in &shapes {
        match tree.get(&s.code) {
            Some(n) if n.kind == bw_core::org::OrgKind::Region => {}
            _ => {
                return Err(ActionError::Invalid(format!("{name}: feature {}: {} is not a region", s.feature, s.code)));
            }
        }
    }
    attach(store, ctx, DocKind::Boundaries, "regions", &name, "application/geo+json", bytes).await
}

async fn attach(
    store: &Store,
    ctx: &Ctx,
    kind: DocKind,
    subject: &str,
    name: &str,
    media: &str,
    bytes: &[u8],
) -> Result<i64, ActionError> {
    let sha = hex(&Sha256::digest(bytes));
    let data = registers::Entry::DocumentAttach(registers::DocumentAttach {
        kind: kind.as_str().into(),
        subject: subject.into(),
        name: name.into(),
        media_type: media.into(),
        size: bytes.len() as u64,
        sha256: sha,
    });
    let reason = ctx.reason.clone().unwrap_or_else(|| format!("{} {name} for {subject}", kind.as_str()));
    let content = [("content", Cell::Blob(bytes.to_vec()))];
    act(store, ctx, data.action(), &reason, &data, async |tx, idx| {
        Ok(bw_store::changes::apply_with(tx, &registers::project(&data, idx, &ctx.actor), &content).await?)
    })
    .await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn document(r: &bw_store::sqlx::any::AnyRow) -> Result<Document, ActionError> {
    Ok(Document {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        subject: r.try_get(2)?,
        name: r.try_get(3)?,
        media_type: r.try_get(4)?,
        size: r.try_get(5)?,
        sha256: r.try_get(6)?,
    })
}

/// The documents of `kind` about `subject`, oldest first.
pub async fn list(store: &Store, kind: DocKind, subject: &str) -> Result<Vec<Document>, ActionError> {
    let rows = sqlx::query(
        "SELECT id, kind, subject, name, media_type, size, sha256 FROM documents WHERE kind = $1 AND subject = $2 ORDER BY id",
    )
    .bind(kind.as_str())
    .bind(subject.to_string())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(document).collect()
}

/// Document `id` with its bytes.
pub async fn get(store: &Store, id: i64) -> Result<Option<(Document, Vec<u8>)>, ActionError> {
    let row =
        sqlx::query("SELECT id, kind, subject, name, media_type, size, sha256, content FROM documents WHERE id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await?;
    match row {
        Some(r) => Ok(Some((document(&r)?, r.try_get(7)?))),
        None => Ok(None),
    }
}

/// The documents whose bytes no longer match their recorded SHA-256: `(id, detail)`.
pub async fn damaged(store: &Store) -> Result<Vec<(i64, String)>, ActionError> {
    let ids: Vec<i64> = sqlx::query("SELECT id FROM documents ORDER BY id")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    // One at a time: the files may be large.
    for id in ids {
        if let Some((d, bytes)) = get(store, id).await? {
            let actual = hex(&Sha256::digest(&bytes));
            if actual != d.sha256 || i64::try_from(bytes.len()).ok() != Some(d.size) {
                out.push((
                    id,
                    format!("{} bytes with SHA-256 {actual}, recorded {} bytes {}", bytes.len(), d.size, d.sha256),
                ));
            }
        }
    }
    Ok(out)
}

/// One region's outline: its code and rings of (longitude, latitude).
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// The feature's position in the file (from 1), for messages.
    pub feature: usize,
    pub code: String,
    pub rings: Vec<Vec<(f64, f64)>>,
}

fn ring(v: &serde_json::Value) -> Result<Vec<(f64, f64)>, String> {
    let points = v.as_array().ok_or("a ring is not an array of positions")?;
    let mut out = Vec::with_capacity(points.len());
    for p in points {
        let xy = p.as_array().filter(|a| a.len() >= 2).ok_or("a position is not [longitude, latitude]")?;
        let (x, y) = (xy[0].as_f64(), xy[1].as_f64());
        match (x, y) {
            (Some(x), Some(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => out.push((x, y)),
            _ => return Err("a position is outside longitude −180…180, latitude −90…90".into()),
        }
    }
    if out.len() < 4 {
        return Err("a ring has fewer than 4 positions".into());
    }
    Ok(out)
}

/// The shapes of a boundaries file: a FeatureCollection of Polygon or MultiPolygon features,
/// each with `properties.code`.
pub fn parse_boundaries(bytes: &[u8]) -> Result<Vec<Shape>, String> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if doc["type"] != "FeatureCollection" {
        return Err("not a GeoJSON FeatureCollection".into());
    }
    let features = doc["features"].as_array().ok_or("no features")?;
    if features.is_empty() {
        return Err("no features".into());
    }
    let mut out = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let n = i + 1;
        let code = f["properties"]["code"]
            .as_str()
            .map(str::to_string)
            .or_else(|| f["properties"]["code"].as_i64().map(|c| c.to_string()))
            .ok_or_else(|| format!("feature {n}: no properties.code"))?;
        let g = &f["geometry"];
        let polygons: Vec<&serde_json::Value> = match g["type"].as_str() {
            Some("Polygon") => vec![&g["coordinates"]],
            Some("MultiPolygon") => {
                g["coordinates"].as_array().ok_or_else(|| format!("feature {n}: no coordinates"))?.iter().collect()
            }
            _ => return Err(format!("feature {n}: the geometry is not a Polygon or MultiPolygon")),
        };
        let mut rings = Vec::new();
        for p in polygons {
            for r in p.as_array().ok_or_else(|| format!("feature {n}: no coordinates"))? {
                rings.push(ring(r).map_err(|e| format!("feature {n}: {e}"))?);
            }
        }
        if rings.is_empty() {
            return Err(format!("feature {n}: no rings"));
        }
        out.push(Shape { feature: n, code, rings });
    }
    Ok(out)
}

/// The latest boundaries loaded, parsed.
pub async fn boundaries(store: &Store) -> Result<Option<Vec<Shape>>, ActionError> {
    let row = sqlx::query("SELECT content FROM documents WHERE kind = $1 ORDER BY id DESC LIMIT 1")
        .bind(DocKind::Boundaries.as_str())
        .fetch_optional(store.pool())
        .await?;
    match row {
        Some(r) => {
            let bytes: Vec<u8> = r.try_get(0)?;
            Ok(Some(parse_boundaries(&bytes).map_err(ActionError::Invalid)?))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_told_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
    }

    #[test]
    fn boundaries_need_codes_and_polygons() {
        let square = |code: &str| {
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[110,30],[111,30],[111,31],[110,31],[110,30]]]}}}}"#
            )
        };
        let fc = format!(r#"{{"type":"FeatureCollection","features":[{},{}]}}"#, square("A"), square("B"));
        let shapes = parse_boundaries(fc.as_bytes()).unwrap();
        assert_eq!(shapes.len(), 2);
        assert_eq!(shapes[1].code, "B");
        assert_eq!(shapes[0].rings[0].len(), 5);
        let no_code = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#;
        assert_eq!(parse_boundaries(no_code.as_bytes()).unwrap_err(), "feature 1: no properties.code");
        let point = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Point","coordinates":[0,0]}}]}"#;
        assert!(parse_boundaries(point.as_bytes()).unwrap_err().contains("not a Polygon"));
        assert!(parse_boundaries(b"[]").unwrap_err().contains("FeatureCollection"));
    }
}
