//! Property tests over generated and mutated files (issue 29): whatever the bytes, the readers of
//! outside files (XLSX, CSV, ISO 2709, MARCXML, SVG, PNG, JPEG) answer with records or a refusal, never a
//! panic, within a memory budget (measured by this test binary's own allocator) and in bounded
//! time (a bounded number of cases, each small).

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
};

use proptest::prelude::*;
use pustaka_domain::cell::Cell;
use pustaka_formats::{
    marc,
    print::{pdf, svg},
    sheet,
    xlsx::SheetWriter,
};

/// Counts the bytes allocated now and the most at once since the last [`reset_peak`].
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measured read at a time (the test harness runs tests on several threads).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The budget of one read beyond the file itself.
const BUDGET: usize = 64 << 20;

/// Runs `read` on `bytes`, checks what it allocated at its peak stayed within the budget.
fn within_budget<T>(bytes: &[u8], read: impl FnOnce(&[u8]) -> T) -> T {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = read(bytes);
    let added = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    assert!(added <= BUDGET, "{added} bytes allocated reading {} bytes", bytes.len());
    out
}

fn sample_xlsx() -> Vec<u8> {
    let mut w = SheetWriter::new(Vec::new(), &["judul", "pengarang", "tahun"]).unwrap();
    for i in 0..20 {
        w.row(&[Cell::Text(format!("Buku {i}")), Cell::Text("Penulis".into()), Cell::Int(2000 + i)]).unwrap();
    }
    w.finish().unwrap()
}

fn sample_record(copies: usize) -> marc::Record {
    let mut r = marc::Record::book();
    r.fields.push(marc::Field::Control("001".into(), "x:1".into()));
    r.data("245", ['1', '0'], vec![('a', "Laskar Pelangi".into())]);
    r.data("500", [' ', ' '], vec![('a', "Catatan".into())]);
    for i in 0..copies {
        r.data("952", [' ', ' '], vec![('p', format!("B{i}")), ('c', "Rak A".into())]);
    }
    r
}

/// Mutations of a file: bytes overwritten, a range duplicated many times, a range cut out.
fn mutate(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    let writes = prop::collection::vec((0..len, any::<u8>()), 0..16);
    let dup = prop::option::of((0..len, 1..64usize, 1..200usize));
    let cut = prop::option::of((0..len, 1..64usize));
    (writes, dup, cut).prop_map(move |(writes, dup, cut)| {
        let mut b = base.clone();
        for (at, v) in writes {
            if at < b.len() {
                b[at] = v;
            }
        }
        if let Some((at, n, times)) = dup {
            let at = at.min(b.len());
            let end = (at + n).min(b.len());
            let piece = b[at..end].to_vec();
            let mut out = b[..end].to_vec();
            for _ in 0..times {
                out.extend(&piece);
            }
            out.extend(&b[end..]);
            b = out;
        }
        if let Some((at, n)) = cut {
            let at = at.min(b.len());
            let end = (at + n).min(b.len());
            b.drain(at..end);
        }
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_xlsx_is_read_or_refused(bytes in mutate(sample_xlsx())) {
        let _ = within_budget(&bytes, sheet::read);
    }

    #[test]
    fn mutated_iso2709_is_read_or_refused(bytes in mutate([sample_record(3).to_iso2709(), sample_record(0).to_iso2709()].concat())) {
        let _ = within_budget(&bytes, marc::read_sheet);
    }

    #[test]
    fn mutated_marcxml_is_read_or_refused(bytes in mutate(format!("{}{}{}", marc::XML_HEAD, sample_record(3).to_xml(), marc::XML_TAIL).into_bytes())) {
        let _ = within_budget(&bytes, marc::read_sheet);
    }

    #[test]
    fn mutated_csv_is_read_or_refused(bytes in mutate(b"judul;pengarang;tahun\nBumi Manusia;Pramoedya;1980\n\"A;B\";C;2001\n".to_vec())) {
        let _ = within_budget(&bytes, sheet::read);
    }

    #[test]
    fn mutated_svg_is_cleaned_or_refused(bytes in mutate(
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><g id=\"a\"><rect width=\"4\" height=\"4\"/></g><use href=\"#a\"/><text>A &amp; B</text></svg>".to_vec()
    )) {
        if let Ok(clean) = within_budget(&bytes, svg::sanitize) {
            // What is kept is clean again, unchanged.
            prop_assert_eq!(svg::sanitize(&clean).ok(), Some(clean.clone()));
        }
    }

    #[test]
    fn mutated_jpeg_is_normalised_or_refused(bytes in mutate(include_bytes!("../../../tests/fixtures/photo.jpg").to_vec())) {
        if let Ok(png) = within_budget(&bytes, pdf::plain_jpeg) {
            // What is kept is a plain PNG, read again the same.
            prop_assert_eq!(pdf::plain_png(&png).ok(), Some(png.clone()));
        }
    }

    #[test]
    fn arbitrary_bytes_after_a_zip_header_are_refused(tail in prop::collection::vec(any::<u8>(), 0..2048)) {
        let bytes = [b"PK\x03\x04".as_slice(), &tail].concat();
        prop_assert!(within_budget(&bytes, sheet::read).is_err());
    }
}
