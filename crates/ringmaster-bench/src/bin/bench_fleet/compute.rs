//! `bench_fleet compute`: the declarations of a whole fleet timed on one thread, case by case and
//! instant by instant, printed as a Markdown table.

use ringmaster_domain::ids::{DeviceGroupId, PolicyGroupId, PolicyId};

use super::*;

/// The instants measured, with what they show.
pub(super) const INSTANTS: [(&str, &str); 4] = [
    (
        "2025-11-10T09:00:00Z",
        "26.1 just out: deferred in most rings",
    ),
    ("2025-12-20T09:00:00Z", "26.2 out 8 days"),
    ("2026-03-01T09:00:00Z", "months later: targets overdue"),
    ("2026-09-01T09:00:00Z", "end of the real feeds"),
];

pub(super) fn compute(options: &Options) -> anyhow::Result<()> {
    let feeds_read: Timestamp = "2025-11-10T09:00:00Z".parse()?;
    let feeds = parsed_feeds(options.full_catalog, feeds_read)?;
    let files: Vec<String> = feeds
        .iter()
        .map(|(file, _)| {
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let catalog = merged_catalog(feeds);
    let devices = fleet(&catalog, options.devices)?;
    let rings: Vec<[PreparedPolicy; 2]> = default_rings()
        .into_iter()
        .map(|ring| {
            [
                PreparedPolicy::new(ring.macos),
                PreparedPolicy::new(ring.ios),
            ]
        })
        .collect();
    let policy_of = |device: &Device| -> &PreparedPolicy {
        &rings[device.ring][usize::from(device.facts.platform == Platform::Ios)]
    };

    // The assignments as the snapshot builds them: ring r is policy group r + 1 holding policies
    // 2r + 1 (macOS) and 2r + 2 (iOS), bound to device group 101 + r, which holds ring r's devices.
    let policy_facts: Vec<PolicyFacts> = (0..4i64)
        .flat_map(|ring| {
            [(1, Platform::MacOs), (2, Platform::Ios)].map(|(offset, platform)| PolicyFacts {
                id: PolicyId::new(2 * ring + offset),
                platform,
                group: Some(PolicyGroupId::new(ring + 1)),
            })
        })
        .collect();
    let group_facts: Vec<GroupFacts> = (0..4)
        .map(|ring| GroupFacts {
            id: PolicyGroupId::new(i64::from(ring) + 1),
            ring_order: Some(ring),
        })
        .collect();
    let members: Vec<(DeviceGroupId, Vec<String>)> = (0..4)
        .map(|ring| {
            let ids = devices
                .iter()
                .filter(|device| device.ring == ring)
                .map(|device| device.id.clone())
                .collect();
            (DeviceGroupId::new(101 + ring as i64), ids)
        })
        .collect();
    let bindings: Vec<BindingFacts> = (0..4)
        .map(|ring| BindingFacts {
            subject: Subject::PolicyGroup(PolicyGroupId::new(ring + 1)),
            devices: Vec::new(),
            device_groups: vec![DeviceGroupId::new(101 + ring)],
        })
        .collect();
    let prepared: HashMap<PolicyId, PreparedPolicy> = policy_facts
        .iter()
        .map(|facts| {
            let ring = usize::try_from((facts.id.get() - 1) / 2).expect("small ids");
            let platform = usize::from(facts.platform == Platform::Ios);
            (facts.id, rings[ring][platform].clone())
        })
        .collect();

    let mut out = std::io::stdout().lock();
    let macs = devices
        .iter()
        .filter(|device| device.facts.platform == Platform::MacOs)
        .count();
    let releases_of = |platform| catalog.iter().filter(|r| r.platform == platform).count();
    let models_listed: usize = catalog.iter().map(|r| r.supported_devices.len()).sum();
    // Devices that get the same plan at every instant: same ring and same facts.
    let distinct: std::collections::HashSet<_> = devices
        .iter()
        .map(|device| {
            let facts = &device.facts;
            (
                device.ring,
                facts.platform,
                facts.os_version.as_str(),
                &facts.os_build,
                &facts.hardware.software_update_device_id,
            )
        })
        .collect();
    writeln!(
        out,
        "## Declarations for {} devices, one thread\n\n- catalog: {} releases ({} macOS, {} iOS), \
         {:.1} models listed per release, from {}\n- fleet: {} Macs, {} iPhones and iPads, a quarter in each default ring; \
         {} distinct (ring, platform, version, build, model); {} repetitions per case (after one untimed run); CPU: the thread's time on a core\n",
        devices.len(),
        catalog.len(),
        releases_of(Platform::MacOs),
        releases_of(Platform::Ios),
        models_listed as f64 / catalog.len() as f64,
        files.join(", "),
        macs,
        devices.len() - macs,
        distinct.len(),
        options.repeat,
    )?;

    let mut facts_rows = Vec::new();
    let mut rows = Vec::new();
    let at = options.at.map(|at| (at.to_string(), "--at"));
    let instants: Vec<(String, &str)> = match at {
        Some(at) => vec![at],
        None => INSTANTS
            .iter()
            .map(|(instant, what)| ((*instant).to_owned(), *what))
            .collect(),
    };
    for (instant, what) in instants {
        let now: Timestamp = instant.parse()?;
        // What the schedule decides at this instant, for the notes under the table.
        let mut summary = FleetSummary::default();
        let mut fleet = FleetDeclarations::new();
        for device in &devices {
            let served = fleet.device(
                Some(policy_of(device)),
                &device.facts,
                &DeviceCapabilities::default(),
                &catalog,
                now,
            );
            // `FleetDeclarations` keeps the decision only; the full plan lists the releases.
            let timing = &policy_of(device).timing;
            summary.newer += plan_device(timing, &device.facts, &catalog, now)
                .releases
                .len();
            summary.declarations += served.declarations.len();
            if let Some(enforced) = served.enforcement() {
                summary.enforced += 1;
                summary.overdue += usize::from(enforced.overdue);
            }
        }
        summary.distinct = fleet.distinct_enforcements();
        facts_rows.push(format!(
            "| {instant} | {what} | {:.0}% | {:.0}% | {} | {:.1} | {:.2} |",
            percent(summary.enforced, devices.len()),
            percent(summary.overdue, devices.len()),
            summary.distinct,
            summary.newer as f64 / devices.len() as f64,
            summary.declarations as f64 / devices.len() as f64,
        ));

        let plan_only = || {
            let mut sink = 0usize;
            for device in &devices {
                let plan = plan_device(&policy_of(device).timing, &device.facts, &catalog, now);
                sink += plan.releases.len() + usize::from(plan.enforcement().is_some());
            }
            sink
        };
        let decision_only = || {
            let mut sink = 0usize;
            for device in &devices {
                let policy = policy_of(device);
                let decision = plan_decision_within(
                    &policy.timing,
                    &policy.rules,
                    &device.facts,
                    &catalog,
                    now,
                );
                sink += usize::from(decision.is_ok());
            }
            sink
        };
        let shared = || {
            let mut fleet = FleetDeclarations::new();
            let mut sink = 0usize;
            for device in &devices {
                let served = fleet.device(
                    Some(policy_of(device)),
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.len();
            }
            sink
        };
        let shared_tokens = || {
            let mut fleet = FleetDeclarations::new();
            let mut sink = 0usize;
            for device in &devices {
                let served = fleet.device(
                    Some(policy_of(device)),
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.declarations_token().len();
            }
            sink
        };
        let alone = || {
            let mut sink = 0usize;
            for device in &devices {
                let served = device_declarations(
                    Some(policy_of(device)),
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.len();
            }
            sink
        };
        let resolve = || {
            let assignments = Assignments::new(&policy_facts, &group_facts, &members, &bindings);
            let mut sink = 0usize;
            for device in &devices {
                let resolution = assignments.resolve(&device.id, device.facts.platform);
                sink += resolution
                    .winner
                    .map_or(0, |winner| winner.policy.get() as usize);
            }
            sink
        };
        let pipeline = || {
            let assignments = Assignments::new(&policy_facts, &group_facts, &members, &bindings);
            let mut fleet = FleetDeclarations::new();
            let mut sink = 0usize;
            for device in &devices {
                let resolution = assignments.resolve(&device.id, device.facts.platform);
                let policy = resolution
                    .winner
                    .as_ref()
                    .and_then(|winner| prepared.get(&winner.policy));
                let served = fleet.device(
                    policy,
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.len();
            }
            sink
        };
        let cases: [(&str, &str, &dyn Fn() -> usize); 7] = [
            ("a", "(a) `plan_device`", &plan_only),
            ("a2", "(a2) `plan_decision_within`", &decision_only),
            ("b", "(b) `FleetDeclarations::device`", &shared),
            ("b+", "(b+) (b) and `declarations_token()`", &shared_tokens),
            ("c", "(c) `device_declarations`", &alone),
            ("d", "(d) `Assignments::new` + `resolve`", &resolve),
            ("e", "(e) (d) then (b)", &pipeline),
        ];
        let mut baseline = None;
        for (key, label, work) in cases {
            if options.only.as_deref().is_some_and(|only| only != key) {
                continue;
            }
            let timing = time(options.repeat, work);
            if key == "a" {
                baseline = Some(timing.cpu_median);
            }
            let ratio = baseline.map_or("–".to_owned(), |baseline| {
                format!(
                    "{:.2}",
                    timing.cpu_median.as_secs_f64() / baseline.as_secs_f64()
                )
            });
            rows.push(format!(
                "| {} | {label} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2} µs | {ratio} |",
                &instant[..10],
                millis(timing.min),
                millis(timing.median),
                millis(timing.cpu_median),
                timing.cpu_median.as_secs_f64() * 1e6 / devices.len() as f64,
            ));
        }
    }
    writeln!(
        out,
        "| instant | | enforced | overdue | distinct enforcements | newer releases per device \
         | declarations per device |\n|---|---|---:|---:|---:|---:|---:|"
    )?;
    for row in facts_rows {
        writeln!(out, "{row}")?;
    }
    writeln!(
        out,
        "\n| instant | case | wall min | wall median | CPU median | per device (CPU) | vs (a) (CPU) |\n\
         |---|---|---:|---:|---:|---:|---:|"
    )?;
    for row in rows {
        writeln!(out, "{row}")?;
    }
    Ok(())
}

#[derive(Debug, Default)]
pub(super) struct FleetSummary {
    enforced: usize,
    overdue: usize,
    distinct: usize,
    newer: usize,
    declarations: usize,
}

#[derive(Debug)]
pub(super) struct Timing {
    /// Wall-clock time.
    min: Duration,
    median: Duration,
    /// Time this thread spent on a CPU (Linux's schedstat; the wall-clock time elsewhere): what
    /// the work costs one core, whatever else runs on the machine.
    cpu_median: Duration,
}

/// Runs `work` once untimed, then `repeat` times timed.
pub(super) fn time(repeat: usize, work: &dyn Fn() -> usize) -> Timing {
    black_box(work());
    let (mut wall, mut cpu): (Vec<Duration>, Vec<Duration>) = (0..repeat)
        .map(|_| {
            let (start, cpu_start) = (Instant::now(), thread_cpu_time());
            black_box(work());
            let wall = start.elapsed();
            let cpu = match (cpu_start, thread_cpu_time()) {
                (Some(before), Some(after)) => after.saturating_sub(before),
                _ => wall,
            };
            (wall, cpu)
        })
        .unzip();
    wall.sort_unstable();
    cpu.sort_unstable();
    Timing {
        min: wall[0],
        median: wall[wall.len() / 2],
        cpu_median: cpu[cpu.len() / 2],
    }
}

/// The calling thread's time on a CPU so far (the first field of `/proc/thread-self/schedstat`,
/// in nanoseconds); `None` where there is no such file.
pub(super) fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        text.split_whitespace().next()?.parse().ok()?,
    ))
}

pub(super) fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

pub(super) fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole as f64
}
