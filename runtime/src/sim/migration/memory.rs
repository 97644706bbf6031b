//! What the guest's memory holds and how the guest rewrites it.
//!
//! [`PageLayout`] says, one `u64` mask per 64 pages, which pages hold data (sent as 4104 B on
//! the wire) and which are zero (9 B): the working set first, then the rest of the used
//! memory with the zeroed pages spread evenly through it, then the pages the guest never
//! touched, then the firmware blocks. It also maps the guest's write order onto physical
//! pages: the working set's 2 MiB pieces in a seeded shuffle.
//! [`GuestWriter`] is the guest itself: it writes one word per page, round-robin over its
//! working set (in its own order), so the pages it dirtied between two bitmap syncs are one
//! or two ranges of that order, which the layout turns into whole 2 MiB pieces of bitmap.

use super::{GuestMemory, FIRMWARE_PAGES, PAGE_SIZE};

const BITS: u64 = 64;

/// Which pages of the migrated RAM hold data, which are zeroed and which were never
/// touched. The masks of a word are worked out when asked (a few integer operations), so the
/// layout costs nothing per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLayout {
    pages: u64,
    ram_pages: u64,
    wss_pages: u64,
    /// Where the pages the guest never touched begin: they fill RAM from here to its end.
    untouched_from: u64,
    /// Zeroed pages, spread through the used memory past the working set.
    zeroed_pages: u64,
    /// The guest's write order: `chunk_order[i]` is the physical piece it writes i-th.
    chunk_order: Vec<u32>,
}

impl PageLayout {
    pub fn new(memory: &GuestMemory) -> PageLayout {
        let ram_pages = memory.size.div_ceil(PAGE_SIZE);
        let used_pages = memory.used.div_ceil(PAGE_SIZE).min(ram_pages);
        let wss_pages = memory.wss.div_ceil(PAGE_SIZE).min(used_pages);
        let untouched_pages = (memory.untouched / PAGE_SIZE).min(ram_pages - used_pages);
        let untouched_from = ram_pages - untouched_pages;
        PageLayout {
            pages: ram_pages + FIRMWARE_PAGES,
            ram_pages,
            wss_pages,
            untouched_from,
            zeroed_pages: untouched_from - used_pages,
            chunk_order: shuffled_chunks(wss_pages / CHUNK_PAGES, memory.layout_seed),
        }
    }

    /// Zeroed pages before `page`. The working set holds data throughout; the zeroed pages
    /// are spread evenly over the rest of the touched RAM, each word taking its proportional
    /// share (a Bresenham split).
    fn zeroed_before(&self, page: u64) -> u64 {
        let other = self.untouched_from - self.wss_pages;
        if other == 0 {
            return 0;
        }
        let past_wss = page.clamp(self.wss_pages, self.untouched_from) - self.wss_pages;
        match past_wss.checked_mul(self.zeroed_pages) {
            Some(product) => product / other,
            None => {
                (u128::from(past_wss) * u128::from(self.zeroed_pages) / u128::from(other)) as u64
            }
        }
    }

    /// The physical page of the guest's `page`-th working-set page (in its write order).
    /// Pieces are whole words, so a word of the write order is a word of physical memory.
    pub fn wss_physical(&self, page: u64) -> u64 {
        let chunk = page / CHUNK_PAGES;
        let base = match self.chunk_order.get(chunk as usize) {
            Some(&physical) => u64::from(physical) * CHUNK_PAGES,
            None => chunk * CHUNK_PAGES,
        };
        base + page % CHUNK_PAGES
    }

    /// Calls `f` with the physical page ranges of working-set pages `[start, end)` (in the
    /// guest's write order).
    pub fn wss_ranges(&self, start: u64, end: u64, mut f: impl FnMut(u64, u64)) {
        let mut page = start;
        while page < end {
            let upto = ((page / CHUNK_PAGES + 1) * CHUNK_PAGES).min(end);
            let physical = self.wss_physical(page);
            f(physical, physical + (upto - page));
            page = upto;
        }
    }

