//! The HTTP client and the fleet runner against a small local fake server.

use super::*;

#[derive(Debug, Default)]
struct HttpFake {
    server: FakeServer,
    secret: Option<String>,
    /// Listed in `declaration-items` but answered 404.
    hidden: BTreeSet<DeclarationKey>,
    reports: Vec<(String, Value)>,
    requests: usize,
}

type SharedFake = Arc<Mutex<HttpFake>>;

async fn spawn_fake(fake: HttpFake) -> (String, SharedFake) {
    use axum::Router;
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, put};

    fn check(fake: &SharedFake, headers: &HeaderMap) -> Result<String, StatusCode> {
        let mut fake = fake.lock().unwrap();
        fake.requests += 1;
        if let Some(secret) = &fake.secret {
            let expected = format!("Bearer {secret}");
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
                return Err(StatusCode::UNAUTHORIZED);
            }
        }
        headers
            .get("x-enrollment-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(StatusCode::BAD_REQUEST)
    }

    let shared: SharedFake = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route(
            "/ddm/tokens",
            get(
                |State(fake): State<SharedFake>, headers: HeaderMap| async move {
                    check(&fake, &headers)?;
                    let body = fake.lock().unwrap().server.tokens().to_json();
                    Ok::<_, StatusCode>(axum::Json(body))
                },
            ),
        )
        .route(
            "/ddm/declaration-items",
            get(
                |State(fake): State<SharedFake>, headers: HeaderMap| async move {
                    check(&fake, &headers)?;
                    let body = fake.lock().unwrap().server.items().to_json();
                    Ok::<_, StatusCode>(axum::Json(body))
                },
            ),
        )
        .route(
            "/ddm/declaration/{kind}/{identifier}",
            get(
                |State(fake): State<SharedFake>,
                 Path((kind, identifier)): Path<(String, String)>,
                 headers: HeaderMap| async move {
                    check(&fake, &headers)?;
                    let kind = DeclarationKind::parse(&kind).map_err(|_| StatusCode::NOT_FOUND)?;
                    let key = DeclarationKey::new(kind, identifier);
                    let fake = fake.lock().unwrap();
                    let body = (!fake.hidden.contains(&key))
                        .then(|| fake.server.declarations.get(&key).cloned())
                        .flatten();
                    body.map(axum::Json).ok_or(StatusCode::NOT_FOUND)
                },
            ),
        )
        .route(
            "/ddm/status",
            put(
                |State(fake): State<SharedFake>,
                 headers: HeaderMap,
                 axum::Json(report): axum::Json<Value>| async move {
                    let id = check(&fake, &headers)?;
                    fake.lock().unwrap().reports.push((id, report));
                    Ok::<_, StatusCode>(StatusCode::OK)
                },
            ),
        )
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), shared)
}

#[tokio::test]
async fn the_client_runs_a_whole_sync_and_then_only_asks_for_tokens() {
    let (base, fake) = spawn_fake(HttpFake {
        server: FakeServer::ringmaster(Platform::MacOs, true),
        secret: Some("s3cret".to_owned()),
        ..HttpFake::default()
    })
    .await;
    let endpoint = ServerEndpoint::new(&base).with_secret(Some(BearerSecret::new("s3cret")));
    let client = SyncClient::new(&endpoint).unwrap();
    let mut device = mac();

    let first = client.sync(&mut device, at("2026-02-01T00:00:00Z")).await;
    assert!(first.is_ok(), "{:?}", first.error);
    assert!(first.fetched_items);
    assert_eq!(first.fetched.len(), 4);
    assert!(first.issues.is_empty(), "{:?}", first.issues);
    let paths: Vec<&str> = first.requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths[0], "tokens");
    assert_eq!(paths[1], "declaration-items");
    assert_eq!(paths.last(), Some(&"status"));
    assert_eq!(first.requests.len(), 7);
    assert!(first.sent_report().unwrap().full);
    {
        let fake = fake.lock().unwrap();
        let (id, report) = &fake.reports[0];
        assert_eq!(id, "mac-1");
        assert_eq!(report["FullReport"], true);
        assert_eq!(
            report["StatusItems"]["softwareupdate"]["pending-version"]["os-version"],
            "26.1"
        );
    }

    let second = client.sync(&mut device, at("2026-02-02T00:00:00Z")).await;
    assert!(second.is_ok());
    assert!(!second.fetched_items);
    assert_eq!(second.requests.len(), 1, "{:?}", second.requests);
    assert!(second.report.is_none());

    // A listed declaration the server does not serve: the sync stops at the 404 and the
    // device keeps its set and token, so the next sync tries again.
    let held_token = device.declarations_token().map(str::to_owned);
    {
        let mut fake = fake.lock().unwrap();
        fake.server = fake
            .server
            .clone()
            .with(settings_declaration(json!({ "Notifications": false })));
        fake.hidden.insert(settings_key());
    }
    let failed = client.sync(&mut device, at("2026-02-03T00:00:00Z")).await;
    let error = failed.error.clone().unwrap();
    assert_eq!(error.status(), Some(404));
    assert_eq!(
        error.path(),
        format!("declaration/configuration/{SETTINGS_IDENTIFIER}")
    );
    assert!(failed.report.is_none());
    assert_eq!(device.declarations_token().map(str::to_owned), held_token);

    fake.lock().unwrap().hidden.clear();
    let retried = client.sync(&mut device, at("2026-02-04T00:00:00Z")).await;
    assert!(retried.is_ok(), "{:?}", retried.error);
    assert_eq!(retried.fetched, vec![settings_key()]);
    assert_ne!(device.declarations_token().map(str::to_owned), held_token);
    let incremental = retried.sent_report().unwrap();
    assert!(!incremental.full);
    assert_eq!(
        incremental.items.keys().collect::<Vec<_>>(),
        ["management.declarations"]
    );
}

