//! Accepting and serving HTTP/1.1 connections, with timeouts and a cap on how many are open.
//!
//! [`serve`] replaces `axum::serve` with an accept loop over hyper that enforces
//! [`ConnectionLimits`]:
//! - **header timeout**: a request's headers must arrive within `header_timeout` of the
//!   connection's first byte (or of its opening); a slowloris client is disconnected;
//! - **body timeout**: a request's whole body must arrive within `body_timeout` of its headers;
//!   a slower body ends in a 408 JSON error and the connection is closed;
//! - **idle timeout**: a keep-alive connection with no new request for `idle_timeout` is closed
//!   (hyper's own `header_read_timeout` would also run between requests, so it is off and
//!   [`activity`] tracks each connection's phase instead);
//! - **max connections**: at most `max_connections` are served at once; beyond that the loop
//!   stops accepting, so new connections wait in the kernel's listen backlog and are taken in
//!   order as soon as any open one ends (by its client, or by one of the timeouts). The server
//!   therefore never stops answering for good, and never runs out of descriptors through
//!   connections alone.
//!
//! Shutdown is graceful as before: when asked, the loop stops accepting, idle connections close
//! at once, and requests in flight finish (bounded by the timeouts above) before [`serve`]
//! returns.

pub mod activity;
pub mod descriptors;

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::connections::activity::{Activity, DeadlineBody, EndsIdle, TrackedStream};

/// The default `--header-timeout-secs`.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default `--body-timeout-secs`.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// The default `--idle-timeout-secs`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The default `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// How long a connection may take at each step, and how many may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a connection's opening (or the first byte of a later request) to the end of the
    /// request's headers.
    pub header_timeout: Duration,
    /// From the end of a request's headers to the end of its body.
    pub body_timeout: Duration,
    /// From the end of a response to the first byte of the next request on the connection.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` turns true, then finishes gracefully.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stop_requested(&mut shutdown) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
            _ = stop_requested(&mut shutdown) => break,
        };
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            serve_connection(stream, app, limits, watcher).await;
            drop(slot);
        });
    }
    drop(listener);
    tracing::debug!(
        connections = graceful.count(),
        "not accepting; finishing open connections"
    );
    graceful.shutdown().await;
}

/// Serves one connection until it ends, its client is too slow, or it idles too long.
async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: ConnectionLimits,
    watcher: Watcher,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new(limits));
    let io = TokioIo::new(TrackedStream::new(stream, Arc::clone(&activity)));
    let service_activity = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let activity = Arc::clone(&service_activity);
        let app = app.clone();
        async move {
            activity.request_started();
            let deadline = tokio::time::Instant::now() + limits.body_timeout;
            let request = request.map(|body| Body::new(DeadlineBody::new(body, deadline)));
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| Body::new(EndsIdle::new(body, activity))))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our own watch below times headers; hyper's would also run between requests.
    builder.header_read_timeout(None);
    let connection = watcher.watch(builder.serve_connection(io, service));
    tokio::pin!(connection);
    loop {
        let changed = activity.changed();
        let deadline = activity.deadline();
        tokio::select! {
            result = &mut connection => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            _ = changed => {}
            _ = sleep_until(deadline) => {
                if let Some(phase) = activity.expired() {
                    tracing::debug!(%phase, "closing a connection that took too long");
                    return;
                }
            }
        }
    }
}

/// Resolves once `shutdown` is true (or its sender is gone).
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// After a failed accept: go on at once when one connection failed, wait a little when the
/// process is out of descriptors or memory so that the loop does not spin.
async fn wait_after_accept_error(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying shortly");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