    /// All pages the migration carries: guest RAM plus the firmware blocks.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    pub fn wss_pages(&self) -> u64 {
        self.wss_pages
    }

    /// The data-holding pages of word `index`, as a bit mask: the working set, then the
    /// used pages of the word with its zeroed pages at its top, then none of the untouched
    /// pages, then the firmware.
    pub fn nonzero(&self, index: usize) -> u64 {
        let first = index as u64 * BITS;
        let last = (first + BITS).min(self.pages);
        let wss_end = self.wss_pages.clamp(first, last);
        if wss_end == last {
            return range_mask(first, first, last);
        }
        let touched_end = self.untouched_from.clamp(first, last);
        let zeroed = if self.zeroed_pages == 0 {
            0
        } else {
            self.zeroed_before(touched_end) - self.zeroed_before(wss_end)
        };
        range_mask(first, first, wss_end)
            | range_mask(first, wss_end, touched_end - zeroed)
            | range_mask(first, self.ram_pages.clamp(first, last), last)
    }

    /// The data pages and the never-touched pages before `page`, a word boundary (or the
    /// last page): what [`Self::nonzero`] and [`Self::untouched`] count over the words
    /// before it, without visiting them. Pages `[a, b)` hold the difference.
    pub fn before(&self, page: u64) -> (u64, u64) {
        let upto = |from: u64, to: u64| page.min(to).saturating_sub(from);
        let zeroed = if self.zeroed_pages == 0 {
            0
        } else {
            self.zeroed_before(page)
        };
        let data = upto(0, self.untouched_from) - zeroed + upto(self.ram_pages, self.pages);
        (data, upto(self.untouched_from, self.ram_pages))
    }

    /// The pages of word `index` the guest never touched, as a bit mask.
    pub fn untouched(&self, index: usize) -> u64 {
        let first = index as u64 * BITS;
        let last = (first + BITS).min(self.pages);
        range_mask(
            first,
            self.untouched_from.clamp(first, last),
            self.ram_pages.clamp(first, last),
        )
    }
}

/// The working set's pieces are 2 MiB, the size of a huge page.
const CHUNK_PAGES: u64 = 512;

/// A permutation of `0..chunks` drawn from `seed` (Fisher-Yates over SplitMix64): a guest's
/// virtual memory maps onto physical memory in an order unrelated to addresses.
fn shuffled_chunks(chunks: u64, seed: u64) -> Vec<u32> {
    let mut stream = crate::seeded::SplitMix64::new(seed);
    let mut order: Vec<u32> = (0..chunks as u32).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (stream.next_u64() % (i as u64 + 1)) as usize);
    }
    order
}

/// Bits for pages `[start, end)` within the word whose first page is `first`.
pub(super) fn range_mask(first: u64, start: u64, end: u64) -> u64 {
    if start >= end {
        return 0;
    }
    let (low, high) = (start - first, end - first);
    let upto = if high == BITS { !0 } else { (1u64 << high) - 1 };
    upto & (!0u64 << low)
}

/// The pages the guest wrote since the last bitmap sync: up to two ranges of its write order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirtyLog {
    pub ranges: [(u64, u64); 2],
}

/// The guest's writing loop: one word per page, round-robin over pages `[0, wss_pages)` of
/// its write order.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestWriter {
    wss_pages: u64,
    /// Unique pages per second at full CPU.
    pages_per_s: f64,
    /// Pages written since the migration began (fractional: writing is continuous).
    written: f64,
    /// Whole pages written at the last bitmap sync.
    logged: u64,
}

impl GuestWriter {
    pub fn new(wss_pages: u64, dirty_rate: f64) -> GuestWriter {
        GuestWriter {
            wss_pages,
            pages_per_s: pages_per_second(wss_pages, dirty_rate),
            written: 0.0,
            logged: 0,
        }
    }

    pub fn set_rate(&mut self, dirty_rate: f64) {
        self.pages_per_s = pages_per_second(self.wss_pages, dirty_rate);
    }

    pub fn pages_per_s(&self) -> f64 {
        self.pages_per_s
    }

    /// The guest runs for `ns` with `cpu_share` of its CPU.
    pub fn run(&mut self, ns: f64, cpu_share: f64) {
        self.written += self.pages_per_s * cpu_share * ns / 1e9;
    }