#[tokio::test]
async fn http_errors_are_reported_with_their_status() {
    let (base, fake) = spawn_fake(HttpFake {
        server: FakeServer::ringmaster(Platform::Ios, false),
        secret: Some("right".to_owned()),
        ..HttpFake::default()
    })
    .await;
    let wrong =
        SyncClient::new(&ServerEndpoint::new(&base).with_secret(Some(BearerSecret::new("wrong"))))
            .unwrap();
    let mut device = iphone();
    let outcome = wrong.sync(&mut device, at("2026-01-10T00:00:00Z")).await;
    let error = outcome.error.unwrap();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.path(), "tokens");
    assert_eq!(error.class(), "HTTP 401");
    assert!(device.declarations_token().is_none());

    let right =
        SyncClient::new(&ServerEndpoint::new(&base).with_secret(Some(BearerSecret::new("right"))))
            .unwrap();
    let missing = right
        .declaration(device.enrollment_id(), &settings_key())
        .await;
    assert!(missing.is_ok(), "the fake serves settings to anyone");
    let absent = right
        .declaration("iphone-1", &DeclarationKey::configuration("no.such"))
        .await
        .unwrap_err();
    assert_eq!(absent.status(), Some(404));
    assert_eq!(absent.path(), "declaration/configuration/no.such");
    assert!(right.tokens("iphone-1").await.is_ok());
    assert!(right.declaration_items("iphone-1").await.is_ok());
    assert!(
        right
            .send_status("iphone-1", &json!({ "StatusItems": {}, "Errors": [] }))
            .await
            .is_ok()
    );
    assert_eq!(fake.lock().unwrap().reports.len(), 1);

    let nobody = SyncClient::new(&ServerEndpoint::new("http://127.0.0.1:9")).unwrap();
    let refused = nobody.sync(&mut device, at("2026-01-10T00:00:00Z")).await;
    assert_eq!(refused.error.unwrap().class(), "transport");
}

#[tokio::test]
async fn a_fleet_runs_rounds_with_bounded_concurrency_and_installs_on_the_simulated_clock() {
    let (base, fake) = spawn_fake(HttpFake {
        server: FakeServer::ringmaster(Platform::MacOs, true),
        ..HttpFake::default()
    })
    .await;
    let client = SyncClient::new(&ServerEndpoint::new(&base)).unwrap();
    let config = FleetConfig {
        rounds: 6,
        concurrency: 4,
        mix: crate::fleet::FleetMix::parse("macos26=3,macos15=1").unwrap(),
        failing_devices: BTreeSet::from([0]),
        clock: FleetClock::Simulated {
            start: at("2026-02-27T00:00:00Z"),
            step: jiff::SignedDuration::from_hours(24),
        },
        ..FleetConfig::new(12)
    };
    let report = run_fleet(&client, &config).await.unwrap();
    assert_eq!(report.tally.syncs, 72);
    assert_eq!(
        report.tally.failed_syncs, 0,
        "{:?}",
        report.tally.sample_errors
    );
    assert!(report.tally.issues == 0, "{:?}", report.tally.sample_issues);
    assert_eq!(report.latency.samples, 72);
    assert!(report.syncs_per_second > 0.0);
    // Deadline 2026-02-28T17:30Z: the rounds of 03-01 … 03-04 take every Mac (15.7.7 ones
    // too) through the install to 26.1, except device 0, whose install fails.
    let on_26_1 = report
        .versions
        .iter()
        .find(|count| count.version == "26.1")
        .map_or(0, |count| count.devices);
    assert_eq!(on_26_1, 11, "{:?}", report.versions);
    assert_eq!(report.install_states.get(&InstallState::Failed), Some(&1));
    assert_eq!(
        report.fleet.devices()[0].install_state(),
        InstallState::Failed
    );
    let json = report.to_json();
    assert_eq!(json["syncs"], 72);
    assert_eq!(json["installStates"]["failed"], 1);
    let fake = fake.lock().unwrap();
    let first_reports: BTreeSet<&str> = fake
        .reports
        .iter()
        .filter(|(_, report)| report["FullReport"] == true)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        first_reports.len(),
        12,
        "every device sent a full report first"
    );
}

#[test]
fn a_mac_older_than_a_declaration_type_reports_it_unknown_and_a_user_enrollment_refuses_it() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let mut profile = DeviceProfile::example_mac("mac-13");
    profile.os_version = AppleOsVersion::parse("13.7.8").unwrap();
    let mut old_mac = SimulatedDevice::new(profile, DeviceOptions::default());
    sync(&mut old_mac, &server, at("2026-01-10T00:00:00Z"));
    for key in [enforcement_key(), settings_key()] {
        let status = declaration_status(&old_mac, &key);
        assert_eq!(status["valid"], "unknown", "{key:?}: {status}");
        assert_eq!(status["active"], false, "{key:?}: {status}");
        assert_eq!(
            status["reasons"][0]["code"], "Error.UnknownDeclarationType",
            "{key:?}: {status}"
        );
    }

    // A current Mac on a User Enrollment knows the type but may not take it.
    let profile = DeviceProfile::example_mac("byod-1")
        .on_channel(EnrollmentChannel::UserEnrollmentDevice, None);
    let mut byod = SimulatedDevice::new(profile, DeviceOptions::default());
    sync(&mut byod, &server, at("2026-01-10T00:00:00Z"));
    let status = declaration_status(&byod, &enforcement_key());
    assert_eq!(status["valid"], "invalid", "{status}");
    assert_eq!(
        status["reasons"][0]["code"], "Error.ConfigurationNotSupported",
        "{status}"
    );
}
