//! Lazy streams over paginated lists, following `next_page_token`.
//!
//! Every operation the spec marks paginated (`x-zoom-pagination`) has `stream()` and
//! `stream_from(cursor)` on its builder; each page is that request, with every
//! parameter set on it, and the token Zoom sent.
//!
//! ```no_run
//! # async fn run(client: zoom_billing::Client) -> zoom_billing::Result<()> {
//! let mut renewals = client.list_upcoming_renewals().interval(60).page_size(30).stream();
//! while let Some(account) = renewals.try_next().await? {
//!     println!("{:?} renews {:?}", account.account_name, account.next_renewal_date);
//!     let _checkpoint = renewals.cursor(); // resume later with `.stream_from(cursor)`
//! }
//! # Ok(()) }
//! ```
//!
//! [`Pages`] is a [`futures::Stream`] too, for `TryStreamExt`'s combinators.
//!
//! Pages are fetched only when the previous one is consumed. Zoom's page
//! tokens expire 15 minutes after they are issued: a token that old, or one
//! Zoom rejects, ends the stream with [`Error::PageTokenExpired`] (never a
//! silent stop). Each page request goes through the client's pacing.
//!
//! A listing that does not advance ends with [`Error::PaginationStuck`]
//! instead of looping: a `next_page_token` Zoom already sent in this listing,
//! more than [`MAX_EMPTY_PAGES`] empty pages in a row that still carry a
//! token, or more than [`MAX_PAGES`] pages.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};

use crate::metadata::Operation;
use crate::{Client, Error};

/// How long Zoom keeps a `next_page_token`.
pub const PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Empty pages in a row (each with a `next_page_token`) after which a listing stops.
pub const MAX_EMPTY_PAGES: u32 = 10;

/// Pages after which a listing stops (at Zoom's page sizes, millions of items).
pub const MAX_PAGES: u64 = 100_000;

/// Where a listing stands: resume it with `*_from(cursor)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageCursor {
    /// The token of the page being read (`None`: the first page).
    pub page_token: Option<String>,
    /// Items of that page already yielded.
    pub skip: usize,
    /// When Zoom issued `page_token`.
    pub issued_at: Option<DateTime<Utc>>,
    /// Items yielded so far over the whole listing.
    pub items_seen: u64,
}

/// Fetches the page of a token (`None`: the first page): its items and the next token.
type Fetch<'a, T> =
    Box<dyn FnMut(Option<String>) -> BoxFuture<'a, Result<(Vec<T>, Option<String>), Error>> + Send + 'a>;

/// A lazy stream of the items of a paginated list: what a paginated operation's
/// `stream()` returns. Read it with [`try_next`](Pages::try_next), or as a [`Stream`].
#[must_use = "a listing fetches nothing until it is read"]
pub struct Pages<'a, T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>,
    cursor: Arc<Mutex<PageCursor>>,
}

impl<T> std::fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").field("cursor", &self.cursor()).finish_non_exhaustive()
    }
}

