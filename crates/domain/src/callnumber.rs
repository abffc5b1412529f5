//! Call numbers (nomor panggil) as Indonesian school libraries write them on the spine label:
//! a DDC class, an author mark and a title letter, e.g. `005.13 VAL p`; and the pattern of the
//! barcodes Pustaka gives copies added without one.

use super::ValidationError;

/// Checks a DDC class: three digits (`000`–`999`) with an optional decimal part of 1–10
/// digits (`005.13`), or the Indonesian adaptation's Islam classes `2X0`–`2X9` (`2X4.1`).
pub fn check_ddc(input: &str) -> Result<String, ValidationError> {
    let value = input.trim();
    let invalid = || {
        ValidationError::new(
            "invalid_ddc",
            format!("{value:?} is not a DDC class: three digits, optionally a point and more digits, e.g. 005.13"),
        )
    };
    let (main, decimals) = match value.split_once('.') {
        Some((m, d)) => (m, Some(d)),
        None => (value, None),
    };
    let b = main.as_bytes();
    let main_ok = b.len() == 3
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_digit() || (b[0] == b'2' && (b[1] == b'X' || b[1] == b'x')))
        && b[2].is_ascii_digit();
    let decimals_ok = decimals.is_none_or(|d| (1..=10).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()));
    if main_ok && decimals_ok {
        Ok(value.to_ascii_uppercase())
    } else {
        Err(invalid())
    }
}

/// Articles skipped before the title letter: English, and the Indonesian ones cataloguers skip.
const ARTICLES: &[&str] = &["the", "a", "an", "si", "sang", "sri", "hang", "dang", "para", "kaum"];

/// The main author's surname: before the comma of an inverted name (`Kurniawan, Eka`), else the
/// last word (`Eka Kurniawan`); a one-word name (`Soekarno`) is itself.
fn surname(author: &str) -> &str {
    let author = author.trim();
    match author.split_once(',') {
        Some((before, _)) if !before.trim().is_empty() => before.trim(),
        _ => author.split_whitespace().last().unwrap_or(""),
    }
}

/// The author mark: the first three letters of the main author's surname, upper case (the first
/// three letters of the title when the book has no author).
pub fn author_mark(authors: &[String], title: &str) -> String {
    let source = authors.first().map(|a| surname(a)).filter(|s| s.chars().any(char::is_alphabetic));
    let source = source.unwrap_or_else(|| title_words(title).next().unwrap_or(""));
    source.chars().filter(|c| c.is_alphabetic()).take(3).flat_map(char::to_uppercase).collect()
}

/// The title's words without the leading articles (all of them when it is nothing but articles).
fn title_words(title: &str) -> impl Iterator<Item = &str> {
    let words: Vec<&str> = title.split_whitespace().collect();
    let skip = words.iter().take_while(|w| ARTICLES.contains(&w.to_lowercase().as_str())).count();
    let skip = if skip == words.len() { 0 } else { skip };
    words.into_iter().skip(skip)
}

/// The title letter: the first letter of the title, lower case, skipping articles.
pub fn title_letter(title: &str) -> String {
    title_words(title)
        .flat_map(str::chars)
        .find(|c| c.is_alphanumeric())
        .into_iter()
        .flat_map(char::to_lowercase)
        .collect()
}

