//! Library card numbers: `P` plus seven digits plus a Luhn check digit, e.g. `P12345674`.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::validation::{impl_string_newtype, ValidationError};

/// Number of digits before the check digit.
const PAYLOAD_DIGITS: usize = 7;

/// A member's card number, `P` followed by 8 digits whose last is a Luhn check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct CardNumber(String);

impl CardNumber {
    /// Draws a fresh random card number (uniqueness is the caller's job).
    pub fn generate(rng: &mut impl Rng) -> Self {
        let payload: [u8; PAYLOAD_DIGITS] = std::array::from_fn(|_| rng.gen_range(0..10));
        let mut number = String::with_capacity(1 + PAYLOAD_DIGITS + 1);
        number.push('P');
        number.extend(payload.iter().map(|&d| char::from(b'0' + d)));
        number.push(char::from(b'0' + luhn_check_digit(&payload)));
        Self(number)
    }

    /// Trims, upper-cases the leading `p` and verifies the check digit, so a card
    /// number with a mistyped digit is refused.
    ///
    /// Errors: `required` for blank input, otherwise `invalid_card_number`.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ValidationError::required("Card number"));
        }
        let digits = value
            .strip_prefix(['P', 'p'])
            .and_then(|rest| rest.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect::<Option<Vec<u8>>>())
            .filter(|d| d.len() == PAYLOAD_DIGITS + 1)
            .ok_or_else(|| {
                ValidationError::new("invalid_card_number", "A card number is the letter P followed by 8 digits.")
            })?;
        let (payload, check) = digits.split_at(PAYLOAD_DIGITS);
        if check != [luhn_check_digit(payload)] {
            return Err(ValidationError::new(
                "invalid_card_number",
                "The card number's check digit does not match; please re-check the number.",
            ));
        }
        Ok(Self(format!("P{}", &value[1..])))
    }
}
impl_string_newtype!(CardNumber);

/// The Luhn check digit to append to `payload` (each value 0–9).
fn luhn_check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            // The digit next to the check digit is doubled, then every second one.
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    // `sum % 10` is below 10, so the narrowing cannot lose information.
    ((10 - sum % 10) % 10) as u8
}

/// The longest number from another system a member may carry.
pub const MEMBER_NUMBER_MAX: usize = 40;

/// A number another system gave a member, printed on cards the library already has: a SLiMS
/// member id, a school's NIS or the national NISN, an old card. Unique across members; the desk,
/// the kiosk and the member search take it like the Pustaka card. Trimmed and upper-cased (a
/// scanner and a person typing it agree), 1 to 40 letters, digits and `. - / _ :`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct MemberNumber(String);

impl MemberNumber {
    /// Errors: `required` for blank input, `too_long`, `invalid_format` for other characters.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ValidationError::required("Number"));
        }
        if !value.chars().all(|c| c.is_alphanumeric() || ".-/_:".contains(c)) {
            return Err(ValidationError::invalid_format("Number", "be letters, digits and . - / _ : only"));
        }
        // Counted as stored: upper-casing may lengthen it (`ß` is `SS`).
        let upper = value.to_uppercase();
        if upper.chars().count() > MEMBER_NUMBER_MAX {
            return Err(ValidationError::too_long("Number", MEMBER_NUMBER_MAX));
        }
        Ok(Self(upper))
    }
}
impl_string_newtype!(MemberNumber);

/// What a member's other number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// Their member id in SLiMS.
    Slims,
    /// The school's student number (NIS; `NIPD` in the administration system's export).
    Nis,
    /// The national student number (NISN).
    Nisn,
    /// A card number of the library's earlier system or list.
    OldCard,
}

impl NumberKind {
    pub const ALL: [NumberKind; 4] = [NumberKind::Slims, NumberKind::Nis, NumberKind::Nisn, NumberKind::OldCard];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Slims => "slims",
            NumberKind::Nis => "nis",
            NumberKind::Nisn => "nisn",
            NumberKind::OldCard => "old_card",
        }
    }

    /// Errors: `invalid_kind`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| {
            ValidationError::new("invalid_kind", "The kind of number is one of slims, nis, nisn, old_card.")
        })
    }
}

/// What a desk, a kiosk or a search is given to find a member by: their Pustaka card, or
/// another number of theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    Card(CardNumber),
    Other(MemberNumber),
}

