//! Sending dirty pages in address order: runs of wholly dirty 64-page words at once, other
//! words a word at a time, with the same outcome as sending page by page.
//!
//! A page costs its bytes on the wire at the link rate; while the guest is stopped, a data
//! page the migration has not sent before costs its first read instead when that is longer.
//! A zero page costs the time spent finding out that it is zero, little for a page the guest
//! never touched. Sending stops as QEMU's rate limiter does: before a page, if the window's
//! byte quota is already exceeded (so the last page overshoots it), or if the window's time
//! is used up.

use super::bitmap::DirtyBitmap;
use super::memory::{range_mask, PageLayout};
use super::{NORMAL_PAGE_WIRE, UNTOUCHED_SCAN_NS, ZERO_PAGE_SCAN_NS, ZERO_PAGE_WIRE};

const BITS: u64 = 64;

/// What one call sent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sent {
    pub normal: u64,
    pub zero: u64,
    /// Time the sender was busy: bytes at the link rate, first reads and zero-page scanning.
    pub busy_ns: f64,
}

impl Sent {
    pub fn bytes(&self) -> u64 {
        self.normal * NORMAL_PAGE_WIRE + self.zero * ZERO_PAGE_WIRE
    }

    pub fn pages(&self) -> u64 {
        self.normal + self.zero
    }

    pub fn add(&mut self, other: Sent) {
        self.normal += other.normal;
        self.zero += other.zero;
        self.busy_ns += other.busy_ns;
    }
}

/// The limits of one call: bytes (QEMU's quota; may be infinite) and time.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub bytes: f64,
    pub ns: f64,
    /// Bytes per second the link carries for us.
    pub link_rate: f64,
    /// What reading a data page never sent before takes, overlapping the wire.
    pub first_read_ns: f64,
}

/// What each kind of page costs the sender on a given link.
struct PageCosts {
    /// A data page sent before.
    resent: f64,
    /// A data page sent for the first time: its read and the wire overlap.
    first: f64,
    zeroed: f64,
    untouched: f64,
}

impl PageCosts {
    fn of(budget: &Budget) -> PageCosts {
        let normal_wire = NORMAL_PAGE_WIRE as f64 * 1e9 / budget.link_rate;
        let zero_wire = ZERO_PAGE_WIRE as f64 * 1e9 / budget.link_rate;
        PageCosts {
            resent: normal_wire,
            first: normal_wire.max(budget.first_read_ns),
            zeroed: ZERO_PAGE_SCAN_NS + zero_wire,
            untouched: UNTOUCHED_SCAN_NS + zero_wire,
        }
    }
}

/// Pages sent so far in one call, by kind; their time is worked out from the counts, so a
/// run of words counted at once costs what the same words counted one by one do.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    resent: u64,
    first: u64,
    zeroed: u64,
    untouched: u64,
}

impl Tally {
    fn add(self, other: Tally) -> Tally {
        Tally {
            resent: self.resent + other.resent,
            first: self.first + other.first,
            zeroed: self.zeroed + other.zeroed,
            untouched: self.untouched + other.untouched,
        }
    }

    fn sent(&self, costs: &PageCosts) -> Sent {
        Sent {
            normal: self.resent + self.first,
            zero: self.zeroed + self.untouched,
            busy_ns: self.resent as f64 * costs.resent
                + self.first as f64 * costs.first
                + self.zeroed as f64 * costs.zeroed
                + self.untouched as f64 * costs.untouched,
        }
    }

    /// Whether sending this much stays within the budget (the last page may overshoot it).
    fn fits(&self, costs: &PageCosts, budget: &Budget) -> bool {
        let sent = self.sent(costs);
        sent.bytes() as f64 <= budget.bytes && sent.busy_ns <= budget.ns
    }

    fn spent(&self, costs: &PageCosts, budget: &Budget) -> bool {
        let sent = self.sent(costs);
        sent.bytes() as f64 > budget.bytes || sent.busy_ns >= budget.ns
    }