    /// The page the guest writes next.
    pub fn position(&self) -> u64 {
        if self.wss_pages == 0 {
            0
        } else {
            self.written as u64 % self.wss_pages
        }
    }

    /// Moves the guest's pointer on by `pages` touched pages (post-copy, where the guest's
    /// progress is counted in pages rather than in time).
    pub fn touched(&mut self, pages: u64) {
        self.written += pages as f64;
    }

    /// Whole pages written since the last sync: what the dirty log holds now.
    pub fn unlogged(&self) -> u64 {
        self.written as u64 - self.logged
    }

    /// Takes the dirty log: the pages written since the previous call.
    pub fn take_log(&mut self) -> DirtyLog {
        let now = self.written as u64;
        let count = now - self.logged;
        let start = if self.wss_pages == 0 {
            0
        } else {
            self.logged % self.wss_pages
        };
        self.logged = now;
        let mut log = DirtyLog::default();
        if count >= self.wss_pages {
            log.ranges[0] = (0, self.wss_pages);
        } else if start + count <= self.wss_pages {
            log.ranges[0] = (start, start + count);
        } else {
            log.ranges[0] = (start, self.wss_pages);
            log.ranges[1] = (0, start + count - self.wss_pages);
        }
        log
    }
}

fn pages_per_second(wss_pages: u64, dirty_rate: f64) -> f64 {
    if wss_pages == 0 {
        0.0
    } else {
        dirty_rate / PAGE_SIZE as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonzero_pages(layout: &PageLayout) -> u64 {
        (0..layout.pages().div_ceil(BITS) as usize)
            .map(|w| u64::from(layout.nonzero(w).count_ones()))
            .sum()
    }

    fn memory(size_mib: u64, used_mib: u64, wss_mib: u64) -> GuestMemory {
        GuestMemory::new(size_mib << 20, used_mib << 20, wss_mib << 20, 0.0)
    }

    #[test]
    fn layout_counts_data_pages_exactly() {
        let layout = PageLayout::new(&memory(512, 496, 128));
        assert_eq!(layout.pages(), 131_072 + FIRMWARE_PAGES);
        assert_eq!(nonzero_pages(&layout), 126_976 + FIRMWARE_PAGES);
        // The working set (words 0..512) holds data throughout.
        assert!((0..512).all(|w| layout.nonzero(w) == !0));
        // Past it, 4096 zero pages over 98304 pages: 2 or 3 at the top of each word.
        let zeros: Vec<u32> = (512..2048)
            .map(|w| layout.nonzero(w).count_zeros())
            .collect();
        assert!(zeros.iter().all(|z| (2..=3).contains(z)), "{zeros:?}");
        assert_eq!(zeros.iter().sum::<u32>(), 4096);
        assert_eq!(layout.nonzero(2047).leading_zeros(), zeros[1535]);
        // The firmware pages follow RAM and hold data.
        assert_eq!(layout.nonzero(2048), !0);
        assert_eq!(layout.nonzero(2049), (1 << 32) - 1);
    }

    #[test]
    fn the_write_order_visits_every_working_set_page_once() {
        // 65 whole 2 MiB pieces and a partial one of 100 pages.
        let wss_pages = 65 * 512 + 100;
        for seed in [0, 1, 99] {
            let layout = PageLayout::new(&GuestMemory {
                wss: wss_pages * PAGE_SIZE,
                layout_seed: seed,
                ..memory(512, 496, 0)
            });
            let mut seen = vec![false; wss_pages as usize];
            layout.wss_ranges(0, wss_pages, |a, b| {
                for page in a..b {
                    assert!(!std::mem::replace(&mut seen[page as usize], true));
                }
            });
            assert!(seen.iter().all(|&s| s));
            // The partial piece stays in place.
            assert_eq!(layout.wss_physical(65 * 512 + 7), 65 * 512 + 7);
        }
        let order = |seed| {
            let layout = PageLayout::new(&GuestMemory {
                layout_seed: seed,
                ..memory(512, 496, 128)
            });
            (0..64)
                .map(|c| layout.wss_physical(c * 512) / 512)
                .collect::<Vec<_>>()
        };
        assert_eq!(order(5), order(5));
        assert_ne!(order(5), order(6));
        assert_ne!(
            order(0),
            (0..64).collect::<Vec<_>>(),
            "virtual order is not physical"
        );
    }

    #[test]
    fn the_memory_never_touched_is_the_top_of_ram_and_the_zeroed_pages_stay_spread() {
        // fig. 19's 512 MiB guest: 256 MiB used, the rest never touched.
        let half = PageLayout::new(&GuestMemory {
            untouched: 256 << 20,
            ..memory(512, 256, 128)
        });
        assert_eq!(nonzero_pages(&half), 65_536 + FIRMWARE_PAGES);
        assert!((0..1024).all(|w| half.nonzero(w) == !0 && half.untouched(w) == 0));
        assert!((1024..2048).all(|w| half.nonzero(w) == 0 && half.untouched(w) == !0));
        assert_eq!(half.nonzero(2048), !0);
        assert_eq!(half.untouched(2048), 0);
        // 16 MiB free of which 8 never touched: 2048 zeroed pages spread past the working
        // set, then the untouched ones, ending on a word boundary.
        let mixed = PageLayout::new(&GuestMemory {
            untouched: 8 << 20,
            ..memory(512, 496, 128)
        });
        assert_eq!(nonzero_pages(&mixed), 126_976 + FIRMWARE_PAGES);
        let zeroed: u32 = (512..2016)
            .map(|w| (!mixed.nonzero(w) & !mixed.untouched(w)).count_ones())
            .sum();
        assert_eq!(zeroed, 2048);
        assert!((2016..2048).all(|w| mixed.untouched(w) == !0 && mixed.nonzero(w) == 0));
        assert!((0..2016).all(|w| mixed.untouched(w) == 0));
    }

    #[test]
    fn counts_before_a_word_agree_with_the_words_masks() {
        let guests = [
            memory(512, 496, 128),
            GuestMemory {
                untouched: 8 << 20,
                ..memory(512, 496, 128)
            },
            GuestMemory {
                untouched: 100 << 20,
                ..GuestMemory::new((300 << 20) + 3 * 4096, 150 << 20, 20 << 20, 0.0)
            },
        ];
        for memory in guests {
            let layout = PageLayout::new(&memory);
            let words = layout.pages().div_ceil(BITS) as usize;
            for (start, end) in [(0, words), (3, 517), (1000, words), (2040, 2049), (7, 8)] {
                let end = end.min(words);
                let (data_to, untouched_to) =
                    layout.before((end as u64 * BITS).min(layout.pages()));
                let (data_from, untouched_from) = layout.before(start as u64 * BITS);
                let (data, untouched) = (data_to - data_from, untouched_to - untouched_from);
                let by_word = |mask: fn(&PageLayout, usize) -> u64| -> u64 {
                    (start..end)
                        .map(|w| u64::from(mask(&layout, w).count_ones()))
                        .sum()
                };
                assert_eq!(data, by_word(PageLayout::nonzero), "{start}..{end}");
                assert_eq!(untouched, by_word(PageLayout::untouched), "{start}..{end}");
            }
        }
    }

    #[test]
    fn an_all_zero_guest_has_only_firmware_data() {
        let layout = PageLayout::new(&memory(1024, 0, 0));
        assert_eq!(nonzero_pages(&layout), FIRMWARE_PAGES);
        assert_eq!(layout.nonzero(0), 0);
    }

    #[test]
    fn the_dirty_log_wraps_round_robin() {
        let mut guest = GuestWriter::new(100, 4096.0 * 30.0);
        guest.run(1e9, 1.0);
        assert_eq!(guest.take_log().ranges, [(0, 30), (0, 0)]);
        guest.run(3e9, 1.0);
        assert_eq!(guest.take_log().ranges, [(30, 100), (0, 20)]);
        assert_eq!(guest.position(), 20);
        guest.run(10e9, 0.5);
        assert_eq!(guest.take_log().ranges, [(0, 100), (0, 0)]);
    }
}
