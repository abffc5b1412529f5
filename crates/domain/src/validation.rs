//! Validated input types: each newtype can only be built through `parse`,
//! so holding one is proof that its rules were checked ("parse, don't validate").
//!
//! Error codes used here: `required`, `too_short`, `too_long`, `too_many`,
//! `invalid_format`, `invalid_characters`, `out_of_range`.
//!
//! Every text field refuses control characters and bidirectional-text controls
//! ([`is_forbidden_char`]): they spoof what the desk page shows (U+202E turns
//! "Laporan\u{202E}fdp.exe" into "Laporanexe.pdf") and reach terminals and dumps as escapes. All the
//! fields here are single-line, so no newline or tab is allowed inside either; surrounding
//! whitespace (a scanner's trailing newline) is trimmed as before. New passwords are the one
//! exception: they are never shown, only hashed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a piece of input was refused: a stable machine `code` plus an English `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// Stable machine-readable code such as `"required"` or `"invalid_isbn"`.
    pub code: &'static str,
    /// Human-readable English sentence explaining the problem.
    pub message: String,
}

impl ValidationError {
    /// Builds an error from a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// `required`: the field was empty (after trimming).
    pub fn required(field: &str) -> Self {
        Self::new("required", format!("{field} is required."))
    }

    /// `too_short`: fewer than `min` characters.
    pub fn too_short(field: &str, min: usize) -> Self {
        Self::new("too_short", format!("{field} must be at least {min} characters long."))
    }

    /// `too_long`: more than `max` characters.
    pub fn too_long(field: &str, max: usize) -> Self {
        Self::new("too_long", format!("{field} must be at most {max} characters long."))
    }

    /// `invalid_format`: the value has the wrong shape; `rule` completes "{field} must …".
    pub fn invalid_format(field: &str, rule: &str) -> Self {
        Self::new("invalid_format", format!("{field} must {rule}."))
    }

    /// `invalid_characters`: the text holds a control or bidi-control character ([`is_forbidden_char`]).
    pub fn invalid_characters(field: &str) -> Self {
        Self::new(
            "invalid_characters",
            format!("{field} must not contain control characters (such as NUL, escape or a line break) or bidirectional-text controls."),
        )
    }

    /// `out_of_range`: a number outside `min..=max`.
    pub fn out_of_range(field: &str, min: impl fmt::Display, max: impl fmt::Display) -> Self {
        Self::new("out_of_range", format!("{field} must be between {min} and {max}."))
    }
}

/// Whether `c` may not appear in any text field: a control character (Unicode category Cc: NUL,
/// escape, tab, line breaks, DEL, C1 controls) or a bidirectional-text control (the marks U+200E,
/// U+200F and U+061C, the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is an invisible formatting character that a name may not hold: two names that
/// read the same ("Siti Aminah" and "Siti\u{200B} Aminah") must be the same name. The soft
/// hyphen U+00AD, the combining grapheme joiner U+034F, the Hangul and Khmer fillers and
/// vowels that show nothing (U+115F, U+1160, U+17B4, U+17B5, U+3164, U+FFA0), the Mongolian
/// vowel separator U+180E, the zero-width space U+200B (not the joiners U+200C and U+200D, which
/// emoji sequences and some scripts need), the word
/// joiner and invisible operators U+2060–U+2064, the deprecated format characters
/// U+206A–U+206F, the byte-order mark U+FEFF, the interlinear annotation marks U+FFF9–U+FFFB,
/// the musical formatting characters U+1D173–U+1D17A and the tag characters U+E0000–U+E007F.
pub fn is_invisible_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// A name's text: [`bounded_text`], and no invisible formatting character ([`is_invisible_char`]).
fn name_text<'a>(field: &str, input: &'a str, max: usize) -> Result<&'a str, ValidationError> {
    let text = bounded_text(field, input, max)?;
    if text.chars().any(is_invisible_char) {
        return Err(ValidationError::new(
            "invalid_characters",
            format!("{field} must not contain invisible characters (such as a zero-width space or a soft hyphen)."),
        ));
    }
    Ok(text)
}

/// The one check every text field shares: `invalid_characters` if `text` holds a character
/// [`is_forbidden_char`] refuses.
pub fn plain_text(field: &str, text: &str) -> Result<(), ValidationError> {
    if text.chars().any(is_forbidden_char) {
        Err(ValidationError::invalid_characters(field))
    } else {
        Ok(())
    }
}

