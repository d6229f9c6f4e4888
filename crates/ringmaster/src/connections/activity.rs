//! What one connection is doing, so that its timeouts can be enforced.
//!
//! A connection is in one of three phases: awaiting a request's headers (from its opening, or
//! from the first byte after a response), busy with a request (its headers are in; the body has
//! its own deadline, [`DeadlineBody`]), or idle between requests. [`TrackedStream`] sees bytes
//! arrive, the service sees requests start, and [`EndsIdle`] sees responses end; the connection
//! task sleeps until [`Activity::deadline`] and closes the connection when it has passed.

use std::error::Error;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::connections::ConnectionLimits;

type BoxError = Box<dyn Error + Send + Sync>;

/// The phases of a connection, with when the timed ones began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingHeaders { since: Instant },
    Busy,
    Idle { since: Instant },
}

/// Why a connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// The request's headers did not arrive in time.
    Headers,
    /// No new request came in time.
    Idle,
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expired::Headers => write!(f, "the request headers did not arrive in time"),
            Expired::Idle => write!(f, "the keep-alive connection was idle too long"),
        }
    }
}

/// One connection's phase and the signal that it changed.
#[derive(Debug)]
pub struct Activity {
    limits: ConnectionLimits,
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    /// A connection just opened: awaiting its first request's headers.
    pub fn new(limits: ConnectionLimits) -> Activity {
        Activity {
            limits,
            phase: Mutex::new(Phase::AwaitingHeaders {
                since: Instant::now(),
            }),
            changed: Notify::new(),
        }
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_one();
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: an idle connection now awaits the rest of a request's headers.
    pub fn bytes_arrived(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*phase, Phase::Idle { .. }) {
            *phase = Phase::AwaitingHeaders {
                since: Instant::now(),
            };
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// A request's headers are in.
    pub fn request_started(&self) {
        self.set(Phase::Busy);
    }

    /// A response was sent: the connection idles until the next request.
    pub fn response_ended(&self) {
        self.set(Phase::Idle {
            since: Instant::now(),
        });
    }

    /// Resolves when the phase changes.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// When the current phase runs out; `None` while a request is being handled.
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase() {
            Phase::AwaitingHeaders { since } => Some(since + self.limits.header_timeout),
            Phase::Busy => None,
            Phase::Idle { since } => Some(since + self.limits.idle_timeout),
        }
    }

    /// The phase that ran out, if the deadline has passed.
    pub fn expired(&self) -> Option<Expired> {
        let deadline = self.deadline()?;
        if Instant::now() < deadline {
            return None;
        }
        match self.phase() {
            Phase::AwaitingHeaders { .. } => Some(Expired::Headers),
            Phase::Idle { .. } => Some(Expired::Idle),
            Phase::Busy => None,
        }
    }
}

/// A stream that tells its [`Activity`] when bytes arrive.
#[derive(Debug)]
pub struct TrackedStream<S> {
    stream: S,
    activity: Arc<Activity>,
}

impl<S> TrackedStream<S> {
    pub fn new(stream: S, activity: Arc<Activity>) -> TrackedStream<S> {
        TrackedStream { stream, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TrackedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TrackedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The error a request body gives once its deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

/// Whether `error`, or anything in its chain of sources, is [`BodyTimedOut`].
pub fn is_body_timeout(error: &(dyn Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<BodyTimedOut>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// A request body that must have arrived whole by a deadline.
#[derive(Debug)]
pub struct DeadlineBody<B> {
    body: B,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<B> DeadlineBody<B> {
    pub fn new(body: B, deadline: Instant) -> DeadlineBody<B> {
        DeadlineBody {
            body,
            deadline,
            sleep: None,
        }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A response body that marks its connection idle once it is done with (sent or dropped).
#[derive(Debug)]
pub struct EndsIdle<B> {
    body: B,
    activity: Arc<Activity>,
}

impl<B> EndsIdle<B> {
    pub fn new(body: B, activity: Arc<Activity>) -> EndsIdle<B> {
        EndsIdle { body, activity }
    }
}

impl<B> Drop for EndsIdle<B> {
    fn drop(&mut self) {
        self.activity.response_ended();
    }
}

impl<B> Body for EndsIdle<B>
where
    B: Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(2),
            body_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(5),
            max_connections: 1,
        }
    }

    #[test]
    fn each_phase_has_its_own_deadline() {
        let before = Instant::now();
        let activity = Activity::new(limits());
        let deadline = activity.deadline().unwrap();
        assert!(deadline >= before + Duration::from_secs(2));
        assert!(deadline <= Instant::now() + Duration::from_secs(2));
        assert_eq!(activity.expired(), None);
        activity.request_started();
        assert_eq!(
            activity.deadline(),
            None,
            "a busy connection has no deadline"
        );
        let ended = Instant::now();
        activity.response_ended();
        let deadline = activity.deadline().unwrap();
        assert!(deadline >= ended + Duration::from_secs(5));
        activity.bytes_arrived();
        assert!(activity.deadline().unwrap() <= Instant::now() + Duration::from_secs(2));
    }

    #[test]
    fn a_passed_deadline_names_its_phase() {
        let immediate = ConnectionLimits {
            header_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
            ..limits()
        };
        let activity = Activity::new(immediate);
        assert_eq!(activity.expired(), Some(Expired::Headers));
        activity.request_started();
        assert_eq!(activity.expired(), None);
        activity.response_ended();
        assert_eq!(activity.expired(), Some(Expired::Idle));
        activity.bytes_arrived();
        assert_eq!(activity.expired(), Some(Expired::Headers));
    }

    #[test]
    fn a_timeout_is_found_behind_other_errors() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] BodyTimedOut);
        assert!(is_body_timeout(&Outer(BodyTimedOut)));
        assert!(!is_body_timeout(&io::Error::other("no")));
    }
}
