//! The three timestamp forms AWS speaks, in UTC and whole seconds: ISO 8601 in credential
//! replies (`2026-11-24T01:00:00Z`), IMF-fixdate in HTTP `Date` headers, and SigV4's basic
//! form (`20261124T010000Z`). A leaf: it imports nothing of this crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: i64 = 86_400;

/// An ISO 8601 UTC timestamp (`2026-11-24T01:00:00Z`, optional fraction, `Z` or `+00:00`).
pub fn parse_iso8601(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    let secs = days_from_civil(y, m, day) * SECONDS_PER_DAY + h * 3600 + min * 60 + s;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// An HTTP `Date` header (IMF-fixdate, `Tue, 24 Nov 2026 01:02:03 GMT`).
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let rest = text.trim().split_once(", ")?.1;
    let mut parts = rest.split_ascii_whitespace();
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if zone != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let day: u32 = day.parse().ok()?;
    parse_iso8601(&format!("{year}-{month:02}-{day:02}T{time}Z"))
}

/// SigV4's `x-amz-date` form, `YYYYMMDDTHHMMSSZ`; its first eight bytes are the scope's date.
/// Times before 1970 are written as 1970-01-01T00:00:00Z.
pub fn amz_date(time: SystemTime) -> String {
    let (y, m, d, of_day) = civil(time);
    let mut out = String::with_capacity(16);
    for (value, width) in [(y, 4), (m, 2), (d, 2)] {
        push_padded(&mut out, value, width);
    }
    out.push('T');
    for value in [of_day / 3600, of_day / 60 % 60, of_day % 60] {
        push_padded(&mut out, value, 2);
    }
    out.push('Z');
    out
}

/// The SigV4 form back to a time (`None` unless it is exactly `YYYYMMDDTHHMMSSZ`).
pub fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let part = |r: std::ops::Range<usize>| text.get(r);
    parse_iso8601(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0..4)?,
        part(4..6)?,
        part(6..8)?,
        part(9..11)?,
        part(11..13)?,
        part(13..15)?
    ))
}

/// ISO 8601 in UTC to the second, `YYYY-MM-DDTHH:MM:SSZ` (what AWS credential replies carry).
pub fn iso8601(time: SystemTime) -> String {
    let (y, m, d, of_day) = civil(time);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// An HTTP `Date` header value (IMF-fixdate, `Tue, 24 Nov 2026 01:02:03 GMT`).
pub fn http_date(time: SystemTime) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, of_day) = civil(time);
    let days = seconds(time) / SECONDS_PER_DAY;
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[m as usize - 1],
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Whole seconds since 1970 (0 before it).
fn seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))
}

/// Year, month, day and seconds into the day (UTC).
fn civil(time: SystemTime) -> (i64, i64, i64, i64) {
    let secs = seconds(time);
    let (y, m, d) = civil_from_days(secs / SECONDS_PER_DAY);
    (y, m, d, secs % SECONDS_PER_DAY)
}

fn push_padded(out: &mut String, value: i64, width: u32) {
    let mut divisor = 10_i64.pow(width - 1);
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn parses_iso8601() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_iso8601("2026-11-24T01:02:03.456Z"),
            Some(at(1_795_482_123))
        );
        assert_eq!(
            parse_iso8601("2026-11-24T01:02:03+00:00"),
            parse_iso8601("2026-11-24T01:02:03Z")
        );
        for bad in [
            "",
            "yesterday",
            "2026-11-24",
            "2026-11-24 01:02:03",
            "2026-13-01T00:00:00Z",
            "2026-11-24T01:02:03+02:00",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(at(0))
        );
        assert_eq!(
            parse_http_date("Tue, 24 Nov 2026 01:02:03 GMT"),
            parse_iso8601("2026-11-24T01:02:03Z")
        );
        for bad in [
            "",
            "yesterday",
            "Tue, 24 Foo 2026 01:02:03 GMT",
            "Tue, 24 Nov 2026 01:02:03 PST",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn amz_dates() {
        assert_eq!(amz_date(at(0)), "19700101T000000Z");
        assert_eq!(amz_date(at(1_440_938_160)), "20150830T123600Z");
        assert_eq!(amz_date(at(951_782_400)), "20000229T000000Z");
        assert_eq!(
            amz_date(UNIX_EPOCH - Duration::from_secs(5)),
            "19700101T000000Z"
        );
    }

    #[test]
    fn formats() {
        let t = at(1_795_482_123);
        assert_eq!(iso8601(t), "2026-11-24T01:02:03Z");
        assert_eq!(http_date(t), "Tue, 24 Nov 2026 01:02:03 GMT");
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(at(1_440_938_160)));
        for bad in [
            "",
            "20150830T1236Z",
            "2015-08-30T12:36:00Z",
            "20150830X123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    /// Every day from 1970 to 2200 (and a second in each) survives the round trip through each
    /// form and its parser.
    #[test]
    fn every_form_round_trips() {
        for day in 0..84_000_u64 {
            let t = at(day * 86_400 + day % 86_400);
            assert_eq!(parse_amz_date(&amz_date(t)), Some(t), "{}", amz_date(t));
            assert_eq!(parse_iso8601(&iso8601(t)), Some(t), "{}", iso8601(t));
            assert_eq!(parse_http_date(&http_date(t)), Some(t), "{}", http_date(t));
        }
    }
}