/// Trims `input` and checks it is non-empty, plain text ([`plain_text`]) and at most `max`
/// characters (not bytes).
fn bounded_text<'a>(field: &str, input: &'a str, max: usize) -> Result<&'a str, ValidationError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::required(field));
    }
    plain_text(field, trimmed)?;
    if trimmed.chars().count() > max {
        return Err(ValidationError::too_long(field, max));
    }
    Ok(trimmed)
}

/// Implements the shared accessors and conversions of a `String` newtype with a `parse` fn.
macro_rules! impl_string_newtype {
    ($name:ident) => {
        impl $name {
            /// The validated value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the wrapper, returning the validated string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::validation::ValidationError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::validation::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}
pub(crate) use impl_string_newtype;

/// A copy's barcode as typed by a scanner: 1–64 ASCII letters, digits, `-`, `.` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Barcode(String);

impl Barcode {
    /// Longest accepted barcode, in characters.
    pub const MAX_LEN: usize = 64;

    /// Trims and checks the barcode; case is preserved (the store matches barcodes whatever their case).
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let value = bounded_text("Barcode", input, Self::MAX_LEN)?;
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
            return Err(ValidationError::invalid_format("Barcode", "contain only letters, digits, '-', '.' and '_'"));
        }
        Ok(Self(value.to_owned()))
    }
}
impl_string_newtype!(Barcode);

/// A book title: trimmed, non-empty, at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Title(String);

impl Title {
    /// Longest accepted title, in characters.
    pub const MAX_LEN: usize = 500;

    /// Trims and checks the title.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        bounded_text("Title", input, Self::MAX_LEN).map(|v| Self(v.to_owned()))
    }
}
impl_string_newtype!(Title);

/// A person's name: trimmed, non-empty, at most 200 characters, plain text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct PersonName(String);

impl PersonName {
    /// Longest accepted name, in characters.
    pub const MAX_LEN: usize = 200;

    /// Trims and checks the name.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        name_text("Name", input, Self::MAX_LEN).map(|v| Self(v.to_owned()))
    }
}
impl_string_newtype!(PersonName);

/// An e-mail address, checked only for its basic shape; the domain part is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Email(String);

impl Email {
    /// Longest accepted address, in characters (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Trims and checks the address: one `@`, a non-empty local part, and a dotted
    /// domain without empty labels; no whitespace, control or bidi-control characters anywhere.
    ///
    /// This deliberately does not implement RFC 5322; the only real proof that an
    /// address works is a message that arrives.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let value = bounded_text("Email", input, Self::MAX_LEN)?;
        let invalid = || ValidationError::invalid_format("Email", "look like name@example.org");
        if value.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        if local.is_empty() || domain.contains('@') {
            return Err(invalid());
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }

    /// The (lower-cased) part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }
}
impl_string_newtype!(Email);

/// A phone number: 6–20 characters of digits, spaces and hyphens, with an optional leading `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Phone(String);

impl Phone {
    /// Shortest accepted number, in characters.
    pub const MIN_LEN: usize = 6;
    /// Longest accepted number, in characters.
    pub const MAX_LEN: usize = 20;

    /// Trims and checks the number; it must start (after any `+`) and end with a digit.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let value = bounded_text("Phone", input, Self::MAX_LEN)?;
        if value.chars().count() < Self::MIN_LEN {
            return Err(ValidationError::too_short("Phone", Self::MIN_LEN));
        }
        let body = value.strip_prefix('+').unwrap_or(value);
        let well_formed = body.starts_with(|c: char| c.is_ascii_digit())
            && body.ends_with(|c: char| c.is_ascii_digit())
            && body.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
        if !well_formed {
            return Err(ValidationError::invalid_format(
                "Phone",
                "contain only digits, spaces and hyphens, with an optional leading '+'",
            ));
        }
        Ok(Self(value.to_owned()))
    }
}
impl_string_newtype!(Phone);

/// A school member's class (kelas, rombel), e.g. `7A`, `VIII-B`, `XII IPA 2`: trimmed, runs of
/// spaces inside made one, plain text, at most 20 characters. Case is kept as written (the
/// visitor statistics count `7a` and `7A` as one class).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Grade(String);

impl Grade {
    /// Longest accepted class, in characters.
    pub const MAX_LEN: usize = 20;

    /// Trims and checks the class.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let joined = input.split_whitespace().collect::<Vec<_>>().join(" ");
        // Control characters are checked on the input as given (split_whitespace would drop a tab).
        plain_text("Class", input.trim())?;
        bounded_text("Class", &joined, Self::MAX_LEN).map(|v| Self(v.to_owned()))
    }
}
impl_string_newtype!(Grade);

