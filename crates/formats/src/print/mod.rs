//! Printing: barcode and spine labels, member cards, receipts and loan slips as PDFs made in the
//! service (no network, fonts embedded). Pure: records in, bytes out.

pub mod class_list;
pub mod code128;
pub mod pdf;
pub mod sheet;
pub mod svg;
pub mod tables;

use chrono::NaiveDate;

use pdf::{Doc, Picture, Weight};
use pustaka_domain::{
    callnumber::spine_lines,
    notices::{format_date, Language},
};
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

/// The library as printed, and the language to print in.
#[derive(Clone, Default)]
pub struct Letterhead {
    pub name: String,
    pub address: String,
    pub logo: Option<Picture>,
    pub lang: Language,
}

/// `id` in Bahasa Indonesia, `en` in English.
pub fn tr(lang: Language, id: &'static str, en: &'static str) -> &'static str {
    match lang {
        Language::Id => id,
        Language::En => en,
    }
}

/// The short title: before a colon or slash (the subtitle and statement of responsibility).
pub fn short_title(title: &str) -> &str {
    title.split([':', '/']).next().unwrap_or(title).trim()
}

/// Labels for `copies` on sheets of `grid`, the first `skip` places of the first sheet left empty.
pub fn labels(library: &Letterhead, copies: &[LabelCopy], kind: LabelKind, grid: &Grid, skip: usize) -> Vec<u8> {
    let mut doc = Doc::new(grid.sheet_width(), grid.sheet_height());
    let logo = library.logo.clone().map(|l| doc.add_picture(l));
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
            draw(&mut doc, &|d, x, y| barcode_label(d, &library.name, logo, c, x, y, w, h));
        }
        if matches!(kind, LabelKind::Spine | LabelKind::Both) {
            draw(&mut doc, &|d, x, y| spine_label(d, &library.name, c, x, y, w, h));
        }
    }
    doc.finish()
}

/// Smallest logo printed on a label (mm): below it, the label shows the library's name only.
const MIN_LABEL_LOGO: f32 = 3.0;

#[allow(clippy::too_many_arguments)]
fn barcode_label(d: &mut Doc, library: &str, logo: Option<usize>, c: &LabelCopy, x: f32, y: f32, w: f32, h: f32) {
    let s = (h / 37.0).clamp(0.45, 1.2);
    let pad = (w.min(h) * 0.06).min(2.5);
    let inner = w - 2.0 * pad;
    let total = 23.5 * s;
    let top = y + ((h - total) / 2.0).max(pad * 0.5);
    // The logo, where there is room, just left of the name (the two centred together): as tall as
    // the name's line and a little more.
    let logo_size = 3.4 * s;
    match logo {
        Some(l) if logo_size >= MIN_LABEL_LOGO => {
            let name = d.fit(Weight::Regular, 6.5 * s, library, inner - logo_size - 1.0);
            let group = logo_size + 1.0 + d.text_width(Weight::Regular, 6.5 * s, &name);
            let left = x + (w - group) / 2.0;
            d.picture(l, left, top - 0.4 * s, logo_size, logo_size);
            d.text(Weight::Regular, 6.5 * s, left + logo_size + 1.0, top + 2.4 * s, &name);
        }
        _ => {
            let name = d.fit(Weight::Regular, 6.5 * s, library, inner);
            d.text_centred(Weight::Regular, 6.5 * s, x + w / 2.0, top + 2.4 * s, &name);
        }
    }
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
    sheet_width: None,
    sheet_height: None,
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
    let lang = library.lang;
    d.text(Weight::Bold, 6.0, left, y + 15.0, tr(lang, "KARTU ANGGOTA", "MEMBER CARD"));
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
        &d.fit(Weight::Regular, 7.5, &format!("{}: {}", tr(lang, "Kategori", "Category"), m.category), text_w),
    );
    let until = m.valid_until.map_or_else(|| tr(lang, "tanpa batas", "no end").to_owned(), |v| format_date(v, lang));
    d.text(Weight::Regular, 7.5, x + pad, y + 32.5, &format!("{} {until}", tr(lang, "Berlaku s.d.", "Valid until")));
    let bars_w = w - 2.0 * pad - if m.photo.is_some() { 20.0 } else { 0.0 };
    let _ = code128::draw(d, &m.card_number, x + pad, y + 36.0, bars_w, 10.0, 0.33);
    d.text_centred(Weight::Bold, 8.0, x + pad + bars_w / 2.0, y + 49.5, &m.card_number);
}

