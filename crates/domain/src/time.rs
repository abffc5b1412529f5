//! Converting between instants (UTC) and dates as they are on the library's wall calendar.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::validation::ValidationError;

/// The calendar date at the library (in zone `tz`) at `instant`.
pub fn library_date(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// The last second of `date` at the library (23:59:59 local time), as a UTC instant.
///
/// Never panics, whatever the zone's history:
/// - if 23:59:59 happens twice (clocks turned back at midnight), the later instant;
/// - if it never happens (clocks jumped forward over it), the last second before the jump;
/// - for a date the zone skipped entirely (Pacific/Apia, 2011-12-30), 23:59:59 read with
///   the zone's offset at that same reading taken as UTC: the second before the skip.
pub fn end_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let local = date.and_time(LAST_SECOND);
    let resolved = match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(_, later) => Some(later),
        LocalResult::None => last_second_before_gap(local, tz),
    };
    resolved.map_or_else(|| fallback_utc(local, tz), |t| t.with_timezone(&Utc))
}

/// A time on the library's clock (`local`, in zone `tz`) as a UTC instant: the earlier of two
/// when the clocks were turned back over it, the first instant after the gap when they jumped
/// forward over it (as a wall clock read then would show). Never panics.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // In a gap (at most a day long): the first minute after it that exists.
        LocalResult::None => (1..=24 * 60)
            .filter_map(|m| local.checked_add_signed(TimeDelta::minutes(m)))
            .find_map(|t| tz.from_local_datetime(&t).earliest())
            .map_or_else(|| fallback_utc(local, tz), |t| t.with_timezone(&Utc)),
    }
}

/// 23:59:59, the last whole second of a day.
const LAST_SECOND: NaiveTime = NaiveTime::from_hms_opt(23, 59, 59).unwrap();

/// For a `local` time inside a gap, the last existing second on the same date before the gap.
fn last_second_before_gap(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Tz>> {
    let date = local.date();
    let existing = |t: NaiveDateTime| (t.date() == date).then(|| tz.from_local_datetime(&t).latest()).flatten();
    // Gaps are usually an hour or less: walk back a minute at a time (at most a day)…
    let mut last = (1..=24 * 60).map_while(|m| local.checked_sub_signed(TimeDelta::minutes(m))).find_map(existing)?;
    // …then forward a second at a time to the gap's exact start.
    for _ in 0..59 {
        let next = last.naive_local().checked_add_signed(TimeDelta::seconds(1)).and_then(existing);
        match next {
            Some(next) => last = next,
            None => break,
        }
    }
    Some(last)
}

/// Reads `local` with the offset `tz` has at that same reading taken as UTC.
fn fallback_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let offset = tz.offset_from_utc_datetime(&local).fix().local_minus_utc();
    local.checked_sub_signed(TimeDelta::seconds(offset.into())).unwrap_or(local).and_utc()
}

/// How far ahead of the server's clock a scanned time may be: a desk computer's clock that runs a
/// little fast. A time ahead by less is taken as now.
pub const SCAN_SKEW: TimeDelta = TimeDelta::minutes(5);
/// How old a scanned time may be: a desk offline over a long weekend (three days).
pub const SCAN_MAX_AGE: TimeDelta = TimeDelta::hours(72);

