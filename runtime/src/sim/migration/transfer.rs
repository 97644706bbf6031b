//! Sending dirty pages in address order, a 64-page word at a time.
//!
//! A page costs its bytes on the wire at the link rate; while the guest is stopped, a data
//! page the migration has not sent before costs its first read instead when that is longer.
//! A zero page costs the time spent finding out that it is zero, little for a page the guest
//! never touched. Sending
//! stops as QEMU's rate limiter does: before a page, if the window's byte quota is already
//! exceeded (so the last page overshoots it), or if the window's time is used up.

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

/// The pages `bits` of word `index`, told apart: data pages (sent before, and first
/// sent: pages from `first_from` on), zeroed and untouched pages.
struct WordPages {
    resent: u64,
    first: u64,
    zeroed: u64,
    untouched: u64,
}

impl WordPages {
    fn of(layout: &PageLayout, index: usize, first_from: u64, bits: u64) -> WordPages {
        let word_start = index as u64 * BITS;
        let first = range_mask(
            word_start,
            first_from.clamp(word_start, word_start + BITS),
            word_start + BITS,
        );
        let data = layout.nonzero(index);
        let untouched = layout.untouched(index);
        WordPages {
            resent: bits & data & !first,
            first: bits & data & first,
            zeroed: bits & !data & !untouched,
            untouched: bits & !data & untouched,
        }
    }

    fn sent(&self, costs: &PageCosts) -> Sent {
        let count = |mask: u64| u64::from(mask.count_ones());
        let (resent, first, zeroed, untouched) = (
            count(self.resent),
            count(self.first),
            count(self.zeroed),
            count(self.untouched),
        );
        Sent {
            normal: resent + first,
            zero: zeroed + untouched,
            busy_ns: resent as f64 * costs.resent
                + first as f64 * costs.first
                + zeroed as f64 * costs.zeroed
                + untouched as f64 * costs.untouched,
        }
    }

    /// The pages of `self` that are in `mask`.
    fn only(&self, mask: u64) -> WordPages {
        WordPages {
            resent: self.resent & mask,
            first: self.first & mask,
            zeroed: self.zeroed & mask,
            untouched: self.untouched & mask,
        }
    }
}

/// Sends dirty pages from `cursor` on, wrapping at the end, until the budget is spent or no
/// dirty page is left; pages from `first_from` on have never been sent. Leaves `cursor`
/// after the last page sent.
pub fn send_pages(
    bitmap: &mut DirtyBitmap,
    layout: &PageLayout,
    cursor: &mut u64,
    first_from: u64,
    budget: Budget,
) -> Sent {
    let mut sent = Sent::default();
    if budget.link_rate <= 0.0 {
        return sent;
    }
    let costs = PageCosts::of(&budget);
    let spent = |s: &Sent| s.bytes() as f64 > budget.bytes || s.busy_ns >= budget.ns;
    while !bitmap.is_clean() && !spent(&sent) {
        let page = match bitmap.next_dirty(*cursor) {
            Some(page) => page,
            None => bitmap
                .next_dirty(0)
                .expect("a dirty bitmap has a dirty page"),
        };
        let index = (page / BITS) as usize;
        let bits = bitmap.word(index) & (!0u64 << (page % BITS));
        let pages = WordPages::of(layout, index, first_from, bits);
        let mut whole = sent;
        whole.add(pages.sent(&costs));
        if whole.bytes() as f64 <= budget.bytes && whole.busy_ns <= budget.ns {
            bitmap.clear(index, bits);
            sent = whole;
            *cursor = (index as u64 + 1) * BITS;
            continue;
        }
        // The budget runs out inside this word: page by page.
        let mut rest = bits;
        while rest != 0 && !spent(&sent) {
            let bit = rest & rest.wrapping_neg();
            sent.add(pages.only(bit).sent(&costs));
            bitmap.clear(index, bit);
            rest &= !bit;
            *cursor = index as u64 * BITS + u64::from(bit.trailing_zeros()) + 1;
        }
    }
    if *cursor >= bitmap.pages() {
        *cursor = 0;
    }
    sent
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
}
