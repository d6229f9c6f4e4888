//! Timestamps as Jamf patch definitions carry them.
//!
//! Real definitions hold dates that strict ISO-8601 parsers refuse: components without zero padding
//! (`2017-9-12T14:19:38.270Z`, `2014-11-17T12:0:00.323Z`), usually with milliseconds.
//! [`parse_loose`] accepts those and [`format_release_date`] writes them back strictly,
//! keeping the fractional seconds so nothing a definition carried is lost.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;

/// Why a timestamp was refused, in words fit for a [`crate::field_error::FieldError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimestampError(String);

/// Parses an ISO-8601 date-time, strict or loose, into an instant.
///
/// Accepted: `YYYY-M-DTH:M:S[.fraction](Z|±HH:MM)`, each of month, day, hour, minute and second
/// with one or two digits, and a date alone (`2017-09-12`, taken as midnight UTC).
/// A time without zone designator is taken as UTC, as Jamf writes UTC everywhere.
pub fn parse_loose(text: &str) -> Result<Timestamp, TimestampError> {
    let refuse = |why: &str| {
        TimestampError(format!(
            "{text:?} is not an ISO-8601 date and time ({why}); expected a form like 2017-09-12T14:19:38.270Z"
        ))
    };
    let text_trimmed = text.trim();
    if let Ok(strict) = text_trimmed.parse::<Timestamp>() {
        return Ok(strict);
    }
    let (date_part, time_part) = match text_trimmed.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text_trimmed, None),
    };
    let date = parse_date(date_part).map_err(|why| refuse(&why))?;
    let Some(time_part) = time_part else {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|error| refuse(&error.to_string()));
    };
    let (clock, offset) = split_offset(time_part).map_err(|why| refuse(&why))?;
    let time = parse_time(clock).map_err(|why| refuse(&why))?;
    DateTime::from_parts(date, time)
        .to_zoned(offset.to_time_zone())
        .map(|zoned| zoned.timestamp())
        .map_err(|error| refuse(&error.to_string()))
}

