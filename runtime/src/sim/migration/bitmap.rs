//! The dirty bitmap: one bit per guest page, in `u64` words, with a summary level so that a
//! scan skips clean stretches 4096 pages at a time.
//!
//! Everything the migration does to it is word arithmetic: marking a range of pages the guest
//! wrote, counting pages by popcount, and taking the next run of dirty pages to send.

const BITS: u64 = 64;

/// Sets bits `[start, end)` of `words` and returns how many of them were clear before.
fn set_bit_range(words: &mut [u64], start: u64, end: u64) -> u64 {
    if start >= end {
        return 0;
    }
    let (first, last) = ((start / BITS) as usize, ((end - 1) / BITS) as usize);
    let head = !0u64 << (start % BITS);
    let tail = !0u64 >> (BITS - 1 - (end - 1) % BITS);
    let mut newly = 0;
    let mut apply = |word: &mut u64, mask: u64| {
        newly += u64::from((mask & !*word).count_ones());
        *word |= mask;
    };
    if first == last {
        apply(&mut words[first], head & tail);
    } else {
        apply(&mut words[first], head);
        for word in &mut words[first + 1..last] {
            apply(word, !0);
        }
        apply(&mut words[last], tail);
    }
    newly
}

/// Pages still to send (pre-copy) or still missing on the destination (post-copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyBitmap {
    words: Vec<u64>,
    /// Bit `i` is set while `words[i]` has any bit set.
    summary: Vec<u64>,
    pages: u64,
    dirty: u64,
}

impl DirtyBitmap {
    pub fn new(pages: u64) -> DirtyBitmap {
        let words = pages.div_ceil(BITS) as usize;
        DirtyBitmap {
            words: vec![0; words],
            summary: vec![0; words.div_ceil(BITS as usize)],
            pages,
            dirty: 0,
        }
    }

    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Number of dirty pages (the bitmap's popcount, kept up to date).
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    pub fn is_clean(&self) -> bool {
        self.dirty == 0
    }

    /// Marks pages `[start, end)` dirty; returns how many were clean before.
    pub fn mark(&mut self, start: u64, end: u64) -> u64 {
        let end = end.min(self.pages);
        if start >= end {
            return 0;
        }
        let newly = set_bit_range(&mut self.words, start, end);
        set_bit_range(&mut self.summary, start / BITS, (end - 1) / BITS + 1);
        self.dirty += newly;
        newly
    }

    /// The dirty bits of word `index`.
    pub fn word(&self, index: usize) -> u64 {
        self.words[index]
    }

    /// Clears `mask` (a subset of the word's dirty bits) in word `index`.
    pub fn clear(&mut self, index: usize, mask: u64) {
        debug_assert_eq!(self.words[index] & mask, mask, "only dirty pages are sent");
        self.words[index] &= !mask;
        self.dirty -= u64::from(mask.count_ones());
        if self.words[index] == 0 {
            self.summary[index / BITS as usize] &= !(1 << (index as u64 % BITS));
        }
    }

    /// The first dirty page at or after `page`, without wrapping.
    pub fn next_dirty(&self, page: u64) -> Option<u64> {
        if page >= self.pages {
            return None;
        }
        let index = (page / BITS) as usize;
        let here = self.words[index] & (!0u64 << (page % BITS));
        if here != 0 {
            return Some(index as u64 * BITS + u64::from(here.trailing_zeros()));
        }
        let next = index + 1;
        let mut group = next / BITS as usize;
        if group >= self.summary.len() {
            return None;
        }
        let mut bits = self.summary[group] & (!0u64 << (next as u64 % BITS));
        loop {
            if bits != 0 {
                let word = group * BITS as usize + bits.trailing_zeros() as usize;
                return Some(word as u64 * BITS + u64::from(self.words[word].trailing_zeros()));
            }
            group += 1;
            if group >= self.summary.len() {
                return None;
            }
            bits = self.summary[group];
        }
    }

    /// Number of dirty pages in `[start, end)`.
    pub fn count(&self, start: u64, end: u64) -> u64 {
        let end = end.min(self.pages);
        if start >= end {
            return 0;
        }
        let (first, last) = ((start / BITS) as usize, ((end - 1) / BITS) as usize);
        let head = !0u64 << (start % BITS);
        let tail = !0u64 >> (BITS - 1 - (end - 1) % BITS);
        if first == last {
            return u64::from((self.words[first] & head & tail).count_ones());
        }
        let middle: u64 = self.words[first + 1..last]
            .iter()
            .map(|w| u64::from(w.count_ones()))
            .sum();
        u64::from((self.words[first] & head).count_ones())
            + middle
            + u64::from((self.words[last] & tail).count_ones())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marking_counts_only_newly_dirty_pages() {
        let mut map = DirtyBitmap::new(1000);
        assert_eq!(map.mark(10, 200), 190);
        assert_eq!(map.mark(100, 300), 100);
        assert_eq!(map.dirty(), 290);
        assert_eq!(map.count(0, 1000), 290);
        assert_eq!(map.count(150, 250), 100);
        assert_eq!(map.mark(990, 5000), 10, "marks stop at the last page");
        assert_eq!(map.dirty(), 300);
    }

    #[test]
    fn next_dirty_skips_clean_words_and_groups() {
        let mut map = DirtyBitmap::new(1 << 20);
        assert_eq!(map.next_dirty(0), None);
        map.mark(5, 6);
        map.mark(700_000, 700_003);
        assert_eq!(map.next_dirty(0), Some(5));
        assert_eq!(map.next_dirty(6), Some(700_000));
        assert_eq!(map.next_dirty(700_001), Some(700_001));
        let word = (700_000 / 64) as usize;
        map.clear(word, map.word(word));
        assert_eq!(map.next_dirty(6), None);
        assert_eq!(map.dirty(), 1);
        map.clear(0, 1 << 5);
        assert!(map.is_clean());
    }

    #[test]
    fn a_range_inside_one_word_and_across_many() {
        let mut map = DirtyBitmap::new(64 * 10);
        assert_eq!(map.mark(3, 9), 6);
        assert_eq!(map.word(0), 0b1_1111_1000);
        assert_eq!(map.mark(60, 64 * 9 + 1), 517);
        assert_eq!(map.next_dirty(64 * 9 + 1), None);
        assert_eq!(map.next_dirty(64 * 9), Some(64 * 9));
    }
}
