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
        Self {
            label: row.label,
            bars,
            lanes,
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
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use jiff::civil::{DateTime, date, time};
    use roxmltree::{Document, Node};

    use super::axis::{add_days, full_date};
    use super::*;
    use crate::apple_version::AppleOsVersion;
    use crate::catalog::FeedFormat;
    use crate::catalog::release::{Platform, Release};
    use crate::schedule::{EnforcementScope, EnforcementTiming, ScheduleTiming, rollout};

    fn entry(
        version: &str,
        kind: DeferralKind,
        visible_on: Date,
        grace: Option<i64>,
    ) -> RolloutEntry {
        RolloutEntry {
            version: AppleOsVersion::parse(version).unwrap(),
            build: Some("25B78".to_owned()),
            kind,
            visible_on,
            enforced_by: grace.map(|days| add_days(visible_on, days).unwrap().at(17, 0, 0, 0)),
        }
    }

    fn minor(version: &str, visible_on: Date, grace: i64) -> RolloutEntry {
        entry(version, DeferralKind::Minor, visible_on, Some(grace))
    }

    fn render(rows: &[(&str, &[RolloutEntry])], from: Date, to: Date) -> String {
        let rows: Vec<ChartRow<'_>> = rows
            .iter()
            .map(|&(label, entries)| ChartRow { label, entries })
            .collect();
        rollout_svg("Rollout", &rows, from, to)
    }

    fn number(node: Node<'_, '_>, attribute: &str) -> f64 {
        node.attribute(attribute).unwrap().parse().unwrap()
    }

    fn with_class<'a, 'i>(doc: &'a Document<'i>, class: &str) -> Vec<Node<'a, 'i>> {
        doc.descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|c| c == class))
            })
            .collect()
    }

    /// The bars of the releases written `version`, top to bottom, as (x start, x end, y).
    fn bars(doc: &Document<'_>, version: &str) -> Vec<(f64, f64, f64)> {
        with_class(doc, "release")
            .into_iter()
            .filter(|release| {
                let text = release.children().find(|n| n.has_tag_name("text"));
                text.and_then(|n| n.text()) == Some(version)
            })
            .filter_map(|release| release.children().find(|n| n.has_tag_name("rect")))
            .map(|bar| {
                let x = number(bar, "x");
                (x, x + number(bar, "width"), number(bar, "y"))
            })
            .collect()
    }

    fn bar(doc: &Document<'_>, version: &str) -> Option<(f64, f64, f64)> {
        bars(doc, version).first().copied()
    }

    /// Coordinates are written with one decimal.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.051
    }

    #[test]
    fn output_is_an_svg_document_with_size_and_accessible_name() {
        let entries = [minor("26.1", date(2026, 11, 4), 10)];
        let svg = render(
            &[("Vanguard", &entries)],
            date(2026, 11, 1),
            date(2026, 11, 30),
        );
        let doc = Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let height = number(root, "height");
        assert_eq!(root.attribute("width"), Some("960.0"));
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 960.0 {height:.1}").as_str())
        );
        assert_eq!(root.attribute("role"), Some("img"));
        assert!(
            root.attribute("aria-label")
                .unwrap()
                .starts_with("Rollout: ")
        );
        assert!(
            root.attribute("font-family")
                .unwrap()
                .contains("sans-serif")
        );
        let first = root.first_element_child().unwrap();
        assert_eq!(
            (first.tag_name().name(), first.text()),
            ("title", Some("Rollout"))
        );
        // Everything drawn fits in the declared size.
        for node in doc.descendants().filter(|n| n.has_attribute("y")) {
            assert!((0.0..=height).contains(&number(node, "y")), "{node:?}");
        }
    }

    #[test]
    fn row_labels_appear_once_from_top_to_bottom_in_the_given_order() {
        let early = [minor("26.1", date(2026, 11, 4), 3)];
        let late = [minor("26.1", date(2026, 11, 20), 10)];
        let labels = [
            "Vanguard",
            "Early Adoption",
            "General Adoption",
            "Late Adoption",
        ];
        let svg = render(
            &[
                (labels[0], &early),
                (labels[1], &[]),
                (labels[2], &late),
                (labels[3], &late),
            ],
            date(2026, 11, 1),
            date(2026, 12, 31),
        );
        let doc = Document::parse(&svg).unwrap();
        let rows: Vec<(&str, f64)> = with_class(&doc, "row-label")
            .into_iter()
            .map(|n| (n.text().unwrap(), number(n, "y")))
            .collect();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), labels);
        assert!(
            rows.windows(2).all(|pair| pair[0].1 < pair[1].1),
            "{rows:?}"
        );
        for label in labels {
            let count = doc
                .descendants()
                .filter(|n| n.is_text() && n.text() == Some(label))
                .count();
            assert_eq!(count, 1, "{label}");
        }
        // The ring without releases says so.
        assert!(
            doc.descendants()
                .any(|n| n.text() == Some("nothing scheduled"))
        );
    }

    #[test]
    fn dates_map_to_x_from_the_left_edge_to_the_right_edge() {
        let (from, to) = (date(2026, 11, 1), date(2027, 1, 31));
        let scale = Scale::new(from, to);
        assert_eq!(scale.x(from), PLOT_LEFT);
        assert_eq!(scale.x(to), PLOT_RIGHT);
        let mut day = from;
        while day < to {
            let next = add_days(day, 1).unwrap();
            assert!(scale.x(next) > scale.x(day), "{day}");
            day = next;
        }

        let entries = [
            minor("26.1", date(2026, 11, 4), 3),
            minor("26.2", date(2026, 12, 12), 3),
        ];
        let doc_text = render(&[("Vanguard", &entries)], from, to);
        let doc = Document::parse(&doc_text).unwrap();
        let first = bar(&doc, "26.1").unwrap();
        let second = bar(&doc, "26.2").unwrap();
        assert!(close(first.0, scale.x(date(2026, 11, 4))), "{first:?}");
        assert!(close(first.1, scale.x(date(2026, 11, 7))), "{first:?}");
        assert!(second.0 > first.1 && second.1 > first.1);
        // The axis labels both ends with the full date.
        let dates: Vec<&str> = with_class(&doc, "date-label")
            .iter()
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(dates.first(), Some(&"1 Nov 2026"));
        assert!(
            dates.contains(&"31 Jan 2027") && dates.contains(&"Dec"),
            "{dates:?}"
        );
    }

    #[test]
    fn parts_outside_the_range_are_cut_at_the_edges_and_wholly_outside_is_left_out() {
        let entries = [
            minor("26.0.1", date(2026, 10, 28), 10),
            minor("26.1", date(2026, 11, 25), 10),
            minor("26.2", date(2026, 12, 2), 10),
            minor("26.0", date(2026, 10, 1), 10),
        ];
        let svg = render(&[("Ring", &entries)], date(2026, 11, 1), date(2026, 11, 30));
        let doc = Document::parse(&svg).unwrap();
        let before = bar(&doc, "26.0.1").unwrap();
        assert_eq!(before.0, PLOT_LEFT);
        let after = bar(&doc, "26.1").unwrap();
        assert_eq!(after.1, PLOT_RIGHT);
        let arrows = with_class(&doc, "cut");
        let arrows = arrows
            .iter()
            .filter(|n| n.parent_element().unwrap().has_tag_name("g"));
        assert_eq!(
            arrows
                .filter(|n| n.parent_element().unwrap().attribute("class") != Some("legend"))
                .count(),
            2,
            "one arrow at each cut end"
        );
        assert!(bar(&doc, "26.2").is_none() && bar(&doc, "26.0").is_none());
        assert!(!svg.contains(">26.2<") && !svg.contains(">26.0<"));
    }

    #[test]
    fn overlapping_releases_take_separate_lanes_and_the_band_grows() {
        let (from, to) = (date(2026, 11, 1), date(2027, 1, 31));
        let apart = [
            minor("26.1", date(2026, 11, 4), 3),
            minor("26.2", date(2026, 12, 20), 3),
        ];
        let overlapping = [
            minor("26.2", date(2027, 1, 11), 10),
            entry(
                "26.2 (a)",
                DeferralKind::Supplemental,
                date(2027, 1, 11),
                Some(10),
            ),
        ];
        let svg = render(
            &[("Apart", &apart), ("Overlapping", &overlapping)],
            from,
            to,
        );
        let doc = Document::parse(&svg).unwrap();
        let bands: Vec<f64> = with_class(&doc, "band")
            .iter()
            .map(|b| number(*b, "height"))
            .collect();
        assert!(bands[1] > bands[0], "{bands:?}");
        let (first, second) = (bars(&doc, "26.1"), bars(&doc, "26.2"));
        assert_eq!((first.len(), second.len()), (1, 2));
        assert_eq!(first[0].2, second[0].2, "releases far apart share a lane");
        let supplemental = bar(&doc, "26.2 (a)").unwrap();
        assert_ne!(
            supplemental.2, second[1].2,
            "overlapping releases on one lane"
        );
        assert!((supplemental.0, supplemental.1) == (second[1].0, second[1].1));
        assert_no_overlap(&doc);
    }

    /// Within a lane, no release's drawing (bar, markers and version text, whose width is
    /// estimated) reaches into another's.
    fn assert_no_overlap(doc: &Document<'_>) {
        let mut footprints: Vec<(f64, f64, f64, String)> = with_class(doc, "release")
            .into_iter()
            .map(|release| {
                let text = release.children().find(|n| n.has_tag_name("text")).unwrap();
                let version = text.text().unwrap().to_owned();
                let x = number(text, "x");
                let width = text_width(&version);
                let (mut left, mut right) = match text.attribute("text-anchor") {
                    Some("end") => (x - width, x),
                    _ => (x, x + width),
                };
                for shape in release.children().filter(|n| n.has_tag_name("rect")) {
                    left = left.min(number(shape, "x"));
                    right = right.max(number(shape, "x") + number(shape, "width"));
                }
                (number(text, "y"), left, right, version)
            })
            .collect();
        footprints.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for pair in footprints.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(a.0 != b.0 || a.2 < b.1, "{a:?} overlaps {b:?}");
        }
    }

    #[test]
    fn text_is_escaped_and_survives_parsing() {
        let rows = [ChartRow {
            label: "A & <B>",
            entries: &[],
        }];
        let svg = rollout_svg(
            "Q&A \"x\" 'y' </svg>",
            &rows,
            date(2026, 1, 1),
            date(2026, 2, 1),
        );
        let doc = Document::parse(&svg).unwrap();
        let label = with_class(&doc, "row-label")[0];
        assert_eq!(label.text(), Some("A & <B>"));
        assert_eq!(
            doc.root_element().first_element_child().unwrap().text(),
            Some("Q&A \"x\" 'y' </svg>")
        );
        assert!(!svg.contains("<B>") && svg.contains("A &amp; &lt;B&gt;"));
        assert!(
            Document::parse(&rollout_svg(
                "bell\u{7}",
                &rows,
                date(2026, 1, 1),
                date(2026, 2, 1)
            ))
            .is_ok()
        );
    }

    #[test]
    fn tooltips_give_build_visibility_and_deadline() {
        let entries = [
            minor("26.1", date(2026, 11, 4), 10),
            entry("26.2", DeferralKind::Minor, date(2026, 11, 20), None),
        ];
        let svg = render(&[("Ring", &entries)], date(2026, 11, 1), date(2026, 11, 30));
        let doc = Document::parse(&svg).unwrap();
        let tips: Vec<&str> = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("title") && n.parent_element().unwrap() != doc.root_element()
            })
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(
            tips,
            [
                "26.1 (25B78): visible 2026-11-04, install by 2026-11-14 17:00",
                "26.2 (25B78): visible 2026-11-20, not enforced",
            ]
        );
    }

    #[test]
    fn kinds_have_different_colours() {
        let entries = [
            minor("26.1", date(2026, 11, 2), 3),
            entry("27.0", DeferralKind::Major, date(2026, 11, 10), Some(3)),
            entry(
                "26.1 (a)",
                DeferralKind::Supplemental,
                date(2026, 11, 20),
                Some(3),
            ),
        ];
        let svg = render(&[("Ring", &entries)], date(2026, 11, 1), date(2026, 11, 30));
        let doc = Document::parse(&svg).unwrap();
        let fills: BTreeSet<&str> = with_class(&doc, "bar")
            .iter()
            .map(|b| b.attribute("fill").unwrap())
            .collect();
        assert_eq!(fills.len(), 3);
    }

    #[test]
    fn rendering_is_deterministic_and_reversed_ranges_are_swapped() {
        let entries = [minor("26.1", date(2026, 11, 4), 10)];
        let (from, to) = (date(2026, 11, 1), date(2026, 12, 31));
        let once = render(&[("Ring", &entries)], from, to);
        assert_eq!(once, render(&[("Ring", &entries)], from, to));
        assert_eq!(once, render(&[("Ring", &entries)], to, from));
    }

    #[test]
    fn degenerate_inputs_still_give_valid_pictures() {
        let entries = [minor("26.1", date(2026, 11, 4), 10)];
        let day = date(2026, 11, 4);
        let single = render(&[("Ring", &entries)], day, day);
        let doc = Document::parse(&single).unwrap();
        let only = bar(&doc, "26.1").unwrap();
        assert_eq!(
            (only.0, only.1),
            ((PLOT_LEFT + PLOT_RIGHT) / 2.0, PLOT_RIGHT)
        );
        let labels = with_class(&doc, "date-label");
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0].text(), Some("4 Nov 2026"));

        let empty = render(&[], date(2026, 11, 1), date(2026, 11, 30));
        let doc = Document::parse(&empty).unwrap();
        assert!(
            doc.descendants()
                .any(|n| n.text() == Some("no rows to show"))
        );
        assert!(Document::parse(&render(&[("Ring", &entries)], Date::MIN, Date::MAX)).is_ok());
    }

    #[test]
    fn date_labels_stay_few_and_apart_over_any_span() {
        let from = date(2026, 11, 1);
        for days in [0, 1, 6, 30, 70, 71, 92, 200, 365, 800, 1826, 3652, 36524] {
            let to = add_days(from, days).unwrap();
            let doc_text = render(&[("Ring", &[])], from, to);
            let doc = Document::parse(&doc_text).unwrap();
            let labels: Vec<(f64, &str)> = with_class(&doc, "date-label")
                .iter()
                .map(|n| (number(*n, "x"), n.text().unwrap()))
                .collect();
            assert!(labels.len() <= 12, "{days} days: {labels:?}");
            assert!(days < 30 || labels.len() >= 3, "{days} days: {labels:?}");
            assert!(
                labels.iter().any(|l| l.1 == full_date(from)),
                "{days}: {labels:?}"
            );
            assert!(
                labels.iter().any(|l| l.1 == full_date(to)),
                "{days}: {labels:?}"
            );
            let mut middles: Vec<f64> = labels[2.min(labels.len())..].iter().map(|l| l.0).collect();
            middles.sort_by(f64::total_cmp);
            assert!(
                middles.windows(2).all(|w| w[1] - w[0] >= 40.0),
                "{days}: {labels:?}"
            );
        }
    }

    fn mac_release(version: &str, build: &str, released_on: Date) -> Release {
        Release {
            platform: Platform::MacOs,
            version: AppleOsVersion::parse(version).unwrap(),
            build: Some(build.to_owned()),
            released_on,
            expires_on: None,
            supported_devices: BTreeSet::new(),
            security: None,
            prerequisite_build: None,
            seen_at: None,
            source: FeedFormat::Gdmf,
        }
    }

    #[test]
    fn four_rings_match_the_golden_file() {
        let mut supplemental = mac_release("26.2 (a)", "25C5110a", date(2027, 1, 10));
        supplemental.prerequisite_build = Some("25C56".to_owned());
        let catalog = [
            mac_release("26.0.1", "25A362", date(2026, 10, 15)),
            mac_release("26.1", "25B78", date(2026, 11, 3)),
            mac_release("26.2", "25C56", date(2026, 12, 12)),
            supplemental,
            mac_release("26.3", "25D125", date(2027, 1, 22)),
        ];
        let (from, to) = (date(2026, 11, 1), date(2027, 1, 31));
        let rings = [
            ("Vanguard", 1, 3),
            ("Early Adoption", 7, 7),
            ("General Adoption", 15, 10),
            ("Late Adoption", 30, 10),
        ];
        let entries: Vec<Vec<RolloutEntry>> = rings
            .iter()
            .map(|&(_, deferral, grace_days)| {
                let timing = ScheduleTiming {
                    platform: Platform::MacOs,
                    major_days: Some(deferral),
                    minor_days: Some(deferral),
                    system_days: Some(deferral),
                    combined_days: None,
                    enforcement: Some(EnforcementTiming {
                        grace_days,
                        local_time: time(17, 0, 0, 0),
                        scope: EnforcementScope::Latest,
                    }),
                };
                rollout(&timing, &catalog, Platform::MacOs, from, to)
            })
            .collect();
        let rows: Vec<ChartRow<'_>> = rings
            .iter()
            .zip(&entries)
            .map(|(&(label, _, _), entries)| ChartRow { label, entries })
            .collect();
        let svg = rollout_svg("macOS rollout by ring", &rows, from, to);
        let deadline: DateTime = entries[0][0].enforced_by.unwrap();
        assert_eq!(deadline, date(2026, 11, 7).at(17, 0, 0, 0));

        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/golden/plan/four-rings.svg");
        if std::env::var_os("UPDATE_GOLDEN").is_some_and(|flag| flag == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &svg).unwrap();
            return;
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert!(
            golden == svg,
            "fixtures/golden/plan/four-rings.svg differs from what is rendered; if the change is \
             intended, run UPDATE_GOLDEN=1 cargo test -p ringmaster-domain plan_chart and review \
             the picture"
        );
    }
}
