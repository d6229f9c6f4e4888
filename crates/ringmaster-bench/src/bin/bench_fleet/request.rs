//! `bench_fleet request`: the phases of `GET /api/v1/devices/{id}/declarations` timed in process.

use super::*;

/// The phases of `GET /api/v1/devices/{id}/declarations` as the server runs them, one request
/// at a time, without HTTP.
pub(super) async fn request(options: &Options) -> anyhow::Result<()> {
    let url = options
        .database
        .as_deref()
        .with_context(|| "request needs --database URL".to_owned())?;
    let at = match options.at {
        Some(at) => at,
        None => "2025-11-20T12:00:00Z".parse()?,
    };
    let store = Store::connect(url, &StoreOptions::default()).await?;
    let updates = OsUpdates::new(store.clone());
    updates.refresh().await?;
    let mut ids: Vec<String> = Vec::new();
    loop {
        let page = store
            .list_devices(ids.last().map(String::as_str), 1000)
            .await?;
        if page.is_empty() {
            break;
        }
        ids.extend(page.into_iter().map(|device| device.id));
    }
    if ids.is_empty() {
        bail!("{url} holds no devices: run `bench_fleet seed` first");
    }
    let secret = options.token.clone().unwrap_or_else(|| "0".repeat(64));
    let mut rng = StdRng::seed_from_u64(SEED);
    let warm_up = (options.requests / 10).max(1);
    let mut phases: [Vec<Duration>; 5] = Default::default();
    let mut bytes = 0;
    for round in 0..warm_up + options.requests {
        let id = ids.choose(&mut rng).expect("ids is not empty");
        let start = Instant::now();
        let token = store.find_token(&secret).await?;
        let token_read = Instant::now();
        let device = updates.device(id).await?;
        let device_read = Instant::now();
        let served = updates.declarations_for(&device, at);
        let computed = Instant::now();
        let body = serde_json::to_vec(&DeclarationsView::of(&served, at))?;
        let end = Instant::now();
        black_box((token, &body));
        if round >= warm_up {
            bytes += body.len();
            let marks = [start, token_read, device_read, computed, end];
            for (phase, pair) in phases.iter_mut().zip(marks.windows(2)) {
                phase.push(pair[1] - pair[0]);
            }
            phases[4].push(end - start);
        }
    }
    let total: Duration = phases[4].iter().sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "In process, one request at a time: {} requests over {} devices, `at={at}`, {} token; \
         JSON answers of {} bytes on average.\n\n\
         | phase | p50 | p99 | mean | share of the time |\n|---|---:|---:|---:|---:|",
        options.requests,
        ids.len(),
        if options.token.is_some() {
            "a valid"
        } else {
            "an unknown"
        },
        bytes / options.requests,
    )?;
    let labels = [
        "token lookup (`Store::find_token`)",
        "device row (`OsUpdates::device`)",
        "computation (`OsUpdates::declarations_for`)",
        "JSON answer (`DeclarationsView`, `serde_json::to_vec`)",
        "all",
    ];
    for (label, mut times) in labels.into_iter().zip(phases) {
        let sum: Duration = times.iter().sum();
        times.sort_unstable();
        let micros = |duration: Duration| duration.as_secs_f64() * 1e6;
        writeln!(
            out,
            "| {label} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0}% |",
            micros(times[times.len() / 2]),
            micros(times[times.len() * 99 / 100]),
            micros(sum) / times.len() as f64,
            100.0 * sum.as_secs_f64() / total.as_secs_f64(),
        )?;
    }
    store.close().await;
    Ok(())
}
