//! A download from a real guest: an HTTP/1.0 GET on a thread of its own that joins the lab's
//! network namespace first (setns on `/run/netns/NAME` changes only that thread), streams the
//! body while hashing it, and shares its progress; the caller polls it (a progress bar, a
//! migration running meanwhile) and may cancel it.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where a download stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DownloadProgress {
    /// Body bytes received so far.
    pub bytes: u64,
    /// The size the server announced (Content-Length), if it did.
    pub content_length: Option<u64>,
    /// Finished: the whole body arrived, or it failed, or it was cancelled.
    pub done: bool,
    /// The body's SHA-256 (lowercase hex), once all of it arrived.
    pub sha256: Option<String>,
    /// Why it did not complete.
    pub error: Option<String>,
    /// (seconds since the download started, body bytes by then), about every
    /// [`SAMPLE_EVERY`] and at the end: the download's rate over time.
    pub samples: Vec<(f64, u64)>,
}

/// A download running on its thread.
pub struct DownloadHandle {
    shared: Arc<Mutex<DownloadProgress>>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DownloadHandle {
    pub fn progress(&self) -> DownloadProgress {
        lock(&self.shared).clone()
    }

    /// Asks the download to stop; it ends with the error "cancelled" within a fraction of a
    /// second.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Waits for the end and returns the final progress.
    pub fn wait(mut self) -> DownloadProgress {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.progress()
    }
}

impl Drop for DownloadHandle {
    fn drop(&mut self) {
        self.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(shared: &Mutex<DownloadProgress>) -> std::sync::MutexGuard<'_, DownloadProgress> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How often the progress keeps a sample of the bytes received.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// How long a read waits before looking at the cancel flag again.
const POLL: Duration = Duration::from_millis(200);
/// A server silent this long is given up on.
const SILENCE: Duration = Duration::from_secs(30);

/// Starts `GET path` from `addr`, inside the network namespace `netns` (its name under
/// /run/netns) or, with `None`, in this process's own. An error here means the thread could
/// not start; everything after is reported through [`DownloadHandle::progress`].
pub fn start(
    netns: Option<&str>,
    addr: SocketAddrV4,
    path: &str,
) -> std::io::Result<DownloadHandle> {
    if !path.starts_with('/') || path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{path:?} is not an HTTP path (it starts with `/` and has no spaces)"),
        ));
    }
    let namespace = match netns {
        Some(name) => Some(std::fs::File::open(
            std::path::Path::new("/run/netns").join(name),
        )?),
        None => None,
    };
    let shared = Arc::new(Mutex::new(DownloadProgress::default()));
    let cancel = Arc::new(AtomicBool::new(false));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: kvmlab\r\n\r\n");
    let thread = {
        let shared = Arc::clone(&shared);
        let cancel = Arc::clone(&cancel);
        std::thread::Builder::new()
            .name("kvmlab-download".into())
            .spawn(move || {
                let began = Instant::now();
                let outcome = enter(namespace)
                    .and_then(|()| fetch(addr, &request, &shared, &cancel, began))
                    .err();
                let mut progress = lock(&shared);
                let bytes = progress.bytes;
                progress
                    .samples
                    .push((began.elapsed().as_secs_f64(), bytes));
                progress.error = outcome;
                progress.done = true;
            })?
    };
    Ok(DownloadHandle {
        shared,
        cancel,
        thread: Some(thread),
    })
}

