//! Printing: barcode and spine labels, member cards, receipts and loan slips as PDFs made in the
//! service (no network, fonts embedded). Pure: records in, bytes out.

pub mod code128;
pub mod pdf;
pub mod sheet;

use chrono::NaiveDate;

use crate::domain::{
    callnumber::spine_lines,
    notices::{format_date, Language},
};
use pdf::{Doc, Picture, Weight};
use sheet::Grid;

/// What a label shows of a copy.
#[derive(Debug, Clone)]
pub struct LabelCopy {
    pub barcode: String,
    pub title: String,
    pub call_number: Option<String>,
}

/// Which labels to print for each copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LabelKind {
    /// The barcode label: Code 128, the barcode in text, the short title.
    Barcode,
    /// The spine label: the library's name and the call number on three lines.
    Spine,
    /// Both, side by side: the barcode label, then the spine label.
    Both,
}

/// The library as printed.
#[derive(Clone, Default)]
pub struct Letterhead {
    pub name: String,
    pub address: String,
    pub logo: Option<Picture>,
}

/// The short title: before a colon or slash (the subtitle and statement of responsibility).
pub fn short_title(title: &str) -> &str {
    title.split([':', '/']).next().unwrap_or(title).trim()
}

/// Labels for `copies` on sheets of `grid`, the first `skip` places of the first sheet left empty.
pub fn labels(library: &Letterhead, copies: &[LabelCopy], kind: LabelKind, grid: &Grid, skip: usize) -> Vec<u8> {
    let mut doc = Doc::a4();
    let mut place = skip;
    let per_sheet = grid.per_sheet();
    let mut draw = |doc: &mut Doc, f: &dyn Fn(&mut Doc, f32, f32)| {
        if place == per_sheet {
            doc.new_page();
            place = 0;
        }
        let (x, y) = grid.position(place);
        f(doc, x, y);
        place += 1;
    };
    let (w, h) = (grid.label_width, grid.label_height);
    for c in copies {
        if matches!(kind, LabelKind::Barcode | LabelKind::Both) {
            draw(&mut doc, &|d, x, y| barcode_label(d, &library.name, c, x, y, w, h));
        }
        if matches!(kind, LabelKind::Spine | LabelKind::Both) {
            draw(&mut doc, &|d, x, y| spine_label(d, &library.name, c, x, y, w, h));
        }
    }
    doc.finish()
}

fn barcode_label(d: &mut Doc, library: &str, c: &LabelCopy, x: f32, y: f32, w: f32, h: f32) {
    let s = (h / 37.0).clamp(0.45, 1.2);
    let pad = (w.min(h) * 0.06).min(2.5);
    let inner = w - 2.0 * pad;
    let total = 23.5 * s;
    let top = y + ((h - total) / 2.0).max(pad * 0.5);
    let name = d.fit(Weight::Regular, 6.5 * s, library, inner);
    d.text_centred(Weight::Regular, 6.5 * s, x + w / 2.0, top + 2.4 * s, &name);
    let bars_top = top + 3.4 * s;
    let _ = code128::draw(d, &c.barcode, x + pad, bars_top, inner, 13.0 * s, 0.33);
    d.text_centred(Weight::Bold, 9.0 * s, x + w / 2.0, bars_top + 13.0 * s + 3.6 * s, &c.barcode);
    let title = d.fit(Weight::Regular, 6.5 * s, short_title(&c.title), inner);
    d.text_centred(Weight::Regular, 6.5 * s, x + w / 2.0, bars_top + 13.0 * s + 7.0 * s, &title);
}

fn spine_label(d: &mut Doc, library: &str, c: &LabelCopy, x: f32, y: f32, w: f32, h: f32) {
    let pad = (w.min(h) * 0.06).min(2.5);
    let inner = w - 2.0 * pad;
    let name_size = d.size_to_fit(Weight::Regular, (h * 0.2).min(7.0), 3.5, library, inner);
    let name_base = y + pad + name_size / 72.0 * 25.4;
    d.text_centred(Weight::Regular, name_size, x + w / 2.0, name_base, library);
    d.line((x + pad, name_base + 1.2), (x + w - pad, name_base + 1.2), 0.2, 0.0);
    let lines = c.call_number.as_deref().map(spine_lines).unwrap_or_default();
    if lines.is_empty() {
        return;
    }
    let room = y + h - pad - (name_base + 1.2);
    let line_mm = room / 3.0;
    let size = (line_mm * 0.75 / 25.4 * 72.0).min(18.0);
    let start = name_base + 1.2 + (room - line_mm * lines.len() as f32) / 2.0;
    for (i, line) in lines.iter().enumerate() {
        let size = d.size_to_fit(Weight::Bold, size, 4.0, line, inner);
        let base = start + line_mm * (i as f32 + 0.5) + size / 72.0 * 25.4 * 0.35;
        d.text_centred(Weight::Bold, size, x + w / 2.0, base, line);
    }
}