    /// Every page from page `from` (a word boundary, with `before` the layout's counts
    /// there) to the end of word `end - 1`, all on one side of `first_from`.
    fn of_run(
        layout: &PageLayout,
        from: u64,
        before: (u64, u64),
        end: usize,
        first_from: u64,
    ) -> Tally {
        let to = (end as u64 * BITS).min(layout.pages());
        let (data_to, untouched_to) = layout.before(to);
        let (data, untouched) = (data_to - before.0, untouched_to - before.1);
        let zeroed = (to - from) - data - untouched;
        let (resent, first) = if from >= first_from {
            (0, data)
        } else {
            (data, 0)
        };
        Tally {
            resent,
            first,
            zeroed,
            untouched,
        }
    }
}

/// The kinds of the pages of one word, as masks, worked out once per word from the layout.
struct WordKinds {
    data: u64,
    untouched: u64,
    /// Pages the migration has never sent.
    first: u64,
}

impl WordKinds {
    /// Word `index`; pages from `first_from` on have never been sent.
    fn of(layout: &PageLayout, index: usize, first_from: u64) -> WordKinds {
        let word_start = index as u64 * BITS;
        WordKinds {
            data: layout.nonzero(index),
            untouched: layout.untouched(index),
            first: range_mask(
                word_start,
                first_from.clamp(word_start, word_start + BITS),
                word_start + BITS,
            ),
        }
    }

    /// The pages `bits` of the word, counted by kind.
    fn tally(&self, bits: u64) -> Tally {
        let count = |mask: u64| u64::from(mask.count_ones());
        Tally {
            resent: count(bits & self.data & !self.first),
            first: count(bits & self.data & self.first),
            zeroed: count(bits & !self.data & !self.untouched),
            untouched: count(bits & !self.data & self.untouched),
        }
    }
}

/// Sends dirty pages from `cursor` on, wrapping at the end, until the budget is spent or no
/// dirty page is left; pages from `first_from` on have never been sent. Leaves `cursor`
/// after the last page sent. A run of wholly dirty words is counted at once from the
/// layout, and as many of its words are taken as the budget allows.
pub fn send_pages(
    bitmap: &mut DirtyBitmap,
    layout: &PageLayout,
    cursor: &mut u64,
    first_from: u64,
    budget: Budget,
) -> Sent {
    let mut tally = Tally::default();
    if budget.link_rate <= 0.0 {
        return Sent::default();
    }
    let costs = PageCosts::of(&budget);
    while !bitmap.is_clean() && !tally.spent(&costs, &budget) {
        let page = match bitmap.next_dirty(*cursor) {
            Some(page) => page,
            None => bitmap
                .next_dirty(0)
                .expect("a dirty bitmap has a dirty page"),
        };
        let index = (page / BITS) as usize;
        if page % BITS == 0 {
            let taken = take_dirty_run(
                bitmap, layout, index, first_from, &costs, &budget, &mut tally,
            );
            if taken > 0 {
                *cursor = (index + taken) as u64 * BITS;
                continue;
            }
        }
        let bits = bitmap.word(index) & (!0u64 << (page % BITS));
        let kinds = WordKinds::of(layout, index, first_from);
        let whole = tally.add(kinds.tally(bits));
        if whole.fits(&costs, &budget) {
            bitmap.clear(index, bits);
            tally = whole;
            *cursor = (index as u64 + 1) * BITS;
            continue;
        }
        // The budget runs out inside this word: the pages up to the one that spends it go.
        // Not fitting means spent, so the bit after which it is spent is found by halving.
        let below = |upto: u64| bits & range_mask(0, 0, upto);
        let spends = |upto: u64| tally.add(kinds.tally(below(upto))).spent(&costs, &budget);
        let (mut fits, mut spent) = (0, BITS);
        while spent - fits > 1 {
            let mid = (fits + spent) / 2;
            if spends(mid) {
                spent = mid;
            } else {
                fits = mid;
            }
        }
        let taken = below(spent);
        tally = tally.add(kinds.tally(taken));
        bitmap.clear(index, taken);
        *cursor = index as u64 * BITS + spent;
    }
    if *cursor >= bitmap.pages() {
        *cursor = 0;
    }
    tally.sent(&costs)
}

