//! The date axis of the rollout chart: the day-to-x scale, day ticks, grid lines and date labels.

use jiff::Span;
use jiff::civil::Date;

use super::{MUTED, Out, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, Px, escape, text_width};

/// Spans up to this many days are labelled by week, longer ones by month or more.
const WEEK_LABEL_DAYS: i64 = 70;
/// At most this many labels between the `from` and `to` labels.
const MAX_TICK_LABELS: i64 = 10;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Maps days to x coordinates.
#[derive(Debug)]
pub(super) struct Scale {
    pub(super) from: Date,
    pub(super) to: Date,
    span_days: i64,
}

impl Scale {
    pub(super) fn new(from: Date, to: Date) -> Self {
        let span_days = days_between(from, to);
        Self {
            from,
            to,
            span_days,
        }
    }

    /// `from` is the left edge, `to` the right edge; days outside stick to the nearest edge.
    /// Rounded to the precision written, so that lengths add up exactly.
    pub(super) fn x(&self, day: Date) -> f64 {
        if day < self.from {
            PLOT_LEFT
        } else if day > self.to {
            PLOT_RIGHT
        } else if self.span_days == 0 {
            (PLOT_LEFT + PLOT_RIGHT) / 2.0
        } else {
            let x = PLOT_LEFT + days_between(self.from, day) as f64 * self.day_width();
            (x * 10.0).round() / 10.0
        }
    }

    fn day_width(&self) -> f64 {
        (PLOT_RIGHT - PLOT_LEFT) / self.span_days.max(1) as f64
    }
}

fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map_or(0, |span| i64::from(span.get_days()))
}

pub(super) fn add_days(day: Date, days: i64) -> Option<Date> {
    day.checked_add(Span::new().try_days(days).ok()?).ok()
}

/// Day ticks, grid lines, the plot's frame and the date labels.
pub(super) fn draw_axis(out: &mut Out, scale: &Scale, bottom: f64) {
    if scale.day_width() >= 3.0 {
        let mut day = Some(scale.from);
        while let Some(current) = day.filter(|day| *day <= scale.to) {
            line(out, scale.x(current), PLOT_TOP - 3.0, PLOT_TOP, "#94a3b8");
            day = add_days(current, 1);
        }
    }
    if scale.span_days > WEEK_LABEL_DAYS && scale.day_width() * 7.0 >= 12.0 {
        for monday in mondays(scale) {
            line(out, scale.x(monday), PLOT_TOP, bottom, "#e2e8f0");
        }
    }
    let ticks = labelled_ticks(scale);
    for (day, _) in &ticks {
        line(out, scale.x(*day), PLOT_TOP - 7.0, bottom, "#cbd5e1");
    }
    for x in [PLOT_LEFT, PLOT_RIGHT] {
        line(out, x, PLOT_TOP - 7.0, bottom, "#94a3b8");
    }
    let (first, last) = (full_date(scale.from), full_date(scale.to));
    // The horizontal extents already labelled.
    let mut taken = Vec::new();
    if scale.span_days == 0 {
        axis_label(out, scale.x(scale.from), "middle", &first);
    } else {
        axis_label(out, PLOT_LEFT, "start", &first);
        axis_label(out, PLOT_RIGHT, "end", &last);
        taken.push((PLOT_LEFT, PLOT_LEFT + text_width(&first)));
        taken.push((PLOT_RIGHT - text_width(&last), PLOT_RIGHT));
    }
    for (day, text) in ticks {
        let (x, half) = (scale.x(day), text_width(&text) / 2.0 + 8.0);
        let (left, right) = (x - half, x + half);
        let crowded = taken.iter().any(|&(a, b)| left < b && a < right);
        if !crowded && day != scale.from && day != scale.to {
            taken.push((left, right));
            axis_label(out, x, "middle", &text);
        }
    }
}

/// The days with a grid line and, room permitting, a label: Mondays for spans up to ten weeks,
/// otherwise first days of months, every 1, 2, 3, 6, 12, 24, 60, 120… months.
fn labelled_ticks(scale: &Scale) -> Vec<(Date, String)> {
    if scale.span_days <= WEEK_LABEL_DAYS {
        let label = |day: Date| (day, format!("{} {}", day.day(), month_name(day)));
        return mondays(scale).into_iter().map(label).collect();
    }
    let month_index = |day: Date| i64::from(day.year()) * 12 + i64::from(day.month()) - 1;
    let step = month_step(month_index(scale.to) - month_index(scale.from));
    let start = month_index(scale.from) + i64::from(scale.from.day() != 1);
    let mut index = (start + step - 1).div_euclid(step) * step;
    let mut ticks = Vec::new();
    while let Some(day) = month_start(index).filter(|day| *day <= scale.to) {
        let text = match (step >= 12, day.month()) {
            (true, _) => day.year().to_string(),
            (false, 1) => format!("Jan {}", day.year()),
            (false, _) => month_name(day).to_owned(),
        };
        ticks.push((day, text));
        index += step;
    }
    ticks
}

/// The number of months between labels: the first "round" step giving at most
/// [`MAX_TICK_LABELS`] labels.
fn month_step(months: i64) -> i64 {
    let wanted = (months + MAX_TICK_LABELS - 1) / MAX_TICK_LABELS;
    let mut steps = [1, 2, 3, 6].into_iter().chain((0..).flat_map(|power: u32| {
        [12, 24, 60].map(|months: i64| months.saturating_mul(10i64.saturating_pow(power)))
    }));
    steps.find(|step| *step >= wanted).unwrap_or(12)
}

fn month_start(index: i64) -> Option<Date> {
    let year = i16::try_from(index.div_euclid(12)).ok()?;
    let month = i8::try_from(index.rem_euclid(12) + 1).ok()?;
    Date::new(year, month, 1).ok()
}

fn mondays(scale: &Scale) -> Vec<Date> {
    let ahead = (7 - i64::from(scale.from.weekday().to_monday_zero_offset())) % 7;
    let mut day = add_days(scale.from, ahead);
    let mut days = Vec::new();
    while let Some(current) = day.filter(|day| *day <= scale.to) {
        days.push(current);
        day = add_days(current, 7);
    }
    days
}

fn month_name(day: Date) -> &'static str {
    MONTHS[usize::try_from(day.month() - 1).unwrap_or(0)]
}

pub(super) fn full_date(day: Date) -> String {
    format!("{} {} {}", day.day(), month_name(day), day.year())
}

fn axis_label(out: &mut Out, x: f64, anchor: &str, text: &str) {
    let (x, y, text) = (Px(x), Px(PLOT_TOP - 12.0), escape(text));
    out.line(format_args!(
        "<text class=\"date-label\" x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" \
         fill=\"{MUTED}\">{text}</text>"
    ));
}

fn line(out: &mut Out, x: f64, y1: f64, y2: f64, colour: &str) {
    let (x, y1, y2) = (Px(x), Px(y1), Px(y2));
    out.line(format_args!(
        "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{colour}\"/>"
    ));
}
