//! Tables as PDF: a title, a line under it, and a table paged over A4 landscape sheets with
//! its header repeated on every page, subtotal rows shaded and set in heavier type, and "第 n
//! 页 / 共 m 页" at the foot. The text is set in a TrueType/OpenType font the caller supplies
//! (a CJK font for Chinese), embedded as a subset of the glyphs used, as a CID font with a
//! ToUnicode map so the text can be searched and copied.
//!
//! Pure: the font's bytes in, the PDF's bytes out; no I/O, no clock (the document carries no
//! creation date, so the same table gives the same bytes).

use std::collections::HashMap;
use std::io::Write as _;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the font cannot be read: {0}")]
    Font(String),
    #[error("the font cannot be subset: {0}")]
    Subset(String),
    #[error("compressing a stream: {0}")]
    Compress(#[from] std::io::Error),
}

/// How a column's text sits in its cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A column: its header, its share of the table's width (relative to the others'), and
/// alignment.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub weight: f32,
    pub align: Align,
}

/// A row of cells; a strong row (a subtotal) is shaded and set heavier.
#[derive(Clone, Debug)]
pub struct Row {
    pub cells: Vec<String>,
    pub strong: bool,
}

/// A titled table.
#[derive(Clone, Debug)]
pub struct Table {
    pub title: String,
    /// Under the title: period, scope, units.
    pub subtitle: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// At the foot of every page, on the left.
    pub footer: String,
}

/// A4 landscape, in points.
pub const PAGE: (f32, f32) = (841.89, 595.28);
const MARGIN: f32 = 28.0;
const TITLE_SIZE: f32 = 14.0;
const SUBTITLE_SIZE: f32 = 8.5;
const CELL_SIZE: f32 = 7.0;
const HEADER_HEIGHT: f32 = 16.0;
const ROW_HEIGHT: f32 = 12.0;
const PAD: f32 = 2.0;
const FOOT_SIZE: f32 = 7.5;

/// The font's metrics the layout needs.
struct Metrics<'a> {
    face: ttf_parser::Face<'a>,
    upem: f32,
}

impl Metrics<'_> {
    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map(|g| g.0).unwrap_or(0)
    }

    fn advance(&self, gid: u16) -> f32 {
        f32::from(self.face.glyph_hor_advance(ttf_parser::GlyphId(gid)).unwrap_or(0)) / self.upem
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size
    }

    /// `text` cut to fit `room` points at `size`, ending in "…" when cut.
    fn fit(&self, text: &str, size: f32, room: f32) -> String {
        let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        if self.width(&clean, size) <= room {
            return clean;
        }
        let ellipsis = self.width("…", size);
        let mut out = String::new();
        let mut used = 0.0;
        for c in clean.chars() {
            let w = self.advance(self.glyph(c)) * size;
            if used + w + ellipsis > room {
                break;
            }
            used += w;
            out.push(c);
        }
        out.push('…');
        out
    }
}

/// A piece of text placed on a page.
struct Text {
    x: f32,
    y: f32,
    size: f32,
    text: String,
    strong: bool,
}

/// What one page draws.
#[derive(Default)]
struct PageDraw {
    texts: Vec<Text>,
    /// Shaded rectangles (x, y, w, h) with their grey level.
    fills: Vec<(f32, f32, f32, f32, f32)>,
    /// Lines (x1, y1, x2, y2).
    lines: Vec<(f32, f32, f32, f32)>,
}

/// The rows that fit on one page below the header.
pub fn rows_per_page() -> usize {
    let top = PAGE.1 - MARGIN - 40.0;
    let room = top - HEADER_HEIGHT - (MARGIN + 8.0);
    (room / ROW_HEIGHT).floor().max(1.0) as usize
}

