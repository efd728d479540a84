//! Responses compressed with gzip for clients that accept it: pages, JSON, CSV, SVG and
//! scripts of a known size over 1 KiB (a portal page of 300 KB goes as about 30 KB).
//! Streams (server-sent events, exports written as they are read) and files already
//! compressed (XLSX, PDF, images) go as they are.

use std::io::Write as _;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;

/// Bodies smaller than this gain less than the header costs.
const MIN_BYTES: u64 = 1024;
/// Bodies larger than this are not held in memory to be compressed.
const MAX_BYTES: u64 = 64 << 20;

pub async fn gzip(req: Request, next: Next) -> Response {
    let accepts = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(accepts_gzip);
    let res = next.run(req).await;
    if !compressible(res.headers()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    parts.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let size = axum::body::HttpBody::size_hint(&body).exact();
    if !accepts || !size.is_some_and(|n| (MIN_BYTES..=MAX_BYTES).contains(&n)) {
        return Response::from_parts(parts, body);
    }
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::new(6));
    // Writing into a Vec cannot fail.
    let packed = enc.write_all(&bytes).and_then(|_| enc.finish());
    match packed {
        Ok(z) => {
            parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(z))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// Whether an `Accept-Encoding` value accepts gzip (`gzip` or `*`, with a quality above 0).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("");
        let zero = parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !zero
    })
}

/// Text the server wrote and nothing has encoded yet.
fn compressible(h: &HeaderMap) -> bool {
    if h.contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let kind = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let kind = kind.split(';').next().unwrap_or("").trim();
    kind.starts_with("text/") && kind != "text/event-stream"
        || matches!(
            kind,
            "application/json"
                | "application/problem+json"
                | "application/javascript"
                | "image/svg+xml"
                | "application/x-ndjson"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_as_rfc_9110_writes_it() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip("identity"));
    }

    #[test]
    fn only_text_not_yet_encoded_is_compressed() {
        let with = |kind: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(kind).expect("value"));
            h
        };
        assert!(compressible(&with("text/html; charset=utf-8")));
        assert!(compressible(&with("application/json")));
        assert!(!compressible(&with("text/event-stream")));
        assert!(!compressible(&with("application/pdf")));
        let mut done = with("text/csv");
        done.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(!compressible(&done));
    }
}
