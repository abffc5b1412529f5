//! The printed list of a textbook class set (issue #30): one A4 table per class and title, a line
//! per student with the copy's barcode and a column to sign, to hand round the class.

use super::{
    pdf::{Doc, Weight},
    tr, Letterhead,
};

/// A student's line.
#[derive(Debug, Clone)]
pub struct ClassListLine {
    pub number: usize,
    pub name: String,
    pub card_number: String,
    /// The copy lent, if any.
    pub barcode: Option<String>,
}

/// One title's list for a class.
#[derive(Debug, Clone)]
pub struct ClassListPage {
    /// `Kelas 7A`.
    pub class: String,
    pub title: String,
    /// The due date line, written already (`Kembali paling lambat 19 Des 2026`).
    pub due: String,
    pub lines: Vec<ClassListLine>,
}

const LEFT: f32 = 15.0;
const RIGHT: f32 = 195.0;
const ROW: f32 = 7.5;
const BOTTOM: f32 = 280.0;

/// Column x positions: No., name, card number, barcode, signature.
const COLS: [f32; 5] = [LEFT, LEFT + 10.0, LEFT + 82.0, LEFT + 112.0, LEFT + 142.0];

fn header(d: &mut Doc, library: &Letterhead, page: &ClassListPage, continued: bool) -> f32 {
    let l = library.lang;
    let width = RIGHT - LEFT;
    d.text(Weight::Bold, 13.0, LEFT, 18.0, &d.fit(Weight::Bold, 13.0, &library.name, width));
    let heading = if continued {
        format!("{} ({})", tr(l, "DAFTAR BUKU PAKET KELAS", "CLASS TEXTBOOK LIST"), tr(l, "lanjutan", "continued"))
    } else {
        tr(l, "DAFTAR BUKU PAKET KELAS", "CLASS TEXTBOOK LIST").to_owned()
    };
    d.line((LEFT, 21.0), (RIGHT, 21.0), 0.5, 0.0);
    d.text_centred(Weight::Bold, 12.0, 105.0, 29.0, &heading);
    d.text(Weight::Regular, 10.0, LEFT, 37.0, &d.fit(Weight::Regular, 10.0, &page.class, width));
    d.text(Weight::Bold, 10.0, LEFT, 42.5, &d.fit(Weight::Bold, 10.0, &page.title, width));
    d.text(Weight::Regular, 10.0, LEFT, 48.0, &d.fit(Weight::Regular, 10.0, &page.due, width));
    let y = 56.0;
    let heads = [
        tr(l, "No.", "No."),
        tr(l, "Nama siswa", "Student"),
        tr(l, "Nomor kartu", "Card number"),
        tr(l, "Barcode", "Barcode"),
        tr(l, "Tanda tangan", "Signature"),
    ];
    for (x, h) in COLS.iter().zip(heads) {
        d.text(Weight::Bold, 9.5, x + 1.0, y, h);
    }
    d.line((LEFT, y + 2.0), (RIGHT, y + 2.0), 0.4, 0.0);
    y + 2.0
}

/// The class lists as one A4 PDF: a title after another, each starting on a new page.
pub fn class_lists(library: &Letterhead, pages: &[ClassListPage]) -> Vec<u8> {
    let mut d = Doc::a4();
    for (p, page) in pages.iter().enumerate() {
        if p > 0 {
            d.new_page();
        }
        let mut y = header(&mut d, library, page, false);
        for line in &page.lines {
            if y + ROW > BOTTOM {
                columns(&mut d, y);
                d.new_page();
                y = header(&mut d, library, page, true);
            }
            let base = y + ROW - 2.2;
            d.text(Weight::Regular, 9.5, COLS[0] + 1.0, base, &line.number.to_string());
            d.text(
                Weight::Regular,
                9.5,
                COLS[1] + 1.0,
                base,
                &d.fit(Weight::Regular, 9.5, &line.name, COLS[2] - COLS[1] - 2.0),
            );
            d.text(
                Weight::Regular,
                9.5,
                COLS[2] + 1.0,
                base,
                &d.fit(Weight::Regular, 9.5, &line.card_number, COLS[3] - COLS[2] - 2.0),
            );
            let barcode = line.barcode.as_deref().unwrap_or("-");
            d.text(
                Weight::Regular,
                9.5,
                COLS[3] + 1.0,
                base,
                &d.fit(Weight::Regular, 9.5, barcode, COLS[4] - COLS[3] - 2.0),
            );
            y += ROW;
            d.line((LEFT, y), (RIGHT, y), 0.15, 0.5);
        }
        columns(&mut d, y);
    }
    d.finish()
}

/// The table's column rules, from its heading down to `bottom`.
fn columns(d: &mut Doc, bottom: f32) {
    for x in COLS.iter().skip(1) {
        d.line((*x, 51.0), (*x, bottom), 0.15, 0.5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_of_forty_takes_two_pages() {
        let lines = (1..=40)
            .map(|i| ClassListLine {
                number: i,
                name: format!("Siswa {i}"),
                card_number: format!("P{i:08}"),
                barcode: Some(format!("BP{i:04}")),
            })
            .collect();
        let page = ClassListPage { class: "Kelas 7A".into(), title: "Matematika 7".into(), due: "-".into(), lines };
        let pdf = class_lists(&Letterhead { name: "SMP Negeri 1".into(), ..Default::default() }, &[page]);
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf.windows(10).filter(|w| w == b"/Type /Pag").count(), 2 + 1, "2 pages and the page tree");
    }
}
