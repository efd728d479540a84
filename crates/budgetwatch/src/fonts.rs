//! Finding a font with Chinese glyphs for PDF reports: `BUDGETWATCH_FONT` (a path, with
//! `#N` for face N of a collection), else the CJK fonts Debian installs.

use anyhow::{Context, Result, bail};

/// Known places of CJK fonts, with the face of a collection that is Simplified Chinese.
const CANDIDATES: [(&str, u32); 4] = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
];

/// The font's bytes and the face to use.
pub fn cjk() -> Result<(Vec<u8>, u32)> {
    if let Ok(spec) = std::env::var("BUDGETWATCH_FONT") {
        let (path, index) = match spec.rsplit_once('#') {
            Some((p, i)) => (p.to_string(), i.parse().with_context(|| format!("BUDGETWATCH_FONT: face {i:?}"))?),
            None => (spec.clone(), 0),
        };
        let bytes = std::fs::read(&path).with_context(|| format!("BUDGETWATCH_FONT: reading {path}"))?;
        return Ok((bytes, index));
    }
    for (path, index) in CANDIDATES {
        if let Ok(bytes) = std::fs::read(path) {
            return Ok((bytes, index));
        }
    }
    bail!(
        "no font with Chinese glyphs: install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set BUDGETWATCH_FONT=/path/to/font.ttf"
    )
}