fn enter(namespace: Option<std::fs::File>) -> Result<(), String> {
    let Some(file) = namespace else {
        return Ok(());
    };
    use std::os::fd::AsRawFd;
    // SAFETY: setns on an open namespace file; it affects only the calling thread.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(format!(
            "cannot enter the network namespace: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn fetch(
    addr: SocketAddrV4,
    request: &str,
    shared: &Mutex<DownloadProgress>,
    cancel: &AtomicBool,
    began: Instant,
) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr.into(), Duration::from_secs(10))
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(POLL))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|e| format!("cannot send the request to {addr}: {e}"))?;
    let mut head = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut silent = Duration::ZERO;
    // The head: up to the blank line; whatever follows it is the body's start.
    let body_start = loop {
        let n = read(&mut stream, &mut buffer, cancel, &mut silent)?;
        if n == 0 {
            return Err(format!(
                "{addr} closed the connection before the end of the headers"
            ));
        }
        head.extend_from_slice(&buffer[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > 64 * 1024 {
            return Err(format!("{addr} sent more than 64 KiB of headers"));
        }
    };
    let content_length = parse_head(&head[..body_start])?;
    let mut hasher = Sha256::new();
    let first = &head[body_start..];
    hasher.update(first);
    let mut received = first.len() as u64;
    {
        let mut progress = lock(shared);
        progress.content_length = content_length;
        progress.bytes = received;
        progress
            .samples
            .push((began.elapsed().as_secs_f64(), received));
    }
    let mut sampled = Instant::now();
    loop {
        if content_length.is_some_and(|length| received >= length) {
            break;
        }
        let n = read(&mut stream, &mut buffer, cancel, &mut silent)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        received += n as u64;
        let mut progress = lock(shared);
        progress.bytes = received;
        if sampled.elapsed() >= SAMPLE_EVERY {
            sampled = Instant::now();
            progress
                .samples
                .push((began.elapsed().as_secs_f64(), received));
        }
    }
    match content_length {
        Some(length) if received < length => Err(format!(
            "the connection closed after {received} of {length} bytes"
        )),
        Some(length) if received > length => Err(format!(
            "the server sent {received} bytes where it announced {length}"
        )),
        _ => {
            lock(shared).sha256 = Some(super::generated::hex(&hasher.finalize()));
            Ok(())
        }
    }
}

/// One read, retried across the poll timeout until data, the end, a cancel or silence.
fn read(
    stream: &mut TcpStream,
    buffer: &mut [u8],
    cancel: &AtomicBool,
    silent: &mut Duration,
) -> Result<usize, String> {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err("cancelled".into());
        }
        match stream.read(buffer) {
            Ok(n) => {
                *silent = Duration::ZERO;
                return Ok(n);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                *silent += POLL;
                if *silent >= SILENCE {
                    return Err(format!(
                        "the server sent nothing for {} s",
                        SILENCE.as_secs()
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("the connection failed: {e}")),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The status must be 200; returns the Content-Length if given.
fn parse_head(head: &[u8]) -> Result<Option<u64>, String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split_whitespace().nth(1);
    if !status.starts_with("HTTP/") || code.is_none() {
        return Err(format!("not an HTTP answer: {status:?}"));
    }
    if code != Some("200") {
        return Err(format!("the server answered {status:?}"));
    }
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| format!("a Content-Length that is no number: {line:?}"))?,
                );
            }
        }
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::real::generated::{sha256_of, Generated};
    use std::net::{Ipv4Addr, TcpListener};

    /// A one-connection server on loopback answering with `head` then `size` generated bytes
    /// of `seed`, written in 1000-byte pieces with `pause` between them.
    fn serve(head: String, seed: u64, size: u64, pause: Duration) -> SocketAddrV4 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let std::net::SocketAddr::V4(addr) = listener.local_addr().unwrap() else {
            unreachable!("bound to an IPv4 address")
        };
        std::thread::spawn(move || {
            let (mut connection, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let n = connection.read(&mut request).unwrap();
            assert!(request[..n].starts_with(b"GET /cgi-bin/file?seed="));
            if connection.write_all(head.as_bytes()).is_err() {
                return;
            }
            let mut stream = Generated::new(seed);
            let mut left = size;
            let mut piece = [0u8; 1000];
            while left > 0 {
                let n = left.min(1000) as usize;
                stream.fill(&mut piece[..n]);
                if connection.write_all(&piece[..n]).is_err() {
                    return;
                }
                left -= n as u64;
                std::thread::sleep(pause);
            }
        });
        addr
    }

    fn ok_head(length: u64) -> String {
        format!("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n")
    }

    #[test]
    fn a_download_arrives_whole_with_its_digest() {
        let addr = serve(ok_head(3_000_001), 7, 3_000_001, Duration::ZERO);
        let handle = start(None, addr, "/cgi-bin/file?seed=7&size=3000001").unwrap();
        let progress = handle.wait();
        assert_eq!(progress.error, None);
        assert!(progress.done);
        assert_eq!(progress.bytes, 3_000_001);
        assert_eq!(progress.content_length, Some(3_000_001));
        assert_eq!(progress.sha256, Some(sha256_of(7, 3_000_001)));
        let (t, bytes) = *progress.samples.last().unwrap();
        assert_eq!(bytes, 3_000_001);
        assert!(t > 0.0);
    }

    #[test]
    fn progress_grows_while_the_body_streams_and_a_cancel_stops_it() {
        let addr = serve(ok_head(1_000_000), 3, 1_000_000, Duration::from_millis(5));
        let handle = start(None, addr, "/cgi-bin/file?seed=3&size=1000000").unwrap();
        let mut seen = 0;
        for _ in 0..200 {
            seen = handle.progress().bytes;
            if seen >= 10_000 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(seen >= 10_000, "only {seen} bytes after 2 s");
        assert!(!handle.progress().done);
        handle.cancel();
        let progress = handle.wait();
        assert!(progress.done);
        assert_eq!(progress.error.as_deref(), Some("cancelled"));
        assert_eq!(progress.sha256, None);
        assert!(progress.bytes < 1_000_000, "{}", progress.bytes);
        // About 2 MB/s for at least 10 kB: samples a quarter of a second apart, rising.
        assert!(progress.samples.len() >= 2, "{:?}", progress.samples);
        assert!(progress
            .samples
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert_eq!(progress.samples.last().unwrap().1, progress.bytes);
    }

    #[test]
    fn a_short_body_is_an_error_not_a_digest() {
        let addr = serve(ok_head(5000), 1, 4000, Duration::ZERO);
        let progress = start(None, addr, "/cgi-bin/file?seed=1&size=5000")
            .unwrap()
            .wait();
        assert_eq!(
            progress.error.as_deref(),
            Some("the connection closed after 4000 of 5000 bytes")
        );
        assert_eq!(progress.sha256, None);
    }

    #[test]
    fn a_refusal_names_the_status_line() {
        let addr = serve(
            "HTTP/1.0 404 Not Found\r\n\r\n".into(),
            1,
            0,
            Duration::ZERO,
        );
        let progress = start(None, addr, "/cgi-bin/file?seed=1&size=5")
            .unwrap()
            .wait();
        assert_eq!(
            progress.error.as_deref(),
            Some("the server answered \"HTTP/1.0 404 Not Found\"")
        );
    }

    #[test]
    fn a_path_with_a_space_or_a_missing_namespace_does_not_start() {
        let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9);
        assert!(start(None, addr, "/a b").is_err());
        assert!(start(None, addr, "no-slash").is_err());
        assert_eq!(
            start(Some("kvmlab-no-such-namespace"), addr, "/")
                .err()
                .map(|e| e.kind()),
            Some(std::io::ErrorKind::NotFound)
        );
    }
}
