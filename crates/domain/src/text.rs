//! Cleaning text that comes from other systems (spreadsheets, SLiMS): the repairs an import
//! makes before a value meets the field rules of [`super::validation`].

use chrono::NaiveDate;

/// Repairs UTF-8 that was read as Windows-1252 (or Latin-1) and stored again ("mojibake":
/// `PramÃ¶dya` for `Pramödya`, `â€œ` for `“`). Text that does not look like mojibake, or that
/// does not turn into valid UTF-8 when its characters are taken back to bytes, is returned as it
/// was: a real `Ã` in a name is left alone.
pub fn fix_mojibake(s: &str) -> String {
    // Every two-byte UTF-8 sequence read as Windows-1252 starts with Â or Ã; three-byte ones
    // (Indonesian text rarely has them, but quotes and dashes do) with â.
    if !s.contains(['Ã', 'Â', 'â']) {
        return s.to_owned();
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(s);
    if unmappable {
        return s.to_owned();
    }
    match std::str::from_utf8(&bytes) {
        Ok(fixed) if fixed != s => fixed.to_owned(),
        _ => s.to_owned(),
    }
}

/// One line of text from another system: mojibake repaired, every run of whitespace (line
/// breaks `\r\n` inside a field, tabs, non-breaking spaces) turned into one space, trimmed.
/// Other control characters are dropped. Empty text is `None`.
pub fn one_line(s: &str) -> Option<String> {
    let fixed = fix_mojibake(s);
    let mut out = String::with_capacity(fixed.len());
    for word in fixed.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()) {
        let word: String = word.chars().filter(|c| !super::is_forbidden_char(*c)).collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    (!out.is_empty()).then_some(out)
}

/// A list written in one cell: entries separated by `;` or `|`, each cleaned by [`one_line`].
pub fn list(s: &str) -> Vec<String> {
    s.split([';', '|']).filter_map(one_line).collect()
}

/// A year from a catalogue's year field, which is often more than a number: `c1998`, `[2001]`,
/// `1985-1990` (the first), `2003.0` (a spreadsheet's number). The first run of four digits.
pub fn year(s: &str) -> Option<i32> {
    let digits: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < digits.len() {
        if digits[i].is_ascii_digit() {
            let start = i;
            while i < digits.len() && digits[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                return digits[start..i].iter().collect::<String>().parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A date as spreadsheets and old systems write it: `2026-12-31`, `31/12/2026`, `31-12-2026`,
/// `31.12.2026`, or with a time after it. `0000-00-00` and other impossible dates are `None`
/// (SLiMS stores "no date" that way); so is blank text.
pub fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let day = s.split([' ', 'T']).next().unwrap_or("");
    ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(day, f).ok())
}

/// A number of things as a school's sheet writes it: `2`, `2.0` (a spreadsheet's number),
/// `2 eks`, `2 eks.`, `3 buah`, `2 bh`, `2 exp`, `1 jilid`, `2 (dua)` (the number written out
/// in words after it). Anything else (`dua`, `2-3`, `2 rak`) is `None`.
pub fn quantity(s: &str) -> Option<u32> {
    const UNITS: &[&str] =
        &["eks", "exs", "exp", "expl", "eksemplar", "exemplar", "buah", "bh", "jilid", "jld", "pcs", "copy", "copies"];
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits == 0 {
        return None;
    }
    let n: u32 = s[..digits].parse().ok()?;
    let rest = s[digits..].strip_prefix(".0").unwrap_or(&s[digits..]).trim();
    let rest = rest.trim_end_matches('.').to_lowercase();
    let words_in_brackets = |r: &str| {
        r.strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .is_some_and(|w| !w.trim().is_empty() && w.chars().all(|c| c.is_alphabetic() || c == ' '))
    };
    (rest.is_empty() || UNITS.contains(&rest.as_str()) || words_in_brackets(&rest)).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mojibake_is_repaired_and_real_text_left_alone() {
        assert_eq!(fix_mojibake("PramÃ¶dya"), "Pramödya");
        assert_eq!(fix_mojibake("â€œKataâ€\u{9d}"), "“Kata”");
        assert_eq!(fix_mojibake("Ã\u{a0} la carte"), "à la carte");
        assert_eq!(fix_mojibake("Laskar Pelangi"), "Laskar Pelangi");
        // A real Ã followed by something that is not a continuation byte stays.
        assert_eq!(fix_mojibake("SÃO PAULO"), "SÃO PAULO");
        assert_eq!(fix_mojibake("Ã"), "Ã");
    }

    #[test]
    fn quantities_as_schools_write_them() {
        for (text, n) in [
            ("2", 2),
            (" 12 ", 12),
            ("2.0", 2),
            ("2 eks", 2),
            ("2 Eks.", 2),
            ("3 buah", 3),
            ("3 bh", 3),
            ("1 jilid", 1),
            ("2 (dua)", 2),
            ("10 (sepuluh)", 10),
            ("4eks", 4),
        ] {
            assert_eq!(quantity(text), Some(n), "{text:?}");
        }
        for text in ["", "dua", "2-3", "2 rak", "-1", "2,5", "eks 2", "2 ()", "2 (2)"] {
            assert_eq!(quantity(text), None, "{text:?}");
        }
    }

    #[test]
    fn one_line_joins_lines_and_drops_controls() {
        assert_eq!(one_line("  Bumi\r\nManusia\t \u{a0}jilid 1 ").as_deref(), Some("Bumi Manusia jilid 1"));
        assert_eq!(one_line("a\u{0}b\u{202E}c").as_deref(), Some("abc"));
        assert_eq!(one_line(" \r\n "), None);
        assert_eq!(list("Toer, Pramoedya; ; Eka Kurniawan | X"), ["Toer, Pramoedya", "Eka Kurniawan", "X"]);
    }

    #[test]
    fn years_and_dates_as_written() {
        assert_eq!(year("c1998"), Some(1998));
        assert_eq!(year("[2001]"), Some(2001));
        assert_eq!(year("2003.0"), Some(2003));
        assert_eq!(year("12345"), None);
        assert_eq!(year("t.t."), None);
        let d = NaiveDate::from_ymd_opt(2026, 12, 31);
        for s in ["2026-12-31", "31/12/2026", "31-12-2026", "31.12.2026", "2026-12-31 00:00:00"] {
            assert_eq!(date(s), d, "{s}");
        }
        assert_eq!(date("0000-00-00"), None);
        assert_eq!(date(""), None);
    }

    proptest! {
        #[test]
        fn one_line_is_always_a_valid_single_line(s in "\\PC*") {
            if let Some(v) = one_line(&s) {
                prop_assert!(!v.chars().any(crate::is_forbidden_char));
                prop_assert_eq!(v.trim(), v.as_str());
            }
        }

        #[test]
        fn utf8_read_as_cp1252_comes_back(s in "[a-zA-Z äöüéèàçñÅÖ]{1,30}") {
            let (bytes, _, _) = encoding_rs::UTF_8.encode(&s);
            let (garbled, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            prop_assert_eq!(fix_mojibake(&garbled), s);
        }
    }
}
