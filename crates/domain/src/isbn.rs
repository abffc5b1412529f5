//! International Standard Book Numbers, always stored as normalized ISBN-13.

use serde::{Deserialize, Serialize};

use super::validation::{impl_string_newtype, ValidationError};

/// A checked ISBN, normalized to 13 digits without hyphens (ISBN-10 input becomes `978…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Isbn(String);

impl Isbn {
    /// Parses an ISBN-13 (prefix 978/979) or ISBN-10 (final `X` allowed), ignoring
    /// hyphens and whitespace anywhere, and verifies its check digit.
    ///
    /// Errors: `required` for blank input, otherwise `invalid_isbn`.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let compact = strip_separators(input);
        if compact.is_empty() {
            return Err(ValidationError::required("ISBN"));
        }
        match compact.len() {
            13 => parse_isbn13(&compact),
            10 => parse_isbn10(&compact),
            _ => Err(invalid("must have 10 or 13 digits")),
        }
    }

    /// The 10-digit form, if this is a `978` ISBN (the only ones that have one).
    pub fn to_isbn10(&self) -> Option<String> {
        let body = self.0.strip_prefix("978")?.get(..9)?;
        let check = isbn10_check(&digits(body)?);
        let mut out = body.to_owned();
        out.push(if check == 10 { 'X' } else { char::from(b'0' + check) });
        Some(out)
    }
}
impl_string_newtype!(Isbn);

/// Whether `s` has the shape of an ISBN (10 or 13 digits once hyphens and spaces are
/// removed, with an `X` allowed as the tenth character), without checking the check digit.
///
/// Used to route a search query to an exact ISBN lookup.
pub fn looks_like_isbn(s: &str) -> bool {
    let compact = strip_separators(s);
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match compact.len() {
        13 => all_digits(&compact),
        10 => compact
            .split_at_checked(9)
            .is_some_and(|(body, last)| all_digits(body) && (all_digits(last) || last.eq_ignore_ascii_case("x"))),
        _ => false,
    }
}

/// Drops hyphens and whitespace.
fn strip_separators(s: &str) -> String {
    s.chars().filter(|&c| c != '-' && !c.is_whitespace()).collect()
}

/// An `invalid_isbn` error completing the sentence "The ISBN …".
fn invalid(reason: &str) -> ValidationError {
    ValidationError::new("invalid_isbn", format!("The ISBN {reason}."))
}

/// Decodes an all-ASCII-digit string into digit values.
fn digits(s: &str) -> Option<Vec<u8>> {
    s.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect()
}

/// Check digit for the first 12 digits of an ISBN-13 (weights 1,3,1,3,…, modulo 10).
fn isbn13_check(first12: &[u8]) -> u8 {
    let sum: u32 = first12.iter().zip([1, 3].into_iter().cycle()).map(|(&d, w)| u32::from(d) * w).sum();
    // `sum % 10` is below 10, so the narrowing cannot lose information.
    ((10 - sum % 10) % 10) as u8
}

/// Check value (0–10, where 10 is written `X`) for the first 9 digits of an ISBN-10.
fn isbn10_check(first9: &[u8]) -> u8 {
    let sum: u32 = first9.iter().zip((2..=10).rev()).map(|(&d, w)| u32::from(d) * w).sum();
    ((11 - sum % 11) % 11) as u8
}

/// Validates a compact 13-character candidate.
fn parse_isbn13(s: &str) -> Result<Isbn, ValidationError> {
    let d = digits(s).ok_or_else(|| invalid("must contain only digits"))?;
    if !(s.starts_with("978") || s.starts_with("979")) {
        return Err(invalid("must start with 978 or 979"));
    }
    if isbn13_check(&d[..12]) != d[12] {
        return Err(invalid("check digit does not match; please re-check the number"));
    }
    Ok(Isbn(s.to_owned()))
}