/// What a member card shows.
#[derive(Clone)]
pub struct CardMember {
    pub card_number: String,
    pub name: String,
    pub category: String,
    pub valid_until: Option<NaiveDate>,
    pub photo: Option<Picture>,
}

/// ID-1 card size, mm.
pub const CARD: (f32, f32) = (85.6, 54.0);
/// Cards on an A4 sheet: 2 across, 5 down, with room between them for cut marks.
const CARD_GRID: Grid = Grid {
    columns: 2,
    rows: 5,
    label_width: CARD.0,
    label_height: CARD.1,
    margin_top: 5.5,
    margin_left: 15.4,
    gap_x: 8.0,
    gap_y: 4.0,
};

/// Member cards, ten to an A4 sheet, each with cut marks at its corners.
pub fn cards(library: &Letterhead, members: &[CardMember]) -> Vec<u8> {
    let mut doc = Doc::a4();
    let logo = library.logo.clone().map(|l| doc.add_picture(l));
    for (i, m) in members.iter().enumerate() {
        let place = i % CARD_GRID.per_sheet();
        if i > 0 && place == 0 {
            doc.new_page();
        }
        let (x, y) = CARD_GRID.position(place);
        cut_marks(&mut doc, x, y, CARD.0, CARD.1);
        card(&mut doc, library, logo, m, x, y);
    }
    doc.finish()
}

fn cut_marks(d: &mut Doc, x: f32, y: f32, w: f32, h: f32) {
    const L: f32 = 1.8;
    for (cx, sx) in [(x, -1.0), (x + w, 1.0)] {
        for (cy, sy) in [(y, -1.0), (y + h, 1.0)] {
            d.line((cx + sx * 0.5, cy), (cx + sx * (0.5 + L), cy), 0.15, 0.0);
            d.line((cx, cy + sy * 0.5), (cx, cy + sy * (0.5 + L)), 0.15, 0.0);
        }
    }
}

fn card(d: &mut Doc, library: &Letterhead, logo: Option<usize>, m: &CardMember, x: f32, y: f32) {
    let (w, pad) = (CARD.0, 4.0);
    let mut left = x + pad;
    if let Some(logo) = logo {
        d.picture(logo, x + pad, y + pad, 12.0, 12.0);
        left += 14.0;
    }
    let head = x + w - pad - left;
    let size = d.size_to_fit(Weight::Bold, 9.0, 6.0, &library.name, head);
    d.text(Weight::Bold, size, left, y + 8.0, &d.fit(Weight::Bold, size, &library.name, head));
    if !library.address.is_empty() {
        let address = library.address.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", ");
        d.text(Weight::Regular, 6.0, left, y + 11.5, &d.fit(Weight::Regular, 6.0, &address, head));
    }
    d.text(Weight::Bold, 6.0, left, y + 15.0, "KARTU ANGGOTA");
    d.line((x + pad, y + 17.0), (x + w - pad, y + 17.0), 0.3, 0.0);
    let mut text_w = w - 2.0 * pad;
    if let Some(photo) = &m.photo {
        let p = d.add_picture(photo.clone());
        d.picture(p, x + w - pad - 18.0, y + 18.5, 18.0, 22.0);
        text_w -= 20.0;
    }
    let name_size = d.size_to_fit(Weight::Bold, 11.0, 7.0, &m.name, text_w);
    d.text(Weight::Bold, name_size, x + pad, y + 23.5, &d.fit(Weight::Bold, name_size, &m.name, text_w));
    d.text(
        Weight::Regular,
        7.5,
        x + pad,
        y + 28.5,
        &d.fit(Weight::Regular, 7.5, &format!("Kategori: {}", m.category), text_w),
    );
    let until = m.valid_until.map_or_else(|| "tanpa batas".to_owned(), |v| format_date(v, Language::Id));
    d.text(Weight::Regular, 7.5, x + pad, y + 32.5, &format!("Berlaku s.d. {until}"));
    let bars_w = w - 2.0 * pad - if m.photo.is_some() { 20.0 } else { 0.0 };
    let _ = code128::draw(d, &m.card_number, x + pad, y + 36.0, bars_w, 10.0, 0.33);
    d.text_centred(Weight::Bold, 8.0, x + pad + bars_w / 2.0, y + 49.5, &m.card_number);
}