/// Writes a release date strictly: `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
///
/// Whole seconds are written without a fraction; milliseconds as three digits;
/// anything finer with as many digits as it needs.
pub fn format_release_date(timestamp: Timestamp) -> String {
    let nanos = timestamp.subsec_nanosecond();
    if nanos == 0 {
        timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else if nanos % 1_000_000 == 0 {
        timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    } else {
        timestamp.strftime("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
    }
}

/// Writes a `lastModified` value: `YYYY-MM-DDTHH:MM:SSZ`, whole seconds, as Jamf expects.
pub fn format_last_modified(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The `lastModified` to record for a change made at `now` to a title last modified at `previous`.
///
/// Whole seconds (the form Jamf reads), and always later than `previous`, so that two edits within
/// one second still show pollers two different values.
pub fn next_last_modified(previous: Option<Timestamp>, now: Timestamp) -> Timestamp {
    let now_seconds = Timestamp::from_second(now.as_second()).unwrap_or(now);
    match previous {
        Some(previous) if previous >= now_seconds => {
            Timestamp::from_second(previous.as_second() + 1).unwrap_or(previous)
        }
        _ => now_seconds,
    }
}

fn parse_date(text: &str) -> Result<Date, String> {
    let mut parts = text.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the date must be year-month-day".into());
    };
    let year = number(year, 4, 4, "year")?;
    let month = number(month, 1, 2, "month")?;
    let day = number(day, 1, 2, "day")?;
    Date::new(year as i16, month as i8, day as i8).map_err(|error| error.to_string())
}

fn parse_time(text: &str) -> Result<Time, String> {
    let (clock, fraction) = match text.split_once(['.', ',']) {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let (Some(hour), Some(minute), second, None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the time must be hour:minute:second".into());
    };
    let hour = number(hour, 1, 2, "hour")?;
    let minute = number(minute, 1, 2, "minute")?;
    let second = match second {
        Some(second) => number(second, 1, 2, "second")?,
        None => 0,
    };
    let nanos = match fraction {
        None => 0,
        Some(digits) => {
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err("the fraction of a second must be 1 to 9 digits".into());
            }
            let padded = format!("{digits:0<9}");
            padded.parse::<i32>().map_err(|error| error.to_string())?
        }
    };
    Time::new(hour as i8, minute as i8, second as i8, nanos).map_err(|error| error.to_string())
}

fn split_offset(text: &str) -> Result<(&str, Offset), String> {
    if let Some(clock) = text.strip_suffix(['Z', 'z']) {
        return Ok((clock, Offset::UTC));
    }
    if let Some(sign_at) = text.rfind(['+', '-']) {
        let (clock, offset) = text.split_at(sign_at);
        let sign: i32 = if offset.starts_with('-') { -1 } else { 1 };
        let digits = offset[1..].replace(':', "");
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the zone offset must be ±HH:MM".into());
        }
        let hours: i32 = digits[..2].parse().map_err(|_| "bad offset hours")?;
        let minutes: i32 = digits[2..].parse().map_err(|_| "bad offset minutes")?;
        let offset = Offset::from_seconds(sign * (hours * 3600 + minutes * 60))
            .map_err(|error| error.to_string())?;
        return Ok((clock, offset));
    }
    Ok((text, Offset::UTC))
}

fn number(text: &str, min_digits: usize, max_digits: usize, what: &str) -> Result<i32, String> {
    if text.len() < min_digits
        || text.len() > max_digits
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "the {what} {text:?} is not a number of {min_digits} to {max_digits} digits"
        ));
    }
    text.parse()
        .map_err(|_| format!("the {what} {text:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn loose_dates_from_real_definitions_parse() {
        for (input, expected) in [
            ("2017-9-12T14:19:38.270Z", "2017-09-12T14:19:38.270Z"),
            ("2017-03-6T12:00:00.814Z", "2017-03-06T12:00:00.814Z"),
            ("2014-11-17T12:0:00.323Z", "2014-11-17T12:00:00.323Z"),
            ("2018-02-22T15:35:00Z", "2018-02-22T15:35:00Z"),
            ("2018-02-22T17:35:00+02:00", "2018-02-22T15:35:00Z"),
            ("2018-02-22", "2018-02-22T00:00:00Z"),
            ("2018-02-22T15:35:00.123456Z", "2018-02-22T15:35:00.123456Z"),
        ] {
            let parsed = parse_loose(input).unwrap_or_else(|error| panic!("{input}: {error}"));
            assert_eq!(format_release_date(parsed), expected, "{input}");
        }
    }

    #[test]
    fn nonsense_dates_are_refused_with_the_input_named() {
        for input in [
            "0000-00-000T00:00:00Z",
            "2017-13-01T00:00:00Z",
            "2017-02-30T00:00:00Z",
            "yesterday",
            "",
            "2017-09-12T25:00:00Z",
            "2017-09-12T10:00:00.Z",
        ] {
            let error = parse_loose(input).expect_err(input);
            assert!(error.to_string().contains(&format!("{input:?}")), "{error}");
        }
    }

    #[test]
    fn last_modified_always_moves_forward() {
        let previous: Timestamp = "2026-01-01T10:00:00Z".parse().unwrap();
        let same_second: Timestamp = "2026-01-01T10:00:00.600Z".parse().unwrap();
        assert_eq!(
            format_last_modified(next_last_modified(Some(previous), same_second)),
            "2026-01-01T10:00:01Z"
        );
        let later: Timestamp = "2026-01-02T08:00:00.5Z".parse().unwrap();
        assert_eq!(
            format_last_modified(next_last_modified(Some(previous), later)),
            "2026-01-02T08:00:00Z"
        );
    }

    proptest! {
        #[test]
        fn strict_output_parses_back_to_the_same_instant(seconds in 0i64..4_000_000_000, millis in 0i32..1000) {
            let timestamp = Timestamp::new(seconds, millis * 1_000_000).unwrap();
            let written = format_release_date(timestamp);
            prop_assert_eq!(parse_loose(&written).unwrap(), timestamp);
        }

        #[test]
        fn unpadded_components_mean_the_same_as_padded(
            year in 1990i32..2100, month in 1i32..=12, day in 1i32..=28,
            hour in 0i32..24, minute in 0i32..60, second in 0i32..60, millis in 0i32..1000,
        ) {
            let loose = format!("{year}-{month}-{day}T{hour}:{minute}:{second}.{millis:03}Z");
            let strict = format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z");
            prop_assert_eq!(parse_loose(&loose).unwrap(), strict.parse::<Timestamp>().unwrap());
        }

        #[test]
        fn next_last_modified_is_strictly_later_and_whole(prev in 0i64..4_000_000_000, delta in -5i64..5, nanos in 0i32..1_000_000_000) {
            let previous = Timestamp::from_second(prev).unwrap();
            let now = Timestamp::new(prev + delta, nanos).unwrap();
            let next = next_last_modified(Some(previous), now);
            prop_assert!(next > previous);
            prop_assert_eq!(next.subsec_nanosecond(), 0);
        }
    }
}
