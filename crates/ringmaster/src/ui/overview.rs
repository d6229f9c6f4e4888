//! `GET /ui/`: the overview. Compliance per ring as a chart (with the same numbers as a table),
//! the catalog's freshness and newest release per platform with its CVEs, and the blocked
//! releases; the notifier's last round (`GET /api/v1/notifier`), the paused rings and policies
//! and the halted releases. Each block is one read of the admin API.

use axum::Extension;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use crate::ui::api::{Refused, Ui};
use crate::ui::layout::{self, Section, text};
use crate::ui::rollout_control::{self, RolloutState};

/// The compliance states drawn, their API key, label and colour (contrast ≥ 3:1 on white).
pub const STATES: [(&str, &str, &str); 8] = [
    ("upToDate", "up to date", "#116329"),
    ("pending", "pending", "#0b57a4"),
    ("overdue", "overdue", "#a40e26"),
    ("failed", "failed", "#6f1d8f"),
    ("declarationRejected", "rejected", "#b3470b"),
    ("unsupported", "unsupported", "#4a5260"),
    ("exempt", "exempt", "#006d77"),
    ("paused", "paused", "#7a5d00"),
];

pub const PLATFORMS: [&str; 2] = ["macOS", "iOS"];

pub async fn page(Extension(ui): Extension<Ui>) -> Result<Response, Refused> {
    let mut sections = Vec::new();
    for platform in PLATFORMS {
        let compliance = ui
            .get(&format!(
                "/api/v1/policy-groups/compliance?platform={platform}"
            ))
            .await?;
        let catalog = ui.get(&format!("/api/v1/catalog/{platform}")).await?;
        sections.push((platform, compliance, catalog));
    }
    let rollout = RolloutState::read(&ui).await;
    let notifier = ui.get("/api/v1/notifier").await.ok();
    let body = html! {
        h1 { "Overview" }
        div class="grid" {
            @for (platform, _, catalog) in &sections {
                (newest_release(platform, catalog))
            }
        }
        div class="grid" {
            (notifier_card(notifier.as_ref()))
            (rollout_card(&ui, &rollout))
        }
        @for (platform, compliance, _) in &sections {
            section aria-labelledby=(format!("compliance-{platform}")) {
                h2 id=(format!("compliance-{platform}")) { (platform) ": compliance per ring" }
                (rings_chart(platform, compliance))
            }
        }
    };
    Ok(layout::page(&ui, Section::Overview, "Overview", body))
}

fn newest_release(platform: &str, catalog: &Value) -> Markup {
    let releases = catalog
        .get("releases")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let newest = releases.first();
    let seen = releases
        .iter()
        .filter_map(|release| release.get("firstSeenAt").and_then(Value::as_str))
        .max();
    let blocked = catalog
        .get("blocked")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    html! {
        section class="card" aria-labelledby=(format!("newest-{platform}")) {
            h2 id=(format!("newest-{platform}")) { (platform) }
            @if let Some(release) = newest {
                dl class="facts" {
                    dt { "Newest release" }
                    dd { a href=(format!("/ui/catalog/{platform}")) { (text(release.get("version"))) } " (" (text(release.get("build"))) ")" }
                    dt { "Released" } dd { (text(release.get("releasedOn"))) }
                    dt { "CVEs" } dd { (text(release.pointer("/security/cveCount"))) }
                    dt { "Actively exploited" } dd { (text(release.pointer("/security/activelyExploitedCount"))) }
                    dt { "Catalog updated" } dd { (seen.unwrap_or("—")) }
                    dt { "Releases" } dd { (releases.len()) }
                    dt { "Blocked versions" } dd { (blocked) }
                }
            } @else {
                p { "No release yet. " a href=(format!("/ui/catalog/{platform}")) { "Import a feed" } "." }
            }
        }
    }
}

/// The notifier's last round on this server.
fn notifier_card(notifier: Option<&Value>) -> Markup {
    let last = notifier
        .and_then(|notifier| notifier.get("lastRound"))
        .filter(|last| !last.is_null());
    let running = notifier.and_then(|notifier| notifier.get("running")) == Some(&Value::Bool(true));
    html! {
        section class="card" aria-labelledby="notifier" {
            h2 id="notifier" { "Notifier" }
            @match last {
                Some(last) => dl class="facts" {
                    dt { "Last round" } dd { (text(last.get("finishedAt"))) }
                    dt { "Devices recomputed" } dd { (text(last.get("recomputed"))) " of " (text(last.get("devices"))) }
                    dt { "Asked to sync" } dd { (text(last.get("notified"))) }
                    dt { "Failed" } dd {
                        (text(last.get("failed")))
                        @if last.get("failed").and_then(Value::as_u64).unwrap_or(0) > 0 { " " span class="badge bad" { "retried next round" } }
                    }
                    @if let Some(error) = last.get("error").filter(|error| !error.is_null()) {
                        dt { "Error" } dd class="error" { (text(Some(error))) }
                    }
                    dt { "Rounds" } dd { (text(notifier.and_then(|notifier| notifier.get("rounds")))) }
                },
                None if running => p { "The notifier has not run a round on this server yet." },
                None => p { "No notifier on this server (no MDM enqueue URL given)." },
            }
        }
    }
}

