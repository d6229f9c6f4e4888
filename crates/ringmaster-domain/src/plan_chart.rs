//! The rollout timeline as an SVG picture: rings against dates.
//!
//! ```text
//!  macOS rollout by ring
//!                    1 Nov 2026           Dec                 Jan 2027          31 Jan 2027
//!                   |'''''''''''''''''''''|'''''''''''''''''''|'''''''''''''''''''''|
//!  Vanguard         |  ●━━◆ 26.1                 ●━━◆ 26.2              ●━◆ 26.2 (a)
//!  General Adoption |◀━━━◆ 26.0.1   ●━━━━◆ 26.1          ●━━━━◆ 26.2
//!                   |                                                 ●━━━━◆ 26.2 (a)
//!  ■ Minor update  ■ Major upgrade  ■ Supplemental (a)  ● visible from  ◆ install by  ▶ continues
//! ```
//!
//! Days run left to right from `from` (the left edge of the plot) to `to` (the right edge), with
//! a tick per day while days are wide enough, and a grid line and a label per week (spans up to
//! ten weeks) or per month, quarter, year… (longer spans: at most about twelve labels in all);
//! `from` and `to` are always labelled. Each [`ChartRow`] is a horizontal band, in the order given.
//!
//! A release is a circle on the day it becomes visible and, when enforced, a bar to the day of its
//! deadline, ending in a diamond; the version is written next to it and the bar's tooltip gives
//! the build and the exact deadline. Colour tells minor updates (and iOS updates), major upgrades
//! and supplemental releases apart. A part before `from` or after `to` is cut at the edge, which
//! then shows an arrow; a release wholly outside is left out. Releases whose drawings would touch
//! (their days, or their version text) go on separate lanes, and the band grows to hold them.
//!
//! A paused span of the row's ring or policy is a shaded stretch of its band, from its first to
//! its last day (to the right edge while it has no end), its tooltip saying since when.
//!
//! When `to` is before `from` the two are swapped. When `from == to` that day is drawn in the
//! middle of the plot. The output depends on the arguments only: same input, same bytes.

use std::fmt::{self, Write as _};

use jiff::civil::Date;

use crate::schedule::{DeferralKind, RolloutEntry};

mod axis;

use axis::{Scale, draw_axis};

/// One row of the chart: a ring (or a single policy) and its rollout.
#[derive(Debug, Clone, Copy)]
pub struct ChartRow<'a> {
    /// The name written at the left of the band.
    pub label: &'a str,
    /// The row's releases, as [`crate::schedule::rollout`] lists them.
    pub entries: &'a [RolloutEntry],
    /// The days its ring or policy is paused.
    pub paused: &'a [PausedDays],
}

/// Days a row is paused: from `first` to `last` inclusive, or on while `last` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PausedDays {
    pub first: Date,
    pub last: Option<Date>,
}

const WIDTH: f64 = 960.0;
const PLOT_LEFT: f64 = 176.0;
const PLOT_RIGHT: f64 = 936.0;
const PLOT_TOP: f64 = 72.0;
const LANE_HEIGHT: f64 = 26.0;
const BAND_PADDING: f64 = 6.0;
/// The radius of the "visible from" circle; the other markers are sized from it.
const MARKER: f64 = 5.0;
const GAP: f64 = 6.0;
/// A generous estimate of a character's width at 12px, to keep text from colliding.
const CHAR_WIDTH: f64 = 7.0;
const MAX_ROW_LABEL_CHARS: usize = 22;
const INK: &str = "#0f172a";
const MUTED: &str = "#64748b";

