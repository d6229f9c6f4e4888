//! Tests of [`super`].

use std::collections::BTreeSet;

use jiff::civil::{DateTime, date, time};
use roxmltree::{Document, Node};

use super::axis::{add_days, full_date};
use super::*;
use crate::apple_version::AppleOsVersion;
use crate::catalog::release::Release;
use crate::platform::Platform;
use crate::schedule::{EnforcementScope, EnforcementTiming, ScheduleTiming, rollout};

fn entry(version: &str, kind: DeferralKind, visible_on: Date, grace: Option<i64>) -> RolloutEntry {
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
        .map(|&(label, entries)| ChartRow {
            label,
            entries,
            paused: &[],
        })
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
        paused: &[],
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
        .filter(|n| n.has_tag_name("title") && n.parent_element().unwrap() != doc.root_element())
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
    Release::new(
        Platform::MacOs,
        AppleOsVersion::parse(version).unwrap(),
        released_on,
    )
    .with_build(build)
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
        .map(|(&(label, _, _), entries)| ChartRow {
            label,
            entries,
            paused: &[],
        })
        .collect();
    let svg = rollout_svg("macOS rollout by ring", &rows, from, to);
    let deadline: DateTime = entries[0][0].enforced_by.unwrap();
    assert_eq!(deadline, date(2026, 11, 7).at(17, 0, 0, 0));

    ringmaster_testing::golden::check_text("plan/four-rings.svg", &svg);
}

#[test]
fn a_paused_span_is_a_shaded_stretch_of_its_band_cut_at_the_window() {
    let paused = [
        PausedDays {
            first: date(2026, 11, 10),
            last: Some(date(2026, 11, 20)),
        },
        PausedDays {
            first: date(2026, 12, 20),
            last: None,
        },
        PausedDays {
            first: date(2025, 1, 1),
            last: Some(date(2025, 2, 1)),
        },
    ];
    let rows = [ChartRow {
        label: "Vanguard",
        entries: &[],
        paused: &paused,
    }];
    let svg = rollout_svg("t", &rows, date(2026, 11, 1), date(2026, 12, 31));
    assert_eq!(svg.matches("class=\"paused\"").count(), 2, "{svg}");
    assert!(svg.contains("<title>paused from 2026-11-10 to 2026-11-20</title>"));
    assert!(svg.contains("<title>paused since 2026-12-20</title>"));
    let without = [ChartRow {
        label: "Vanguard",
        entries: &[],
        paused: &[],
    }];
    assert!(!rollout_svg("t", &without, date(2026, 11, 1), date(2026, 12, 31)).contains("paused"));
}
