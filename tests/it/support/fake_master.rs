//! A scripted fake Mesos master for fault injection: the faults a real master
//! cannot be made to produce on demand (a stream cut mid-record, heartbeats
//! that stop, garbage, 307 and 503 answers). Events are encoded by hand from
//! the protobuf wire format, independently of the client's generated code.
//!
//! Requests with a `Mesos-Stream-Id` header are calls: answered 202 and
//! recorded. Every other request is a SUBSCRIBE and gets the next scripted
//! [`Reply`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub enum Reply {
    /// A plain answer, e.g. 503 or a 307 with a `Location`.
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// 307 to this same master (a redirect loop).
    RedirectToSelf,
    /// A stream that is cut once `calls` calls have arrived in total: lets a
    /// test cut the stream right after something it did, without timing.
    StreamUntilCalls {
        stream_id: String,
        chunks: Vec<Vec<u8>>,
        calls: usize,
    },
    /// 200 with a chunked RecordIO stream: each chunk after its delay, then
    /// either close the socket (cutting the stream) or hang.
    Stream {
        stream_id: String,
        chunks: Vec<(Duration, Vec<u8>)>,
        then_hang: bool,
    },
}

/// How the next call (a request with a `Mesos-Stream-Id`) is answered;
/// calls beyond the script get `202 Accepted`.
#[derive(Debug, Clone)]
pub enum CallReply {
    Accepted,
    /// An error status with this body (e.g. 500 for a failing master).
    Status {
        code: u16,
        body: Vec<u8>,
    },
    /// The headers of this status with a `Content-Length` body that never
    /// arrives: the connection then stays silent.
    StallBody {
        code: u16,
    },
    /// No answer at all: the connection stays silent.
    NoAnswer,
}

#[derive(Debug, Clone)]
pub struct Request {
    /// When the request arrived.
    pub at: std::time::Instant,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_contains(&self, needle: &[u8]) -> bool {
        self.body.windows(needle.len()).any(|w| w == needle)
    }
}

