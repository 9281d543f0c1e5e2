//! The shared state stores the behavioural suite runs on: a real
//! `redis-server` on loopback, or a SQLite file in a temporary directory.
//! Each can be taken away and brought back, as a store fails in production:
//! Redis is stopped (and restarted on its append-only file); the SQLite file
//! is kept locked by another connection for longer than the store's timeout
//! (what a stuck process on the host does), then released.

use std::path::{Path, PathBuf};
use std::time::Duration;

use zoom_billing::shared::{RedisStore, SharedStore, SqliteStore, WhenUnavailable};

use crate::redis_server::RedisServer;

/// Where a test's shared state lives.
#[derive(Debug)]
pub enum Backing {
    /// A `redis-server` of the test's own.
    Redis(RedisServer),
    /// A SQLite file of the test's own.
    Sqlite(SqliteFile),
}

/// A SQLite state file in its own temporary directory, removed when dropped.
#[derive(Debug)]
pub struct SqliteFile {
    dir: PathBuf,
    path: PathBuf,
    /// A connection holding the file's write lock, while the store is "away".
    blocker: Option<rusqlite::Connection>,
}

/// A store's settings in the suite.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The namespace (needed with a bearer token).
    pub namespace: Option<String>,
    /// The store's timeout (default: the store's own).
    pub timeout: Option<Duration>,
    /// What calls do while it is away.
    pub when_unavailable: WhenUnavailable,
}

impl SqliteFile {
    /// A new, empty directory for the file (the store creates the file).
    pub fn new() -> SqliteFile {
        let dir = std::env::temp_dir().join(format!("zoom-billing-state-{:016x}", rand_u64()));
        SqliteFile { path: dir.join("state.sqlite3"), dir, blocker: None }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for SqliteFile {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        self.blocker = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

impl Backing {
    /// A real `redis-server` on a free port.
    pub fn redis() -> Backing {
        Backing::Redis(RedisServer::start())
    }

    /// A SQLite file in a new temporary directory.
    pub fn sqlite() -> Backing {
        Backing::Sqlite(SqliteFile::new())
    }

    /// A store on this backing with `settings` (each call: a new handle, as
    /// another process would open).
    pub fn store(&self, settings: &Settings) -> SharedStore {
        match self {
            Backing::Redis(redis) => {
                let mut builder = RedisStore::builder(redis.url()).when_unavailable(settings.when_unavailable);
                if let Some(ns) = &settings.namespace {
                    builder = builder.namespace(ns.clone());
                }
                if let Some(timeout) = settings.timeout {
                    builder = builder.timeout(timeout);
                }
                builder.build().expect("a Redis store").into()
            }
            Backing::Sqlite(file) => {
                let mut builder = SqliteStore::builder(file.path()).when_unavailable(settings.when_unavailable);
                if let Some(ns) = &settings.namespace {
                    builder = builder.namespace(ns.clone());
                }
                if let Some(timeout) = settings.timeout {
                    builder = builder.timeout(timeout);
                }
                builder.build().expect("a SQLite store").into()
            }
        }
    }

    /// A store with the default settings.
    pub fn default_store(&self) -> SharedStore {
        self.store(&Settings::default())
    }

    /// A store whose keys are `namespace`'s (clients with a bearer token).
    pub fn store_for(&self, namespace: &str) -> SharedStore {
        self.store(&Settings { namespace: Some(namespace.to_owned()), ..Settings::default() })
    }

    /// The store's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Backing::Redis(_) => "Redis",
            Backing::Sqlite(_) => "SQLite",
        }
    }

    /// How the store names itself in errors: the URL's start, or the path.
    pub fn shown(&self) -> String {
        match self {
            Backing::Redis(redis) => redis.url().trim_end_matches('/').to_owned(),
            Backing::Sqlite(file) => file.path().display().to_string(),
        }
    }

    /// What a worker process is given to open the same store: a URL or a path.
    pub fn location(&self) -> String {
        match self {
            Backing::Redis(redis) => redis.url(),
            Backing::Sqlite(file) => file.path().display().to_string(),
        }
    }

    /// Take the store away: stop Redis; lock the SQLite file.
    pub fn take_away(&mut self) {
        match self {
            Backing::Redis(redis) => redis.stop(),
            Backing::Sqlite(file) => {
                let blocker = rusqlite::Connection::open(&file.path).expect("open the state file");
                blocker.execute_batch("BEGIN EXCLUSIVE").expect("lock the state file");
                file.blocker = Some(blocker);
            }
        }
    }

    /// Bring it back with what it held: restart Redis on its append-only
    /// file; release the SQLite file's lock.
    pub fn bring_back(&mut self) {
        match self {
            Backing::Redis(redis) => redis.restart(),
            Backing::Sqlite(file) => {
                if let Some(blocker) = file.blocker.take() {
                    blocker.execute_batch("ROLLBACK").expect("unlock the state file");
                }
            }
        }
    }
}

/// A fake Zoom enforcing the spec's limits at `scale`, with a 30% tolerance
/// on minimum intervals: on a 2-core machine shared with compilers a thread
/// can be held that long between its turn and its send, which is not what
/// the store tests measure (at Zoom's real intervals, minutes, it is
/// nothing). Clients without shared pacing send at the same instant and are
/// still caught.
pub async fn enforcing_fake(scale: f64) -> fake_zoom::FakeZoom {
    let fake = fake_zoom::FakeZoom::start().await.expect("a fake Zoom");
    fake.set_limits(fake_zoom::LimitConfig { enforce: true, time_scale: scale, tolerance: 0.3, ..Default::default() });
    fake
}

/// A client of the fake's S2S app on `store`, pacing at `scale`, no retries:
/// what one process of a fleet is.
pub fn s2s_client(fake: &fake_zoom::FakeZoom, store: impl Into<SharedStore>, scale: f64) -> zoom_billing::Client {
    zoom_billing::Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        .rate_limit_policy(zoom_billing::RateLimitPolicy::default().with_time_scale(scale))
        .retry_policy(zoom_billing::RetryPolicy::none())
        .shared_state(store)
        .build()
        .expect("a client")
}

/// One `list_billing_invoices` call (6 a day per `accountId`, one every 5 minutes).
pub async fn list_invoices(client: &zoom_billing::Client) -> Result<(), zoom_billing::Error> {
    client.list_billing_invoices().account_id("sub-1").send().await.map(|_| ())
}

/// How many `list_billing_invoices` requests reached the fake.
pub fn invoices_listed(fake: &fake_zoom::FakeZoom) -> usize {
    fake.requests_to("/billing/invoices").iter().filter(|r| r.path.ends_with("/invoices")).count()
}
