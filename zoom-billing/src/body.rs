//! Response bodies with limits: a size cap for bodies read whole (JSON and
//! error bodies) and an idle timeout for streamed ones (downloads).
//!
//! Both wrap the body `reqwest` hands over, so the generated code reads them
//! as usual and a limit shows up as a body error, which the call pipeline
//! recognises by its source ([`TooLarge`], [`Idle`]).

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::future::Future as _;
use tokio::time::{Instant, Sleep};

/// The body grew past its cap.
#[derive(Debug, thiserror::Error)]
#[error("the body is larger than {limit} bytes")]
pub(crate) struct TooLarge {
    pub(crate) limit: u64,
}

/// No bytes arrived for too long.
#[derive(Debug, thiserror::Error)]
#[error("no data for {idle:?}")]
pub(crate) struct Idle {
    pub(crate) idle: Duration,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body that fails once more than `limit` bytes have come.
pub(crate) struct Capped<B> {
    inner: B,
    limit: u64,
    seen: u64,
}

impl<B> Capped<B> {
    pub(crate) fn new(inner: B, limit: u64) -> Self {
        Capped { inner, limit, seen: 0 }
    }
}

impl<B> Body for Capped<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.seen > this.limit {
            return Poll::Ready(Some(Err(Box::new(TooLarge { limit: this.limit }))));
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.seen = this.seen.saturating_add(data.len() as u64);
                    if this.seen > this.limit {
                        return Poll::Ready(Some(Err(Box::new(TooLarge { limit: this.limit }))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => Poll::Ready(Some(Err(e.into()))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A body that fails when no frame arrives for `idle`.
pub(crate) struct IdleTimeout<B> {
    inner: B,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

impl<B> IdleTimeout<B> {
    pub(crate) fn new(inner: B, idle: Duration) -> Self {
        // `sleep` saturates a far deadline instead of overflowing.
        IdleTimeout { inner, idle, timer: Box::pin(tokio::time::sleep(idle)) }
    }
}

impl<B> Body for IdleTimeout<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(deadline) = Instant::now().checked_add(this.idle) {
                    this.timer.as_mut().reset(deadline);
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(Idle { idle: this.idle })))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether `error` (or one of its sources) is a body limit of this module.
pub(crate) fn limit_hit(error: &(dyn std::error::Error + 'static)) -> Option<Limit> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(t) = e.downcast_ref::<TooLarge>() {
            return Some(Limit::TooLarge(t.limit));
        }
        if let Some(i) = e.downcast_ref::<Idle>() {
            return Some(Limit::Idle(i.idle));
        }
        current = e.source();
    }
    None
}

/// Which limit a body hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    TooLarge(u64),
    Idle(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use http_body_util::{BodyExt, Full, StreamBody};

    #[tokio::test]
    async fn the_cap_stops_a_body_that_grows_past_it() {
        let ok = Capped::new(Full::new(Bytes::from_static(b"12345")), 5).collect().await;
        assert_eq!(ok.unwrap().to_bytes(), "12345");
        let err = Capped::new(Full::new(Bytes::from_static(b"123456")), 5).collect().await.unwrap_err();
        assert_eq!(limit_hit(err.as_ref()), Some(Limit::TooLarge(5)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_stream_times_out() {
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(b"a")))])
            .chain(futures::stream::pending());
        let body = IdleTimeout::new(StreamBody::new(stream), Duration::from_secs(5));
        let err = body.collect().await.unwrap_err();
        assert_eq!(limit_hit(err.as_ref()), Some(Limit::Idle(Duration::from_secs(5))));
    }
}
