//! Sending dirty pages in address order, a 64-page word at a time.
//!
//! A page costs its bytes on the wire at the link rate, and a zero page also costs the time
//! spent finding out that it is zero. Sending stops as QEMU's rate limiter does: before a
//! page, if the window's byte quota is already exceeded (so the last page overshoots it), or
//! if the window's time is used up.

use super::bitmap::DirtyBitmap;
use super::memory::PageLayout;
use super::{NORMAL_PAGE_WIRE, ZERO_PAGE_SCAN_NS, ZERO_PAGE_WIRE};

const BITS: u64 = 64;

/// What one call sent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sent {
    pub normal: u64,
    pub zero: u64,
    /// Time the sender was busy: bytes at the link rate plus zero-page scanning.
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
}

impl Budget {
    fn normal_ns(&self) -> f64 {
        NORMAL_PAGE_WIRE as f64 * 1e9 / self.link_rate
    }

    fn zero_ns(&self) -> f64 {
        ZERO_PAGE_SCAN_NS + ZERO_PAGE_WIRE as f64 * 1e9 / self.link_rate
    }
}

/// Sends dirty pages from `cursor` on, wrapping at the end, until the budget is spent or no
/// dirty page is left. Leaves `cursor` after the last page sent.
pub fn send_pages(
    bitmap: &mut DirtyBitmap,
    layout: &PageLayout,
    cursor: &mut u64,
    budget: Budget,
) -> Sent {
    let mut sent = Sent::default();
    if budget.link_rate <= 0.0 {
        return sent;
    }
    let (normal_ns, zero_ns) = (budget.normal_ns(), budget.zero_ns());
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
        let data = layout.nonzero(index);
        let (normal, zero) = (
            u64::from((bits & data).count_ones()),
            u64::from((bits & !data).count_ones()),
        );
        let whole = Sent {
            normal: sent.normal + normal,
            zero: sent.zero + zero,
            busy_ns: sent.busy_ns + normal as f64 * normal_ns + zero as f64 * zero_ns,
        };
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
            if bit & data != 0 {
                sent.normal += 1;
                sent.busy_ns += normal_ns;
            } else {
                sent.zero += 1;
                sent.busy_ns += zero_ns;
            }
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
        };
        let sent = send_pages(&mut bitmap, &layout, &mut cursor, budget);
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
        };
        let sent = send_pages(&mut bitmap, &layout, &mut cursor, budget);
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
        };
        let sent = send_pages(&mut bitmap, &layout, &mut cursor, budget);
        assert_eq!(sent.pages(), 256 + super::super::FIRMWARE_PAGES);
        assert!(bitmap.is_clean());
    }
}
