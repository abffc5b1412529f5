//! Notices to members, as pure rules: which notice a loan is due for on a given day, the
//! templates' placeholders, the back-off between delivery attempts, and WhatsApp links.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ValidationError;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A reminder some days before the due day.
    DueSoon,
    /// The loan is late (sent on each configured number of days late).
    Overdue,
    /// A held copy waits on the hold shelf.
    HoldReady,
}

impl NoticeKind {
    /// All kinds, in the order the page lists them.
    pub const ALL: [NoticeKind; 3] = [NoticeKind::DueSoon, NoticeKind::Overdue, NoticeKind::HoldReady];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Overdue => "overdue",
            NoticeKind::HoldReady => "hold_ready",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ValidationError::new("invalid_kind", "kind must be due_soon, overdue or hold_ready"))
    }

    /// The placeholders a template of this kind may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            NoticeKind::DueSoon => &["name", "card_number", "title", "barcode", "due_date", "days_left", "library"],
            NoticeKind::Overdue => &["name", "card_number", "title", "barcode", "due_date", "days_late", "library"],
            NoticeKind::HoldReady => &["name", "card_number", "title", "barcode", "pickup_by", "library"],
        }
    }

    /// The built-in wording, used until the admin saves their own.
    pub fn default_template(self, language: Language) -> (&'static str, &'static str) {
        match (self, language) {
            (NoticeKind::DueSoon, Language::Id) => (
                "Pengingat: \"{{title}}\" jatuh tempo {{due_date}}",
                "Yth. {{name}},\n\nBuku \"{{title}}\" ({{barcode}}) yang Anda pinjam jatuh tempo pada {{due_date}} ({{days_left}} hari lagi). Mohon kembalikan atau perpanjang sebelum tanggal tersebut.\n\nSalam,\n{{library}}",
            ),
            (NoticeKind::DueSoon, Language::En) => (
                "Reminder: \"{{title}}\" is due on {{due_date}}",
                "Dear {{name}},\n\nThe book \"{{title}}\" ({{barcode}}) you borrowed is due on {{due_date}} (in {{days_left}} days). Please return or renew it by then.\n\nRegards,\n{{library}}",
            ),
            (NoticeKind::Overdue, Language::Id) => (
                "Terlambat {{days_late}} hari: \"{{title}}\"",
                "Yth. {{name}},\n\nBuku \"{{title}}\" ({{barcode}}) seharusnya dikembalikan pada {{due_date}} dan kini terlambat {{days_late}} hari. Mohon segera kembalikan; denda berlaku sesuai aturan perpustakaan.\n\nSalam,\n{{library}}",
            ),
            (NoticeKind::Overdue, Language::En) => (
                "{{days_late}} days overdue: \"{{title}}\"",
                "Dear {{name}},\n\nThe book \"{{title}}\" ({{barcode}}) was due on {{due_date}} and is now {{days_late}} days late. Please return it soon; fines apply under the library's rules.\n\nRegards,\n{{library}}",
            ),
            (NoticeKind::HoldReady, Language::Id) => (
                "Pesanan siap diambil: \"{{title}}\"",
                "Yth. {{name}},\n\nBuku \"{{title}}\" yang Anda pesan sudah tersedia di rak pesanan. Silakan ambil paling lambat {{pickup_by}}.\n\nSalam,\n{{library}}",
            ),
            (NoticeKind::HoldReady, Language::En) => (
                "Your hold is ready: \"{{title}}\"",
                "Dear {{name}},\n\nThe book \"{{title}}\" you reserved is waiting for you on the hold shelf. Please pick it up by {{pickup_by}}.\n\nRegards,\n{{library}}",
            ),
        }
    }
}

/// The language of a notice (and of what is printed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Bahasa Indonesia.
    #[default]
    Id,
    /// English.
    En,
}

impl Language {
    /// Both, Indonesian first.
    pub const ALL: [Language; 2] = [Language::Id, Language::En];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Id => "id",
            Language::En => "en",
        }
    }

    /// Reads a stored or requested code.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "id" => Ok(Language::Id),
            "en" => Ok(Language::En),
            _ => Err(ValidationError::new("invalid_language", "language must be id or en")),
        }
    }
}

/// Longest subject accepted, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest body accepted, in characters.
pub const MAX_BODY: usize = 5000;

