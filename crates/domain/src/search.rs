//! The words a catalogue search matches: lower-case runs of letters and digits.
//!
//! SQLite's FTS5 index splits text itself; on MariaDB Pustaka keeps its own word index
//! (`book_words`), filled from [`book_words`], because InnoDB's FULLTEXT index computes every
//! match of every word before it can return one (a word in a third of a million-book catalogue
//! took about a second).

use std::collections::BTreeMap;

/// Longest word kept, in characters; longer ones are cut (both when indexing and searching).
pub const MAX_WORD_CHARS: usize = 64;

/// The words of `text`, lower-cased, in order (repeats kept).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| {
            w.chars()
                .flat_map(char::to_lowercase)
                .filter(|c| c.is_alphanumeric())
                .take(MAX_WORD_CHARS)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
}

/// How much a use of a word counts toward a book's relevance, by field.
pub const TITLE_WEIGHT: i64 = 4;
/// An author's name.
pub const AUTHOR_WEIGHT: i64 = 2;
/// A subject.
pub const SUBJECT_WEIGHT: i64 = 1;

/// Every distinct word of a book with its weight: the sum, over each use of the word, of the
/// weight of the field it is in.
pub fn book_words(title: &str, authors: &[String], subjects: &[String]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let fields = std::iter::once((title, TITLE_WEIGHT))
        .chain(authors.iter().map(|a| (a.as_str(), AUTHOR_WEIGHT)))
        .chain(subjects.iter().map(|s| (s.as_str(), SUBJECT_WEIGHT)));
    for (text, weight) in fields {
        for word in words(text) {
            *out.entry(word).or_insert(0) += weight;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn splits_on_anything_but_letters_and_digits() {
        let got: Vec<_> = words("Harimau! Harimau! Di Bawah Lindungan Ka'bah, jilid 2").collect();
        assert_eq!(got, ["harimau", "harimau", "di", "bawah", "lindungan", "ka", "bah", "jilid", "2"]);
        assert_eq!(words("Ensiklopedi Ärzte ÉTUDE").collect::<Vec<_>>(), ["ensiklopedi", "ärzte", "étude"]);
        assert_eq!(words(" -- ").count(), 0);
    }

    #[test]
    fn weighs_title_over_authors_over_subjects() {
        let w = book_words("Sejarah Sejarah Indonesia", &["Sartono Kartodirdjo".into()], &["Sejarah".into()]);
        assert_eq!(w["sejarah"], 2 * TITLE_WEIGHT + SUBJECT_WEIGHT);
        assert_eq!(w["kartodirdjo"], AUTHOR_WEIGHT);
        assert_eq!(w.len(), 4);
    }

    proptest! {
        #[test]
        fn words_are_short_lower_case_letters_and_digits(text in "\\PC{0,200}") {
            for w in words(&text) {
                prop_assert!(!w.is_empty());
                prop_assert!(w.chars().all(char::is_alphanumeric), "{w:?}");
                prop_assert_eq!(w.to_lowercase(), w.clone());
                prop_assert!(w.chars().count() <= MAX_WORD_CHARS);
            }
        }

        #[test]
        fn a_book_is_found_by_every_word_of_its_title(title in "[a-zA-Z0-9 ]{1,60}") {
            let index = book_words(&title, &[], &[]);
            for w in words(&title) {
                prop_assert!(index.contains_key(&w));
            }
        }
    }
}
