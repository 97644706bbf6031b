//! The file a real Linux guest serves at `/cgi-bin/file?seed=S&size=N`: SplitMix64 with its
//! state starting at `seed`, each output's 8 bytes little-endian, the stream cut at `size`
//! bytes. The guest's `gen` program (built from `src/up/guest/gen.c`) computes the same, so a
//! download is checked against [`sha256_of`] without keeping the file.

use crate::seeded::SplitMix64;
use sha2::{Digest, Sha256};

/// The stream of bytes for one seed.
#[derive(Debug, Clone)]
pub struct Generated {
    stream: SplitMix64,
    /// The bytes of the current output not handed out yet (little-endian order).
    pending: [u8; 8],
    pending_len: usize,
}

impl Generated {
    pub fn new(seed: u64) -> Generated {
        Generated {
            stream: SplitMix64::new(seed),
            pending: [0; 8],
            pending_len: 0,
        }
    }

    /// Fills `buffer` with the next bytes of the stream.
    pub fn fill(&mut self, buffer: &mut [u8]) {
        let mut at = 0;
        while at < buffer.len() {
            if self.pending_len == 0 {
                self.pending = self.stream.next_u64().to_le_bytes();
                self.pending_len = 8;
            }
            let start = 8 - self.pending_len;
            let take = self.pending_len.min(buffer.len() - at);
            buffer[at..at + take].copy_from_slice(&self.pending[start..start + take]);
            self.pending_len -= take;
            at += take;
        }
    }
}

/// The first `size` bytes for `seed` (for tests and small files).
pub fn bytes(seed: u64, size: usize) -> Vec<u8> {
    let mut out = vec![0; size];
    Generated::new(seed).fill(&mut out);
    out
}

/// The SHA-256 of the first `size` bytes for `seed`, in lowercase hex.
pub fn sha256_of(seed: u64, size: u64) -> String {
    let mut hasher = Sha256::new();
    let mut stream = Generated::new(seed);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut left = size;
    while left > 0 {
        let chunk = usize::try_from(left.min(buffer.len() as u64)).expect("at most 64 KiB");
        stream.fill(&mut buffer[..chunk]);
        hasher.update(&buffer[..chunk]);
        left -= chunk as u64;
    }
    hex(&hasher.finalize())
}

/// The SHA-256 of `data`, in lowercase hex (as [`sha256_of`] gives it).
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_splitmix64_little_endian() {
        // SplitMix64's published first outputs for seed 0: e220a8397b1dcdaf, 6e789e6aa1b965f4.
        assert_eq!(
            bytes(0, 20),
            [
                0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2, 0xf4, 0x65, 0xb9, 0xa1, 0x6a, 0x9e,
                0x78, 0x6e, 0x4f, 0x45, 0x09, 0x80
            ]
        );
    }

    #[test]
    fn a_stream_read_in_odd_pieces_is_the_same_stream() {
        let whole = bytes(42, 1000);
        let mut stream = Generated::new(42);
        let mut pieces = Vec::new();
        for size in [1, 3, 7, 8, 13, 968] {
            let mut buffer = vec![0; size];
            stream.fill(&mut buffer);
            pieces.extend(buffer);
        }
        assert_eq!(pieces, whole);
    }

    #[test]
    fn digests_match_the_fixed_vectors_the_guest_program_gives() {
        // `gen 7 10000000 | sha256sum` and friends, from src/up/guest/gen.c.
        assert_eq!(
            sha256_of(7, 10_000_000),
            "af6458a793ab24cbf10945f9db93373ca04257366340d718ee31214dc4909552"
        );
        assert_eq!(
            sha256_of(0, 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_of(1, 3),
            "d46b892acb38e6d9d2f93fab2621df39929be969e7a6245e8f8828e1e224b122"
        );
        assert_eq!(sha256_of(1, 3), hex(&Sha256::digest(bytes(1, 3))));
    }
}
