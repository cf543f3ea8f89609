//! RecordIO framing of the SUBSCRIBE stream: each record is its length in
//! ASCII decimal, a `\n`, then exactly that many bytes (`<length>\n<bytes>`).
//!
//! [`Decoder`] is an explicit, incremental state machine: feed it chunks as
//! they arrive from the network (a record may be split across any number of
//! chunks, and one chunk may hold several records) and take complete records
//! out with [`Decoder::next_record`].
//!
//! Invariants:
//! * No input makes it panic; malformed input yields a [`RecordIoError`], after
//!   which the decoder stays failed (a framing error means the stream position
//!   is lost, so nothing after it can be trusted).
//! * A record longer than the configured maximum is refused as soon as its
//!   length header is read, before any of its body is buffered.
//! * The header may not grow beyond the digits needed for the maximum, so a
//!   peer cannot make us buffer an endless header either.

use bytes::{Buf, Bytes, BytesMut};

/// Default cap on one record: large offers events from big clusters stay well
/// below this, and it bounds the memory one bad length header can claim.
pub const DEFAULT_MAX_RECORD: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIoError {
    #[error("RecordIO: unexpected byte 0x{byte:02x} in a record length header")]
    InvalidHeader { byte: u8 },
    #[error("RecordIO: empty record length header")]
    EmptyHeader,
    #[error("RecordIO: record of {len} bytes or more exceeds the maximum of {max} bytes")]
    TooLarge { len: u64, max: usize },
    #[error("RecordIO: stream ended inside a record ({missing} bytes missing)")]
    Truncated { missing: usize },
    #[error("RecordIO: stream ended inside a record length header")]
    TruncatedHeader,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading the decimal length; `value` so far and how many digits were seen.
    Header { value: u64, digits: usize },
    /// Waiting until `len` body bytes are buffered.
    Body { len: usize },
    /// A framing error happened; it is reported again on every call.
    Failed(RecordIoError),
}

/// Incremental RecordIO decoder (see the module docs).
#[derive(Debug)]
pub struct Decoder {
    state: State,
    /// Bytes received and not yet consumed. In `Header`, header bytes are
    /// consumed as they are parsed, so this holds only body bytes or bytes
    /// after the current position.
    buf: BytesMut,
    max: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_RECORD)
    }
}

impl Decoder {
    /// A decoder that refuses records longer than `max_record` bytes.
    pub fn new(max_record: usize) -> Self {
        Decoder {
            state: State::Header {
                value: 0,
                digits: 0,
            },
            buf: BytesMut::new(),
            max: max_record,
        }
    }

    /// Appends a chunk received from the network. Cheap; parsing happens in
    /// [`Decoder::next_record`].
    pub fn feed(&mut self, chunk: &[u8]) {
        if !matches!(self.state, State::Failed(_)) {
            self.buf.extend_from_slice(chunk);
        }
    }