impl MemberRef {
    /// A valid Pustaka card number is the card; anything with the shape of one (`P` and 8
    /// digits) but a wrong check digit is refused as a card (`invalid_card_number`: a misread
    /// scan, not another number); anything else is another number.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        match CardNumber::parse(input) {
            Ok(card) => Ok(MemberRef::Card(card)),
            Err(e) if e.code == "required" => Err(e),
            Err(e) if looks_like_card(input) => Err(e),
            Err(_) => MemberNumber::parse(input).map(MemberRef::Other),
        }
    }

    /// The text looked up.
    pub fn as_str(&self) -> &str {
        match self {
            MemberRef::Card(c) => c.as_str(),
            MemberRef::Other(n) => n.as_str(),
        }
    }
}

/// `P` followed by 8 digits: the shape of a Pustaka card.
fn looks_like_card(input: &str) -> bool {
    let v = input.trim();
    v.strip_prefix(['P', 'p']).is_some_and(|d| d.len() == PAYLOAD_DIGITS + 1 && d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {

    #[test]
    fn other_numbers_and_what_a_scan_finds() {
        assert_eq!(MemberNumber::parse(" m0042 ").unwrap().as_str(), "M0042");
        assert_eq!(MemberNumber::parse("0051234567").unwrap().as_str(), "0051234567");
        assert_eq!(MemberNumber::parse("2024/7A.01").unwrap().as_str(), "2024/7A.01");
        assert_eq!(MemberNumber::parse("").unwrap_err().code, "required");
        assert_eq!(MemberNumber::parse("a b").unwrap_err().code, "invalid_format");
        assert_eq!(MemberNumber::parse(&"9".repeat(41)).unwrap_err().code, "too_long");
        assert_eq!(MemberNumber::parse(&"ß".repeat(20)).unwrap().as_str(), "SS".repeat(20));
        assert_eq!(MemberNumber::parse(&"ß".repeat(21)).unwrap_err().code, "too_long", "42 characters stored");
        assert_eq!(MemberRef::parse("p12345674").unwrap(), MemberRef::Card(CardNumber::parse("P12345674").unwrap()));
        assert_eq!(MemberRef::parse("P12345675").unwrap_err().code, "invalid_card_number");
        assert_eq!(
            MemberRef::parse(" 0051234567").unwrap(),
            MemberRef::Other(MemberNumber::parse("0051234567").unwrap())
        );
        assert_eq!(MemberRef::parse("").unwrap_err().code, "required");
        for k in NumberKind::ALL {
            assert_eq!(NumberKind::parse(k.as_str()).unwrap(), k);
        }
        assert!(NumberKind::parse("ktp").is_err());
    }
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn luhn_matches_known_values() {
        // 7992739871 → check digit 3 is the textbook Luhn example.
        assert_eq!(luhn_check_digit(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1]), 3);
        assert_eq!(luhn_check_digit(&[1, 2, 3, 4, 5, 6, 7]), 4);
        assert_eq!(luhn_check_digit(&[0; 7]), 0);
    }

    #[test]
    fn parses_and_normalizes() {
        let card = CardNumber::parse("  p12345674 ").unwrap();
        assert_eq!(card.as_str(), "P12345674");
        assert_eq!(card.to_string(), "P12345674");
        assert_eq!(serde_json::to_string(&card).unwrap(), "\"P12345674\"");
        let back: CardNumber = serde_json::from_str("\"p12345674\"").unwrap();
        assert_eq!(back, card);
    }

    #[test]
    fn refuses_bad_numbers() {
        assert_eq!(CardNumber::parse(" ").unwrap_err().code, "required");
        for bad in [
            "P12345675",  // wrong check digit
            "P21345674",  // swapped digits
            "12345674",   // no P
            "Q12345674",  // wrong letter
            "P1234567",   // too short
            "P123456740", // too long
            "P1234567X",  // not a digit
            "P1234 5674", // inner space
            "Pé2345674",  // non-ASCII
        ] {
            assert_eq!(CardNumber::parse(bad).unwrap_err().code, "invalid_card_number", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn generated_numbers_parse(seed in any::<u64>()) {
            let card = CardNumber::generate(&mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(card.as_str().len(), 9);
            prop_assert_eq!(&CardNumber::parse(card.as_str()).unwrap(), &card);
            prop_assert_eq!(CardNumber::parse(&card.as_str().to_lowercase()).unwrap(), card);
        }

        #[test]
        fn altering_one_digit_is_caught(seed in any::<u64>(), pos in 1usize..9, delta in 1u8..10) {
            let card = CardNumber::generate(&mut StdRng::seed_from_u64(seed));
            let mut bytes = card.into_inner().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let altered = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(
                CardNumber::parse(&altered).unwrap_err().code,
                "invalid_card_number"
            );
        }
    }
}