/// Checks a template's text: not empty, not too long, and every `{{placeholder}}` one this kind
/// knows, with its braces closed. `what` is `"Subject"` or `"Body"`.
pub fn check_template(kind: NoticeKind, what: &str, text: &str, max: usize) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::required(what));
    }
    if text.chars().count() > max {
        return Err(ValidationError::too_long(what, max));
    }
    if what == "Subject" && text.contains(['\r', '\n']) {
        return Err(ValidationError::new("invalid_format", "Subject must be one line"));
    }
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(ValidationError::new("invalid_template", format!("{what} has a '{{{{' without its '}}}}'")));
        };
        let name = after[..end].trim();
        if !kind.placeholders().contains(&name) {
            return Err(ValidationError::new(
                "unknown_placeholder",
                format!("{what} uses {{{{{name}}}}}; this kind knows {}", kind.placeholders().join(", ")),
            ));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

/// Fills a template's `{{placeholders}}` from `values`; an unknown one is left as written.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A date the Indonesian way (`27 Nov 2026`) or the English one (`27 Nov 2026` too: both read it).
pub fn format_date(d: NaiveDate, language: Language) -> String {
    const ID: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];
    const EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let months = if language == Language::Id { ID } else { EN };
    format!("{} {} {}", d.day(), months[d.month0() as usize], d.year())
}

/// Which loan notice is due today for a loan due on `due`, if any: `(kind, stage)`.
///
/// A due-soon reminder from `due_soon_days` days before the due day up to the due day itself
/// (stage: the due day as `YYYYMMDD`, so a renewal's new due day gets its own), none when
/// `due_soon_days` is 0. Once late, the overdue notice of the highest configured number of
/// days late reached (stage: that number): a loan found 15 days late gets the 14-day notice
/// only, not all three at once.
pub fn loan_notice_due(
    today: NaiveDate,
    due: NaiveDate,
    due_soon_days: i64,
    overdue_days: &[i64],
) -> Option<(NoticeKind, i64)> {
    let days_left = (due - today).num_days();
    if days_left >= 0 {
        return (due_soon_days > 0 && days_left <= due_soon_days)
            .then(|| (NoticeKind::DueSoon, i64::from(due.year()) * 10_000 + i64::from(due.month() * 100 + due.day())));
    }
    let late = -days_left;
    overdue_days.iter().copied().filter(|&d| d <= late).max().map(|d| (NoticeKind::Overdue, d))
}

/// Checks the overdue stages: 1 to 10 numbers of days, each 1–365, no repeats; returned sorted.
pub fn parse_overdue_days(days: &[i64]) -> Result<Vec<i64>, ValidationError> {
    if days.is_empty() || days.len() > 10 {
        return Err(ValidationError::new("invalid_days", "give 1 to 10 numbers of days late"));
    }
    if let Some(bad) = days.iter().find(|d| !(1..=365).contains(*d)) {
        return Err(ValidationError::new("invalid_days", format!("{bad}: each must be from 1 to 365 days late")));
    }
    let mut sorted = days.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != days.len() {
        return Err(ValidationError::new("invalid_days", "a number of days is given twice"));
    }
    Ok(sorted)
}

/// Checks a number of days before the due day for the reminder: 0 (off) to 30.
pub fn check_due_soon_days(days: i64) -> Result<i64, ValidationError> {
    if (0..=30).contains(&days) {
        Ok(days)
    } else {
        Err(ValidationError::new("out_of_range", "must be from 0 (no reminder) to 30 days"))
    }
}

/// Attempts before a notice is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long to wait after the `attempts`-th failed attempt: 1, 2, 4, ... minutes, at most 6 hours.
pub fn retry_delay(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::minutes((1i64 << exp).min(360))
}

/// A phone number as WhatsApp wants it: digits only, with Indonesia's country code: `0812-3456`
/// → `628123456`, `+62 812…` → `62812…`; a number already starting `62` is kept. `None` when
/// nothing usable remains.
pub fn whatsapp_number(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let international =
        if let Some(rest) = digits.strip_prefix('0') { format!("62{}", rest.trim_start_matches('0')) } else { digits };
    (international.len() >= 8 && international.len() <= 15).then_some(international)
}