    /// The next complete record, `Ok(None)` when more input is needed.
    pub fn next_record(&mut self) -> Result<Option<Bytes>, RecordIoError> {
        loop {
            match self.state.clone() {
                State::Failed(e) => return Err(e),
                State::Header {
                    mut value,
                    mut digits,
                } => {
                    while self.buf.has_remaining() {
                        let byte = self.buf.get_u8();
                        match byte {
                            b'0'..=b'9' => {
                                digits += 1;
                                value = match value
                                    .checked_mul(10)
                                    .and_then(|v| v.checked_add(u64::from(byte - b'0')))
                                {
                                    Some(v) if v <= self.max as u64 => v,
                                    Some(v) => {
                                        return self.fail(RecordIoError::TooLarge {
                                            len: v,
                                            max: self.max,
                                        })
                                    }
                                    None => {
                                        return self.fail(RecordIoError::TooLarge {
                                            len: u64::MAX,
                                            max: self.max,
                                        })
                                    }
                                };
                                // Leading zeros keep the value small but could
                                // still make the header endless.
                                if digits > 20 {
                                    return self.fail(RecordIoError::InvalidHeader { byte });
                                }
                            }
                            b'\n' if digits == 0 => return self.fail(RecordIoError::EmptyHeader),
                            b'\n' => {
                                // value <= max, which is a usize.
                                let len = value as usize;
                                self.state = State::Body { len };
                                break;
                            }
                            _ => return self.fail(RecordIoError::InvalidHeader { byte }),
                        }
                    }
                    if let State::Header { .. } = self.state {
                        self.state = State::Header { value, digits };
                        return Ok(None);
                    }
                }
                State::Body { len } => {
                    if self.buf.len() < len {
                        // Reserve once, so a large record is not re-allocated
                        // for every chunk.
                        self.buf.reserve(len - self.buf.len());
                        return Ok(None);
                    }
                    let record = self.buf.split_to(len).freeze();
                    self.state = State::Header {
                        value: 0,
                        digits: 0,
                    };
                    return Ok(Some(record));
                }
            }
        }
    }

    /// Checks the end of the stream: `Ok` only when it ended on a record
    /// boundary. Call it after the last [`Decoder::next_record`] returned `None`.
    pub fn finish(&self) -> Result<(), RecordIoError> {
        match &self.state {
            State::Failed(e) => Err(e.clone()),
            State::Header { digits: 0, .. } if self.buf.is_empty() => Ok(()),
            State::Header { .. } => Err(RecordIoError::TruncatedHeader),
            State::Body { len } => Err(RecordIoError::Truncated {
                missing: len.saturating_sub(self.buf.len()),
            }),
        }
    }

    /// True while a record is partly received (useful to tell a clean close
    /// from a cut in the middle of a record).
    pub fn is_mid_record(&self) -> bool {
        match &self.state {
            State::Header { digits, .. } => *digits > 0 || !self.buf.is_empty(),
            State::Body { .. } => true,
            State::Failed(_) => false,
        }
    }

    fn fail<T>(&mut self, e: RecordIoError) -> Result<T, RecordIoError> {
        self.state = State::Failed(e.clone());
        self.buf = BytesMut::new();
        Err(e)
    }
}