/// Takes the longest run of wholly dirty words from word `index` that fits the budget,
/// without crossing the word where never-sent pages begin; returns how many it took.
fn take_dirty_run(
    bitmap: &mut DirtyBitmap,
    layout: &PageLayout,
    index: usize,
    first_from: u64,
    costs: &PageCosts,
    budget: &Budget,
    tally: &mut Tally,
) -> usize {
    let boundary = (first_from / BITS) as usize;
    let limit = if index < boundary {
        boundary - index
    } else if index == boundary && first_from % BITS != 0 {
        return 0;
    } else {
        usize::MAX
    };
    let from = index as u64 * BITS;
    let before = layout.before(from);
    let with = |words: usize| {
        tally.add(Tally::of_run(
            layout,
            from,
            before,
            index + words,
            first_from,
        ))
    };
    // Galloping: the words looked at stay within twice what is taken, so a window that
    // takes a few words of a long run does not walk the run.
    let (mut fits, mut over) = (0, None);
    let mut step = 1;
    while fits < limit {
        let want = step.min(limit - fits);
        let dirty = bitmap.dirty_words_from(index + fits, want);
        if dirty == 0 {
            break;
        }
        if !with(fits + dirty).fits(costs, budget) {
            over = Some(fits + dirty);
            break;
        }
        fits += dirty;
        if dirty < want {
            break;
        }
        step *= 2;
    }
    if let Some(mut over) = over {
        // What fits is a prefix of the run: the longest one, between the two.
        while over - fits > 1 {
            let mid = fits + (over - fits) / 2;
            if with(mid).fits(costs, budget) {
                fits = mid;
            } else {
                over = mid;
            }
        }
    }
    let taken = fits;
    if taken > 0 {
        *tally = with(taken);
        bitmap.clear_words(index, index + taken);
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::super::GuestMemory;
    use super::*;

    fn setup(size: u64, used: u64) -> (DirtyBitmap, PageLayout) {
        let layout = PageLayout::new(&GuestMemory::new(size, used, 0, 0.0));
        let mut bitmap = DirtyBitmap::new(layout.pages());
        bitmap.mark(0, layout.pages());
        (bitmap, layout)
    }

    #[test]
    fn the_quota_is_overshot_by_one_page_as_in_qemu() {
        let (mut bitmap, layout) = setup(64 << 20, 64 << 20);
        let mut cursor = 0;
        let budget = Budget {
            bytes: 10.0 * NORMAL_PAGE_WIRE as f64 + 1.0,
            ns: f64::INFINITY,
            link_rate: 1e9,
            first_read_ns: 0.0,
        };
        let sent = send_pages(&mut bitmap, &layout, &mut cursor, u64::MAX, budget);
        assert_eq!(sent.normal, 11);
        assert_eq!(sent.zero, 0);
        assert_eq!(cursor, 11);
        assert_eq!(bitmap.dirty(), layout.pages() - 11);
        assert!((sent.busy_ns - 11.0 * 4104.0).abs() < 1e-6);
    }

    #[test]
    fn zero_pages_cost_nine_bytes_and_scanning_time() {
        let (mut bitmap, layout) = setup(1 << 30, 0);
        let mut cursor = 0;
        let budget = Budget {
            bytes: f64::INFINITY,
            ns: f64::INFINITY,
            link_rate: 1.25e9,
            first_read_ns: 0.0,
        };
        let sent = send_pages(&mut bitmap, &layout, &mut cursor, u64::MAX, budget);
        assert_eq!(sent.zero, 262_144);
        assert_eq!(sent.normal, super::super::FIRMWARE_PAGES);
        assert_eq!(
            sent.bytes(),
            262_144 * 9 + super::super::FIRMWARE_PAGES * 4104
        );
        assert!(bitmap.is_clean());
        assert_eq!(cursor, 0, "a finished pass leaves the cursor wrapped");
    }

    #[test]
    fn sending_wraps_around_to_earlier_dirty_pages() {
        let (mut bitmap, layout) = setup(1 << 20, 1 << 20);
        let mut cursor = 200;
        let budget = Budget {
            bytes: f64::INFINITY,
            ns: f64::INFINITY,
            link_rate: 1e9,
            first_read_ns: 0.0,
        };
        let sent = send_pages(&mut bitmap, &layout, &mut cursor, u64::MAX, budget);
        assert_eq!(sent.pages(), 256 + super::super::FIRMWARE_PAGES);
        assert!(bitmap.is_clean());
    }

    /// The sender's rules applied one page at a time, to check the runs against.
    fn send_page_by_page(
        bitmap: &mut DirtyBitmap,
        layout: &PageLayout,
        cursor: &mut u64,
        first_from: u64,
        budget: Budget,
    ) -> Sent {
        let costs = PageCosts::of(&budget);
        let mut tally = Tally::default();
        while !bitmap.is_clean() && !tally.spent(&costs, &budget) {
            let page = bitmap
                .next_dirty(*cursor)
                .or_else(|| bitmap.next_dirty(0))
                .unwrap();
            let (index, bit) = ((page / BITS) as usize, 1u64 << (page % BITS));
            tally = tally.add(WordKinds::of(layout, index, first_from).tally(bit));
            bitmap.clear(index, bit);
            *cursor = page + 1;
        }
        if *cursor >= bitmap.pages() {
            *cursor = 0;
        }
        tally.sent(&costs)
    }

    #[test]
    fn runs_of_dirty_words_are_sent_as_their_pages_one_by_one_would_be() {
        let guests = [
            GuestMemory::new(64 << 20, 48 << 20, 8 << 20, 0.0),
            GuestMemory {
                untouched: 20 << 20,
                ..GuestMemory::new(300 << 20, 200 << 20, 64 << 20, 0.0)
            },
            // Not a whole number of words, nor of bitmap blocks.
            GuestMemory::new((129 << 20) + 5 * 4096, 100 << 20, 0, 0.0),
        ];
        for memory in guests {
            let layout = PageLayout::new(&memory);
            for (quota_pages, first_from) in [(7.5, u64::MAX), (3000.3, 20_000), (1e9, 4_100)] {
                let budget = Budget {
                    bytes: quota_pages * NORMAL_PAGE_WIRE as f64,
                    ns: 2e6,
                    link_rate: 1.25e9,
                    first_read_ns: 7_600.0,
                };
                let mut runs = DirtyBitmap::new(layout.pages());
                runs.mark(0, layout.pages());
                // A few holes, so that runs end inside blocks.
                for hole in [100, 5_000, layout.pages() - 70] {
                    runs.clear((hole / BITS) as usize, 1 << (hole % BITS));
                }
                let mut pages = runs.clone();
                let (mut at_runs, mut at_pages) = (0, 0);
                for _ in 0..40 {
                    let a = send_pages(&mut runs, &layout, &mut at_runs, first_from, budget);
                    let b =
                        send_page_by_page(&mut pages, &layout, &mut at_pages, first_from, budget);
                    assert_eq!((a.normal, a.zero), (b.normal, b.zero));
                    assert!((a.busy_ns - b.busy_ns).abs() < 1e-6, "{a:?} {b:?}");
                    assert_eq!(at_runs, at_pages);
                    assert_eq!(runs, pages);
                }
            }
        }
    }
}
