//! `pustaka seed-demo`: a small, real-looking library for trying Pustaka out and for screenshots.
//!
//! Classic Indonesian and world titles. ISBNs are given only for editions whose ISBN is well known
//! (each passes its checksum); the older classics are catalogued without one, as many school
//! libraries hold them.

use anyhow::Context;
use chrono::{Datelike, Duration};

use crate::{
    domain::{
        Authors, Barcode, CardNumber, Isbn, LanguageCode, MemberRef, PersonName, ShortText, Subjects, Title, Year,
    },
    store::{
        catalogue::NewBook,
        clock::SettableClock,
        members::{MemberKey, NewMember},
        Actor, PageRequest, Store,
    },
};

/// (ISBN, title, authors, subjects, publisher, year, language, copies)
type DemoBook = (
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    i32,
    &'static str,
    u8,
);

const BOOKS: &[DemoBook] = &[
    (
        Some("9793062797"),
        "Laskar Pelangi",
        &["Andrea Hirata"],
        &["Fiksi", "Pendidikan"],
        "Bentang Pustaka",
        2005,
        "id",
        3,
    ),
    (
        Some("9799731232"),
        "Bumi Manusia",
        &["Pramoedya Ananta Toer"],
        &["Fiksi", "Sejarah"],
        "Lentera Dipantara",
        2005,
        "id",
        2,
    ),
    (None, "Anak Semua Bangsa", &["Pramoedya Ananta Toer"], &["Fiksi", "Sejarah"], "Lentera Dipantara", 2006, "id", 1),
    (None, "Jejak Langkah", &["Pramoedya Ananta Toer"], &["Fiksi", "Sejarah"], "Lentera Dipantara", 2006, "id", 1),
    (None, "Rumah Kaca", &["Pramoedya Ananta Toer"], &["Fiksi", "Sejarah"], "Lentera Dipantara", 2006, "id", 1),
    (None, "Gadis Pantai", &["Pramoedya Ananta Toer"], &["Fiksi"], "Lentera Dipantara", 2003, "id", 1),
    (None, "Sitti Nurbaya", &["Marah Rusli"], &["Fiksi", "Sastra Klasik"], "Balai Pustaka", 1922, "id", 2),
    (None, "Salah Asuhan", &["Abdoel Moeis"], &["Fiksi", "Sastra Klasik"], "Balai Pustaka", 1928, "id", 1),
    (
        None,
        "Layar Terkembang",
        &["Sutan Takdir Alisjahbana"],
        &["Fiksi", "Sastra Klasik"],
        "Balai Pustaka",
        1936,
        "id",
        1,
    ),
    (None, "Atheis", &["Achdiat K. Mihardja"], &["Fiksi", "Sastra Klasik"], "Balai Pustaka", 1949, "id", 1),
    (
        None,
        "Habis Gelap Terbitlah Terang",
        &["R.A. Kartini"],
        &["Surat", "Sejarah", "Emansipasi"],
        "Balai Pustaka",
        1911,
        "id",
        2,
    ),
    (None, "Tenggelamnya Kapal Van der Wijck", &["Hamka"], &["Fiksi", "Sastra Klasik"], "Balai Pustaka", 1938, "id", 2),
    (None, "Di Bawah Lindungan Ka'bah", &["Hamka"], &["Fiksi", "Sastra Klasik"], "Balai Pustaka", 1938, "id", 1),
    (None, "Ronggeng Dukuh Paruk", &["Ahmad Tohari"], &["Fiksi"], "Gramedia Pustaka Utama", 1982, "id", 1),
    (None, "Negeri 5 Menara", &["Ahmad Fuadi"], &["Fiksi", "Pendidikan"], "Gramedia Pustaka Utama", 2009, "id", 2),
    (None, "Perahu Kertas", &["Dee Lestari"], &["Fiksi"], "Bentang Pustaka", 2009, "id", 1),
    (None, "Pulang", &["Leila S. Chudori"], &["Fiksi", "Sejarah"], "Kepustakaan Populer Gramedia", 2012, "id", 1),
    (None, "Cantik Itu Luka", &["Eka Kurniawan"], &["Fiksi"], "Gramedia Pustaka Utama", 2015, "id", 1),
    (None, "Max Havelaar", &["Multatuli"], &["Fiksi", "Sejarah", "Kolonialisme"], "Penguin Classics", 1860, "nl", 1),
    (
        Some("9780141439518"),
        "Pride and Prejudice",
        &["Jane Austen"],
        &["Fiction", "Classics"],
        "Penguin Classics",
        2003,
        "en",
        2,
    ),
    (
        Some("9780142437247"),
        "Moby-Dick",
        &["Herman Melville"],
        &["Fiction", "Classics", "Sea stories"],
        "Penguin Classics",
        2003,
        "en",
        1,
    ),
    (
        Some("9780141439471"),
        "Frankenstein",
        &["Mary Shelley"],
        &["Fiction", "Classics", "Science fiction"],
        "Penguin Classics",
        2003,
        "en",
        1,
    ),
    (
        Some("9780141439761"),
        "Alice's Adventures in Wonderland",
        &["Lewis Carroll"],
        &["Fiction", "Classics", "Children"],
        "Penguin Classics",
        2003,
        "en",
        1,
    ),
    (
        None,
        "The Adventures of Sherlock Holmes",
        &["Arthur Conan Doyle"],
        &["Fiction", "Classics", "Detective"],
        "George Newnes",
        1892,
        "en",
        1,
    ),
    (
        None,
        "Around the World in Eighty Days",
        &["Jules Verne"],
        &["Fiction", "Classics", "Adventure"],
        "Pierre-Jules Hetzel",
        1873,
        "en",
        1,
    ),
    (None, "The Origin of Species", &["Charles Darwin"], &["Science", "Biology"], "John Murray", 1859, "en", 1),
    (
        None,
        "Matematika untuk SMA Kelas X",
        &["Tim Penulis Kemendikbud"],
        &["Matematika", "Buku Pelajaran"],
        "Kementerian Pendidikan dan Kebudayaan",
        2017,
        "id",
        5,
    ),
    (
        None,
        "Fisika untuk SMA Kelas XI",
        &["Tim Penulis Kemendikbud"],
        &["Fisika", "Buku Pelajaran"],
        "Kementerian Pendidikan dan Kebudayaan",
        2017,
        "id",
        4,
    ),
    (
        None,
        "Sejarah Indonesia Kelas XII",
        &["Tim Penulis Kemendikbud"],
        &["Sejarah", "Buku Pelajaran"],
        "Kementerian Pendidikan dan Kebudayaan",
        2018,
        "id",
        4,
    ),
    (
        None,
        "Kamus Besar Bahasa Indonesia",
        &["Badan Pengembangan dan Pembinaan Bahasa"],
        &["Referensi", "Bahasa"],
        "Balai Pustaka",
        2008,
        "id",
        1,
    ),
];

