//! The days a rollout plan covers: from a first day (default: today, the UTC day of the instant
//! asked about) to a last day (default: [`DEFAULT_PLAN_DAYS`] later). The API's `?from=&to=` and
//! the command line's `--from`/`--to` both read it from here.

use jiff::Span;
use jiff::civil::Date;

/// The default window: 90 days from the first day.
pub const DEFAULT_PLAN_DAYS: i64 = 90;

/// A window whose last day comes before its first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{to} is before from ({from})")]
pub struct ReversedWindow {
    pub from: Date,
    pub to: Date,
}

/// The first and last day of a plan: `from` or else `today`, `to` or else
/// [`DEFAULT_PLAN_DAYS`] after the first day (the last day there is, near the end of time).
pub fn plan_window(
    today: Date,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<(Date, Date), ReversedWindow> {
    let from = from.unwrap_or(today);
    let to = to.unwrap_or_else(|| {
        from.checked_add(Span::new().days(DEFAULT_PLAN_DAYS))
            .unwrap_or(Date::MAX)
    });
    if to < from {
        return Err(ReversedWindow { from, to });
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_window_defaults_to_today_and_ninety_days_later() {
        let today = date(2025, 11, 12);
        assert_eq!(
            plan_window(today, None, None),
            Ok((today, date(2026, 2, 10)))
        );
        assert_eq!(
            plan_window(today, Some(date(2025, 11, 1)), None),
            Ok((date(2025, 11, 1), date(2026, 1, 30)))
        );
        assert_eq!(plan_window(today, None, Some(today)), Ok((today, today)));
        assert_eq!(
            plan_window(Date::MAX, None, None),
            Ok((Date::MAX, Date::MAX))
        );
    }

    #[test]
    fn a_last_day_before_the_first_is_refused() {
        let error = plan_window(date(2025, 11, 12), None, Some(date(2025, 11, 11))).unwrap_err();
        assert_eq!(error.to_string(), "2025-11-11 is before from (2025-11-12)");
    }
}
