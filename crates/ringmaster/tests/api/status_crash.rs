//! Status reports and SIGKILL: a report the server acknowledged (200) is stored after a crash,
//! with what it says about the device in the same transaction, although reports are merged many
//! to a transaction (group commit).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::ServerProcess;
use crate::ddm_protocol::mac_report;
use crate::support::{TestBackend, TestDatabase};

/// Devices reporting at once.
const DEVICES: usize = 8;

/// The version report `n` of a device carries, so the device row says which report it came from.
fn version_of(n: usize) -> String {
    format!("15.{}.{}", n / 999 + 1, n % 999)
}

on_each_backend!(a_killed_server_loses_no_acknowledged_status_report);
async fn a_killed_server_loses_no_acknowledged_status_report(backend: TestBackend) {
    let database = TestDatabase::new(backend).await;
    let token = "status-kill-token";
    database
        .store()
        .await
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "status-kill",
            token,
            jiff::Timestamp::now(),
        ))
        .await
        .unwrap();
    let mut server = ServerProcess::start(&database.url);
    let client = reqwest::Client::new();

    // Each device reports again and again (its first report full) until the server dies.
    let started = Instant::now();
    let writers: Vec<_> = (0..DEVICES)
        .map(|device| {
            let client = client.clone();
            let base = server.base_url.clone();
            tokio::spawn(async move {
                let mut acknowledged = 0usize;
                for n in 0.. {
                    let report = mac_report(&version_of(n), n == 0);
                    let result = client
                        .put(format!("{base}/ddm/status"))
                        .header("X-Enrollment-ID", format!("crash-{device}"))
                        .header("content-type", "application/json")
                        .body(serde_json::to_vec(&report).unwrap())
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    match result {
                        Ok(response) if response.status() == 200 => acknowledged = n + 1,
                        Ok(response) => panic!("unexpected status {}", response.status()),
                        Err(_) => break,
                    }
                    if started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SIGKILL: no graceful shutdown, no chance to flush anything.
    server.child.kill().expect("kill");
    server.child.wait().expect("wait");
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.push(writer.await.unwrap());
    }
    let total: usize = acknowledged.iter().sum();
    assert!(
        total >= DEVICES,
        "too few reports before the kill: {acknowledged:?}"
    );

    let restarted = ServerProcess::start(&database.url);
    for (device, acknowledged) in acknowledged.iter().enumerate() {
        if *acknowledged == 0 {
            continue;
        }
        let status: Value = client
            .get(format!(
                "{}/api/v1/devices/crash-{device}/status",
                restarted.base_url
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let reports = status["reports"].as_i64().unwrap() as usize;
        assert!(
            reports >= *acknowledged,
            "{backend:?}: crash-{device}: {acknowledged} reports acknowledged, {reports} stored"
        );
        // Report k set the version to version_of(k): the device row and the status were
        // written together, so the row is the last stored report's.
        assert_eq!(
            status["device"]["osVersion"],
            version_of(reports - 1).as_str(),
            "{backend:?}: crash-{device}: the device row and its status disagree: {status}"
        );
    }
    eprintln!(
        "{backend:?}: {total} acknowledged status reports survived SIGKILL ({acknowledged:?})"
    );
}