fn layout(m: &Metrics, t: &Table) -> Vec<PageDraw> {
    let (w, h) = PAGE;
    let inner = w - 2.0 * MARGIN;
    let total_weight: f32 = t.columns.iter().map(|c| c.weight.max(0.0)).sum::<f32>().max(f32::EPSILON);
    let mut edges = vec![MARGIN];
    for c in &t.columns {
        let last = edges.last().copied().unwrap_or(MARGIN);
        edges.push(last + inner * c.weight.max(0.0) / total_weight);
    }
    let per_page = rows_per_page();
    let chunks: Vec<&[Row]> = if t.rows.is_empty() { vec![&[][..]] } else { t.rows.chunks(per_page).collect() };
    let pages = chunks.len();
    let cell = |d: &mut PageDraw, col: usize, y: f32, text: &str, size: f32, strong: bool, align: Align| {
        let (x0, x1) = (edges[col], edges[col + 1]);
        let fitted = m.fit(text, size, (x1 - x0) - 2.0 * PAD);
        let x = match align {
            Align::Left => x0 + PAD,
            Align::Right => x1 - PAD - m.width(&fitted, size),
        };
        d.texts.push(Text { x, y, size, text: fitted, strong });
    };
    let mut out = Vec::new();
    for (n, rows) in chunks.into_iter().enumerate() {
        let mut d = PageDraw::default();
        let title_y = h - MARGIN - TITLE_SIZE;
        let tw = m.width(&t.title, TITLE_SIZE);
        d.texts.push(Text { x: (w - tw) / 2.0, y: title_y, size: TITLE_SIZE, text: t.title.clone(), strong: true });
        let sub = m.fit(&t.subtitle, SUBTITLE_SIZE, inner);
        d.texts.push(Text { x: MARGIN, y: title_y - 18.0, size: SUBTITLE_SIZE, text: sub, strong: false });
        // The header row.
        let top = h - MARGIN - 40.0;
        d.fills.push((MARGIN, top - HEADER_HEIGHT, inner, HEADER_HEIGHT, 0.85));
        for (i, c) in t.columns.iter().enumerate() {
            let align = if c.align == Align::Right { Align::Right } else { Align::Left };
            cell(&mut d, i, top - HEADER_HEIGHT + 5.0, &c.header, CELL_SIZE, true, align);
        }
        let mut y = top - HEADER_HEIGHT;
        for r in rows {
            if r.strong {
                d.fills.push((MARGIN, y - ROW_HEIGHT, inner, ROW_HEIGHT, 0.93));
            }
            for (i, c) in t.columns.iter().enumerate() {
                let text = r.cells.get(i).map(String::as_str).unwrap_or("");
                if !text.is_empty() {
                    cell(&mut d, i, y - ROW_HEIGHT + 3.5, text, CELL_SIZE, r.strong, c.align);
                }
            }
            y -= ROW_HEIGHT;
            d.lines.push((MARGIN, y, MARGIN + inner, y));
        }
        // The grid: the outer box, the header's bottom, the columns.
        d.lines.push((MARGIN, top, MARGIN + inner, top));
        d.lines.push((MARGIN, top - HEADER_HEIGHT, MARGIN + inner, top - HEADER_HEIGHT));
        for &x in &edges {
            d.lines.push((x, top, x, y));
        }
        // The foot.
        let foot_y = MARGIN - 12.0;
        let label = format!("第 {} 页 / 共 {pages} 页", n + 1);
        let lw = m.width(&label, FOOT_SIZE);
        d.texts.push(Text { x: MARGIN + inner - lw, y: foot_y, size: FOOT_SIZE, text: label, strong: false });
        let foot = m.fit(&t.footer, FOOT_SIZE, inner - lw - 20.0);
        d.texts.push(Text { x: MARGIN, y: foot_y, size: FOOT_SIZE, text: foot, strong: false });
        out.push(d);
    }
    out
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

/// The table as a PDF in the font `font` (face `index` of a collection, else 0).
pub fn table_pdf(font: &[u8], index: u32, t: &Table) -> Result<Vec<u8>, PdfError> {
    let face = ttf_parser::Face::parse(font, index).map_err(|e| PdfError::Font(e.to_string()))?;
    let upem = f32::from(face.units_per_em().max(1));
    let m = Metrics { face, upem };
    let pages = layout(&m, t);

    // The glyphs used, numbered afresh from 1 (0 stays the missing glyph).
    let mut remapper = subsetter::GlyphRemapper::new();
    remapper.remap(0);
    let mut old_of_new: Vec<u16> = vec![0];
    let mut char_of_new: HashMap<u16, char> = HashMap::new();
    for d in &pages {
        for piece in &d.texts {
            for c in piece.text.chars() {
                let old = m.glyph(c);
                if remapper.get(old).is_none() {
                    old_of_new.push(old);
                }
                let new = remapper.remap(old);
                if old != 0 {
                    char_of_new.entry(new).or_insert(c);
                }
            }
        }
    }
    let subset = subsetter::subset(font, index, &remapper).map_err(|e| PdfError::Subset(e.to_string()))?;
    let encode = |text: &str| -> Vec<u8> {
        text.chars().flat_map(|c| remapper.get(m.glyph(c)).unwrap_or(0).to_be_bytes()).collect()
    };

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let type0 = Ref::new(3);
    let cid = Ref::new(4);
    let descriptor = Ref::new(5);
    let file = Ref::new(6);
    let cmap = Ref::new(7);
    let info = Ref::new(8);
    let page_ids: Vec<(Ref, Ref)> =
        (0..pages.len()).map(|i| (Ref::new(9 + 2 * i as i32), Ref::new(10 + 2 * i as i32))).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().map(|(p, _)| *p)).count(page_ids.len() as i32);
    pdf.document_info(info).title(TextStr(&t.title)).producer(TextStr("budgetwatch"));

    let ps_name = m
        .face
        .names()
        .into_iter()
        .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .and_then(|n| n.to_string())
        .filter(|s| !s.is_empty() && s.is_ascii())
        .unwrap_or_else(|| "CJKFont".into());
    // A subset's name carries six capital letters and a plus sign.
    let base = format!("BWSUBS+{}", ps_name.replace([' ', '/', '[', ']', '(', ')'], ""));
    let name = Name(base.as_bytes());
    let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let scale = |v: f32| v * 1000.0;
    let widths: Vec<f32> = old_of_new.iter().map(|&g| scale(m.advance(g))).collect();
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2).base_font(name).system_info(system).font_descriptor(descriptor);
    c.cid_to_gid_map_predefined(Name(b"Identity"));
    c.widths().consecutive(0, widths);
    c.finish();
    let bbox = m.face.global_bounding_box();
    let em = |v: i16| scale(f32::from(v) / m.upem);
    pdf.font_descriptor(descriptor)
        .name(name)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(em(bbox.x_min), em(bbox.y_min), em(bbox.x_max), em(bbox.y_max)))
        .italic_angle(0.0)
        .ascent(em(m.face.ascender()))
        .descent(em(m.face.descender()))
        .cap_height(em(m.face.capital_height().unwrap_or(m.face.ascender())))
        .stem_v(80.0)
        .font_file2(file);
    let packed = deflate(&subset)?;
    pdf.stream(file, &packed).filter(Filter::FlateDecode).pair(Name(b"Length1"), subset.len() as i32);
    let mut unicode = UnicodeCmap::new(Name(b"Custom"), system);
    let mut pairs: Vec<(&u16, &char)> = char_of_new.iter().collect();
    pairs.sort();
    for (g, ch) in pairs {
        unicode.pair(*g, *ch);
    }
    let unicode = unicode.finish();
    pdf.stream(cmap, unicode.as_slice());

    for (d, (page, contents)) in pages.iter().zip(&page_ids) {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1)).parent(tree).contents(*contents);
        p.resources().fonts().pair(Name(b"F1"), type0);
        p.finish();
        let mut content = Content::new();
        for &(x, y, w, h, grey) in &d.fills {
            content.set_fill_gray(grey).rect(x, y, w, h).fill_nonzero();
        }
        content.set_stroke_gray(0.55).set_line_width(0.3);
        for &(x1, y1, x2, y2) in &d.lines {
            content.move_to(x1, y1).line_to(x2, y2);
        }
        content.stroke();
        // Strong text: filled and stroked with a hairline, for want of a bold face.
        content.set_fill_gray(0.0).set_stroke_gray(0.0).set_line_width(0.25);
        content.begin_text();
        let mut current: Option<(f32, bool)> = None;
        for piece in &d.texts {
            if current != Some((piece.size, piece.strong)) {
                content.set_font(Name(b"F1"), piece.size);
                content.set_text_rendering_mode(if piece.strong {
                    TextRenderingMode::FillStroke
                } else {
                    TextRenderingMode::Fill
                });
                current = Some((piece.size, piece.strong));
            }
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, piece.x, piece.y]);
            content.show(Str(&encode(&piece.text)));
        }
        content.end_text();
        let packed = deflate(content.finish().as_slice())?;
        pdf.stream(*contents, &packed).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_paged_with_the_header_on_each_page() {
        assert!(rows_per_page() > 30, "{}", rows_per_page());
    }

    #[test]
    fn a_font_that_is_not_one_is_refused() {
        let t =
            Table { title: "t".into(), subtitle: String::new(), columns: vec![], rows: vec![], footer: String::new() };
        assert!(matches!(table_pdf(b"not a font", 0, &t), Err(PdfError::Font(_))));
    }
}
