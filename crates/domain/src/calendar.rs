//! The library's opening calendar: weekly closing days plus one-off closed dates (holidays).

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Included};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::validation::ValidationError;

/// How far [`Calendar::next_open_day`] searches before giving up (about three years).
const SEARCH_HORIZON_DAYS: u32 = 3 * 366;

/// Which days the library is open. The default calendar is open every day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// `closed_weekdays[d.num_days_from_monday()]` is true when weekday `d` is closed.
    closed_weekdays: [bool; 7],
    /// Closed dates, kept sorted so ranges can be counted quickly.
    closed_dates: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Builds a calendar closed on the given weekdays and on the given dates.
    pub fn new(
        closed_weekdays: impl IntoIterator<Item = Weekday>,
        closed_dates: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        let mut weekdays = [false; 7];
        for day in closed_weekdays {
            weekdays[day.num_days_from_monday() as usize] = true;
        }
        Self { closed_weekdays: weekdays, closed_dates: closed_dates.into_iter().collect() }
    }

    /// Whether the library is open on `d`.
    pub fn is_open(&self, d: NaiveDate) -> bool {
        self.weekday_open(d.weekday()) && !self.closed_dates.contains(&d)
    }

    /// The weekly closing days, Monday first.
    pub fn closed_weekdays(&self) -> Vec<Weekday> {
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
            .into_iter()
            .filter(|&d| !self.weekday_open(d))
            .collect()
    }

    /// The one-off closed dates, in order.
    pub fn closed_dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.closed_dates.iter().copied()
    }

    /// `from` itself if the library is open then, otherwise the first open day after it.
    ///
    /// Looks at most about three years ahead. If no open day is found in that window —
    /// in particular when every weekday is closed — `from` is returned unchanged, so a
    /// misconfigured calendar never hangs or panics the caller.
    pub fn next_open_day(&self, from: NaiveDate) -> NaiveDate {
        if self.closed_weekdays.iter().all(|&closed| closed) {
            return from;
        }
        from.iter_days().take(SEARCH_HORIZON_DAYS as usize).find(|&d| self.is_open(d)).unwrap_or(from)
    }

    /// The day a loan made on `loan_day` for `loan_days` days falls due: the first open
    /// day on or after `loan_day + loan_days`.
    pub fn due_date(&self, loan_day: NaiveDate, loan_days: u32) -> NaiveDate {
        let nominal = loan_day.checked_add_days(Days::new(loan_days.into())).unwrap_or(NaiveDate::MAX);
        self.next_open_day(nominal)
    }

    /// Number of open days `d` with `after < d <= until` (0 when `until <= after`).
    ///
    /// Runs in O(log n + k) for n closed dates, k of them inside the range: whole
    /// weeks are counted arithmetically and only the closed dates in range are visited.
    pub fn open_days_between(&self, after: NaiveDate, until: NaiveDate) -> i64 {
        let span = (until - after).num_days();
        if span <= 0 {
            return 0;
        }
        let open_per_week = self.closed_weekdays.iter().filter(|&&c| !c).count() as i64;
        let mut open = span / 7 * open_per_week;
        // The leftover (< 7) days: any run of 7 consecutive days holds each weekday
        // once, so which days are left over does not matter; take those right after `after`.
        let mut weekday = after.weekday();
        for _ in 0..span % 7 {
            weekday = weekday.succ();
            if self.weekday_open(weekday) {
                open += 1;
            }
        }
        let closed_on_open_weekdays = self
            .closed_dates
            .range((Excluded(after), Included(until)))
            .filter(|d| self.weekday_open(d.weekday()))
            .count() as i64;
        open - closed_on_open_weekdays
    }

    /// Whether weekday `d` is an opening day of the week.
    fn weekday_open(&self, d: Weekday) -> bool {
        !self.closed_weekdays[d.num_days_from_monday() as usize]
    }
}