/// Checks a date of birth: not after `today` (the library's date), not before 1900.
pub fn check_birth_date(
    date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<chrono::NaiveDate, ValidationError> {
    let first = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
    if date > today || date < first {
        return Err(ValidationError::new(
            "out_of_range",
            format!("a date of birth is from 1900-01-01 to today ({today}), not {date}"),
        ));
    }
    Ok(date)
}

/// A login name: 3–32 characters of `a-z`, `0-9`, `.`, `_`, `-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Username(String);

impl Username {
    /// Shortest accepted username, in characters.
    pub const MIN_LEN: usize = 3;
    /// Longest accepted username, in characters.
    pub const MAX_LEN: usize = 32;

    /// Trims, lower-cases (ASCII only) and checks the username.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        // ASCII lower-casing on purpose: full Unicode lower-casing would turn
        // look-alikes such as the Kelvin sign (U+212A) into a plain `k`.
        let value = name_text("Username", input, Self::MAX_LEN)?.to_ascii_lowercase();
        if value.chars().count() < Self::MIN_LEN {
            return Err(ValidationError::too_short("Username", Self::MIN_LEN));
        }
        let well_formed = value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !well_formed {
            return Err(ValidationError::invalid_format(
                "Username",
                "start with a letter or digit and contain only a-z, 0-9, '.', '_' and '-'",
            ));
        }
        Ok(Self(value))
    }
}
impl_string_newtype!(Username);