pub struct FakeMaster {
    pub url: String,
    pub port: u16,
    pub subscribes: Arc<Mutex<Vec<Request>>>,
    pub calls: Arc<Mutex<Vec<Request>>>,
    /// Scripted answers to calls, in order.
    pub call_replies: Arc<Mutex<VecDeque<CallReply>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeMaster {
    pub async fn start(script: Vec<Reply>) -> FakeMaster {
        FakeMaster::start_with(script, None).await
    }

    /// The same over TLS (`https://`), with the given server certificate.
    pub async fn start_tls(script: Vec<Reply>, acceptor: TlsAcceptor) -> FakeMaster {
        FakeMaster::start_with(script, Some(acceptor)).await
    }

    async fn start_with(script: Vec<Reply>, tls: Option<TlsAcceptor>) -> FakeMaster {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let subscribes = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let call_replies = Arc::new(Mutex::new(VecDeque::new()));
        let (s, c) = (subscribes.clone(), calls.clone());
        let replies = call_replies.clone();
        let tls_scheme = tls.is_some();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (script, s, c) = (script.clone(), s.clone(), c.clone());
                let r = replies.clone();
                match tls.clone() {
                    None => {
                        tokio::spawn(serve(socket, port, script, s, c, r));
                    }
                    Some(acceptor) => {
                        tokio::spawn(async move {
                            // A failed handshake (a client that does not
                            // trust us) just ends this connection.
                            if let Ok(stream) = acceptor.accept(socket).await {
                                serve(stream, port, script, s, c, r).await;
                            }
                        });
                    }
                }
            }
        });
        let scheme = if tls_scheme { "https" } else { "http" };
        FakeMaster {
            url: format!("{scheme}://127.0.0.1:{port}"),
            port,
            subscribes,
            calls,
            call_replies,
            task,
        }
    }

    /// Answers the next calls like this, in order.
    pub fn reply_to_calls(&self, replies: impl IntoIterator<Item = CallReply>) {
        self.call_replies.lock().unwrap().extend(replies);
    }

    pub fn subscribes(&self) -> Vec<Request> {
        self.subscribes.lock().unwrap().clone()
    }

    pub fn calls(&self) -> Vec<Request> {
        self.calls.lock().unwrap().clone()
    }
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request<S: AsyncRead + Unpin>(socket: &mut S, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(Request {
        at: std::time::Instant::now(),
        path,
        headers,
        body,
    })
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut socket: S,
    port: u16,
    script: Arc<Mutex<VecDeque<Reply>>>,
    subscribes: Arc<Mutex<Vec<Request>>>,
    calls: Arc<Mutex<Vec<Request>>>,
    call_replies: Arc<Mutex<VecDeque<CallReply>>>,
) {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut socket, &mut buf).await {
        // The operator endpoints (`/master/frameworks`, `/master/slaves`,
        // read on the side) are not part of the script.
        if matches!(
            request.path.split('?').next(),
            Some("/master/frameworks" | "/master/slaves")
        ) {
            let _ = socket
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .await;
            continue;
        }
        if request.header("Mesos-Stream-Id").is_some() {
            calls.lock().unwrap().push(request);
            let reply = call_replies
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(CallReply::Accepted);
            match reply {
                CallReply::Accepted => {
                    let _ = socket
                        .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                        .await;
                }
                CallReply::Status { code, body } => {
                    let head = format!(
                        "HTTP/1.1 {code} Whatever\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                }
                CallReply::StallBody { code } => {
                    let head = format!("HTTP/1.1 {code} Whatever\r\nContent-Length: 100\r\n\r\n");
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                CallReply::NoAnswer => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
            }
            continue;
        }
        subscribes.lock().unwrap().push(request);
        let reply = script.lock().unwrap().pop_front();
        match reply {
            None => {
                let _ = socket
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n\r\nno script\n")
                    .await;
            }
            Some(Reply::StreamUntilCalls {
                stream_id,
                chunks,
                calls: wanted,
            }) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n\
                     Mesos-Stream-Id: {stream_id}\r\nTransfer-Encoding: chunked\r\n\r\n"
                );
                let mut out = head.into_bytes();
                for data in chunks {
                    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                    out.extend_from_slice(&data);
                    out.extend_from_slice(b"\r\n");
                }
                if socket.write_all(&out).await.is_err() || socket.flush().await.is_err() {
                    return;
                }
                while calls.lock().unwrap().len() < wanted {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                return;
            }
            Some(Reply::RedirectToSelf) => {
                let head = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: //127.0.0.1:{port}/master/api/v1/scheduler\r\nContent-Length: 0\r\n\r\n"
                );
                let _ = socket.write_all(head.as_bytes()).await;
            }
            Some(Reply::Status {
                code,
                headers,
                body,
            }) => {
                let mut head = format!(
                    "HTTP/1.1 {code} Whatever\r\nContent-Length: {}\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            }
            Some(Reply::Stream {
                stream_id,
                chunks,
                then_hang,
            }) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n\
                     Mesos-Stream-Id: {stream_id}\r\nTransfer-Encoding: chunked\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for (delay, data) in chunks {
                    tokio::time::sleep(delay).await;
                    let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
                    chunk.extend_from_slice(&data);
                    chunk.extend_from_slice(b"\r\n");
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                let _ = socket.flush().await;
                if then_hang {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                // Close without the final zero-length chunk: the stream is cut.
                return;
            }
        }
    }
}

// ------------------------------------------------ protobuf by hand (wire format)

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_bytes(field: u32, data: &[u8], out: &mut Vec<u8>) {
    varint(u64::from(field << 3 | 2), out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

fn field_varint(field: u32, v: u64, out: &mut Vec<u8>) {
    varint(u64::from(field << 3), out);
    varint(v, out);
}

/// One RecordIO record: `<len>\n<bytes>`.
pub fn record(event: &[u8]) -> Vec<u8> {
    let mut out = format!("{}\n", event.len()).into_bytes();
    out.extend_from_slice(event);
    out
}

/// Event{type: SUBSCRIBED, subscribed{framework_id{value}, heartbeat_interval_seconds}}.
pub fn subscribed(framework_id: &str, heartbeat_seconds: f64) -> Vec<u8> {
    let mut id = Vec::new();
    field_bytes(1, framework_id.as_bytes(), &mut id);
    let mut sub = Vec::new();
    field_bytes(1, &id, &mut sub);
    sub.push(2 << 3 | 1); // field 2, fixed64 (double)
    sub.extend_from_slice(&heartbeat_seconds.to_le_bytes());
    let mut ev = Vec::new();
    field_varint(1, 1, &mut ev);
    field_bytes(2, &sub, &mut ev);
    record(&ev)
}

/// Event{type: HEARTBEAT}.
pub fn heartbeat() -> Vec<u8> {
    let mut ev = Vec::new();
    field_varint(1, 8, &mut ev);
    record(&ev)
}

/// Event{type: ERROR, error{message}}.
pub fn error(message: &str) -> Vec<u8> {
    let mut err = Vec::new();
    field_bytes(1, message.as_bytes(), &mut err);
    let mut ev = Vec::new();
    field_varint(1, 7, &mut ev);
    field_bytes(8, &err, &mut ev);
    record(&ev)
}
