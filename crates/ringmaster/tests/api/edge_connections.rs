//! Connections against the real server with small limits: a slowloris client is cut off after
//! the header timeout, a slow body gets a 408, an idle keep-alive connection is closed after the
//! idle timeout (and not before), no more than `--max-connections` are served at once, those
//! beyond wait and are served once the idle ones time out, and shutdown stays graceful with
//! connections open.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use ringmaster::connections::ConnectionLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{AppOptions, TestApp, TestBackend, spawn_app_with};

fn limits(header: u64, idle: u64, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_secs(header),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(idle),
        max_connections,
    }
}

async fn app_with(limits: ConnectionLimits) -> TestApp {
    let mut options = AppOptions::default();
    options.http.connections = limits;
    // The connection handling does not touch the database: SQLite is enough.
    spawn_app_with(TestBackend::Sqlite, options).await
}

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.base_url.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Reads until the server closes the connection (or `limit` passes); what was read.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// `/v1/` answers 200 within `limit`, through a fresh client.
async fn answers_quickly(app: &TestApp, limit: Duration) -> Duration {
    let client = reqwest::Client::builder()
        .timeout(limit)
        .build()
        .expect("client");
    let started = Instant::now();
    let response = client.get(app.url("/v1/")).send().await.expect("GET /v1/");
    assert_eq!(response.status(), StatusCode::OK);
    started.elapsed()
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_after_the_header_timeout() {
    let app = app_with(limits(1, 30, 64)).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    stream
        .write_all(b"GET /v1/ HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // One header byte every 200 ms, for far longer than the timeout allows.
    let mut closed_after = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if stream.write_all(b"X").await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut byte)).await
        {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("the slowloris connection was never closed");
    assert!(
        closed_after >= Duration::from_millis(900) && closed_after < Duration::from_secs(4),
        "closed after {closed_after:?}"
    );
    answers_quickly(&app, Duration::from_secs(2)).await;
    app.stop().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let app = app_with(limits(1, 30, 64)).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    let received = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(received.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
    app.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_lasts_the_idle_timeout_not_the_header_timeout() {
    let app = app_with(limits(1, 3, 64)).await;
    let mut stream = connect(&app).await;
    let request = b"GET /v1/ HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut buffer = vec![0u8; 64 * 1024];
    stream.write_all(request).await.unwrap();
    let read = stream.read(&mut buffer).await.unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    // Idle for longer than the header timeout: still open, and serves a second request.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    stream.write_all(request).await.unwrap();
    let read = stream.read(&mut buffer).await.unwrap();
    assert!(
        buffer[..read].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buffer[..read])
    );
    // Then closed once idle for the idle timeout.
    let idle_from = Instant::now();
    read_until_closed(&mut stream, Duration::from_secs(6))
        .await
        .expect("the idle connection was never closed");
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(2500) && idle < Duration::from_secs(5),
        "closed after {idle:?} idle"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_slow_body_is_cut_off_with_a_408() {
    let app = app_with(limits(5, 30, 64)).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /api/v1/title HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        app.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let writer = async {
        for _ in 0..40 {
            if stream.write_all(b"          ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), writer).await;
    let received = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the slow body's connection was never closed");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/json"), "{text}");
    assert!(text.contains("--body-timeout-secs"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    answers_quickly(&app, Duration::from_secs(2)).await;
    app.stop().await;
}

#[tokio::test]
async fn idle_connections_beyond_the_cap_wait_and_a_new_client_is_served_once_they_time_out() {
    let max_connections = 8;
    let app = app_with(limits(1, 1, max_connections)).await;
    // Three times the cap in silent connections: the first eight are served (and time out),
    // the rest wait in the backlog.
    let mut idle = Vec::new();
    for _ in 0..max_connections * 3 {
        idle.push(connect(&app).await);
    }
    let waited = answers_quickly(&app, Duration::from_secs(8)).await;
    assert!(
        waited < Duration::from_secs(6),
        "a new client waited {waited:?}"
    );
    // Once they are gone, answers are immediate again.
    drop(idle);
    let again = answers_quickly(&app, Duration::from_secs(3)).await;
    assert!(again < Duration::from_secs(2), "then waited {again:?}");
    app.stop().await;
}

#[tokio::test]
async fn no_more_than_max_connections_are_served_at_once() {
    let app = app_with(limits(30, 30, 4)).await;
    let held: Vec<TcpStream> = futures::future::join_all((0..4).map(|_| connect(&app))).await;
    // Give the server time to accept the four.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut waiting = connect(&app).await;
    waiting
        .write_all(b"GET /v1/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(800), waiting.read(&mut buffer)).await;
    assert!(
        early.is_err(),
        "a fifth connection was served while four were open"
    );
    // One held connection ends: the waiting one is taken and answered.
    drop(held);
    let read = tokio::time::timeout(Duration::from_secs(3), waiting.read(&mut buffer))
        .await
        .expect("the waiting connection was never served")
        .unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    app.stop().await;
}

#[tokio::test]
async fn shutdown_stays_graceful_with_connections_open() {
    let app = app_with(limits(10, 30, 64)).await;
    // A keep-alive connection left idle after a request, and one that never sent anything.
    let mut used = connect(&app).await;
    used.write_all(b"GET /v1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = vec![0u8; 64 * 1024];
    let _ = used.read(&mut buffer).await.unwrap();
    let _silent = connect(&app).await;
    let started = Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopping took {:?}",
        started.elapsed()
    );
}