/// The time a scan at the desk happened (`scanned`, sent later by a desk that was offline), as the
/// time of the loan, return or renewal it asks for, given the server's `now`: whole seconds, never
/// after `now`. Refused when it is more than [`SCAN_SKEW`] ahead of `now` (`scanned_in_future`) or
/// more than [`SCAN_MAX_AGE`] before it (`scanned_too_old`).
pub fn scanned_time(scanned: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, ValidationError> {
    if scanned > now + SCAN_SKEW {
        return Err(ValidationError::new(
            "scanned_in_future",
            format!(
                "the scan's time is more than {} minutes after the server's clock; check the desk computer's clock",
                SCAN_SKEW.num_minutes()
            ),
        ));
    }
    if scanned < now - SCAN_MAX_AGE {
        return Err(ValidationError::new(
            "scanned_too_old",
            format!("the scan is more than {} hours old; do it again at the desk", SCAN_MAX_AGE.num_hours()),
        ));
    }
    let whole = DateTime::from_timestamp(scanned.timestamp(), 0).unwrap_or(now);
    Ok(whole.min(now))
}

/// Parses an IANA time-zone name such as `"Asia/Jakarta"` (case-sensitive, trimmed).
pub fn parse_timezone(s: &str) -> Result<Tz, ValidationError> {
    let name = s.trim();
    if name.is_empty() {
        return Err(ValidationError::required("Time zone"));
    }
    name.parse::<Tz>().map_err(|_| {
        ValidationError::new(
            "invalid_timezone",
            format!("\"{name}\" is not a known time zone; use an IANA name such as \"Asia/Jakarta\"."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_time_becomes_an_instant_even_in_a_gap_or_an_overlap() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let jakarta: Tz = "Asia/Jakarta".parse().unwrap();
        assert_eq!(local_to_utc(at("2026-12-07 07:15:00"), jakarta).to_rfc3339(), "2026-12-07T00:15:00+00:00");
        // New York: 02:30 on 8 March 2026 does not exist (clocks jump to 03:00); 01:30 on
        // 1 November 2026 happens twice (the earlier, still daylight time, is taken).
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(local_to_utc(at("2026-03-08 02:30:00"), ny).to_rfc3339(), "2026-03-08T07:00:00+00:00");
        assert_eq!(local_to_utc(at("2026-11-01 01:30:00"), ny).to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }
    use chrono::{Datelike, Days};
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    #[test]
    fn a_scanned_time_is_taken_within_its_bounds() {
        let now = utc(2026, 12, 11, 8, 0, 0);
        let earlier = utc(2026, 12, 9, 10, 30, 15);
        assert_eq!(scanned_time(earlier, now), Ok(earlier));
        let with_millis = earlier + TimeDelta::milliseconds(750);
        assert_eq!(scanned_time(with_millis, now), Ok(earlier));
        // A clock a little fast: now.
        assert_eq!(scanned_time(now + TimeDelta::minutes(4), now), Ok(now));
        assert_eq!(scanned_time(now + TimeDelta::minutes(6), now).unwrap_err().code, "scanned_in_future");
        assert_eq!(scanned_time(now - TimeDelta::hours(72), now), Ok(now - TimeDelta::hours(72)));
        assert_eq!(scanned_time(now - TimeDelta::hours(73), now).unwrap_err().code, "scanned_too_old");
    }

    #[test]
    fn library_date_uses_local_wall_clock() {
        let jakarta = chrono_tz::Asia::Jakarta;
        // 17:00 UTC is midnight in Jakarta (UTC+7).
        assert_eq!(library_date(utc(2024, 8, 16, 16, 59, 59), jakarta), date(2024, 8, 16));
        assert_eq!(library_date(utc(2024, 8, 16, 17, 0, 0), jakarta), date(2024, 8, 17));
    }

    #[test]
    fn end_of_day_in_jakarta() {
        assert_eq!(end_of_day(date(2024, 8, 17), chrono_tz::Asia::Jakarta), utc(2024, 8, 17, 16, 59, 59));
        assert_eq!(end_of_day(date(2024, 8, 17), chrono_tz::UTC), utc(2024, 8, 17, 23, 59, 59));
    }

    #[test]
    fn end_of_day_takes_the_later_of_a_repeated_midnight_hour() {
        // São Paulo left DST at 24:00 on 2019-02-16, so 23:00–23:59:59 happened twice.
        let sao_paulo = chrono_tz::America::Sao_Paulo;
        let t = end_of_day(date(2019, 2, 16), sao_paulo);
        assert_eq!(t, utc(2019, 2, 17, 2, 59, 59));
        assert_eq!(library_date(t, sao_paulo), date(2019, 2, 16));
        assert_eq!(library_date(t + TimeDelta::seconds(1), sao_paulo), date(2019, 2, 17));
    }

    #[test]
    fn end_of_day_stops_before_a_gap_over_midnight() {
        // Dhaka jumped from 23:00 (+06) to 24:00 (+07) on 2009-06-19.
        assert_eq!(end_of_day(date(2009, 6, 19), chrono_tz::Asia::Dhaka), utc(2009, 6, 19, 16, 59, 59));
        // Pyongyang jumped from 23:30 (+08:30) to 24:00 (+09) on 2018-05-04.
        let pyongyang = chrono_tz::Asia::Pyongyang;
        let t = end_of_day(date(2018, 5, 4), pyongyang);
        assert_eq!(t, utc(2018, 5, 4, 14, 59, 59));
        assert_eq!(library_date(t, pyongyang), date(2018, 5, 4));
        assert_eq!(library_date(t + TimeDelta::seconds(1), pyongyang), date(2018, 5, 5));
    }

    #[test]
    fn end_of_day_never_panics_on_odd_dates() {
        // Apia skipped 2011-12-30 entirely at 10:00 UTC, moving from -10 to +14.
        assert_eq!(end_of_day(date(2011, 12, 30), chrono_tz::Pacific::Apia), utc(2011, 12, 30, 9, 59, 59));
        let _ = end_of_day(NaiveDate::MAX, chrono_tz::Pacific::Kiritimati);
        let _ = end_of_day(NaiveDate::MIN, chrono_tz::America::Los_Angeles);
        let _ = end_of_day(NaiveDate::MIN, chrono_tz::Asia::Jakarta);
    }

    #[test]
    fn parses_time_zones() {
        assert_eq!(parse_timezone(" Asia/Jakarta ").unwrap(), chrono_tz::Asia::Jakarta);
        assert_eq!(parse_timezone("").unwrap_err().code, "required");
        assert_eq!(parse_timezone("Mars/Olympus").unwrap_err().code, "invalid_timezone");
    }

    /// Indonesian zones, plus zones whose clocks have changed at or around midnight.
    const ZONES: [Tz; 13] = [
        chrono_tz::Asia::Jakarta,
        chrono_tz::Asia::Makassar,
        chrono_tz::Asia::Jayapura,
        chrono_tz::UTC,
        chrono_tz::Europe::Amsterdam,
        chrono_tz::America::New_York,
        chrono_tz::America::Santiago,
        chrono_tz::America::Sao_Paulo,
        chrono_tz::America::Nuuk,
        chrono_tz::Asia::Tehran,
        chrono_tz::Asia::Dhaka,
        chrono_tz::Asia::Pyongyang,
        chrono_tz::Australia::Lord_Howe,
    ];

    proptest! {
        #[test]
        fn end_of_day_is_the_last_second_of_its_date(days in 0u64..60_000, zone in 0usize..ZONES.len()) {
            let tz = ZONES[zone];
            let d = date(1900, 1, 1) + Days::new(days);
            let end = end_of_day(d, tz);
            prop_assert_eq!(library_date(end, tz), d);
            prop_assert!(library_date(end + TimeDelta::seconds(1), tz) > d);
        }
    }

    #[test]
    fn end_of_day_holds_on_every_zone_change_around_midnight() {
        // Exhaustive over the zones above for 1900–2060: cheap and catches rare transitions.
        for tz in ZONES {
            for d in date(1900, 1, 1).iter_days().take_while(|&d| d.year() < 2060) {
                let end = end_of_day(d, tz);
                assert_eq!(library_date(end, tz), d, "{tz} {d}");
                assert!(library_date(end + TimeDelta::seconds(1), tz) > d, "{tz} {d}");
            }
        }
    }
}
