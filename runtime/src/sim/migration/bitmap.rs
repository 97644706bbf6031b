//! The dirty bitmap: one bit per guest page, kept in blocks of 32 768 pages (128 MiB of
//! guest memory) so that its size follows what is dirty, not the guest's RAM.
//!
//! A block is clean, wholly dirty, or mixed; only a mixed block holds words (4 KiB of bits
//! and a summary word per 4096 pages). The first sync marks every page dirty: every block
//! is then "dirty" at no cost, and a block the sender is halfway through is the only one it
//! turns into words. The guest dirties its working set 2 MiB at a time, so a run keeps
//! words only for the blocks its working set and its sender touch: a 16 TiB guest costs a
//! few megabytes (16 bytes per block besides).
//!
//! Everything the migration does to it is word arithmetic: marking a range of pages the guest
//! wrote, counting pages by popcount, and taking the next run of dirty pages to send.

const BITS: u64 = 64;
/// Words per block: a block covers 32 768 pages.
const BLOCK_WORDS: usize = 512;
const BLOCK_PAGES: u64 = BLOCK_WORDS as u64 * BITS;

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

/// Clears bits `[start, end)` of `words`; returns how many were set.
fn clear_bit_range(words: &mut [u64], start: u64, end: u64) -> u64 {
    let cleared = count_bit_range(words, start, end);
    if start < end {
        let (first, last) = ((start / BITS) as usize, ((end - 1) / BITS) as usize);
        let head = !0u64 << (start % BITS);
        let tail = !0u64 >> (BITS - 1 - (end - 1) % BITS);
        if first == last {
            words[first] &= !(head & tail);
        } else {
            words[first] &= !head;
            words[first + 1..last].fill(0);
            words[last] &= !tail;
        }
    }
    cleared
}

/// Number of set bits `[start, end)` of `words`.
fn count_bit_range(words: &[u64], start: u64, end: u64) -> u64 {
    if start >= end {
        return 0;
    }
    let (first, last) = ((start / BITS) as usize, ((end - 1) / BITS) as usize);
    let head = !0u64 << (start % BITS);
    let tail = !0u64 >> (BITS - 1 - (end - 1) % BITS);
    if first == last {
        return u64::from((words[first] & head & tail).count_ones());
    }
    let middle: u64 = words[first + 1..last]
        .iter()
        .map(|w| u64::from(w.count_ones()))
        .sum();
    u64::from((words[first] & head).count_ones())
        + middle
        + u64::from((words[last] & tail).count_ones())
}

/// The first set bit at or after `bit` in a two-level bitmap: `summary` bit `i` is set while
/// `words[i]` is not zero.
fn next_set(words: &[u64], summary: &[u64], bit: u64) -> Option<u64> {
    let index = (bit / BITS) as usize;
    if index >= words.len() {
        return None;
    }
    let here = words[index] & (!0u64 << (bit % BITS));
    if here != 0 {
        return Some(index as u64 * BITS + u64::from(here.trailing_zeros()));
    }
    let next = index + 1;
    let mut group = next / BITS as usize;
    if group >= summary.len() {
        return None;
    }
    let mut bits = summary[group] & (!0u64 << (next as u64 % BITS));
    loop {
        if bits != 0 {
            let word = group * BITS as usize + bits.trailing_zeros() as usize;
            return Some(word as u64 * BITS + u64::from(words[word].trailing_zeros()));
        }
        group += 1;
        if group >= summary.len() {
            return None;
        }
        bits = summary[group];
    }
}

/// The bits of one block that is partly dirty.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mixed {
    words: [u64; BLOCK_WORDS],
    /// Bit `i` is set while `words[i]` has any bit set.
    summary: [u64; BLOCK_WORDS / BITS as usize],
    dirty: u64,
}

impl Mixed {
    /// A block whose first `pages` pages are all dirty (`pages` = 0: all clean).
    fn filled(pages: u64) -> Box<Mixed> {
        let mut mixed = Box::new(Mixed {
            words: [0; BLOCK_WORDS],
            summary: [0; BLOCK_WORDS / BITS as usize],
            dirty: 0,
        });
        mixed.set(0, pages);
        mixed
    }

    fn set(&mut self, start: u64, end: u64) -> u64 {
        if start >= end {
            return 0;
        }
        let newly = set_bit_range(&mut self.words, start, end);
        set_bit_range(&mut self.summary, start / BITS, (end - 1) / BITS + 1);
        self.dirty += newly;
        newly
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Clean,
    /// Every page of the block is dirty.
    Dirty,
    Mixed(Box<Mixed>),
}

/// Pages still to send (pre-copy) or still missing on the destination (post-copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyBitmap {
    blocks: Vec<Block>,
    /// Bit `i` is set while block `i` is not clean.
    live: Vec<u64>,
    pages: u64,
    dirty: u64,
}

