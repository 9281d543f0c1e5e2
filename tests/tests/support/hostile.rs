//! A loopback server for hostile-server tests: each answer is a future, so a
//! test can stream without end, stall, or hang; every request is counted.

#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A response body of any kind.
pub type Body = BoxBody<Bytes, Infallible>;

/// What a handler sees of a request.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Path without `/v2` and the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
}

type Handler = dyn Fn(Seen) -> BoxFuture<'static, Response<Body>> + Send + Sync;

/// A server on 127.0.0.1 that answers with `handler(request)`; stops when dropped.
pub struct Hostile {
    /// `http://127.0.0.1:PORT/v2`.
    pub base_url: String,
    requests: Arc<AtomicU64>,
    paths: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Start serving.
    pub async fn start(
        handler: impl Fn(Seen) -> BoxFuture<'static, Response<Body>> + Send + Sync + 'static,
    ) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v2", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU64::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (count, log) = (requests.clone(), paths.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (handler, count, log) = (handler.clone(), count.clone(), log.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        count.fetch_add(1, Ordering::SeqCst);
                        let path = req.uri().path().strip_prefix("/v2").unwrap_or(req.uri().path()).to_owned();
                        log.lock().unwrap().push(path.clone());
                        let reply = handler(Seen { path, query: req.uri().query().map(str::to_owned) });
                        async move { Ok::<_, Infallible>(reply.await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Hostile { base_url, requests, paths, task }
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Paths of the requests received so far.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A whole response.
pub fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).boxed())
        .unwrap()
}

/// A JSON response.
pub fn json(status: u16, value: serde_json::Value) -> Response<Body> {
    full(status, "application/json", value.to_string())
}

/// A body of `total` bytes of `fill`, made lazily in 64 KiB chunks (never
/// held in memory), after `prefix`; `produced` counts the bytes handed to
/// the connection.
pub fn endless(prefix: &'static [u8], fill: u8, total: u64, produced: Arc<AtomicU64>) -> Body {
    const CHUNK: u64 = 64 * 1024;
    let head = futures::stream::once(async move { Ok::<_, Infallible>(Frame::data(Bytes::from_static(prefix))) });
    let rest = futures::stream::iter(0..total / CHUNK).map(move |_| {
        produced.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<_, Infallible>(Frame::data(Bytes::from(vec![fill; CHUNK as usize])))
    });
    BodyExt::boxed(StreamBody::new(head.chain(rest)))
}

/// `first`, then nothing, ever (the connection stays open).
pub fn stalling(first: &'static [u8]) -> Body {
    let head = futures::stream::once(async move { Ok::<_, Infallible>(Frame::data(Bytes::from_static(first))) });
    BodyExt::boxed(StreamBody::new(head.chain(futures::stream::pending())))
}

/// A response that comes after `delay`.
pub fn later(delay: Duration, response: Response<Body>) -> BoxFuture<'static, Response<Body>> {
    Box::pin(async move {
        tokio::time::sleep(delay).await;
        response
    })
}
