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
//! - **TLS**: given a [`TlsAcceptor`], each connection's handshake must end within
//!   `header_timeout` of its opening (a client that opens and sends nothing, or stalls mid
//!   handshake, is dropped); the connection then holds its slot like any other, and the timeouts
//!   above run on the decrypted stream.
//!
//! Every request carries a [`Peer`] extension: the TCP peer's address and whether the
//! connection is TLS ([`crate::http::client_address`] reads it).
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
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
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

/// The connection a request came on, in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The TCP peer (a proxy's address when there is one in front).
    pub address: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
}

/// Serves `app` on `listener` until `shutdown` turns true, then finishes gracefully; with
/// `tls`, every connection is a TLS one. `slots` is the connection cap, shared by every
/// listener of the server.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    slots: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stop_requested(&mut shutdown) => break,
        };
        let (stream, address) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, address)) => (stream, address),
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
            _ = stop_requested(&mut shutdown) => break,
        };
        let app = app.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match tls {
                None => {
                    let peer = Peer {
                        address,
                        tls: false,
                    };
                    serve_connection(stream, peer, app, limits, watcher).await;
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
                    match handshake {
                        Ok(Ok(stream)) => {
                            let peer = Peer { address, tls: true };
                            serve_connection(stream, peer, app, limits, watcher).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake took too long"),
                    }
                }
            }
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
async fn serve_connection<S>(
    stream: S,
    peer: Peer,
    app: Router,
    limits: ConnectionLimits,
    watcher: Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new(limits));
    let io = TokioIo::new(TrackedStream::new(stream, Arc::clone(&activity)));
    let service_activity = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let activity = Arc::clone(&service_activity);
        let app = app.clone();
        async move {
            activity.request_started();
            let deadline = tokio::time::Instant::now() + limits.body_timeout;
            let mut request = request.map(|body| Body::new(DeadlineBody::new(body, deadline)));
            request.extensions_mut().insert(peer);
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