/// Validates a compact 10-character candidate and converts it to ISBN-13.
fn parse_isbn10(s: &str) -> Result<Isbn, ValidationError> {
    let not_digits = || invalid("must contain only digits (and a final X)");
    let (body, last) = s.split_at_checked(9).ok_or_else(not_digits)?;
    let d = digits(body).ok_or_else(not_digits)?;
    let check = match last.as_bytes() {
        [b'X' | b'x'] => 10,
        [b @ b'0'..=b'9'] => b - b'0',
        _ => return Err(not_digits()),
    };
    if isbn10_check(&d) != check {
        return Err(invalid("check digit does not match; please re-check the number"));
    }
    let mut d13 = vec![9, 7, 8];
    d13.extend_from_slice(&d);
    let check13 = isbn13_check(&d13);
    Ok(Isbn(format!("978{body}{check13}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_isbns() {
        let cases = [
            ("9780306406157", "9780306406157"),
            ("978-0-306-40615-7", "9780306406157"),
            ("0-306-40615-2", "9780306406157"),
            (" 0 306 40615 2 ", "9780306406157"),
            ("979-10-90636-07-1", "9791090636071"),
            ("080442957X", "9780804429573"),
            ("080442957x", "9780804429573"),
            ("978-602-03-3295-6", "9786020332956"),
        ];
        for (input, expected) in cases {
            let isbn = Isbn::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(isbn.as_str(), expected);
            assert_eq!(isbn.to_string(), expected);
            assert_eq!(isbn.as_ref(), expected);
        }
    }

    #[test]
    fn refuses_bad_isbns() {
        assert_eq!(Isbn::parse("  ").unwrap_err().code, "required");
        for bad in [
            "9780306406158", // wrong check digit
            "0-306-40615-3", // wrong ISBN-10 check digit
            "9770306406157", // wrong prefix
            "97803064061",   // wrong length
            "97803064061X7", // letter inside
            "X306406152",    // X not last
            "12345678é",     // 10 bytes, but not ten characters
            "978030640615X", // X in an ISBN-13
            "٩٧٨٠٣٠٦٤٠٦١٥٧", // non-ASCII digits
        ] {
            assert_eq!(Isbn::parse(bad).unwrap_err().code, "invalid_isbn", "{bad}");
        }
    }

    #[test]
    fn converts_back_to_isbn10() {
        let isbn = Isbn::parse("080442957X").unwrap();
        assert_eq!(isbn.to_isbn10().as_deref(), Some("080442957X"));
        let isbn = Isbn::parse("979-10-90636-07-1").unwrap();
        assert_eq!(isbn.to_isbn10(), None);
    }

    #[test]
    fn serializes_as_string_and_deserializes_through_parse() {
        let isbn = Isbn::parse("0-306-40615-2").unwrap();
        assert_eq!(serde_json::to_string(&isbn).unwrap(), "\"9780306406157\"");
        let back: Isbn = serde_json::from_str("\"978-0-306-40615-7\"").unwrap();
        assert_eq!(back, isbn);
        assert!(serde_json::from_str::<Isbn>("\"9780306406158\"").is_err());
        assert_eq!(Isbn::try_from("9780306406157".to_owned()).unwrap(), isbn);
    }

    #[test]
    fn looks_like_isbn_routes_queries() {
        assert!(looks_like_isbn("978-0-306-40615-7"));
        assert!(looks_like_isbn("080442957x"));
        assert!(looks_like_isbn("9780306406158")); // shape only, not the check digit
        assert!(!looks_like_isbn("laskar pelangi"));
        assert!(!looks_like_isbn("978030640615X"));
        assert!(!looks_like_isbn("12345"));
        assert!(!looks_like_isbn(""));
    }

    /// A valid ISBN-10 built from nine arbitrary digits.
    fn isbn10() -> impl Strategy<Value = String> {
        proptest::array::uniform9(0u8..10).prop_map(|d| {
            let check = isbn10_check(&d);
            let mut s: String = d.iter().map(|&x| char::from(b'0' + x)).collect();
            s.push(if check == 10 { 'X' } else { char::from(b'0' + check) });
            s
        })
    }

    /// A valid ISBN-13 with a 978 or 979 prefix.
    fn isbn13() -> impl Strategy<Value = String> {
        (prop::bool::ANY, proptest::array::uniform9(0u8..10)).prop_map(|(nine, d)| {
            let mut all = vec![9, 7, if nine { 9 } else { 8 }];
            all.extend_from_slice(&d);
            all.push(isbn13_check(&all));
            all.iter().map(|&x| char::from(b'0' + x)).collect()
        })
    }

    proptest! {
        #[test]
        fn every_isbn10_converts_to_a_valid_isbn13(s in isbn10()) {
            let isbn = Isbn::parse(&s).unwrap();
            prop_assert_eq!(isbn.as_str().len(), 13);
            prop_assert!(isbn.as_str().starts_with("978"));
            prop_assert_eq!(&isbn.as_str()[3..12], &s[..9]);
            prop_assert_eq!(&Isbn::parse(isbn.as_str()).unwrap(), &isbn);
            prop_assert_eq!(isbn.to_isbn10().unwrap(), s.to_uppercase());
        }

        #[test]
        fn changing_one_digit_breaks_an_isbn13(s in isbn13(), pos in 0usize..13, delta in 1u8..10) {
            prop_assert!(Isbn::parse(&s).is_ok());
            let mut bytes = s.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let altered = String::from_utf8(bytes).unwrap();
            prop_assert!(Isbn::parse(&altered).is_err(), "{} was accepted", altered);
        }

        #[test]
        fn parse_is_idempotent(s in isbn13(), hyphens in proptest::collection::vec(0usize..13, 0..4)) {
            let mut spaced = s.clone();
            let mut positions = hyphens;
            positions.sort_unstable_by(|a, b| b.cmp(a));
            for p in positions {
                spaced.insert(p, '-');
            }
            let isbn = Isbn::parse(&spaced).unwrap();
            prop_assert_eq!(isbn.as_str(), s.as_str());
            prop_assert_eq!(&Isbn::parse(isbn.as_str()).unwrap(), &isbn);
            prop_assert!(looks_like_isbn(&spaced));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            if let Ok(isbn) = Isbn::parse(&s) {
                prop_assert!(looks_like_isbn(&s));
                prop_assert_eq!(isbn.as_str().len(), 13);
            }
        }
    }
}