/// A "send via WhatsApp" link: `https://wa.me/<number>?text=<message>`, the message URL-encoded.
pub fn whatsapp_link(phone: &str, message: &str) -> Option<String> {
    let number = whatsapp_number(phone)?;
    let text: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    // `+` for a space is form encoding; wa.me reads `%20`.
    Some(format!("https://wa.me/{number}?text={}", text.replace('+', "%20")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn whatsapp_numbers_are_normalised_to_62() {
        assert_eq!(whatsapp_number("0812-3456-7890").as_deref(), Some("6281234567890"));
        assert_eq!(whatsapp_number("+62 812 3456 7890").as_deref(), Some("6281234567890"));
        assert_eq!(whatsapp_number("62 812 3456 7890").as_deref(), Some("6281234567890"));
        assert_eq!(whatsapp_number("(021) 555-1234").as_deref(), Some("62215551234"));
        assert_eq!(whatsapp_number("12-34"), None);
        assert_eq!(whatsapp_number(""), None);
    }

    #[test]
    fn whatsapp_links_encode_the_message() {
        let link = whatsapp_link("0812 3456 789", "Buku \"Laskar Pelangi\" terlambat 3 hari & denda Rp 1.500").unwrap();
        assert_eq!(
            link,
            "https://wa.me/628123456789?text=Buku%20%22Laskar%20Pelangi%22%20terlambat%203%20hari%20%26%20denda%20Rp%201.500"
        );
        assert_eq!(whatsapp_link("abc", "x"), None);
    }

    #[test]
    fn due_soon_then_the_highest_overdue_stage_reached() {
        let due = day("2026-12-10");
        let stages = [1, 7, 14];
        assert_eq!(loan_notice_due(day("2026-12-07"), due, 2, &stages), None);
        assert_eq!(loan_notice_due(day("2026-12-08"), due, 2, &stages), Some((NoticeKind::DueSoon, 20261210)));
        assert_eq!(loan_notice_due(day("2026-12-10"), due, 2, &stages), Some((NoticeKind::DueSoon, 20261210)));
        assert_eq!(loan_notice_due(day("2026-12-08"), due, 0, &stages), None);
        assert_eq!(loan_notice_due(day("2026-12-11"), due, 2, &stages), Some((NoticeKind::Overdue, 1)));
        assert_eq!(loan_notice_due(day("2026-12-16"), due, 2, &stages), Some((NoticeKind::Overdue, 1)));
        assert_eq!(loan_notice_due(day("2026-12-17"), due, 2, &stages), Some((NoticeKind::Overdue, 7)));
        assert_eq!(loan_notice_due(day("2027-01-30"), due, 2, &stages), Some((NoticeKind::Overdue, 14)));
        assert_eq!(loan_notice_due(day("2026-12-11"), due, 2, &[3]), None);
    }

    #[test]
    fn templates_are_checked_and_rendered() {
        assert!(check_template(NoticeKind::Overdue, "Body", "Hi {{name}}, {{ days_late }} days", 100).is_ok());
        assert_eq!(
            check_template(NoticeKind::HoldReady, "Body", "{{days_late}}", 100).unwrap_err().code,
            "unknown_placeholder"
        );
        assert_eq!(check_template(NoticeKind::DueSoon, "Body", "Hi {{name", 100).unwrap_err().code, "invalid_template");
        assert_eq!(check_template(NoticeKind::DueSoon, "Body", "  ", 100).unwrap_err().code, "required");
        assert_eq!(check_template(NoticeKind::DueSoon, "Subject", "a\nb", 100).unwrap_err().code, "invalid_format");
        assert_eq!(check_template(NoticeKind::DueSoon, "Body", &"x".repeat(101), 100).unwrap_err().code, "too_long");
        let values = [("name", "Budi".to_owned()), ("title", "{{name}}".to_owned())];
        assert_eq!(render("Hi {{ name }}: {{title}} {{other}} {{", &values), "Hi Budi: {{name}} {{other}} {{");
        for kind in NoticeKind::ALL {
            for lang in Language::ALL {
                let (subject, body) = kind.default_template(lang);
                check_template(kind, "Subject", subject, MAX_SUBJECT).unwrap();
                check_template(kind, "Body", body, MAX_BODY).unwrap();
            }
        }
    }

    #[test]
    fn overdue_days_and_delays() {
        assert_eq!(parse_overdue_days(&[14, 1, 7]).unwrap(), vec![1, 7, 14]);
        assert!(parse_overdue_days(&[]).is_err());
        assert!(parse_overdue_days(&[0]).is_err());
        assert!(parse_overdue_days(&[3, 3]).is_err());
        assert!(check_due_soon_days(31).is_err() && check_due_soon_days(0).is_ok());
        assert_eq!(retry_delay(1), Duration::minutes(1));
        assert_eq!(retry_delay(3), Duration::minutes(4));
        assert_eq!(retry_delay(40), Duration::minutes(360));
        assert_eq!(format_date(day("2026-08-17"), Language::Id), "17 Agu 2026");
    }

    proptest! {
        #[test]
        fn at_most_one_notice_and_only_configured_stages(offset in -400i64..400, soon in 0i64..31) {
            let due = day("2026-12-10");
            let today = due + Duration::days(offset);
            match loan_notice_due(today, due, soon, &[1, 7, 14]) {
                Some((NoticeKind::Overdue, d)) => prop_assert!([1, 7, 14].contains(&d) && offset >= d),
                Some((NoticeKind::DueSoon, s)) => prop_assert!(s == 20261210 && (-soon..=0).contains(&offset)),
                Some((NoticeKind::HoldReady, _)) => prop_assert!(false),
                None => prop_assert!(offset < -soon || (soon == 0 && offset <= 0)),
            }
        }

        #[test]
        fn whatsapp_numbers_are_digits_starting_62_or_other_codes(phone in "[+]?[0-9 -]{0,20}") {
            if let Some(n) = whatsapp_number(&phone) {
                prop_assert!(n.chars().all(|c| c.is_ascii_digit()) && !n.starts_with('0'));
            }
        }
    }
}
