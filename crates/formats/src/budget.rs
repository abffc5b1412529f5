//! Why a reader of outside bytes (XLSX, CSV, MARC, an SVG logo) refused a file: which of its
//! budgets the file went past, and how far that budget goes. One type for every reader, so that
//! the page can word the refusal in its own language from the code (`field.<code>` in
//! `web/js/i18n.js`, with the limit filled in), and the English sentence says the same.

/// A budget a file went past.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{english}")]
pub struct Budget {
    /// What was too big, one of [`CODES`], e.g. `too_many_rows`.
    pub code: &'static str,
    /// How far the budget goes: a count, or bytes for the codes about sizes (see [`CODES`]).
    pub limit: u64,
    /// The refusal in English.
    pub english: String,
}

/// Every code a [`Budget`] has, and whether its limit is in bytes (else a count). The page has a
/// sentence for each in both languages (a test in `tests/contract/i18n.rs` checks).
pub const CODES: &[(&str, bool)] = &[
    ("too_many_rows", false),
    ("too_many_cells", false),
    ("too_many_columns", false),
    ("too_many_strings", false),
    ("too_many_parts", false),
    ("too_much_text", true),
    ("part_too_big", true),
    ("run_too_long", true),
    ("value_too_long", true),
    ("too_many_records", false),
    ("svg_too_complex", false),
];

impl Budget {
    /// A budget of `limit` (see [`CODES`] for its unit) past which the file went, `english`
    /// saying so.
    pub fn new(code: &'static str, limit: impl TryInto<u64>, english: impl Into<String>) -> Self {
        debug_assert!(CODES.iter().any(|(c, _)| *c == code), "{code} is not in budget::CODES");
        Self { code, limit: limit.try_into().unwrap_or(u64::MAX), english: english.into() }
    }

    /// The budget that an I/O error of a capped reader carries, if any (the caps of
    /// `xlsx_read` report themselves through the XML reader as I/O errors).
    pub fn of_io(e: &std::io::Error) -> Option<&Budget> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Budget>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_travels_through_an_io_error() {
        let b = Budget::new("part_too_big", 256_u64 << 20, "the part x inflates to more than 256 MB");
        let io = std::io::Error::other(b.clone());
        assert_eq!(Budget::of_io(&io), Some(&b));
        assert_eq!(io.to_string(), "the part x inflates to more than 256 MB");
        assert_eq!(Budget::of_io(&std::io::Error::other("plain")), None);
    }
}