/// The rings and policies paused now, and the halted releases.
fn rollout_card(ui: &Ui, rollout: &RolloutState) -> Markup {
    let paused = rollout.paused(ui);
    html! {
        section class="card" aria-labelledby="rollout" {
            h2 id="rollout" { "Paused and halted" }
            @if paused.is_empty() && rollout.halts.is_empty() {
                p { "No ring is paused and no release is halted." }
            }
            @if !paused.is_empty() {
                ul {
                    @for (what, pause) in &paused {
                        li { a href="/ui/rings" { (what) } " " (rollout_control::pause_words(pause)) }
                    }
                }
            }
            @if !rollout.halts.is_empty() {
                ul {
                    @for halt in &rollout.halts {
                        li { span class="badge bad" { "halted" } " " (halt.platform) " " (halt.version) ": " (halt.failed_percent) "% failed, since " (halt.halted_at) }
                    }
                }
            }
        }
    }
}

/// The rings' counts as horizontal stacked bars, then the same numbers as a table.
pub fn rings_chart(platform: &str, compliance: &Value) -> Markup {
    let rings = compliance
        .get("rings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if rings.is_empty() {
        return html! { p { "No ring has a policy for " (platform) " yet. " a href="/ui/rings" { "Load the default rings" } "." } };
    }
    let (label_width, bar_width, row) = (140.0, 460.0, 28.0);
    let height = row * rings.len() as f64 + 8.0;
    let chart = html! {
        svg class="chart" viewBox=(format!("0 0 {} {height}", label_width + bar_width + 60.0)) role="img"
            aria-labelledby=(format!("chart-{platform}-title")) xmlns="http://www.w3.org/2000/svg" {
            title id=(format!("chart-{platform}-title")) { (platform) " devices per compliance state, per ring" }
            @for (index, ring) in rings.iter().enumerate() {
                @let y = index as f64 * row + 4.0;
                @let total: u64 = counts(ring).iter().sum();
                text x="0" y=(y + 17.0) font-size="13" fill="#1b1f24" { (text(ring.get("ring"))) }
                @for (x, width, label, n, colour) in segments(&counts(ring), label_width, bar_width) {
                    rect x=(format!("{x:.1}")) y=(y) width=(format!("{width:.1}")) height="20" fill=(colour) {
                        title { (label) ": " (n) }
                    }
                }
                @if total == 0 {
                    rect x=(label_width) y=(y) width=(bar_width) height="20" fill="#e5e8ec" {}
                }
                text x=(label_width + bar_width + 6.0) y=(y + 15.0) font-size="12" fill="#1b1f24" { (total) }
            }
        }
    };
    html! {
        div class="chart" { (chart) }
        ul class="legend" aria-hidden="true" {
            @for (key, label, _) in STATES {
                li { span class=(format!("swatch s-{key}")) {} (label) }
            }
        }
        div class="table-wrap" {
            table {
                caption class="muted" { "Devices per state; each number opens the devices behind it." }
                thead { tr { th scope="col" { "Ring" } @for (_, label, _) in STATES { th scope="col" { (label) } } } }
                tbody {
                    @for ring in rings {
                        @let policy = ring.pointer("/policy/id").and_then(Value::as_i64).unwrap_or_default();
                        tr {
                            th scope="row" { (text(ring.get("ring"))) }
                            @for (key, _, _) in STATES {
                                td { a href=(format!("/ui/compliance/policy/{policy}?state={key}")) { (count(ring, key)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A ring's (or policy's) count in one state.
pub fn count(counts_holder: &Value, key: &str) -> u64 {
    counts_holder
        .pointer(&format!("/counts/{key}"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// The counts of [`STATES`], in order.
fn counts(ring: &Value) -> Vec<u64> {
    STATES.iter().map(|(key, _, _)| count(ring, key)).collect()
}

/// Where each non-empty state's bar starts and how wide it is: `(x, width, label, n, colour)`.
fn segments(
    counts: &[u64],
    start: f64,
    width: f64,
) -> Vec<(f64, f64, &'static str, u64, &'static str)> {
    let total: u64 = counts.iter().sum();
    let mut x = start;
    let mut out = Vec::new();
    if total == 0 {
        return out;
    }
    for ((_, label, colour), &n) in STATES.iter().zip(counts) {
        if n > 0 {
            let part = width * n as f64 / total as f64;
            out.push((x, part, *label, n, *colour));
            x += part;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_fill_the_bar_in_state_order_and_skip_empty_states() {
        let parts = segments(&[3, 0, 1, 0, 0, 0, 0, 0], 10.0, 400.0);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].0, parts[0].1, parts[0].2),
            (10.0, 300.0, "up to date")
        );
        assert_eq!(
            (parts[1].0, parts[1].1, parts[1].2),
            (310.0, 100.0, "overdue")
        );
        assert!(segments(&[0; 8], 0.0, 100.0).is_empty());
    }
}