/// Draws the rollout of each row between `from` and `to` (inclusive days) as a standalone SVG
/// document.
///
/// A `to` before `from` is read as the same range the right way round. See the [module
/// documentation](self) for what the picture shows.
pub fn rollout_svg(title: &str, rows: &[ChartRow<'_>], from: Date, to: Date) -> String {
    let scale = Scale::new(from.min(to), from.max(to));
    let bands: Vec<Band<'_>> = rows.iter().map(|row| Band::lay_out(row, &scale)).collect();
    let bottom = PLOT_TOP + bands.iter().map(Band::height).sum::<f64>().max(LANE_HEIGHT);
    let (w, h) = (Px(WIDTH), Px(bottom + 52.0));
    let (from, to, count) = (scale.from, scale.to, rows.len());
    let summary = escape(&format!(
        "{title}: rollout of {count} rows from {from} to {to}"
    ));
    let title = escape(title);
    let mut out = Out(String::new());
    out.line(format_args!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{summary}\" \
         font-family=\"system-ui, sans-serif\" font-size=\"12\">"
    ));
    out.line(format_args!("<title>{title}</title>"));
    out.line(format_args!(
        "<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>"
    ));
    out.line(format_args!(
        "<text x=\"16\" y=\"30\" font-size=\"16\" font-weight=\"600\" fill=\"{INK}\">{title}</text>"
    ));
    let mut tops = vec![PLOT_TOP];
    for (index, band) in bands.iter().enumerate() {
        let top = tops[index];
        band_rect(&mut out, index, top, band.height());
        tops.push(top + band.height());
    }
    if bands.is_empty() {
        band_rect(&mut out, 0, PLOT_TOP, LANE_HEIGHT);
    }
    draw_axis(&mut out, &scale, bottom);
    for (band, top) in bands.iter().zip(tops) {
        band.draw(&mut out, top);
    }
    if bands.is_empty() {
        let (x, y) = (Px(PLOT_LEFT + 8.0), Px(PLOT_TOP + LANE_HEIGHT / 2.0 + 4.0));
        out.line(format_args!(
            "<text x=\"{x}\" y=\"{y}\" fill=\"{MUTED}\" \
             font-style=\"italic\">no rows to show</text>"
        ));
    }
    draw_legend(&mut out, bottom + 30.0);
    out.line(format_args!("</svg>"));
    out.0
}

fn band_rect(out: &mut Out, index: usize, top: f64, height: f64) {
    let fill = if index.is_multiple_of(2) {
        "#f8fafc"
    } else {
        "#eef2f7"
    };
    let (y, w, h) = (Px(top), Px(WIDTH), Px(height));
    out.line(format_args!(
        "<rect class=\"band\" x=\"0\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\"/>"
    ));
}

/// One row laid out: its entries within `from..=to`, each on a lane.
#[derive(Debug)]
struct Band<'a> {
    label: &'a str,
    bars: Vec<Bar<'a>>,
    lanes: usize,
    /// Each paused span in the window: left and right x, and its tooltip.
    paused: Vec<(f64, f64, String)>,
}

/// One release placed on the chart.
#[derive(Debug)]
struct Bar<'a> {
    entry: &'a RolloutEntry,
    start: f64,
    /// The x of the deadline, for an enforced release.
    end: Option<f64>,
    cut_start: bool,
    cut_end: bool,
    /// The version text's anchor x and `text-anchor`; on a tag over the bar when `true`.
    text: (f64, &'static str, bool),
    lane: usize,
}