/// The suggested call number: `DDC AUTHOR-MARK title-letter`, e.g. `005.13 VAL p`; parts that
/// come out empty are left out.
pub fn suggest(ddc: &str, authors: &[String], title: &str) -> String {
    [ddc.trim().to_owned(), author_mark(authors, title), title_letter(title)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The call number a book without one gets: [`suggest`]ed from its classification when that is a
/// DDC class (anything else, e.g. `NONFIKSI`, suggests nothing), its main author and its title.
/// The rule of a new book in the page, of a book saved with the call number left empty, of
/// imported books and of the admin's filling of every book still missing one.
pub fn suggestion(classification: Option<&str>, authors: &[String], title: &str) -> Option<String> {
    let class = check_ddc(classification?).ok()?;
    check_call_number(&suggest(&class, authors, title)).ok()
}

/// Checks a call number typed by hand: 1–3 parts separated by spaces (the spine label prints one a
/// line; a leading collection mark such as `R` or `F` may be a fourth); when it begins with a digit
/// its first part must be a DDC class.
pub fn check_call_number(input: &str) -> Result<String, ValidationError> {
    let parts: Vec<&str> = input.split_whitespace().collect();
    if parts.is_empty() {
        return Err(ValidationError::required("Call number"));
    }
    if parts.len() > 4 || parts.iter().any(|p| p.chars().count() > 20) {
        return Err(ValidationError::new(
            "invalid_call_number",
            "a call number has at most four parts of at most 20 characters, e.g. 005.13 VAL p",
        ));
    }
    let class = parts.iter().find(|p| p.starts_with(|c: char| c.is_ascii_digit()));
    if let Some(class) = class {
        check_ddc(class)?;
    }
    Ok(parts.join(" "))
}

/// The call number as the spine label prints it, on at most three lines: class, author mark,
/// title letter. A leading collection mark (`R 005.13 ...`) shares the class's line; anything
/// after the title letter (a copy number, `c.2`) shares the last line.
pub fn spine_lines(call_number: &str) -> Vec<String> {
    let mut parts: Vec<String> = call_number.split_whitespace().map(str::to_owned).collect();
    if parts.len() > 3 && !parts[0].starts_with(|c: char| c.is_ascii_digit()) {
        let mark = parts.remove(0);
        parts[0] = format!("{mark} {}", parts[0]);
    }
    if parts.len() > 3 {
        let tail = parts.split_off(2).join(" ");
        parts.push(tail);
    }
    parts
}

/// How barcodes are made for copies added without one: a prefix and a number zero-padded to a width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarcodePattern {
    /// 0–16 letters, digits, `-`, `.` or `_`.
    pub prefix: String,
    /// 1–12 digits.
    pub digits: u32,
}

impl BarcodePattern {
    /// Checks a prefix and a width.
    pub fn new(prefix: &str, digits: i64) -> Result<Self, (&'static str, ValidationError)> {
        let prefix = prefix.trim();
        if prefix.len() > 16 || !prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
            return Err((
                "prefix",
                ValidationError::invalid_format("Prefix", "be at most 16 letters, digits, '-', '.' or '_'"),
            ));
        }
        if !(1..=12).contains(&digits) {
            return Err(("digits", ValidationError::new("out_of_range", "digits must be from 1 to 12")));
        }
        Ok(Self { prefix: prefix.to_owned(), digits: digits as u32 })
    }

    /// The barcode of number `n`: `B` and 6 digits make `B000042`; a number wider than the
    /// width is written whole.
    pub fn barcode(&self, n: i64) -> String {
        format!("{}{:0width$}", self.prefix, n, width = self.digits as usize)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ddc_classes() {
        for ok in ["005", "005.13", "899.221", "2X4.1", "2x0", " 342.598 ", "000.0123456789"] {
            assert!(check_ddc(ok).is_ok(), "{ok}");
        }
        assert_eq!(check_ddc("2x4.1").unwrap(), "2X4.1");
        for bad in ["", "5", "05", "0051", "005.", ".13", "005.13a", "3X0", "abc", "005,13", "005.12345678901", "R 005"]
        {
            assert_eq!(check_ddc(bad).unwrap_err().code, "invalid_ddc", "{bad}");
        }
    }

    #[test]
    fn suggestions_follow_the_school_rules() {
        assert_eq!(suggest("005.13", &v(&["Valentino Ryan"]), "Pemrograman Rust"), "005.13 RYA p");
        assert_eq!(suggest("899.221", &v(&["Kurniawan, Eka"]), "Cantik Itu Luka"), "899.221 KUR c");
        assert_eq!(suggest("899.221", &v(&["Andrea Hirata"]), "Sang Pemimpi"), "899.221 HIR p");
        assert_eq!(suggest("823", &v(&["Orwell, George"]), "The Animal Farm"), "823 ORW a");
        assert_eq!(suggest("823", &v(&["J. K. Rowling"]), "A Tale"), "823 ROW t");
        assert_eq!(suggest("920", &v(&["Soekarno"]), "Si Kancil"), "920 SOE k");
        assert_eq!(suggest("030", &[], "Ensiklopedia Anak"), "030 ENS e");
        assert_eq!(suggest("030", &[], "Para Nabi"), "030 NAB n");
        assert_eq!(suggest("899.221", &v(&["Ayu Utami"]), "Saman"), "899.221 UTA s");
        // Only articles: the title is taken as it is.
        assert_eq!(title_letter("The"), "t");
        assert_eq!(author_mark(&v(&["Ng"]), "X"), "NG");
        assert_eq!(author_mark(&v(&["Çelik, Öz"]), "X"), "ÇEL");
    }

    #[test]
    fn a_book_without_a_call_number_gets_one_from_a_ddc_class_only() {
        assert_eq!(
            suggestion(Some("899.221"), &v(&["Andrea Hirata"]), "Sang Pemimpi").as_deref(),
            Some("899.221 HIR p")
        );
        assert_eq!(suggestion(Some(" 2x4.1 "), &[], "Fikih Ibadah").as_deref(), Some("2X4.1 FIK f"));
        assert_eq!(suggestion(Some("NONFIKSI"), &v(&["Andrea Hirata"]), "Laskar Pelangi"), None);
        assert_eq!(suggestion(Some(""), &v(&["Andrea Hirata"]), "Laskar Pelangi"), None);
        assert_eq!(suggestion(None, &v(&["Andrea Hirata"]), "Laskar Pelangi"), None);
    }

    #[test]
    fn call_numbers_typed_by_hand() {
        assert_eq!(check_call_number(" 005.13   VAL p ").unwrap(), "005.13 VAL p");
        assert_eq!(check_call_number("R 005.13 VAL p").unwrap(), "R 005.13 VAL p");
        assert_eq!(check_call_number("F KUR c").unwrap(), "F KUR c");
        assert_eq!(check_call_number("").unwrap_err().code, "required");
        assert_eq!(check_call_number("05.13 VAL p").unwrap_err().code, "invalid_ddc");
        assert_eq!(check_call_number("a b c d e").unwrap_err().code, "invalid_call_number");
        assert_eq!(spine_lines("005.13 VAL p"), v(&["005.13", "VAL", "p"]));
        assert_eq!(spine_lines("R 005.13 VAL p"), v(&["R 005.13", "VAL", "p"]));
        assert_eq!(spine_lines("899.221 TOE b c.2"), v(&["899.221", "TOE", "b c.2"]));
        assert_eq!(spine_lines("R 899.221 TOE b c.2"), v(&["R 899.221", "TOE", "b c.2"]));
        assert_eq!(spine_lines("F KUR"), v(&["F", "KUR"]));
    }

    #[test]
    fn barcode_patterns() {
        let p = BarcodePattern::new("B", 6).unwrap();
        assert_eq!(p.barcode(42), "B000042");
        assert_eq!(p.barcode(1_234_567), "B1234567");
        assert_eq!(BarcodePattern::new("B K", 6).unwrap_err().0, "prefix");
        assert_eq!(BarcodePattern::new("B", 0).unwrap_err().0, "digits");
        assert_eq!(BarcodePattern::new("", 13).unwrap_err().0, "digits");
    }

    proptest! {
        #[test]
        fn a_suggestion_is_a_valid_call_number(
            class in "[0-9]{3}(\\.[0-9]{1,6})?",
            author in "\\PC{0,40}",
            title in "\\PC{1,60}",
        ) {
            let s = suggest(&class, &[author], &title);
            prop_assert!(s.starts_with(&class));
            prop_assert!(check_call_number(&s).is_ok(), "{s}");
            prop_assert!(s.split_whitespace().count() <= 3);
        }

        #[test]
        fn ddc_accepts_exactly_the_pattern(s in "[0-9X.]{0,8}") {
            let b = s.as_bytes();
            let (main, dec) = s.split_once('.').map_or((s.as_str(), None), |(m, d)| (m, Some(d)));
            let expected = main.len() == 3 && b[0].is_ascii_digit() && b[2].is_ascii_digit()
                && (b[1].is_ascii_digit() || (b[0] == b'2' && b[1] == b'X'))
                && dec.is_none_or(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
            prop_assert_eq!(check_ddc(&s).is_ok(), expected);
        }

        #[test]
        fn barcodes_are_valid_and_distinct(a in 0i64..1_000_000_000, b in 0i64..1_000_000_000, digits in 1i64..=12) {
            let p = BarcodePattern::new("B-", digits).unwrap();
            prop_assert!(crate::Barcode::parse(&p.barcode(a)).is_ok());
            prop_assert_eq!(p.barcode(a) == p.barcode(b), a == b);
        }
    }
}