/// Width of a slip: the 80 mm paper roll of receipt printers (and it fits any page).
const SLIP_WIDTH: f32 = 80.0;

/// One line of a slip: a label and a value, or a heading.
pub enum SlipLine {
    /// Bold, centred.
    Heading(String),
    /// A label on the left, its value on the right.
    Pair(String, String),
    /// Plain text, left.
    Text(String),
    /// A rule across.
    Rule,
}

/// A small slip 80 mm wide (as tall as its lines): the letterhead, then the lines.
pub fn slip(library: &Letterhead, lines: &[SlipLine]) -> Vec<u8> {
    let pad = 5.0;
    let head = 8.0 + if library.address.is_empty() { 0.0 } else { 4.0 * library.address.lines().count() as f32 };
    let height = pad * 2.0 + head + 5.0 * lines.len() as f32 + 4.0;
    let mut d = Doc::new(SLIP_WIDTH, height);
    let inner = SLIP_WIDTH - 2.0 * pad;
    let cx = SLIP_WIDTH / 2.0;
    let mut y = pad + 4.0;
    let size = d.size_to_fit(Weight::Bold, 10.0, 7.0, &library.name, inner);
    d.text_centred(Weight::Bold, size, cx, y, &d.fit(Weight::Bold, size, &library.name, inner));
    for line in library.address.lines().map(str::trim).filter(|l| !l.is_empty()) {
        y += 4.0;
        d.text_centred(Weight::Regular, 7.0, cx, y, &d.fit(Weight::Regular, 7.0, line, inner));
    }
    y += 2.5;
    d.line((pad, y), (SLIP_WIDTH - pad, y), 0.3, 0.0);
    y += 1.0;
    for line in lines {
        y += 5.0;
        match line {
            SlipLine::Heading(t) => d.text_centred(Weight::Bold, 9.0, cx, y, &d.fit(Weight::Bold, 9.0, t, inner)),
            SlipLine::Text(t) => d.text(Weight::Regular, 8.0, pad, y, &d.fit(Weight::Regular, 8.0, t, inner)),
            SlipLine::Pair(label, value) => {
                let value_w = d.text_width(Weight::Bold, 8.0, value).min(inner * 0.6);
                let value = d.fit(Weight::Bold, 8.0, value, inner * 0.6);
                d.text(Weight::Regular, 8.0, pad, y, &d.fit(Weight::Regular, 8.0, label, inner - value_w - 2.0));
                d.text(Weight::Bold, 8.0, SLIP_WIDTH - pad - d.text_width(Weight::Bold, 8.0, &value), y, &value);
            }
            SlipLine::Rule => d.line((pad, y - 1.5), (SLIP_WIDTH - pad, y - 1.5), 0.2, 0.0),
        }
    }
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_titles_drop_the_subtitle() {
        assert_eq!(short_title("Laskar Pelangi : sebuah novel / Andrea Hirata"), "Laskar Pelangi");
        assert_eq!(short_title("Bumi Manusia"), "Bumi Manusia");
    }

    #[test]
    fn a_label_sheet_is_a_pdf_with_its_text() {
        let copies: Vec<LabelCopy> = (1..=30)
            .map(|i| LabelCopy {
                barcode: format!("B{i:06}"),
                title: "Ronggeng Dukuh Paruk".into(),
                call_number: Some("899.221 TOH r".into()),
            })
            .collect();
        let lib = Letterhead { name: "Perpustakaan SMA Negeri 1 Yogyakarta".into(), ..Default::default() };
        let pdf = labels(&lib, &copies, LabelKind::Both, &Grid::preset("a4-3x8").unwrap(), 3);
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf.windows(10).filter(|w| w == b"/Type /Pag").count(), 3 + 1, "3 pages and the page tree");
    }
}
