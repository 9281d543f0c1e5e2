//! The connection to one Redis (not a cluster), held to what a store may
//! cost: each reply is metered, a connection that timed out or broke is
//! dropped at once, and the next operation connects again.
//!
//! redis-rs's `ConnectionManager` keeps reading a reply for as long as the
//! server streams it (a `$2147483647` bulk string grows the buffer to
//! gigabytes) and, after a failed reconnection, answers with that failure
//! until its next attempt (the first call after Redis is back failed). Here
//! the socket is ours: a [`Metered`] stream refuses to read more than the
//! requests sent can need, and [`Link`] replaces a dead connection on the
//! next use, one connection attempt shared by every caller.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, ConnectionAddr};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::StoreError;

/// The most one reply may take: every answer of this runtime's scripts and
/// commands is under 2 KiB (the largest is the shared token).
pub(super) const MAX_REPLY: i64 = 64 * 1024;

/// The most a connection reads ahead of what its requests can need: the
/// replies of 16 concurrent requests at their largest; real ones are a few
/// hundred bytes, so thousands of concurrent calls stay below it.
const MAX_AHEAD: i64 = 16 * MAX_REPLY;

/// What a socket is to the connection: bytes in and out.
trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

/// How many bytes the store may still send on a connection: each request
/// grants [`MAX_REPLY`] (up to [`MAX_AHEAD`] unread), each byte read spends one.
#[derive(Debug)]
struct Credit {
    left: AtomicI64,
    /// Whether the store sent more than it was granted (the connection is then dropped).
    overdrawn: AtomicBool,
}

/// A socket whose reads are limited by its [`Credit`]: a store streaming a
/// reply without end meets an error after at most [`MAX_AHEAD`] bytes, not
/// after gigabytes.
struct Metered {
    socket: Box<dyn Socket>,
    credit: Arc<Credit>,
}

impl AsyncRead for Metered {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let left = usize::try_from(self.credit.left.load(Ordering::Acquire)).unwrap_or(0);
        if left == 0 {
            self.credit.overdrawn.store(true, Ordering::Release);
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, "the store sent more than was asked")));
        }
        let room = buf.remaining().min(left);
        let mut limited = ReadBuf::new(buf.initialize_unfilled_to(room));
        ready!(Pin::new(&mut self.socket).poll_read(cx, &mut limited))?;
        let read = limited.filled().len();
        buf.advance(read);
        self.credit.left.fetch_sub(i64::try_from(read).unwrap_or(i64::MAX), Ordering::AcqRel);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Metered {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

/// The task that reads and writes the socket; aborted when the last clone
/// of its connection goes, or at once when the connection is dropped.
struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A live connection, cheap to clone.
#[derive(Clone)]
pub(super) struct Live {
    pub(super) connection: MultiplexedConnection,
    credit: Arc<Credit>,
    driver: Arc<Driver>,
    id: u64,
}

impl Live {
    /// Allow the reply of one more request.
    pub(super) fn grant(&self) {
        let _ = self.credit.left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
            Some(left.saturating_add(MAX_REPLY).min(MAX_AHEAD))
        });
    }

    /// Whether the store sent more than its requests could need.
    pub(super) fn overdrawn(&self) -> bool {
        self.credit.overdrawn.load(Ordering::Acquire)
    }

    fn is_dead(&self) -> bool {
        self.driver.0.is_finished()
    }
}

/// One connection attempt, awaited by every caller that needs the connection meanwhile.
type Attempt = Shared<BoxFuture<'static, Result<Live, StoreError>>>;

enum Slot {
    Idle,
    Connecting(u64, Attempt),
    Ready(Live),
}

/// The connection to one Redis: made on first use, made again on the first
/// use after it died or was dropped.
pub(super) struct Link {
    client: ::redis::Client,
    shown_url: String,
    slot: Mutex<Slot>,
    ids: AtomicU64,
}

impl Link {
    pub(super) fn new(client: ::redis::Client, shown_url: String) -> Self {
        Link { client, shown_url, slot: Mutex::new(Slot::Idle), ids: AtomicU64::new(0) }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The live connection, or a new one. Callers bound the wait (the
    /// store's timeout); an attempt nobody waits for any more is finished by
    /// the next caller.
    pub(super) async fn get(&self) -> Result<Live, StoreError> {
        let (id, attempt) = {
            let mut slot = self.slot();
            match &*slot {
                Slot::Ready(live) if !live.is_dead() => return Ok(live.clone()),
                Slot::Connecting(id, attempt) => (*id, attempt.clone()),
                _ => {
                    let id = self.ids.fetch_add(1, Ordering::Relaxed);
                    let attempt = connect(self.client.clone(), self.shown_url.clone(), id).boxed().shared();
                    *slot = Slot::Connecting(id, attempt.clone());
                    (id, attempt)
                }
            }
        };
        let outcome = attempt.await;
        let mut slot = self.slot();
        if matches!(&*slot, Slot::Connecting(current, _) if *current == id) {
            *slot = match &outcome {
                Ok(live) => Slot::Ready(live.clone()),
                // Not kept: the next call tries again, so the first call after the store
                // is back goes through.
                Err(_) => Slot::Idle,
            };
        }
        outcome
    }

    /// Drop `live` (timed out, broken or overdrawn): its socket is closed now,
    /// whatever other requests wait on it (they fail as unavailable), and
    /// the next operation connects again.
    pub(super) fn drop_connection(&self, live: &Live) {
        live.driver.0.abort();
        let mut slot = self.slot();
        if matches!(&*slot, Slot::Ready(current) if current.id == live.id) {
            *slot = Slot::Idle;
        }
    }
}

/// Connect, say hello (redis-rs's handshake: AUTH, SELECT), and start the
/// connection's task. The caller bounds it in time.
async fn connect(client: ::redis::Client, shown_url: String, id: u64) -> Result<Live, StoreError> {
    let unavailable = |reason: String| StoreError::Unavailable { url: shown_url.clone(), reason };
    let info = client.get_connection_info();
    let socket: Box<dyn Socket> = match info.addr() {
        ConnectionAddr::Tcp(host, port) => {
            let stream =
                tokio::net::TcpStream::connect((host.as_str(), *port)).await.map_err(|e| unavailable(e.to_string()))?;
            // Requests are small and each waits for its answer: no Nagle delay.
            let _ = stream.set_nodelay(true);
            Box::new(stream)
        }
        #[cfg(unix)]
        ConnectionAddr::Unix(path) => {
            Box::new(tokio::net::UnixStream::connect(path).await.map_err(|e| unavailable(e.to_string()))?)
        }
        _ => {
            return Err(StoreError::Protocol {
                url: shown_url.clone(),
                reason: "this kind of address (TLS) is not supported by this build".into(),
            });
        }
    };
    // The handshake's replies are a request's worth too.
    let credit = Arc::new(Credit { left: AtomicI64::new(MAX_REPLY), overdrawn: AtomicBool::new(false) });
    let metered = Metered { socket, credit: Arc::clone(&credit) };
    let (connection, driver) =
        MultiplexedConnection::new_with_config(info.redis_settings(), metered, AsyncConnectionConfig::new())
            .await
            .map_err(|e| unavailable(super::redis::reason(&e)))?;
    let driver = Arc::new(Driver(tokio::spawn(driver)));
    Ok(Live { connection, credit, driver, id })
}
