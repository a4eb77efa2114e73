//! A client connection's stream that acknowledges a read at once (`TCP_QUICKACK`, on Linux)
//! while the reply it belongs to is incomplete.
//!
//! A server that writes a reply in pieces with Nagle's algorithm on holds each piece until the
//! previous one is acknowledged; on a kept-alive connection the kernel delays that ACK (up to
//! 40 ms) to piggyback it on the next request, which cannot come before the reply is complete.
//! A new connection starts in quick-ACK mode, which is why one connection per request never met
//! this. Once the reply is complete the ACK is left to ride on the next request (a bare ACK per
//! read would cost CPU for nothing): see [`crate::reply_framing`].
//!
//! Why it is ours and why it is kept: see [`QuickAck`]. It wraps the plain-text side of the
//! stream (above TLS: below it the reply's framing is encrypted), and reaches the TCP socket
//! underneath through [`OverTcp`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::{Connected, Connection};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::reply_framing::ReplyFraming;

/// A stream over one TCP socket.
pub trait OverTcp {
    /// The socket.
    fn tcp(&self) -> &TcpStream;
}

/// `stream`, acknowledging reads at once while a reply is incomplete.
///
/// Neither hyper nor hyper-util sets `TCP_QUICKACK`, and users of a server that writes a reply
/// in pieces lose without it: against `bench/mock_ssm.py` with `MOCK_SPLIT_WRITES=1` (`cargo
/// bench -p host-example --bench lookups`, same run, 2-core machine at load 1.7-2.2) a warm
/// lookup took 44 ms and 420-447 us of client CPU without it, 0.24 ms and 120 us with it.
/// Against one write per reply it costs next to nothing (medians of six interleaved runs:
/// 110 us a lookup with it, 108.5 us without it, 118 us acknowledging every read rather than
/// only an incomplete reply's, which is why [`crate::reply_framing`] is kept too).
pub struct QuickAck<S> {
    stream: S,
    framing: ReplyFraming,
}

impl<S> QuickAck<S> {
    /// Wraps a connection's stream before its first request.
    pub fn new(stream: S) -> Self {
        QuickAck {
            stream,
            framing: ReplyFraming::default(),
        }
    }
}

impl<S: Connection> Connection for QuickAck<S> {
    fn connected(&self) -> Connected {
        self.stream.connected()
    }
}

impl<S: OverTcp + AsyncRead + Unpin> AsyncRead for QuickAck<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = self.get_mut();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let incomplete = this.framing.read(&buf.filled()[before..]);
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if incomplete {
                let _ = socket2::SockRef::from(this.stream.tcp()).set_tcp_quickack(true);
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let _ = incomplete;
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for QuickAck<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.framing.request_sent();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.framing.request_sent();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
