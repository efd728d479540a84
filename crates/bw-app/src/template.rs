//! `budgetwatch template KIND [--xlsx]`: the empty templates, as CSV or XLSX.

use bw_core::template::Kind;

/// Header names in English (the canonical names) or Chinese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

fn headers(kind: Kind, lang: Lang) -> Vec<&'static str> {
    kind.columns().iter().map(|c| if lang == Lang::Zh { c.zh } else { c.name }).collect()
}

/// The CSV template: the header row alone, UTF-8.
pub fn csv(kind: Kind, lang: Lang) -> String {
    let mut s = headers(kind, lang).join(",");
    s.push('\n');
    s
}

/// The XLSX template: the header row on the first sheet (the one imports read), and a
/// second sheet describing each column.
pub fn xlsx(kind: Kind, lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name(kind.as_str())?;
    for (i, h) in headers(kind, lang).iter().enumerate() {
        let col = i as u16;
        sheet.write_string_with_format(0, col, *h, &bold)?;
        // Codes keep their leading zeros only as text.
        sheet.set_column_format(col, &text)?;
        sheet.set_column_width(col, 18)?;
    }
    let about = book.add_worksheet();
    about.set_name("columns")?;
    for (j, h) in ["column", "中文", "accepted aliases", "required"].iter().enumerate() {
        about.write_string_with_format(0, j as u16, *h, &bold)?;
    }
    for (i, c) in kind.columns().iter().enumerate() {
        let r = i as u32 + 1;
        about.write_string(r, 0, c.name)?;
        about.write_string(r, 1, c.zh)?;
        about.write_string(r, 2, c.aliases.join(", "))?;
        about.write_string(r, 3, if c.required { "yes" } else { "no" })?;
    }
    book.save_to_buffer()
}

/// Excel's most characters in a cell.
const EXCEL_CELL_MAX: usize = 32_767;

/// `text` as one cell holds it: cut to Excel's limit, ending in "…" when cut (a warning's
/// list of vouchers can be longer; the CSV export keeps it whole).
pub(crate) fn excel_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(EXCEL_CELL_MAX - 1) {
        Some((at, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..at])),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// A table as an XLSX workbook of one sheet: bold header, every cell as text (codes keep
/// their leading zeros, amounts their exact digits).
pub fn table_xlsx(
    sheet_name: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    for (j, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, j as u16, *h, &bold)?;
        sheet.set_column_width(j as u16, 16)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            sheet.write_string(i as u32 + 1, j as u16, excel_cell(cell))?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_cells_are_cut_to_what_excel_holds() {
        let long = "凭".repeat(40_000);
        let cut = super::excel_cell(&long);
        assert_eq!(cut.chars().count(), super::EXCEL_CELL_MAX);
        assert!(cut.ends_with('…'));
        assert_eq!(super::excel_cell("short"), "short");
        let rows = vec![vec![long]];
        assert!(super::table_xlsx("t", &["a"], &rows).is_ok());
    }
}