/// Width of a slip: the 80 mm paper roll of receipt printers (and it fits any page).
const SLIP_WIDTH: f32 = 80.0;

/// Height of the logo atop a slip (mm).
const SLIP_LOGO: f32 = 12.0;

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
    let logo_h = if library.logo.is_some() { SLIP_LOGO + 2.0 } else { 0.0 };
    let head =
        8.0 + logo_h + if library.address.is_empty() { 0.0 } else { 4.0 * library.address.lines().count() as f32 };
    let height = pad * 2.0 + head + 5.0 * lines.len() as f32 + 4.0;
    let mut d = Doc::new(SLIP_WIDTH, height);
    let inner = SLIP_WIDTH - 2.0 * pad;
    let cx = SLIP_WIDTH / 2.0;
    if let Some(logo) = library.logo.clone() {
        let logo = d.add_picture(logo);
        d.picture(logo, pad, pad, inner, SLIP_LOGO);
    }
    let mut y = pad + logo_h + 4.0;
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

/// A one-page A4 summary: the letterhead, a title and a line under it, figures as label and value,
/// then a ranked list (e.g. the most borrowed titles) under its heading, and a footer line.
pub struct SummaryPage {
    pub title: String,
    pub subtitle: String,
    pub figures: Vec<(String, String)>,
    pub list_heading: String,
    /// A line's text and the figure on its right.
    pub list: Vec<(String, String)>,
    pub footer: String,
}

/// The summary page as an A4 PDF.
pub fn summary(library: &Letterhead, page: &SummaryPage) -> Vec<u8> {
    let mut d = Doc::a4();
    let (left, right) = (20.0, 190.0);
    let mut text_left = left;
    if let Some(logo) = library.logo.clone() {
        let logo = d.add_picture(logo);
        d.picture(logo, left, 12.0, 22.0, 22.0);
        text_left += 26.0;
    }
    let head = right - text_left;
    let size = d.size_to_fit(Weight::Bold, 16.0, 10.0, &library.name, head);
    d.text(Weight::Bold, size, text_left, 21.0, &d.fit(Weight::Bold, size, &library.name, head));
    let mut y = 21.0;
    for line in library.address.lines().map(str::trim).filter(|l| !l.is_empty()).take(3) {
        y += 5.0;
        d.text(Weight::Regular, 9.5, text_left, y, &d.fit(Weight::Regular, 9.5, line, head));
    }
    let y = y.max(34.0) + 4.0;
    d.line((left, y), (right, y), 0.6, 0.0);
    let width = right - left;
    d.text_centred(Weight::Bold, 14.0, 105.0, y + 12.0, &d.fit(Weight::Bold, 14.0, &page.title, width));
    d.text_centred(Weight::Regular, 10.5, 105.0, y + 19.0, &d.fit(Weight::Regular, 10.5, &page.subtitle, width));
    let mut y = y + 32.0;
    for (label, value) in &page.figures {
        d.text(Weight::Regular, 11.0, left + 4.0, y, &d.fit(Weight::Regular, 11.0, label, width * 0.7));
        d.text(Weight::Bold, 11.0, right - 4.0 - d.text_width(Weight::Bold, 11.0, value), y, value);
        d.line((left, y + 2.8), (right, y + 2.8), 0.15, 0.6);
        y += 8.0;
    }
    y += 8.0;
    d.text(Weight::Bold, 12.0, left, y, &page.list_heading);
    y += 2.5;
    d.line((left, y), (right, y), 0.3, 0.0);
    for (text, figure) in &page.list {
        y += 6.5;
        if y > 280.0 {
            break;
        }
        let fw = d.text_width(Weight::Bold, 10.0, figure);
        d.text(Weight::Regular, 10.0, left + 4.0, y, &d.fit(Weight::Regular, 10.0, text, width - fw - 12.0));
        d.text(Weight::Bold, 10.0, right - 4.0 - fw, y, figure);
    }
    d.text(Weight::Regular, 8.0, left, 288.0, &d.fit(Weight::Regular, 8.0, &page.footer, width));
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
