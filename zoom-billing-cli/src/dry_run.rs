//! `--dry-run`: the command runs as usual against a capture server on 127.0.0.1, which
//! records each request and answers `204 No Content`; the command line then prints what was
//! captured, with the URL the real base URL would have had. The client it runs on has a fixed
//! placeholder token, no pacing, no retries and no state store: nothing reaches Zoom, no
//! token is requested and no turn or budget unit is spent.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// The longest request head read (a request line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// One request as captured.
#[derive(Clone, Debug)]
struct Captured {
    method: String,
    target: String,
    body: Vec<u8>,
}

/// The capture server.
#[derive(Debug)]
pub struct Capture {
    /// The base URL to give the client.
    pub base_url: String,
    prefix: String,
    requests: Arc<Mutex<Vec<Captured>>>,
}

/// The path of a base URL (`/v2` of `https://api.zoom.us/v2`).
fn path_of(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    rest.find('/').map(|at| rest[at..].trim_end_matches('/').to_owned()).unwrap_or_default()
}

impl Capture {
    /// Start capturing on a free port of 127.0.0.1, standing in for `real_base_url`.
    pub async fn start(real_base_url: &str) -> std::io::Result<Capture> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let prefix = path_of(real_base_url);
        let base_url = format!("http://{}{prefix}", listener.local_addr()?);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&log)));
            }
        });
        Ok(Capture { base_url, prefix, requests })
    }

    /// The captured requests as JSON (`method`, `url` on `real_base_url`, `body`).
    pub fn requests(&self, real_base_url: &str) -> Vec<Value> {
        let captured = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        let base = real_base_url.trim_end_matches('/');
        captured
            .into_iter()
            .map(|c| {
                let rest = c.target.strip_prefix(&self.prefix).unwrap_or(&c.target);
                let body = if c.body.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&c.body)
                        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&c.body).into_owned()))
                };
                json!({"method": c.method, "url": format!("{base}{rest}"), "body": body})
            })
            .collect()
    }
}

/// Read one request, record it, answer 204 and close.
async fn serve(mut stream: tokio::net::TcpStream, log: Arc<Mutex<Vec<Captured>>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) if data.len() + n > MAX_HEAD => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut words = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (words.next().unwrap_or_default().to_owned(), words.next().unwrap_or_default().to_owned());
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    body.truncate(length);
    if let Ok(mut log) = log.lock() {
        log.push(Captured { method, target, body });
    }
    let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_is_kept() {
        assert_eq!(path_of("https://api.zoom.us/v2"), "/v2");
        assert_eq!(path_of("http://127.0.0.1:9/v2/"), "/v2");
        assert_eq!(path_of("http://127.0.0.1:9"), "");
    }
}
