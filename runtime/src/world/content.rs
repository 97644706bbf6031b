//! File contents by identity, not by bytes: a simulated 4 GB ISO is never materialized.
//!
//! A file's content is a sequence of extents, each a range of some original content (an
//! id) at some version. A copy that receives every byte once, in order, ends with the same
//! extents as the source; one that lost, duplicated, reordered or mixed versions of a range
//! ends with different extents. The SHA-256 digest is taken over the canonical extent list,
//! so it costs microseconds whatever the size, and it differs exactly when the data would.
//!
//! Bytes that exist only on a real machine (a file a real guest serves, a download of it)
//! are [`Contents::measured`]: their length, and the SHA-256 of the real bytes once all of
//! them were seen, so the two backends' files compare and digest alike.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentId(pub u64);

impl ContentId {
    /// Real bytes, known by their length and digest only; the model numbers its own
    /// contents from 0 and never reaches it.
    pub const MEASURED: ContentId = ContentId(u64::MAX);
}

/// A range `[offset, offset + len)` of content `id` at `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub id: ContentId,
    pub version: u32,
    pub offset: u64,
    pub len: u64,
}

/// The content of a file (or of a partial copy of one), as coalesced extents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    extents: Vec<Extent>,
    /// The real bytes' SHA-256 (lowercase hex), for measured contents.
    measured: Option<String>,
}

impl Contents {
    /// A file of `len` bytes of original content `id`.
    pub fn original(id: ContentId, len: u64) -> Contents {
        let mut contents = Contents::default();
        contents.append(Extent {
            id,
            version: 0,
            offset: 0,
            len,
        });
        contents
    }

    /// `len` real bytes the model does not hold, with the SHA-256 measured over them (`None`
    /// until all of them were seen: a download still running).
    pub fn measured(len: u64, sha256: Option<String>) -> Contents {
        let mut contents = Contents::original(ContentId::MEASURED, len);
        contents.measured = sha256;
        contents
    }

    pub fn len(&self) -> u64 {
        self.extents.iter().map(|e| e.len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends data at the end, merging with the last extent when it continues it.
    pub fn append(&mut self, extent: Extent) {
        if extent.len == 0 {
            return;
        }
        if let Some(last) = self.extents.last_mut() {
            if last.id == extent.id
                && last.version == extent.version
                && last.offset + last.len == extent.offset
            {
                last.len += extent.len;
                return;
            }
        }
        self.extents.push(extent);
    }

    /// The bytes `[start, start + len)` of this content, as extents (for copying them).
    pub fn slice(&self, start: u64, len: u64) -> Vec<Extent> {
        let end = start + len;
        let mut out = Vec::new();
        let mut at = 0;
        for e in &self.extents {
            let (e_start, e_end) = (at, at + e.len);
            at = e_end;
            let (from, to) = (start.max(e_start), end.min(e_end));
            if from < to {
                out.push(Extent {
                    offset: e.offset + (from - e_start),
                    len: to - from,
                    ..*e
                });
            }
        }
        out
    }

    /// The SHA-256 of the content, as lowercase hex: of the real bytes for measured contents.
    pub fn sha256(&self) -> String {
        if let Some(measured) = &self.measured {
            return measured.clone();
        }
        let mut hasher = Sha256::new();
        hasher.update(b"kvmlab-content-v1");
        for e in &self.extents {
            hasher.update(e.id.0.to_le_bytes());
            hasher.update(e.version.to_le_bytes());
            hasher.update(e.offset.to_le_bytes());
            hasher.update(e.len.to_le_bytes());
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISO: ContentId = ContentId(7);
    const GB4: u64 = 4_294_967_296;

    fn copy_in_chunks(source: &Contents, chunks: &[u64]) -> Contents {
        let mut copy = Contents::default();
        let mut at = 0;
        for &chunk in chunks {
            for e in source.slice(at, chunk) {
                copy.append(e);
            }
            at += chunk;
        }
        copy
    }

    #[test]
    fn a_complete_copy_has_the_same_digest() {
        let iso = Contents::original(ISO, GB4);
        let copy = copy_in_chunks(&iso, &[1 << 30, 3 << 30]);
        assert_eq!(copy.len(), GB4);
        assert_eq!(copy.sha256(), iso.sha256());
        assert_eq!(iso.sha256().len(), 64);
    }

    #[test]
    fn lost_duplicated_or_changed_data_changes_the_digest() {
        let iso = Contents::original(ISO, GB4);
        let mut lost = Contents::default();
        for e in iso
            .slice(0, 1000)
            .into_iter()
            .chain(iso.slice(2000, GB4 - 2000))
        {
            lost.append(e);
        }
        assert_ne!(lost.sha256(), iso.sha256());

        let mut duplicated = Contents::default();
        for e in iso
            .slice(0, 2000)
            .into_iter()
            .chain(iso.slice(1000, GB4 - 1000))
        {
            duplicated.append(e);
        }
        assert_ne!(duplicated.sha256(), iso.sha256());

        let mut changed = iso.clone();
        changed.extents[0].version = 1;
        assert_ne!(changed.sha256(), iso.sha256());
        assert_ne!(Contents::original(ContentId(8), GB4).sha256(), iso.sha256());
    }

    #[test]
    fn measured_contents_are_equal_exactly_when_their_real_digests_are() {
        let sha = |byte: u8| format!("{byte:02x}").repeat(32);
        let served = Contents::measured(10_000_000, Some(sha(0xab)));
        assert_eq!(served.sha256(), sha(0xab));
        assert_eq!(served.len(), 10_000_000);
        assert_eq!(Contents::measured(10_000_000, Some(sha(0xab))), served);
        assert_ne!(Contents::measured(10_000_000, Some(sha(0xcd))), served);
        // A download still running has its length and no real digest yet.
        let partial = Contents::measured(4_000_000, None);
        assert_eq!(partial.len(), 4_000_000);
        assert_ne!(partial, served);
        assert_ne!(partial.sha256(), served.sha256());
    }

    #[test]
    fn slices_cross_extent_boundaries() {
        let mut two = Contents::original(ContentId(1), 100);
        two.append(Extent {
            id: ContentId(2),
            version: 0,
            offset: 0,
            len: 50,
        });
        let middle = two.slice(90, 20);
        assert_eq!(middle.len(), 2);
        assert_eq!((middle[0].offset, middle[0].len), (90, 10));
        assert_eq!((middle[1].offset, middle[1].len), (0, 10));
    }
}