impl<'a> Band<'a> {
    fn lay_out(row: &ChartRow<'a>, scale: &Scale) -> Self {
        let mut placed: Vec<(f64, f64, Bar<'a>)> = row
            .entries
            .iter()
            .filter(|entry| {
                let last = entry.enforced_by.map_or(entry.visible_on, |d| d.date());
                entry.visible_on <= scale.to && last >= scale.from
            })
            .map(|entry| place(entry, scale))
            .collect();
        // Greedy interval colouring: each release takes the first lane free at its left end.
        placed.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut lane_ends: Vec<f64> = Vec::new();
        for (left, right, bar) in &mut placed {
            bar.lane = match lane_ends.iter().position(|end| end + GAP <= *left) {
                Some(lane) => lane,
                None => {
                    lane_ends.push(*right);
                    lane_ends.len() - 1
                }
            };
            lane_ends[bar.lane] = *right;
        }
        let bars = placed.into_iter().map(|(_, _, bar)| bar).collect();
        let lanes = lane_ends.len().max(1);
        let paused = row
            .paused
            .iter()
            .filter(|span| {
                span.first <= scale.to && span.last.is_none_or(|last| last >= scale.from)
            })
            .map(|span| {
                let right = span.last.map_or(PLOT_RIGHT, |last| scale.x(last));
                let tooltip = match span.last {
                    Some(last) => format!("paused from {} to {last}", span.first),
                    None => format!("paused since {}", span.first),
                };
                (
                    scale.x(span.first),
                    right.max(scale.x(span.first) + 2.0),
                    tooltip,
                )
            })
            .collect();
        Self {
            label: row.label,
            bars,
            lanes,
            paused,
        }
    }

    fn height(&self) -> f64 {
        2.0 * BAND_PADDING + self.lanes as f64 * LANE_HEIGHT
    }

    fn draw(&self, out: &mut Out, top: f64) {
        let middle = top + self.height() / 2.0;
        let mut shown: String = self.label.chars().take(MAX_ROW_LABEL_CHARS).collect();
        let mut full = String::new();
        if shown.len() < self.label.len() {
            full = format!("<title>{}</title>", escape(self.label));
            shown = format!("{}…", shown.trim_end());
        }
        let (x, y, shown) = (Px(16.0), Px(middle + 4.5), escape(&shown));
        out.line(format_args!(
            "<text class=\"row-label\" x=\"{x}\" y=\"{y}\" font-size=\"13\" \
             fill=\"{INK}\">{full}{shown}</text>"
        ));
        if self.bars.is_empty() {
            let (x, y) = (Px(PLOT_LEFT + 8.0), Px(middle + 4.0));
            out.line(format_args!(
                "<text x=\"{x}\" y=\"{y}\" fill=\"{MUTED}\" \
                 font-style=\"italic\">nothing scheduled</text>"
            ));
        }
        for (left, right, tooltip) in &self.paused {
            let (x, y, w, h) = (Px(*left), Px(top), Px(right - left), Px(self.height()));
            let tooltip = escape(tooltip);
            out.line(format_args!(
                "<rect class=\"paused\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" \
                 fill=\"#f59e0b\" fill-opacity=\"0.25\"><title>{tooltip}</title></rect>"
            ));
        }
        for bar in &self.bars {
            bar.draw(
                out,
                top + BAND_PADDING + (bar.lane as f64 + 0.5) * LANE_HEIGHT,
            );
        }
    }
}

/// Places one entry and its version text; returns its horizontal footprint (left, right) too.
fn place<'a>(entry: &'a RolloutEntry, scale: &Scale) -> (f64, f64, Bar<'a>) {
    let start = scale.x(entry.visible_on);
    let end = entry.enforced_by.map(|deadline| scale.x(deadline.date()));
    let tip = end.unwrap_or(start);
    let width = text_width(entry.version.as_str());
    let (mut left, mut right) = (start - MARKER, tip + MARKER);
    let text = if tip + MARKER + GAP + width <= PLOT_RIGHT {
        right = tip + MARKER + GAP + width;
        (tip + MARKER + GAP, "start", false)
    } else if start - MARKER - GAP - width >= PLOT_LEFT {
        left = start - MARKER - GAP - width;
        (start - MARKER - GAP, "end", false)
    } else {
        // No room on either side: the bar spans the plot; the text goes on a tag over it.
        (start + 2.0 * MARKER + GAP + width / 2.0, "middle", true)
    };
    let cut_start = entry.visible_on < scale.from;
    let cut_end = entry.enforced_by.is_some_and(|d| d.date() > scale.to);
    let bar = Bar {
        entry,
        start,
        end,
        cut_start,
        cut_end,
        text,
        lane: 0,
    };
    (left, right, bar)
}

impl Bar<'_> {
    fn draw(&self, out: &mut Out, y: f64) {
        let entry = self.entry;
        let (class, colour) = kind_style(entry.kind);
        let build = entry
            .build
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        let when = match entry.enforced_by {
            Some(deadline) => format!("install by {}", deadline.strftime("%Y-%m-%d %H:%M")),
            None => "not enforced".to_owned(),
        };
        let (version, visible_on) = (&entry.version, entry.visible_on);
        let tooltip = escape(&format!("{version}{build}: visible {visible_on}, {when}"));
        let tooltip = format!("<title>{tooltip}</title>");
        out.line(format_args!("<g class=\"release {class}\">"));
        if let Some(end) = self.end {
            let (x, top, width) = (Px(self.start), Px(y - 5.0), Px(end - self.start));
            out.line(format_args!(
                "<rect class=\"bar\" x=\"{x}\" y=\"{top}\" width=\"{width}\" height=\"10\" \
                 rx=\"3\" fill=\"{colour}\" fill-opacity=\"0.85\">{tooltip}</rect>"
            ));
        }
        if self.cut_start {
            arrow(out, PLOT_LEFT, y, 1.0, colour);
        } else {
            // Without a bar, the circle carries the tooltip.
            let tooltip = if self.end.is_none() {
                tooltip.as_str()
            } else {
                ""
            };
            let (cx, cy, r) = (Px(self.start), Px(y), Px(MARKER));
            out.line(format_args!(
                "<circle class=\"visible\" cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"{colour}\" \
                 stroke=\"#ffffff\" stroke-width=\"1.5\">{tooltip}</circle>"
            ));
        }
        match self.end {
            Some(_) if self.cut_end => arrow(out, PLOT_RIGHT, y, -1.0, colour),
            Some(end) => diamond(out, end, y, colour),
            None => {}
        }
        let (x, anchor, on_tag) = self.text;
        if on_tag {
            let width = text_width(version.as_str()) + 8.0;
            let (left, top, w) = (Px(x - width / 2.0), Px(y - 8.0), Px(width));
            out.line(format_args!(
                "<rect class=\"tag\" x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"16\" \
                 rx=\"3\" fill=\"#ffffff\" stroke=\"{colour}\"/>"
            ));
        }
        let (x, y, version) = (Px(x), Px(y + 4.0), escape(version.as_str()));
        out.line(format_args!(
            "<text class=\"version\" x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" \
             fill=\"{INK}\">{version}</text>"
        ));
        out.line(format_args!("</g>"));
    }
}