/// Appends one record to `out` (used by tests, fakes and benchmarks).
pub fn encode(record: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(record.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(record);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(d: &mut Decoder) -> Result<Vec<Vec<u8>>, RecordIoError> {
        let mut out = Vec::new();
        while let Some(r) = d.next_record()? {
            out.push(r.to_vec());
        }
        Ok(out)
    }

    #[test]
    fn several_records_in_one_chunk() {
        let mut d = Decoder::default();
        d.feed(b"5\nhello3\nabc0\n");
        assert_eq!(
            decode_all(&mut d).unwrap(),
            vec![b"hello".to_vec(), b"abc".to_vec(), vec![]]
        );
        d.finish().unwrap();
    }

    #[test]
    fn record_split_byte_by_byte() {
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for b in b"11\nhello world2\nok" {
            d.feed(&[*b]);
            got.extend(decode_all(&mut d).unwrap());
        }
        assert_eq!(got, vec![b"hello world".to_vec(), b"ok".to_vec()]);
        assert!(!d.is_mid_record());
        d.finish().unwrap();
    }

    #[test]
    fn garbage_is_a_clear_error_and_sticks() {
        let mut d = Decoder::default();
        d.feed(b"{\"type\":\"SUBSCRIBED\"}");
        let e = d.next_record().unwrap_err();
        assert_eq!(e, RecordIoError::InvalidHeader { byte: b'{' });
        assert!(e.to_string().contains("0x7b"));
        d.feed(b"3\nabc");
        assert_eq!(d.next_record().unwrap_err(), e);
        assert_eq!(d.finish().unwrap_err(), e);
    }

    #[test]
    fn empty_header_and_negative_lengths_fail() {
        let mut d = Decoder::default();
        d.feed(b"\nabc");
        assert_eq!(d.next_record().unwrap_err(), RecordIoError::EmptyHeader);
        let mut d = Decoder::default();
        d.feed(b"-1\n");
        assert!(matches!(
            d.next_record().unwrap_err(),
            RecordIoError::InvalidHeader { byte: b'-' }
        ));
    }

    #[test]
    fn too_large_is_refused_before_the_body() {
        let mut d = Decoder::new(100);
        d.feed(b"101\n");
        assert_eq!(
            d.next_record().unwrap_err(),
            RecordIoError::TooLarge { len: 101, max: 100 }
        );
        // Without the newline yet: the digits alone already exceed it.
        let mut d = Decoder::new(100);
        d.feed(b"1000");
        assert!(matches!(
            d.next_record(),
            Err(RecordIoError::TooLarge { .. })
        ));
        // u64 overflow is also just "too large".
        let mut d = Decoder::new(usize::MAX);
        d.feed(b"99999999999999999999999\n");
        assert!(matches!(
            d.next_record(),
            Err(RecordIoError::TooLarge { .. })
        ));
        // Endless leading zeros.
        let mut d = Decoder::new(100);
        d.feed(&[b'0'; 64]);
        assert!(d.next_record().is_err());
    }

    #[test]
    fn truncation_is_reported_at_finish() {
        let mut d = Decoder::default();
        d.feed(b"10\nabc");
        assert_eq!(d.next_record().unwrap(), None);
        assert!(d.is_mid_record());
        assert_eq!(
            d.finish().unwrap_err(),
            RecordIoError::Truncated { missing: 7 }
        );
        let mut d = Decoder::default();
        d.feed(b"12");
        assert_eq!(d.next_record().unwrap(), None);
        assert_eq!(d.finish().unwrap_err(), RecordIoError::TruncatedHeader);
    }

    fn chunked(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(data[last..p].to_vec());
            last = p;
        }
        chunks.push(data[last..].to_vec());
        chunks
    }

    proptest! {
        #[test]
        fn random_chunking_round_trips(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
            cuts in prop::collection::vec(any::<usize>(), 0..40),
        ) {
            let mut stream = Vec::new();
            for r in &records {
                encode(r, &mut stream);
            }
            let mut d = Decoder::new(300);
            let mut got = Vec::new();
            for chunk in chunked(&stream, &cuts) {
                d.feed(&chunk);
                got.extend(decode_all(&mut d).unwrap());
            }
            prop_assert_eq!(got, records);
            prop_assert!(d.finish().is_ok());
        }

        #[test]
        fn arbitrary_input_never_panics(
            data in prop::collection::vec(any::<u8>(), 0..2000),
            cuts in prop::collection::vec(any::<usize>(), 0..20),
            max in 0usize..5000,
        ) {
            let mut d = Decoder::new(max);
            let mut total = 0usize;
            for chunk in chunked(&data, &cuts) {
                d.feed(&chunk);
                loop {
                    match d.next_record() {
                        Ok(Some(r)) => { prop_assert!(r.len() <= max); total += r.len(); }
                        Ok(None) => break,
                        Err(_) => break,
                    }
                }
            }
            prop_assert!(total <= data.len());
            let _ = d.finish();
        }

        #[test]
        fn corrupted_header_fails_cleanly(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..50), 1..5),
            junk in prop::sample::select(vec![b'x', b' ', b'-', b'\r', 0u8, 0xff]),
        ) {
            let mut stream = Vec::new();
            for r in &records {
                encode(r, &mut stream);
            }
            // Corrupt the first header: a non-digit right before its newline.
            let nl = stream.iter().position(|b| *b == b'\n').unwrap();
            stream.insert(nl, junk);
            let mut d = Decoder::default();
            d.feed(&stream);
            prop_assert!(d.next_record().is_err());
            prop_assert!(d.finish().is_err());
        }
    }
}
