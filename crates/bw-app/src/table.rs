//! A table as people download it from a page: CSV (UTF-8 with a byte-order mark, so that
//! Excel and WPS read the Chinese) or XLSX (a header row, amounts as numbers in yuan with
//! thousands separators, rates as percentages). One shape for every downloadable table.

use bw_core::Money;

/// One cell of a downloadable table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Money),
    Int(i64),
    /// A rate, 0.25 for 25 %.
    Rate(f64),
}

/// A titled table: the title names the sheet and the file.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(title: &str, columns: &[&str]) -> Table {
        Table { title: title.to_string(), columns: columns.iter().map(|c| c.to_string()).collect(), rows: Vec::new() }
    }

    /// The table as CSV: amounts in yuan to the fen (exact), rates as percentages.
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        // Writing into a Vec cannot fail.
        let _ = w.write_record(&self.columns);
        for row in &self.rows {
            let _ = w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => csv_text(s),
                Cell::Money(m) => m.to_string(),
                Cell::Int(n) => n.to_string(),
                Cell::Rate(r) => format!("{:.2}%", r * 100.0),
            }));
        }
        w.into_inner().unwrap_or_default()
    }

    /// The table as an XLSX workbook of one sheet.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Color, Format, Workbook};
        let mut book = Workbook::new();
        let head = Format::new().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_text_wrap();
        let text = Format::new().set_num_format("@");
        let money = Format::new().set_num_format("#,##0.00");
        let rate = Format::new().set_num_format("0.00%");
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&self.title))?;
        for (j, h) in self.columns.iter().enumerate() {
            sheet.write_string_with_format(0, j as u16, h, &head)?;
            sheet.set_column_width(j as u16, if j == 0 { 28 } else { 16 })?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (i, row) in self.rows.iter().enumerate() {
            let y = i as u32 + 1;
            for (j, c) in row.iter().enumerate() {
                let x = j as u16;
                match c {
                    Cell::Text(s) => {
                        sheet.write_string_with_format(y, x, crate::template::excel_cell(s).as_ref(), &text)?
                    }
                    // Exact to the fen in a double up to 90 trillion yuan.
                    Cell::Money(m) => sheet.write_number_with_format(y, x, m.fen() as f64 / 100.0, &money)?,
                    Cell::Int(n) => sheet.write_number(y, x, *n as f64)?,
                    Cell::Rate(r) => sheet.write_number_with_format(y, x, *r, &rate)?,
                };
            }
        }
        book.save_to_buffer()
    }
}

/// A text cell for CSV: a cell a spreadsheet would run as a formula is written with a
/// leading apostrophe, which shows it as text.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

/// A sheet's name: at most 31 characters and none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let clean: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if clean.is_empty() { "Sheet1".to_string() } else { clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("部门预算", &["部门", "预算", "笔数", "进度"]);
        t.rows.push(vec![
            Cell::Text("=教育局".into()),
            Cell::Money(Money::from_fen(123_456_789)),
            Cell::Int(3),
            Cell::Rate(0.5),
        ]);
        t
    }

    #[test]
    fn csv_is_exact_and_readable_by_excel() {
        let bytes = sample().csv();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("部门,预算,笔数,进度"));
        // A leading "=" is neutralised so that a spreadsheet never runs a cell as a formula.
        assert_eq!(lines.next(), Some("'=教育局,1234567.89,3,50.00%"));
    }

    #[test]
    fn xlsx_reads_back_with_amounts_as_numbers() {
        use calamine::{Reader, Xlsx};
        let bytes = sample().xlsx().expect("xlsx");
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
        let range = book.worksheet_range("部门预算").expect("sheet");
        assert_eq!(range.get_value((0, 1)).map(|v| v.to_string()), Some("预算".to_string()));
        assert_eq!(range.get_value((1, 1)), Some(&calamine::Data::Float(1_234_567.89)));
        assert_eq!(range.get_value((1, 2)), Some(&calamine::Data::Float(3.0)));
    }

    #[test]
    fn sheet_names_are_what_excel_accepts() {
        assert_eq!(sheet_name("a/b:c"), "abc");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