impl<T> Pages<'_, T> {
    /// The position after the last item yielded.
    pub fn cursor(&self) -> PageCursor {
        self.cursor.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The next item, fetching the next page when this one is read; `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<T>, Error> {
        self.next().await.transpose()
    }
}

impl<T> Stream for Pages<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct State<'a, T> {
    client: &'a Client,
    operation: Operation,
    fetch: Fetch<'a, T>,
    cursor: Arc<Mutex<PageCursor>>,
    buffer: VecDeque<T>,
    /// The token of the page after the buffered one, and when it was issued.
    next: Option<(String, DateTime<Utc>)>,
    started: bool,
    done: bool,
    /// Hashes of the page tokens Zoom sent in this listing.
    tokens_seen: HashSet<u64>,
    hasher: RandomState,
    empty_in_a_row: u32,
    pages: u64,
}

fn lock(cursor: &Mutex<PageCursor>) -> std::sync::MutexGuard<'_, PageCursor> {
    cursor.lock().unwrap_or_else(|p| p.into_inner())
}

impl<'a, T: Send + 'a> State<'a, T> {
    async fn step(mut self) -> Option<(Result<T, Error>, Self)> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                let mut c = lock(&self.cursor);
                c.skip += 1;
                c.items_seen += 1;
                drop(c);
                return Some((Ok(item), self));
            }
            if self.done {
                return None;
            }
            let (token, issued, skip) = if self.started {
                match self.next.take() {
                    Some((t, at)) => (Some(t), Some(at), 0),
                    None => return None,
                }
            } else {
                let c = lock(&self.cursor).clone();
                (c.page_token, c.issued_at, c.skip)
            };
            self.started = true;
            if self.pages >= MAX_PAGES {
                let reason = format!("more than {MAX_PAGES} pages");
                return Some((Err(self.stuck(reason)), self.finish()));
            }
            let now = self.client.runtime().pacer.clock().now();
            if let (Some(_), Some(at)) = (&token, issued)
                && (now - at).to_std().unwrap_or(Duration::ZERO) >= PAGE_TOKEN_LIFETIME
            {
                return Some((Err(self.expired()), self.finish()));
            }
            match (self.fetch)(token.clone()).await {
                Ok((items, next)) => {
                    self.pages += 1;
                    let next = next.filter(|t| !t.is_empty());
                    if let Some(t) = &next
                        && !self.tokens_seen.insert(self.hasher.hash_one(t))
                    {
                        let reason = "Zoom sent a next_page_token it had already sent in this listing".to_owned();
                        return Some((Err(self.stuck(reason)), self.finish()));
                    }
                    if items.is_empty() && next.is_some() {
                        self.empty_in_a_row += 1;
                        if self.empty_in_a_row > MAX_EMPTY_PAGES {
                            let reason = format!("more than {MAX_EMPTY_PAGES} empty pages in a row");
                            return Some((Err(self.stuck(reason)), self.finish()));
                        }
                    } else {
                        self.empty_in_a_row = 0;
                    }
                    let fetched_at = self.client.runtime().pacer.clock().now();
                    {
                        let mut c = lock(&self.cursor);
                        c.page_token = token;
                        c.issued_at = issued;
                        c.skip = skip.min(items.len());
                    }
                    self.buffer = items.into_iter().skip(skip).collect();
                    self.next = next.map(|t| (t, fetched_at));
                    if self.next.is_none() {
                        self.done = true;
                    }
                }
                Err(e) if token.is_some() && is_token_rejection(&e) => {
                    return Some((Err(self.expired()), self.finish()));
                }
                Err(e) => return Some((Err(e), self.finish())),
            }
        }
    }

    fn stuck(&self, reason: String) -> Error {
        Error::PaginationStuck { operation: self.operation, pages: self.pages, reason }
    }

    fn expired(&self) -> Error {
        Error::PageTokenExpired { operation: self.operation, items_seen: lock(&self.cursor).items_seen }
    }

    fn finish(mut self) -> Self {
        self.done = true;
        self.buffer.clear();
        self.next = None;
        self
    }
}

/// Zoom rejects an expired or unknown page token with 400 (code 300) or 404.
fn is_token_rejection(error: &Error) -> bool {
    match error {
        Error::Api(e) => {
            matches!(e.status.as_u16(), 400 | 404)
                && (e.code == Some(300) || e.message.to_ascii_lowercase().contains("token"))
        }
        _ => false,
    }
}

/// The stream a paginated builder's `stream_from` returns; `fetch` sends one page.
pub(crate) fn pages<'a, T, F>(client: &'a Client, operation: Operation, cursor: PageCursor, fetch: F) -> Pages<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> BoxFuture<'a, Result<(Vec<T>, Option<String>), Error>> + Send + 'a,
{
    let cursor = Arc::new(Mutex::new(cursor));
    let state = State {
        client,
        operation,
        fetch: Box::new(fetch),
        cursor: cursor.clone(),
        buffer: VecDeque::new(),
        next: None,
        started: false,
        done: false,
        tokens_seen: HashSet::new(),
        hasher: RandomState::new(),
        empty_in_a_row: 0,
        pages: 0,
    };
    let inner = futures::stream::unfold(state, State::step).boxed();
    Pages { inner, cursor }
}
