//! A report of a few small tables on A4 pages (the accreditation summary, issue #30): the
//! letterhead, a title and a line under it, then each table under its heading, a label column
//! and figures right-aligned, a bold last row when the table has a total.

use super::{
    pdf::{Doc, Weight},
    Letterhead,
};

/// One table of a [`TablesPage`].
#[derive(Debug, Clone)]
pub struct ReportTable {
    pub heading: String,
    /// The label column's head, then the figures' heads.
    pub columns: Vec<String>,
    /// A label, then one figure per figure column.
    pub rows: Vec<Vec<String>>,
    /// The totals row, printed bold under a rule.
    pub total: Option<Vec<String>>,
}

/// The page's title, the line under it (the period), its tables and a footer line.
#[derive(Debug, Clone)]
pub struct TablesPage {
    pub title: String,
    pub subtitle: String,
    pub tables: Vec<ReportTable>,
    pub footer: String,
}

const LEFT: f32 = 18.0;
const RIGHT: f32 = 192.0;
const ROW: f32 = 6.0;
const BOTTOM: f32 = 278.0;
const SIZE: f32 = 9.5;

/// The letterhead and the title; the height where the tables start.
fn head(d: &mut Doc, library: &Letterhead, page: &TablesPage) -> f32 {
    let width = RIGHT - LEFT;
    let mut text_left = LEFT;
    if let Some(logo) = library.logo.clone() {
        let logo = d.add_picture(logo);
        d.picture(logo, LEFT, 12.0, 20.0, 20.0);
        text_left += 24.0;
    }
    let room = RIGHT - text_left;
    let size = d.size_to_fit(Weight::Bold, 15.0, 10.0, &library.name, room);
    d.text(Weight::Bold, size, text_left, 20.0, &d.fit(Weight::Bold, size, &library.name, room));
    let mut y = 20.0;
    for line in library.address.lines().map(str::trim).filter(|l| !l.is_empty()).take(3) {
        y += 5.0;
        d.text(Weight::Regular, 9.0, text_left, y, &d.fit(Weight::Regular, 9.0, line, room));
    }
    let y = f32::max(y, 32.0) + 4.0;
    d.line((LEFT, y), (RIGHT, y), 0.6, 0.0);
    d.text_centred(Weight::Bold, 13.0, 105.0, y + 10.0, &d.fit(Weight::Bold, 13.0, &page.title, width));
    d.text_centred(Weight::Regular, 10.0, 105.0, y + 16.5, &d.fit(Weight::Regular, 10.0, &page.subtitle, width));
    y + 26.0
}

/// One row: the label on the left, the figures right-aligned in equal columns.
fn row(d: &mut Doc, weight: Weight, y: f32, cells: &[String]) {
    let figures = cells.len().saturating_sub(1).max(1);
    let label_width = (RIGHT - LEFT) * 0.42;
    #[allow(clippy::cast_precision_loss)]
    let step = (RIGHT - LEFT - label_width) / figures as f32;
    if let Some(label) = cells.first() {
        d.text(weight, SIZE, LEFT + 2.0, y, &d.fit(weight, SIZE, label, label_width - 4.0));
    }
    for (i, cell) in cells.iter().skip(1).enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let right = LEFT + label_width + step * (i + 1) as f32 - 2.0;
        let text = d.fit(weight, SIZE, cell, step - 3.0);
        d.text(weight, SIZE, right - d.text_width(weight, SIZE, &text), y, &text);
    }
}

/// The tables as an A4 PDF: a table that does not fit below the last starts a new page.
pub fn tables(library: &Letterhead, page: &TablesPage) -> Vec<u8> {
    let mut d = Doc::a4();
    let mut y = head(&mut d, library, page);
    for table in &page.tables {
        #[allow(clippy::cast_precision_loss)]
        let height = ROW * (table.rows.len() + 3) as f32 + 8.0;
        if y + height > BOTTOM && y > 60.0 {
            d.text(Weight::Regular, 8.0, LEFT, 288.0, &d.fit(Weight::Regular, 8.0, &page.footer, RIGHT - LEFT));
            d.new_page();
            y = 20.0;
        }
        d.text(Weight::Bold, 11.0, LEFT, y, &d.fit(Weight::Bold, 11.0, &table.heading, RIGHT - LEFT));
        y += ROW + 1.0;
        row(&mut d, Weight::Bold, y, &table.columns);
        d.line((LEFT, y + 2.0), (RIGHT, y + 2.0), 0.4, 0.0);
        for cells in &table.rows {
            y += ROW;
            row(&mut d, Weight::Regular, y, cells);
            d.line((LEFT, y + 2.0), (RIGHT, y + 2.0), 0.15, 0.6);
        }
        if let Some(total) = &table.total {
            y += ROW;
            d.line((LEFT, y - 4.0 + 0.3), (RIGHT, y - 4.0 + 0.3), 0.4, 0.0);
            row(&mut d, Weight::Bold, y, total);
        }
        y += ROW + 6.0;
    }
    d.text(Weight::Regular, 8.0, LEFT, 288.0, &d.fit(Weight::Regular, 8.0, &page.footer, RIGHT - LEFT));
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tables_go_on_to_a_new_page() {
        let table = |n: usize| ReportTable {
            heading: "Kelas".into(),
            columns: vec!["Kelas".into(), "Judul".into(), "Eksemplar".into()],
            rows: (0..n).map(|i| vec![format!("{i}00"), i.to_string(), (i * 3).to_string()]).collect(),
            total: Some(vec!["Jumlah".into(), "1".into(), "2".into()]),
        };
        let page = TablesPage {
            title: "RINGKASAN AKREDITASI".into(),
            subtitle: "Periode".into(),
            tables: vec![table(11), table(11), table(11), table(11)],
            footer: "Dibuat".into(),
        };
        let pdf = tables(&Letterhead { name: "SMP Negeri 1".into(), ..Default::default() }, &page);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(10).filter(|w| w == b"/Type /Pag").count() >= 3, "two pages or more and the tree");
    }
}