/// A triangle with its tip on the edge at `x`, pointing out of the plot (`inward` is 1 at the
/// left edge, -1 at the right).
fn arrow(out: &mut Out, x: f64, y: f64, inward: f64, colour: &str) {
    let (tip, base, y, up, down) = (Px(x), Px(x + 9.0 * inward), Px(y), Px(y - 7.0), Px(y + 7.0));
    out.line(format_args!(
        "<path class=\"cut\" d=\"M{tip} {y} L{base} {up} L{base} {down} Z\" fill=\"{colour}\"/>"
    ));
}

fn diamond(out: &mut Out, x: f64, y: f64, colour: &str) {
    let r = MARKER + 1.5;
    let (x, left, right, y, up, down) = (Px(x), Px(x - r), Px(x + r), Px(y), Px(y - r), Px(y + r));
    out.line(format_args!(
        "<path class=\"deadline\" d=\"M{x} {up} L{right} {y} L{x} {down} L{left} {y} Z\" \
         fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"1.5\"/>"
    ));
}

/// The CSS class and the colour of a deferral kind.
fn kind_style(kind: DeferralKind) -> (&'static str, &'static str) {
    match kind {
        DeferralKind::Minor | DeferralKind::Combined => ("minor", "#3b82f6"),
        DeferralKind::Major => ("major", "#8b5cf6"),
        DeferralKind::Supplemental => ("supplemental", "#f59e0b"),
    }
}

/// What a legend entry shows before its text.
#[derive(Debug, Clone, Copy)]
enum Symbol {
    Swatch(DeferralKind),
    Visible,
    Deadline,
    Cut,
}

fn draw_legend(out: &mut Out, y: f64) {
    out.line(format_args!("<g class=\"legend\">"));
    let items = [
        (Symbol::Swatch(DeferralKind::Minor), "Minor update"),
        (Symbol::Swatch(DeferralKind::Major), "Major upgrade"),
        (
            Symbol::Swatch(DeferralKind::Supplemental),
            "Supplemental (a)",
        ),
        (Symbol::Visible, "visible from"),
        (Symbol::Deadline, "install by"),
        (Symbol::Cut, "continues past the edge"),
    ];
    let mut x = 16.0;
    for (symbol, text) in items {
        let middle = y - 4.0;
        match symbol {
            Symbol::Swatch(kind) => {
                let (left, top, colour) = (Px(x), Px(y - 9.0), kind_style(kind).1);
                out.line(format_args!(
                    "<rect x=\"{left}\" y=\"{top}\" width=\"12\" height=\"10\" rx=\"3\" \
                     fill=\"{colour}\"/>"
                ));
            }
            Symbol::Visible => {
                let (cx, cy, r) = (Px(x + 6.0), Px(middle), Px(MARKER));
                out.line(format_args!(
                    "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"{MUTED}\"/>"
                ));
            }
            Symbol::Deadline => diamond(out, x + 6.0, middle, MUTED),
            Symbol::Cut => arrow(out, x + 11.0, middle, -1.0, MUTED),
        }
        let (text_x, text_y, label) = (Px(x + 18.0), Px(y), escape(text));
        out.line(format_args!(
            "<text x=\"{text_x}\" y=\"{text_y}\" fill=\"{INK}\">{label}</text>"
        ));
        x += 36.0 + text_width(text);
    }
    out.line(format_args!("</g>"));
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// Escapes text for XML content and attributes, and replaces what XML 1.0 cannot carry.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(' '),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A coordinate, always written with one decimal.
#[derive(Debug, Clone, Copy)]
struct Px(f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

/// The document being written, one element a line.
#[derive(Debug)]
struct Out(String);

impl Out {
    fn line(&mut self, args: fmt::Arguments<'_>) {
        // Writing to a String cannot fail.
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }
}

#[cfg(test)]
mod tests;