/// A new password: 8–128 characters, not all whitespace. Never printed, never serialized.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    /// Shortest accepted password, in characters.
    pub const MIN_LEN: usize = 8;
    /// Longest accepted password, in characters.
    pub const MAX_LEN: usize = 128;

    /// Checks the password as given (it is not trimmed: spaces are legitimate characters).
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.trim().is_empty() {
            return Err(ValidationError::required("Password"));
        }
        let len = input.chars().count();
        if len < Self::MIN_LEN {
            return Err(ValidationError::too_short("Password", Self::MIN_LEN));
        }
        if len > Self::MAX_LEN {
            return Err(ValidationError::too_long("Password", Self::MAX_LEN));
        }
        Ok(Self(input.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the wrapper, returning the secret.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl TryFrom<String> for Password {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// A publication year between 1000 and next year. "This year" is the caller's, from the store's
/// `Clock`: the rule reads no clock of its own (so a test that sets the clock sets it here too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Year(i32);

impl Year {
    /// Earliest accepted year.
    pub const MIN: i32 = 1000;

    /// Checks `value` is within `1000..=this_year + 1`.
    pub fn parse(value: i32, this_year: i32) -> Result<Self, ValidationError> {
        let max = this_year.saturating_add(1);
        if (Self::MIN..=max).contains(&value) {
            Ok(Self(value))
        } else {
            Err(ValidationError::out_of_range("Year", Self::MIN, max))
        }
    }

    /// The year as a number.
    pub fn value(self) -> i32 {
        self.0
    }

    /// Consumes the wrapper, returning the year.
    pub fn into_inner(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An ISO 639-1/-2 language code: 2 or 3 ASCII letters, lower-cased (`"id"`, `"en"`, `"jv"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct LanguageCode(String);

impl LanguageCode {
    /// Trims, lower-cases and checks the code's shape (not membership in the ISO list).
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ValidationError::required("Language"));
        }
        plain_text("Language", value)?;
        if !(2..=3).contains(&value.len()) || !value.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ValidationError::invalid_format(
                "Language",
                "be a 2- or 3-letter ISO 639 code such as \"id\" or \"en\"",
            ));
        }
        Ok(Self(value.to_ascii_lowercase()))
    }
}
impl_string_newtype!(LanguageCode);

/// A short free-text value (publisher, shelf location, reason): trimmed, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct ShortText(String);

impl ShortText {
    /// Longest accepted text, in characters.
    pub const MAX_LEN: usize = 200;

    /// Trims and checks the text; messages call it "Text".
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        Self::parse_field("Text", input)
    }

    /// Like [`ShortText::parse`], naming the field in messages (e.g. "Publisher is required.").
    pub fn parse_field(field: &str, input: &str) -> Result<Self, ValidationError> {
        bounded_text(field, input, Self::MAX_LEN).map(|v| Self(v.to_owned()))
    }

    /// Like [`ShortText::parse_field`] for a name (a guest's, the library's, a stock take's):
    /// no invisible formatting characters either, as in a [`PersonName`].
    pub fn parse_name(field: &str, input: &str) -> Result<Self, ValidationError> {
        name_text(field, input, Self::MAX_LEN).map(|v| Self(v.to_owned()))
    }
}
impl_string_newtype!(ShortText);

/// Longest accepted entry of an [`Authors`] or [`Subjects`] list, in characters.
pub const LIST_ENTRY_MAX_LEN: usize = 200;
/// Most entries accepted in an [`Authors`] or [`Subjects`] list.
pub const LIST_MAX_ENTRIES: usize = 20;

/// Trims every entry, drops blank ones, and checks entry length and count.
fn parse_list<I>(field: &str, entries: I) -> Result<Vec<String>, ValidationError>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.as_ref().trim();
        if entry.is_empty() {
            continue;
        }
        plain_text(&format!("Each {field} entry"), entry)?;
        if entry.chars().count() > LIST_ENTRY_MAX_LEN {
            return Err(ValidationError::new(
                "too_long",
                format!("Each {field} entry must be at most {LIST_ENTRY_MAX_LEN} characters long."),
            ));
        }
        if out.len() == LIST_MAX_ENTRIES {
            return Err(ValidationError::new(
                "too_many",
                format!("At most {LIST_MAX_ENTRIES} {field} entries are allowed."),
            ));
        }
        out.push(entry.to_owned());
    }
    Ok(out)
}

/// Implements the shared accessors of a `Vec<String>` list newtype.
macro_rules! impl_list_newtype {
    ($name:ident) => {
        impl $name {
            /// The entries, in the order given.
            pub fn as_slice(&self) -> &[String] {
                &self.0
            }

            /// Consumes the wrapper, returning the entries.
            pub fn into_inner(self) -> Vec<String> {
                self.0
            }

            /// Number of entries.
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether there are no entries.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Iterates over the entries.
            pub fn iter(&self) -> std::slice::Iter<'_, String> {
                self.0.iter()
            }
        }

        impl TryFrom<Vec<String>> for $name {
            type Error = ValidationError;

            fn try_from(value: Vec<String>) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl AsRef<[String]> for $name {
            fn as_ref(&self) -> &[String] {
                &self.0
            }
        }

        impl<'a> IntoIterator for &'a $name {
            type Item = &'a String;
            type IntoIter = std::slice::Iter<'a, String>;

            fn into_iter(self) -> Self::IntoIter {
                self.0.iter()
            }
        }
    };
}

/// A book's authors: 1–20 trimmed names of at most 200 characters each.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Authors(Vec<String>);

impl Authors {
    /// Trims every entry and drops blank ones; at least one author must remain.
    pub fn parse<I>(entries: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let authors = parse_list("author", entries)?;
        if authors.is_empty() {
            return Err(ValidationError::new("required", "At least one author is required."));
        }
        Ok(Self(authors))
    }
}
impl_list_newtype!(Authors);

/// A book's subjects: 0–20 trimmed entries of at most 200 characters each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Subjects(Vec<String>);

impl Subjects {
    /// Trims every entry and drops blank ones; an empty list is fine.
    pub fn parse<I>(entries: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        parse_list("subject", entries).map(Self)
    }
}
impl_list_newtype!(Subjects);

/// A book's other identifiers, kept as given: an ISSN, an ISBN that fails its checksum, a
/// local number. 0–20 trimmed entries of at most 200 characters each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Identifiers(Vec<String>);

impl Identifiers {
    /// Trims every entry, drops blank ones and repeated ones; an empty list is fine.
    pub fn parse<I>(entries: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut list = parse_list("identifier", entries)?;
        let mut seen = std::collections::HashSet::new();
        list.retain(|e| seen.insert(e.clone()));
        Ok(Self(list))
    }
}
impl_list_newtype!(Identifiers);

/// Free notes on a record: trimmed, 1–2000 characters; the one text that may span lines.
/// Line ends are stored as `\n` (a `\r\n` or lone `\r` is turned into one); every other
/// control and bidi-control character is refused as in single-line fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Notes(String);

impl Notes {
    /// Longest accepted notes, in characters.
    pub const MAX_LEN: usize = 2000;

    /// Normalises line ends, trims and checks the notes.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let text = input.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(ValidationError::required("Notes"));
        }
        if text.chars().any(|c| c != '\n' && is_forbidden_char(c)) {
            return Err(ValidationError::invalid_characters("Notes"));
        }
        if text.chars().count() > Self::MAX_LEN {
            return Err(ValidationError::too_long("Notes", Self::MAX_LEN));
        }
        Ok(Self(text.to_owned()))
    }
}
impl_string_newtype!(Notes);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn identifiers_keep_what_is_given_once() {
        let ids = Identifiers::parse([" 0216-3195 ", "", "978-0-00-000000-0", "0216-3195"]).unwrap();
        assert_eq!(ids.as_slice(), ["0216-3195", "978-0-00-000000-0"]);
        assert_eq!(Identifiers::parse(["a\u{202E}b"]).unwrap_err().code, "invalid_characters");
        assert_eq!(Identifiers::parse(vec!["x"; 0]).unwrap().len(), 0);
    }

    #[test]
    fn notes_span_lines_but_refuse_other_controls() {
        assert_eq!(
            Notes::parse(" Hadiah alumni.\r\nRak khusus.\rDipinjam ruang baca. ").unwrap().as_str(),
            "Hadiah alumni.\nRak khusus.\nDipinjam ruang baca."
        );
        assert_eq!(Notes::parse("a\u{0007}").unwrap_err().code, "invalid_characters");
        assert_eq!(Notes::parse("a\tb").unwrap_err().code, "invalid_characters");
        assert_eq!(Notes::parse(" \r\n ").unwrap_err().code, "required");
        assert!(Notes::parse(&"é".repeat(2000)).is_ok());
        assert_eq!(Notes::parse(&"é".repeat(2001)).unwrap_err().code, "too_long");
    }

    #[test]
    fn barcode_trims_and_keeps_case() {
        let b = Barcode::parse("  Bk-00.12_a \n").unwrap();
        assert_eq!(b.as_str(), "Bk-00.12_a");
        assert_eq!(Barcode::parse("").unwrap_err().code, "required");
        assert_eq!(Barcode::parse("AB 12").unwrap_err().code, "invalid_format");
        assert_eq!(Barcode::parse("ÅB12").unwrap_err().code, "invalid_format");
        assert!(Barcode::parse(&"9".repeat(64)).is_ok());
        assert_eq!(Barcode::parse(&"9".repeat(65)).unwrap_err().code, "too_long");
    }

    #[test]
    fn title_counts_chars_not_bytes() {
        assert!(Title::parse(&"é".repeat(500)).is_ok());
        assert_eq!(Title::parse(&"é".repeat(501)).unwrap_err().code, "too_long");
        assert_eq!(Title::parse(" \t ").unwrap_err().code, "required");
        assert_eq!(Title::parse("  Laskar Pelangi ").unwrap().as_str(), "Laskar Pelangi");
    }

    #[test]
    fn person_name_rules() {
        assert_eq!(PersonName::parse(" Pramoedya Ananta Toer ").unwrap().as_str(), "Pramoedya Ananta Toer");
        assert_eq!(PersonName::parse("Ani\u{0007}").unwrap_err().code, "invalid_characters");
        assert_eq!(PersonName::parse("Ani\nBudi").unwrap_err().code, "invalid_characters");
        // Issue 29, low 9: names that read the same are the same name.
        for c in ['\u{200B}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{E0041}', '\u{3164}'] {
            let e = PersonName::parse(&format!("Siti{c} Aminah")).unwrap_err();
            assert_eq!(e.code, "invalid_characters", "{c:?}");
            assert!(e.message.contains("invisible"), "{}", e.message);
            assert_eq!(ShortText::parse_name("Name", &format!("Tamu{c}")).unwrap_err().code, "invalid_characters");
        }
        assert!(PersonName::parse("Siti Aminah binti Ahmad-Yusuf").is_ok());
        assert!(ShortText::parse_field("Location", "Rak\u{00AD}A").is_ok(), "other texts keep them");
        assert_eq!(PersonName::parse("").unwrap_err().code, "required");
        assert_eq!(PersonName::parse(&"a".repeat(201)).unwrap_err().code, "too_long");
    }

    #[test]
    fn email_lowercases_domain_only() {
        let e = Email::parse("  Siti.Nur@Perpus.Example.AC.ID ").unwrap();
        assert_eq!(e.as_str(), "Siti.Nur@perpus.example.ac.id");
        assert_eq!(e.local_part(), "Siti.Nur");
        assert_eq!(e.domain(), "perpus.example.ac.id");
        for bad in [
            "siti",
            "@example.org",
            "siti@",
            "siti@localhost",
            "siti@@example.org",
            "si@ti@example.org",
            "siti@exa mple.org",
            "siti@example..org",
            "siti@.example.org",
            "siti@example.org.",
            "si ti@example.org",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().code, "invalid_format", "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err().code, "too_long");
    }

    #[test]
    fn phone_rules() {
        for ok in ["+62 812-3456-7890", "021-555 1234", "123456", "+62812345678"] {
            assert_eq!(Phone::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(Phone::parse("12345").unwrap_err().code, "too_short");
        assert_eq!(Phone::parse("+62 812 3456 7890 123").unwrap_err().code, "too_long");
        for bad in ["62+812345", "(021) 5551234", "------", "+-62812345", "0812345-", "08123x45"] {
            assert_eq!(Phone::parse(bad).unwrap_err().code, "invalid_format", "{bad}");
        }
    }

    #[test]
    fn grade_rules() {
        for (given, kept) in
            [("7A", "7A"), ("  VIII-B ", "VIII-B"), ("XII  IPA   2", "XII IPA 2"), ("x mipa 1", "x mipa 1")]
        {
            assert_eq!(Grade::parse(given).unwrap().as_str(), kept);
        }
        assert_eq!(Grade::parse("   ").unwrap_err().code, "required");
        assert_eq!(Grade::parse(&"X".repeat(21)).unwrap_err().code, "too_long");
        assert!(Grade::parse(&"X".repeat(20)).is_ok());
        assert_eq!(Grade::parse("7\tA").unwrap_err().code, "invalid_characters");
        assert_eq!(Grade::parse("7A\u{202E}").unwrap_err().code, "invalid_characters");
    }

    #[test]
    fn username_rules() {
        assert_eq!(Username::parse("  Admin.Perpus ").unwrap().as_str(), "admin.perpus");
        assert_eq!(Username::parse("ab").unwrap_err().code, "too_short");
        assert_eq!(Username::parse("_admin").unwrap_err().code, "invalid_format");
        assert_eq!(Username::parse("adm in").unwrap_err().code, "invalid_format");
        // Kelvin sign must not sneak in as a `k`.
        assert_eq!(Username::parse("\u{212A}ucing").unwrap_err().code, "invalid_format");
        assert_eq!(Username::parse(&"a".repeat(33)).unwrap_err().code, "too_long");
    }

    #[test]
    fn password_is_never_printed() {
        let p = Password::parse("correct horse").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(p.as_str(), "correct horse");
        assert_eq!(Password::parse("        ").unwrap_err().code, "required");
        assert_eq!(Password::parse("short").unwrap_err().code, "too_short");
        assert_eq!(Password::parse(&"x".repeat(129)).unwrap_err().code, "too_long");
        assert!(Password::parse(" spaced pass ").is_ok());
        let from_json: Password = serde_json::from_str("\"s3cret-enough\"").unwrap();
        assert_eq!(from_json.as_str(), "s3cret-enough");
    }

    #[test]
    fn year_bounds() {
        assert_eq!(Year::parse(2025, 2024).unwrap().value(), 2025);
        assert_eq!(Year::parse(2026, 2024).unwrap_err().code, "out_of_range");
        assert!(Year::parse(1000, 2024).is_ok());
        assert!(Year::parse(999, 2024).is_err());
        assert!(Year::parse(1980, 2026).is_ok());
        assert!(Year::parse(i32::MAX, 2026).is_err());
        assert!(Year::parse(2026, i32::MAX).is_ok());
    }

    #[test]
    fn language_code_rules() {
        assert_eq!(LanguageCode::parse(" ID ").unwrap().as_str(), "id");
        assert_eq!(LanguageCode::parse("jav").unwrap().as_str(), "jav");
        for bad in ["e", "engl", "e1", "éé"] {
            assert_eq!(LanguageCode::parse(bad).unwrap_err().code, "invalid_format", "{bad}");
        }
        assert_eq!(LanguageCode::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn short_text_rules() {
        assert_eq!(ShortText::parse(" Rak A-3 ").unwrap().as_str(), "Rak A-3");
        assert_eq!(ShortText::parse("  ").unwrap_err().code, "required");
        assert_eq!(ShortText::parse_field("Publisher", "").unwrap_err().message, "Publisher is required.");
        assert_eq!(ShortText::parse(&"a".repeat(201)).unwrap_err().code, "too_long");
    }

    #[test]
    fn lists_trim_drop_blanks_and_limit() {
        let a = Authors::parse([" Andrea Hirata ", "", "  ", "Tere Liye"]).unwrap();
        assert_eq!(a.as_slice(), ["Andrea Hirata", "Tere Liye"]);
        assert_eq!(Authors::parse(["", " "]).unwrap_err().code, "required");
        assert_eq!(Authors::parse(Vec::<String>::new()).unwrap_err().code, "required");
        assert!(Subjects::parse(Vec::<String>::new()).unwrap().is_empty());
        let twenty = vec!["x"; 20];
        assert_eq!(Subjects::parse(&twenty).unwrap().len(), 20);
        let mut twenty_one = twenty.clone();
        twenty_one.push("y");
        assert_eq!(Subjects::parse(&twenty_one).unwrap_err().code, "too_many");
        // Blank entries do not count towards the limit.
        let mut twenty_and_blanks = twenty.clone();
        twenty_and_blanks.extend(["", " ", "\t"]);
        assert_eq!(Authors::parse(&twenty_and_blanks).unwrap().len(), 20);
        assert_eq!(Authors::parse([&"a".repeat(201)]).unwrap_err().code, "too_long");
    }

    #[test]
    fn serde_round_trip_goes_through_parse() {
        let t = Title::parse("Bumi Manusia").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"Bumi Manusia\"");
        let back: Title = serde_json::from_str("\"  Bumi Manusia \"").unwrap();
        assert_eq!(back, t);
        assert!(serde_json::from_str::<Title>("\"  \"").is_err());
        let a: Authors = serde_json::from_str("[\" A \", \"\"]").unwrap();
        assert_eq!(a.as_slice(), ["A"]);
        assert_eq!(serde_json::to_string(&a).unwrap(), "[\"A\"]");
        assert_eq!(serde_json::to_string(&Year::parse(1999, 2026).unwrap()).unwrap(), "1999");
    }

    #[test]
    fn error_display_is_the_message() {
        let e = Title::parse("").unwrap_err();
        assert_eq!(e.to_string(), "Title is required.");
        assert_eq!(e, ValidationError::required("Title"));
    }

    /// Every text parser of this module, each given `text` in a spot where its own format
    /// would otherwise accept it.
    fn every_text_field(text: &str) -> Vec<(&'static str, Result<(), ValidationError>)> {
        fn ok<T>(r: Result<T, ValidationError>) -> Result<(), ValidationError> {
            r.map(|_| ())
        }
        vec![
            ("title", ok(Title::parse(&format!("Judul {text} buku")))),
            ("name", ok(PersonName::parse(&format!("Budi {text} Santoso")))),
            ("short text", ok(ShortText::parse_field("Publisher", &format!("Gramedia {text} Pustaka")))),
            ("authors", ok(Authors::parse([format!("Andrea {text} Hirata")]))),
            ("subjects", ok(Subjects::parse(["Fiksi".to_owned(), format!("Sejarah {text} Nusantara")]))),
            ("barcode", ok(Barcode::parse(&format!("B{text}12")))),
            ("username", ok(Username::parse(&format!("budi{text}s")))),
            ("email", ok(Email::parse(&format!("budi{text}@example.org")))),
            ("phone", ok(Phone::parse(&format!("0812{text}345")))),
            ("language", ok(LanguageCode::parse(&format!("i{text}d")))),
        ]
    }

    #[test]
    fn control_and_bidi_characters_are_refused_in_every_text_field() {
        let bad = [
            "\u{0}",
            "\u{7}",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "\u{9b}",
            "\t",
            "\n",
            "\r\n",
            "\u{b}",
            "\u{c}",
            "\u{200E}",
            "\u{200F}",
            "\u{202A}",
            "\u{202B}",
            "\u{202C}",
            "\u{202D}",
            "\u{202E}",
            "\u{2066}",
            "\u{2067}",
            "\u{2068}",
            "\u{2069}",
            "\u{061C}",
        ];
        for b in bad {
            for (field, r) in every_text_field(b) {
                assert_eq!(r.unwrap_err().code, "invalid_characters", "{field} with {b:?}");
            }
        }
        // The message names the field (or the list entry) for people.
        let e = ShortText::parse_field("Publisher", "Gramedia\u{0}").unwrap_err();
        assert!(e.message.starts_with("Publisher must not contain control characters"), "{}", e.message);
        let e = Authors::parse(["Tere Liye", "Ani\u{202E}"]).unwrap_err();
        assert!(e.message.starts_with("Each author entry must not contain"), "{}", e.message);
        // Right-to-left scripts, other scripts, emoji (with their zero-width joiners) and a
        // non-breaking space are text; whitespace around a value is trimmed as before.
        for fine in ["مكتبة", "ꦥꦸꦱ꧀ꦠꦏ", "👩\u{200D}👩\u{200D}👧", "Rp\u{a0}5.000", "Ω≈ç"] {
            assert!(Title::parse(fine).is_ok(), "{fine:?}");
            assert!(PersonName::parse(fine).is_ok(), "{fine:?}");
        }
        assert_eq!(Title::parse("\tLaskar Pelangi\r\n").unwrap().as_str(), "Laskar Pelangi");
        assert_eq!(Barcode::parse("B0001\n").unwrap().as_str(), "B0001");
        // The check comes after `required` and before the length.
        assert_eq!(Title::parse(" \n ").unwrap_err().code, "required");
        assert_eq!(Title::parse(&format!("{}\u{0}", "a".repeat(600))).unwrap_err().code, "invalid_characters");
    }

    /// A character no text field accepts.
    fn forbidden_char() -> impl Strategy<Value = char> {
        prop_oneof![
            0u32..0x20,
            0x7fu32..0xa0,
            Just(0x061C),
            Just(0x200E),
            Just(0x200F),
            0x202Au32..=0x202E,
            0x2066u32..=0x2069,
        ]
        .prop_map(|u| char::from_u32(u).expect("a scalar value"))
    }

    proptest! {
        #[test]
        fn a_forbidden_character_anywhere_inside_is_refused(
            before in "[a-z]{0,8}",
            c in forbidden_char(),
            after in "[a-z]{0,8}",
        ) {
            prop_assert!(is_forbidden_char(c));
            for (field, r) in every_text_field(&format!("{before}{c}{after}")) {
                prop_assert_eq!(r.map_err(|e| e.code), Err("invalid_characters"), "{} with {:?}", field, c);
            }
        }

        #[test]
        fn accepted_text_holds_no_forbidden_character(s in any::<String>(), v in proptest::collection::vec(any::<String>(), 0..4)) {
            let clean = |t: &str| !t.chars().any(is_forbidden_char);
            if let Ok(t) = Title::parse(&s) { prop_assert!(clean(t.as_str())); }
            if let Ok(t) = PersonName::parse(&s) { prop_assert!(clean(t.as_str())); }
            if let Ok(t) = ShortText::parse(&s) { prop_assert!(clean(t.as_str())); }
            if let Ok(t) = Email::parse(&s) { prop_assert!(clean(t.as_str())); }
            if let Ok(l) = Subjects::parse(&v) { prop_assert!(l.iter().all(|e| clean(e))); }
        }

        #[test]
        fn barcode_never_accepts_inner_whitespace(a in "[A-Za-z0-9]{1,20}", ws in "[ \t\n\u{a0}]{1,3}", b in "[A-Za-z0-9]{1,20}") {
            let input = format!("{a}{ws}{b}");
            prop_assert!(Barcode::parse(&input).is_err(), "{:?} was accepted", input);
        }

        #[test]
        fn barcode_output_has_no_whitespace(s in "\\PC{0,80}") {
            if let Ok(b) = Barcode::parse(&s) {
                prop_assert!(!b.as_str().chars().any(char::is_whitespace));
                prop_assert!((1..=64).contains(&b.as_str().len()));
            }
        }

        #[test]
        fn username_output_obeys_its_rules(s in "\\PC{0,40}|[ A-Za-z0-9._-]{0,40}") {
            if let Ok(u) = Username::parse(&s) {
                let v = u.as_str();
                prop_assert!((3..=32).contains(&v.len()));
                prop_assert!(v.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()));
                prop_assert!(v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)));
                prop_assert_eq!(&Username::parse(v).unwrap(), &u);
            }
        }

        #[test]
        fn parsed_text_is_a_fixed_point(s in "\\PC{0,60}") {
            if let Ok(t) = Title::parse(&s) {
                prop_assert_eq!(&Title::parse(t.as_str()).unwrap(), &t);
                prop_assert_eq!(t.as_str(), s.trim());
            }
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(&Email::parse(e.as_str()).unwrap(), &e);
            }
        }

        #[test]
        fn list_entries_are_trimmed_and_nonblank(v in proptest::collection::vec("\\PC{0,10}", 0..25)) {
            if let Ok(s) = Subjects::parse(&v) {
                prop_assert!(s.len() <= LIST_MAX_ENTRIES);
                for e in &s {
                    prop_assert!(!e.is_empty());
                    prop_assert_eq!(e.trim(), e.as_str());
                }
            }
        }
    }

    #[test]
    fn birth_dates_are_in_the_past_and_after_1900() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let today = d(2026, 12, 7);
        assert_eq!(check_birth_date(d(2012, 3, 4), today), Ok(d(2012, 3, 4)));
        assert_eq!(check_birth_date(today, today), Ok(today));
        assert_eq!(check_birth_date(d(2026, 12, 8), today).unwrap_err().code, "out_of_range");
        assert_eq!(check_birth_date(d(1899, 12, 31), today).unwrap_err().code, "out_of_range");
    }
}
