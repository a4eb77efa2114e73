//! Where an HTTP/1.1 reply ends, followed from the bytes a client connection reads: enough to
//! tell "the reply is complete" from "more is on its way", and nothing more (hyper parses the
//! reply itself).
//!
//! [`crate::quick_ack`] asks this after each read to decide whether to acknowledge at once
//! (`TCP_QUICKACK`): a server that writes its reply in pieces with Nagle's algorithm on holds each
//! piece until the previous one is acknowledged, and on a kept-alive connection the kernel
//! delays that ACK (up to 40 ms). Acknowledging after *every* read sends a bare ACK packet per
//! read even when the reply is already complete, where the kernel would have carried the ACK on
//! the next request for free: on loopback that was ~7% of a warm lookup's CPU (118 against
//! 110 us, see `QuickAck`). So: acknowledge at once only while a reply is still incomplete.
//!
//! Framing understood: `content-length`, and replies without a body (1xx, 204, 304). Anything
//! else (chunked, read-until-close, a head over [`MAX_HEAD`]) is "incomplete until the next
//! request", which acknowledges every read as before.

/// The longest reply head followed; longer ones are treated as of unknown length.
pub const MAX_HEAD: usize = 16 * 1024;

/// The reply being read on one connection.
#[derive(Debug, Default)]
pub struct ReplyFraming {
    state: State,
}

#[derive(Debug, Default)]
enum State {
    /// No reply expected, or the last one is complete.
    #[default]
    Complete,
    /// The head so far (the status line and headers).
    Head(Vec<u8>),
    /// Body bytes still to come.
    Body(u64),
    /// A reply whose end this does not follow.
    Unknown,
}

impl ReplyFraming {
    /// A request went out: its reply comes next.
    pub fn request_sent(&mut self) {
        self.state = State::Head(Vec::new());
    }

    /// `bytes` were read; returns whether the reply is still incomplete.
    pub fn read(&mut self, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        loop {
            match &mut self.state {
                State::Complete => return false,
                State::Unknown => return true,
                State::Body(remaining) => {
                    let left = *remaining - (rest.len() as u64).min(*remaining);
                    self.state = if left == 0 {
                        State::Complete
                    } else {
                        State::Body(left)
                    };
                    return left > 0;
                }
                State::Head(head) => {
                    let before = head.len();
                    head.extend_from_slice(rest);
                    // The blank line may straddle two reads: search from 3 bytes back.
                    let from = before.saturating_sub(3);
                    let Some(end) = find(&head[from..], b"\r\n\r\n").map(|at| from + at + 4) else {
                        if head.len() > MAX_HEAD {
                            self.state = State::Unknown;
                        }
                        return true;
                    };
                    let next = body_framing(&head[..end]);
                    // What followed the head in this read is body (or the next head, for 1xx).
                    let consumed_here = end - before;
                    rest = &rest[consumed_here.min(rest.len())..];
                    self.state = next;
                    if matches!(self.state, State::Body(0)) {
                        self.state = State::Complete;
                    }
                }
            }
        }
    }
}

/// What follows a complete reply head.
fn body_framing(head: &[u8]) -> State {
    let Ok(head) = std::str::from_utf8(head) else {
        return State::Unknown;
    };
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok());
    match status {
        // An interim reply: the real one follows.
        Some(100..=199) => return State::Head(Vec::new()),
        Some(204 | 304) => return State::Complete,
        Some(_) => {}
        None => return State::Unknown,
    }
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return State::Unknown;
        }
        if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<u64>() {
                Ok(n) if length.is_none_or(|seen| seen == n) => length = Some(n),
                _ => return State::Unknown,
            }
        }
    }
    length.map_or(State::Unknown, State::Body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

    fn sent() -> ReplyFraming {
        let mut framing = ReplyFraming::default();
        framing.request_sent();
        framing
    }

    #[test]
    fn a_reply_read_whole_is_complete() {
        assert!(!sent().read(REPLY));
    }

    #[test]
    fn a_reply_in_any_two_pieces_is_incomplete_after_the_first_only() {
        for split in 1..REPLY.len() {
            let mut framing = sent();
            assert!(framing.read(&REPLY[..split]), "split at {split}");
            assert!(!framing.read(&REPLY[split..]), "split at {split}");
        }
    }

    #[test]
    fn a_reply_byte_by_byte_completes_on_its_last_byte() {
        let mut framing = sent();
        for (i, byte) in REPLY.iter().enumerate() {
            assert_eq!(framing.read(&[*byte]), i + 1 < REPLY.len(), "byte {i}");
        }
    }

    #[test]
    fn replies_without_a_body_are_complete_after_the_head() {
        for head in [
            &b"HTTP/1.1 204 No Content\r\n\r\n"[..],
            b"HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ] {
            assert!(!sent().read(head), "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn an_interim_reply_is_followed_by_the_real_one() {
        let mut framing = sent();
        assert!(framing.read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
        assert!(!framing.read(b"Content-Length: 2\r\n\r\nok"));
    }

    #[test]
    fn framing_it_does_not_follow_stays_incomplete_until_the_next_request() {
        for reply in [
            &b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nbody",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            b"garbage\r\n\r\n",
        ] {
            let mut framing = sent();
            assert!(framing.read(reply), "{}", String::from_utf8_lossy(reply));
            assert!(framing.read(b"more"));
            framing.request_sent();
            assert!(!framing.read(REPLY));
        }
    }

    #[test]
    fn an_overlong_head_is_of_unknown_length() {
        let mut framing = sent();
        assert!(framing.read(b"HTTP/1.1 200 OK\r\n"));
        assert!(framing.read(&vec![b'x'; MAX_HEAD]));
        assert!(framing.read(b"\r\ncontent-length: 0\r\n\r\n"));
    }

    #[test]
    fn bytes_with_no_request_outstanding_ask_for_nothing() {
        assert!(!ReplyFraming::default().read(b"HTTP/1.1 408 Request Timeout\r\n\r\n"));
    }
}