impl DirtyBitmap {
    pub fn new(pages: u64) -> DirtyBitmap {
        let blocks = pages.div_ceil(BLOCK_PAGES) as usize;
        DirtyBitmap {
            blocks: (0..blocks).map(|_| Block::Clean).collect(),
            live: vec![0; blocks.div_ceil(BITS as usize)],
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

    /// Pages of block `block` (the last one may be short).
    fn block_pages(&self, block: usize) -> u64 {
        (self.pages - block as u64 * BLOCK_PAGES).min(BLOCK_PAGES)
    }

    fn set_live(&mut self, block: usize, live: bool) {
        let (word, bit) = (block / BITS as usize, 1u64 << (block as u64 % BITS));
        if live {
            self.live[word] |= bit;
        } else {
            self.live[word] &= !bit;
        }
    }

    /// Marks pages `[start, end)` dirty; returns how many were clean before.
    pub fn mark(&mut self, start: u64, end: u64) -> u64 {
        let end = end.min(self.pages);
        let mut newly = 0;
        let mut page = start;
        while page < end {
            let block = (page / BLOCK_PAGES) as usize;
            let first = block as u64 * BLOCK_PAGES;
            let size = self.block_pages(block);
            let upto = end.min(first + size);
            let (from, to) = (page - first, upto - first);
            let added = match &mut self.blocks[block] {
                Block::Dirty => 0,
                whole @ Block::Clean if from == 0 && to == size => {
                    *whole = Block::Dirty;
                    size
                }
                Block::Mixed(mixed) if from == 0 && to == size => {
                    let added = size - mixed.dirty;
                    self.blocks[block] = Block::Dirty;
                    added
                }
                clean @ Block::Clean => {
                    let mut mixed = Mixed::filled(0);
                    let added = mixed.set(from, to);
                    *clean = Block::Mixed(mixed);
                    added
                }
                Block::Mixed(mixed) => {
                    let added = mixed.set(from, to);
                    if mixed.dirty == size {
                        self.blocks[block] = Block::Dirty;
                    }
                    added
                }
            };
            self.set_live(block, true);
            newly += added;
            page = upto;
        }
        self.dirty += newly;
        newly
    }

    /// The dirty bits of word `index`.
    pub fn word(&self, index: usize) -> u64 {
        match &self.blocks[index / BLOCK_WORDS] {
            Block::Clean => 0,
            Block::Dirty => {
                let first = index as u64 * BITS;
                let pages = (self.pages - first).min(BITS);
                if pages == BITS {
                    !0
                } else {
                    (1u64 << pages) - 1
                }
            }
            Block::Mixed(mixed) => mixed.words[index % BLOCK_WORDS],
        }
    }

    /// Clears `mask` (a subset of the word's dirty bits) in word `index`.
    pub fn clear(&mut self, index: usize, mask: u64) {
        debug_assert_eq!(self.word(index) & mask, mask, "only dirty pages are sent");
        if mask == 0 {
            return;
        }
        let block = index / BLOCK_WORDS;
        if matches!(self.blocks[block], Block::Dirty) {
            self.blocks[block] = Block::Mixed(Mixed::filled(self.block_pages(block)));
        }
        // A clean block has nothing to clear.
        let Block::Mixed(mixed) = &mut self.blocks[block] else {
            return;
        };
        let local = index % BLOCK_WORDS;
        let cleared = u64::from((mixed.words[local] & mask).count_ones());
        mixed.words[local] &= !mask;
        mixed.dirty -= cleared;
        self.dirty -= cleared;
        if mixed.words[local] == 0 {
            mixed.summary[local / BITS as usize] &= !(1 << (local as u64 % BITS));
        }
        if mixed.dirty == 0 {
            self.blocks[block] = Block::Clean;
            self.set_live(block, false);
        }
    }

    /// How many words from word `index` on are wholly dirty, counting at most `limit`.
    pub fn dirty_words_from(&self, index: usize, limit: usize) -> usize {
        let words = self.pages.div_ceil(BITS) as usize;
        let limit = limit.min(words.saturating_sub(index));
        let mut count = 0;
        while count < limit {
            let at = index + count;
            let block = at / BLOCK_WORDS;
            let block_end = (block + 1) * BLOCK_WORDS;
            match &self.blocks[block] {
                Block::Clean => break,
                Block::Dirty => count = (block_end - index).min(limit),
                Block::Mixed(mixed) => {
                    let local = at % BLOCK_WORDS;
                    let full = mixed.words[local..]
                        .iter()
                        .take(limit - count)
                        .take_while(|w| **w == !0)
                        .count();
                    count += full;
                    if local + full < BLOCK_WORDS {
                        break;
                    }
                }
            }
        }
        count
    }

    /// Clears words `[start, end)`, each of them wholly dirty (see [`Self::dirty_words_from`]).
    pub fn clear_words(&mut self, start: usize, end: usize) {
        let mut at = start;
        while at < end {
            let block = at / BLOCK_WORDS;
            let first_word = block * BLOCK_WORDS;
            let upto = end.min(first_word + BLOCK_WORDS);
            let size = self.block_pages(block);
            let whole = at == first_word && (upto - first_word) as u64 * BITS >= size;
            if whole {
                let cleared = match &self.blocks[block] {
                    Block::Clean => 0,
                    Block::Dirty => size,
                    Block::Mixed(mixed) => mixed.dirty,
                };
                self.dirty -= cleared;
                self.blocks[block] = Block::Clean;
                self.set_live(block, false);
                at = upto;
                continue;
            }
            if matches!(self.blocks[block], Block::Dirty) {
                self.blocks[block] = Block::Mixed(Mixed::filled(size));
            }
            if let Block::Mixed(mixed) = &mut self.blocks[block] {
                let (from, to) = ((at - first_word) as u64, (upto - first_word) as u64);
                let cleared = clear_bit_range(&mut mixed.words, from * BITS, to * BITS);
                clear_bit_range(&mut mixed.summary, from, to);
                mixed.dirty -= cleared;
                self.dirty -= cleared;
                if mixed.dirty == 0 {
                    self.blocks[block] = Block::Clean;
                    self.set_live(block, false);
                }
            }
            at = upto;
        }
    }

    /// The first dirty page at or after `page`, without wrapping.
    pub fn next_dirty(&self, page: u64) -> Option<u64> {
        if page >= self.pages {
            return None;
        }
        let block = (page / BLOCK_PAGES) as usize;
        if let Some(found) = self.next_in_block(block, page % BLOCK_PAGES) {
            return Some(found);
        }
        let next = self.next_live_block(block + 1)?;
        self.next_in_block(next as usize, 0)
    }

    /// The first block at or after `block` that is not clean.
    fn next_live_block(&self, block: usize) -> Option<u64> {
        let mut word = block / BITS as usize;
        if word >= self.live.len() {
            return None;
        }
        let mut bits = self.live[word] & (!0u64 << (block as u64 % BITS));
        loop {
            if bits != 0 {
                return Some(word as u64 * BITS + u64::from(bits.trailing_zeros()));
            }
            word += 1;
            if word >= self.live.len() {
                return None;
            }
            bits = self.live[word];
        }
    }

    fn next_in_block(&self, block: usize, offset: u64) -> Option<u64> {
        let first = block as u64 * BLOCK_PAGES;
        match &self.blocks[block] {
            Block::Clean => None,
            Block::Dirty => Some(first + offset),
            Block::Mixed(mixed) => {
                next_set(&mixed.words, &mixed.summary, offset).map(|found| first + found)
            }
        }
    }

    /// Number of dirty pages in `[start, end)`.
    pub fn count(&self, start: u64, end: u64) -> u64 {
        let end = end.min(self.pages);
        let mut total = 0;
        let mut page = start;
        while page < end {
            let block = (page / BLOCK_PAGES) as usize;
            let first = block as u64 * BLOCK_PAGES;
            let upto = end.min(first + BLOCK_PAGES);
            total += match &self.blocks[block] {
                Block::Clean => 0,
                Block::Dirty => upto - page,
                Block::Mixed(mixed) => count_bit_range(&mixed.words, page - first, upto - first),
            };
            page = upto;
        }
        total
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

    #[test]
    fn whole_blocks_cost_no_words_and_partial_ones_are_exact() {
        // Three blocks and a short fourth one of 100 pages.
        let pages = 3 * BLOCK_PAGES + 100;
        let mut map = DirtyBitmap::new(pages);
        assert_eq!(map.mark(0, pages), pages);
        assert!(map.blocks.iter().all(|b| matches!(b, Block::Dirty)));
        assert_eq!(map.word((pages / 64) as usize), (1 << (100 % 64)) - 1);
        assert_eq!(map.count(BLOCK_PAGES - 5, BLOCK_PAGES + 5), 10);
        // Sending a block word by word turns it clean again, not into words.
        for index in 0..BLOCK_WORDS {
            map.clear(index, map.word(index));
        }
        assert!(matches!(map.blocks[0], Block::Clean));
        assert_eq!(map.next_dirty(0), Some(BLOCK_PAGES));
        assert_eq!(map.dirty(), pages - BLOCK_PAGES);
        // A range across a block boundary, then the rest of both blocks.
        let mut map = DirtyBitmap::new(pages);
        assert_eq!(map.mark(BLOCK_PAGES - 3, BLOCK_PAGES + 3), 6);
        assert_eq!(map.next_dirty(0), Some(BLOCK_PAGES - 3));
        assert_eq!(map.next_dirty(BLOCK_PAGES - 1 + 1), Some(BLOCK_PAGES));
        assert_eq!(map.mark(0, 2 * BLOCK_PAGES), 2 * BLOCK_PAGES - 6);
        assert!(matches!(map.blocks[0], Block::Dirty) && matches!(map.blocks[1], Block::Dirty));
        assert_eq!(map.next_dirty(2 * BLOCK_PAGES), None);
    }

    #[test]
    fn a_16_tib_bitmap_is_megabytes() {
        let pages = (16u64 << 40) / 4096;
        let mut map = DirtyBitmap::new(pages);
        map.mark(0, pages);
        let bytes = map.blocks.len() * std::mem::size_of::<Block>() + map.live.len() * 8;
        assert!(bytes < 4 << 20, "{bytes} bytes");
        assert_eq!(map.next_dirty(pages - 1), Some(pages - 1));
        assert_eq!(map.count(0, pages), pages);
    }
}