/// (name, category, email)
/// Name, category, email and class (kelas) of the demo members.
const MEMBERS: &[(&str, &str, &str, Option<&str>)] = &[
    ("Budi Santoso", "student", "budi.santoso@sekolah.sch.id", Some("VIII-B")),
    ("Siti Rahmawati", "student", "siti.rahma@sekolah.sch.id", Some("VIII-B")),
    ("Agus Wijaya", "student", "agus.wijaya@sekolah.sch.id", Some("IX-A")),
    ("Dewi Lestari Putri", "staff", "dewi.putri@sekolah.sch.id", None),
    ("Rina Marlina", "public", "rina.marlina@surel.id", None),
];

fn parse<T>(r: Result<T, crate::domain::ValidationError>, what: &str) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("demo data {what}: {}", e.message))
}

/// The member login `seed-demo` creates, so the person who ran it can log in as a member.
#[derive(Debug)]
pub struct DemoLogin {
    /// Always `budi`.
    pub username: String,
    /// `PUSTAKA_DEMO_MEMBER_PASSWORD`, or a generated one.
    pub password: String,
    /// Whether the password was generated (so it must be shown).
    pub generated: bool,
}

/// Seeds the demo library. Refuses to touch a catalogue that already has books. Returns the
/// member login it created.
pub async fn seed(store: &Store) -> anyhow::Result<DemoLogin> {
    // Loans "lent days ago" are lent with the clock set back, as the desk would have done then.
    let clock = SettableClock::new();
    let store = &store.clone().with_clock(std::sync::Arc::new(clock.clone()));
    if store.search_books(None, PageRequest::default()).await?.total > 0 {
        anyhow::bail!("the catalogue already has books; seed-demo only fills an empty library");
    }
    let system = Actor::system();
    let mut barcodes = Vec::new();
    for (i, (isbn, title, authors, subjects, publisher, year, lang, copies)) in BOOKS.iter().enumerate() {
        let book = NewBook {
            isbn: isbn.map(|i| parse(Isbn::parse(i), "isbn")).transpose()?,
            title: parse(Title::parse(title), "title")?,
            authors: parse(Authors::parse(authors.iter().map(|s| s.to_string()).collect::<Vec<_>>()), "authors")?,
            subjects: parse(Subjects::parse(subjects.iter().map(|s| s.to_string()).collect::<Vec<_>>()), "subjects")?,
            publisher: Some(parse(ShortText::parse(publisher), "publisher")?),
            year: Some(parse(Year::parse(*year, store.now().year()), "year")?),
            language: Some(parse(LanguageCode::parse(lang), "language")?),
            extra: Default::default(),
        };
        let book = store.create_book(&system, &book).await?;
        for c in 0..*copies {
            let barcode = parse(Barcode::parse(&format!("B{:03}{:02}", i + 1, c + 1)), "barcode")?;
            let shelf =
                parse(ShortText::parse(&format!("Rak {}{}", (b'A' + (i % 6) as u8) as char, 1 + i / 6)), "location")?;
            store.add_copy(&system, book.id, Some(&barcode), Some(&shelf), None).await?;
            barcodes.push((book.id, barcode));
        }
    }
    let given = std::env::var(crate::config::env::DEMO_MEMBER_PASSWORD.name).ok().filter(|p| !p.trim().is_empty());
    let demo_login = DemoLogin {
        username: "budi".into(),
        generated: given.is_none(),
        password: given.unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            hex::encode(bytes)
        }),
    };
    let mut cards = Vec::new();
    for (i, (name, category, email, grade)) in MEMBERS.iter().enumerate() {
        let login = if i == 0 {
            Some((
                parse(crate::domain::Username::parse(&demo_login.username), "username")?,
                parse(crate::domain::Password::parse(&demo_login.password), "PUSTAKA_DEMO_MEMBER_PASSWORD")?,
            ))
        } else {
            None
        };
        let m = store
            .create_member(
                &system,
                &NewMember {
                    name: parse(PersonName::parse(name), "name")?,
                    category: category.to_string(),
                    grade: grade.map(|g| parse(crate::domain::Grade::parse(g), "grade")).transpose()?,
                    email: Some(parse(crate::domain::Email::parse(email), "email")?),
                    phone: None,
                    expires_on: Some(store.now().date_naive() + Duration::days(365)),
                    login,
                },
            )
            .await?;
        cards.push((m.id, MemberRef::Card(parse(CardNumber::parse(&m.card_number), "card")?)));
    }

    // Budi borrows Laskar Pelangi (current) and Bumi Manusia (overdue by ten days).
    store.checkout(&system, &barcodes[0].1, &cards[0].1).await?;
    clock.shift(-Duration::days(17));
    store.checkout(&system, &barcodes[3].1, &cards[0].1).await?;
    clock.reset();
    // Siti returned Sitti Nurbaya five days late: an unpaid fine.
    clock.shift(-Duration::days(12));
    store
        .checkout(&system, &barcodes.iter().find(|(_, b)| b.as_str() == "B00701").context("demo copy")?.1, &cards[1].1)
        .await?;
    clock.reset();
    store.checkin(&system, &parse(Barcode::parse("B00701"), "barcode")?, false).await?;
    // Both copies of Pride and Prejudice are out; Agus waits for one.
    let pride = barcodes.iter().filter(|(_, b)| b.as_str().starts_with("B020")).cloned().collect::<Vec<_>>();
    store.checkout(&system, &pride[0].1, &cards[3].1).await?;
    store.checkout(&system, &pride[1].1, &cards[4].1).await?;
    store.place_hold(&system, pride[0].0, MemberKey::Card(&cards[2].1)).await?;
    tracing::info!(books = BOOKS.len(), copies = barcodes.len(), members = MEMBERS.len(), "demo library seeded");
    Ok(demo_login)
}