/// Parses a comma-separated list of weekdays such as `"sun"` or `"sat, sun"`.
///
/// Case-insensitive; accepts English names and abbreviations (`mon`, `monday`, …) and
/// Indonesian names (`senin`, `selasa`, `rabu`, `kamis`, `jumat`, `sabtu`, `minggu`).
/// An empty string means no weekday; blank items are ignored and duplicates dropped.
pub fn parse_weekdays(s: &str) -> Result<Vec<Weekday>, ValidationError> {
    let mut days = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let day = weekday_from_name(item).ok_or_else(|| {
            ValidationError::new(
                "invalid_weekday",
                format!("\"{item}\" is not a weekday; use names such as \"sat,sun\" or \"sabtu,minggu\"."),
            )
        })?;
        if !days.contains(&day) {
            days.push(day);
        }
    }
    Ok(days)
}

/// Looks up an English or Indonesian weekday name, ignoring case.
fn weekday_from_name(name: &str) -> Option<Weekday> {
    let day = match name.to_lowercase().as_str() {
        "mon" | "monday" | "senin" => Weekday::Mon,
        "tue" | "tues" | "tuesday" | "selasa" => Weekday::Tue,
        "wed" | "wednesday" | "rabu" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" | "kamis" => Weekday::Thu,
        "fri" | "friday" | "jumat" | "jum'at" => Weekday::Fri,
        "sat" | "saturday" | "sabtu" => Weekday::Sat,
        "sun" | "sunday" | "minggu" | "ahad" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Closed on weekends and on Idul Fitri 2024 (Wed 10 – Thu 11 April) plus a bridge day.
    fn lebaran_calendar() -> Calendar {
        Calendar::new([Weekday::Sat, Weekday::Sun], [date(2024, 4, 10), date(2024, 4, 11), date(2024, 4, 12)])
    }

    #[test]
    fn is_open_respects_weekdays_and_dates() {
        let cal = lebaran_calendar();
        assert!(cal.is_open(date(2024, 4, 9))); // Tuesday
        assert!(!cal.is_open(date(2024, 4, 10))); // holiday
        assert!(!cal.is_open(date(2024, 4, 13))); // Saturday
        assert!(Calendar::default().is_open(date(2024, 4, 13)));
        assert_eq!(cal.closed_weekdays(), [Weekday::Sat, Weekday::Sun]);
        assert_eq!(cal.closed_dates().count(), 3);
    }

    #[test]
    fn due_date_skips_holidays_and_the_weekend() {
        let cal = lebaran_calendar();
        // Borrowed Wed 27 March for 14 days: nominally Wed 10 April (holiday); Thu, Fri
        // are holidays too, then the weekend: due Monday 15 April.
        assert_eq!(cal.due_date(date(2024, 3, 27), 14), date(2024, 4, 15));
        // Nominal due date on an open day is kept.
        assert_eq!(cal.due_date(date(2024, 3, 26), 14), date(2024, 4, 9));
        assert_eq!(cal.due_date(date(2024, 4, 9), 0), date(2024, 4, 9));
    }

    #[test]
    fn next_open_day_terminates_when_always_closed() {
        let all = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        let cal = Calendar::new(all, []);
        assert_eq!(cal.next_open_day(date(2024, 1, 1)), date(2024, 1, 1));
        assert_eq!(cal.open_days_between(date(2024, 1, 1), date(2030, 1, 1)), 0);
        // Every date closed for ten years: gives up after the horizon.
        let start = date(2024, 1, 1);
        let cal = Calendar::new([], start.iter_days().take(3660));
        assert_eq!(cal.next_open_day(start), start);
        assert_eq!(cal.next_open_day(NaiveDate::MAX), NaiveDate::MAX);
        assert_eq!(Calendar::default().due_date(NaiveDate::MAX, 10), NaiveDate::MAX);
    }

    #[test]
    fn open_days_between_counts_half_open_range() {
        let cal = lebaran_calendar();
        // Fri 5 April (exclusive) .. Mon 15 April: Mon 8, Tue 9, Mon 15 are open.
        assert_eq!(cal.open_days_between(date(2024, 4, 5), date(2024, 4, 15)), 3);
        assert_eq!(cal.open_days_between(date(2024, 4, 15), date(2024, 4, 5)), 0);
        assert_eq!(cal.open_days_between(date(2024, 4, 5), date(2024, 4, 5)), 0);
        // 2024 has 366 days, 262 weekdays; three holidays fall on weekdays.
        assert_eq!(cal.open_days_between(date(2023, 12, 31), date(2024, 12, 31)), 262 - 3);
    }

    #[test]
    fn parses_weekday_lists() {
        assert_eq!(parse_weekdays("").unwrap(), []);
        assert_eq!(parse_weekdays("  ").unwrap(), []);
        assert_eq!(parse_weekdays("sun").unwrap(), [Weekday::Sun]);
        assert_eq!(parse_weekdays("Sat, SUN").unwrap(), [Weekday::Sat, Weekday::Sun]);
        assert_eq!(
            parse_weekdays("senin,selasa,rabu,kamis,jumat,sabtu,minggu").unwrap(),
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(parse_weekdays("friday,jumat,,").unwrap(), [Weekday::Fri]);
        let err = parse_weekdays("sat,someday").unwrap_err();
        assert_eq!(err.code, "invalid_weekday");
        assert!(err.message.contains("someday"));
    }

    fn weekday() -> impl Strategy<Value = Weekday> {
        (0u8..7).prop_map(|n| Weekday::try_from(n).unwrap())
    }

    fn day_in_2020s() -> impl Strategy<Value = NaiveDate> {
        (0u64..3650).prop_map(|n| date(2020, 1, 1) + Days::new(n))
    }

    /// A calendar with at least one open weekday and up to 200 closed dates.
    fn some_open_calendar() -> impl Strategy<Value = Calendar> {
        (proptest::collection::vec(weekday(), 0..7), proptest::collection::vec(day_in_2020s(), 0..200))
            .prop_filter("at least one weekday open", |(w, _)| {
                (0..7).any(|n| !w.contains(&Weekday::try_from(n).unwrap()))
            })
            .prop_map(|(w, d)| Calendar::new(w, d))
    }

    proptest! {
        #[test]
        fn due_date_is_the_earliest_open_day_not_before_nominal(
            cal in some_open_calendar(),
            loan_day in day_in_2020s(),
            loan_days in 0u32..60,
        ) {
            let due = cal.due_date(loan_day, loan_days);
            let nominal = loan_day + Days::new(loan_days.into());
            prop_assert!(cal.is_open(due));
            prop_assert!(due >= nominal);
            prop_assert!(nominal.iter_days().take_while(|&d| d < due).all(|d| !cal.is_open(d)));
            prop_assert_eq!(cal.next_open_day(due), due);
        }

        #[test]
        fn open_days_between_is_additive(
            cal in some_open_calendar(),
            a in day_in_2020s(),
            b in day_in_2020s(),
            c in day_in_2020s(),
        ) {
            let mut v = [a, b, c];
            v.sort();
            let [a, b, c] = v;
            prop_assert_eq!(
                cal.open_days_between(a, c),
                cal.open_days_between(a, b) + cal.open_days_between(b, c)
            );
        }

        #[test]
        fn open_days_between_matches_counting_day_by_day(
            cal in some_open_calendar(),
            after in day_in_2020s(),
            span in 0u64..400,
        ) {
            let until = after + Days::new(span);
            let counted = after.iter_days().skip(1).take_while(|&d| d <= until)
                .filter(|&d| cal.is_open(d)).count() as i64;
            prop_assert_eq!(cal.open_days_between(after, until), counted);
        }
    }
}
