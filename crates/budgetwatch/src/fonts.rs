//! The font PDF reports are set in: `BUDGETWATCH_FONT` (a path, with `#N` for face N of a
//! collection) when set, else the font the binary carries — a subset of Noto Sans SC
//! (SIL Open Font License 1.1; `fonts/README.md` says where it comes from and how it was
//! cut), so that reports come out the same on every machine, one with no fonts installed too.

use anyhow::{Context, Result};
use std::borrow::Cow;

/// Noto Sans SC Regular, TrueType outlines, GB 2312 and the 通用规范汉字表 (8,230 hanzi).
pub const EMBEDDED: &[u8] = include_bytes!("../fonts/NotoSansSC-Regular.ttf");

/// The font's bytes and the face to use.
pub fn cjk() -> Result<(Cow<'static, [u8]>, u32)> {
    match std::env::var("BUDGETWATCH_FONT") {
        Ok(spec) if !spec.is_empty() => {
            let (path, index) = match spec.rsplit_once('#') {
                Some((p, i)) => (p.to_string(), i.parse().with_context(|| format!("BUDGETWATCH_FONT: face {i:?}"))?),
                None => (spec.clone(), 0),
            };
            let bytes = std::fs::read(&path).with_context(|| format!("BUDGETWATCH_FONT: reading {path}"))?;
            Ok((Cow::Owned(bytes), index))
        }
        _ => Ok((Cow::Borrowed(EMBEDDED), 0)),
    }
}
