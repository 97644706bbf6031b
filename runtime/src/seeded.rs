//! Seeded randomness: SplitMix64 (Steele, Lea and Flood, 2014), the one generator the lab
//! draws from. The same seed gives the same stream on every machine, so runs repeat to the
//! byte; real guests' generated files use the same stream, so both sides know their bytes.

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A draw in [0, 1), from the top 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A seed mixed from `seed` and the words of what is drawn for (a host, a target, a time),
/// so each draw of a lab has a stream of its own that nothing else moves.
pub fn seed_for(seed: u64, words: &[&str]) -> u64 {
    let mut mixed = SplitMix64::new(seed);
    let mut state = mixed.next_u64();
    for word in words {
        for byte in word.bytes().chain([0xff]) {
            state = SplitMix64::new(state ^ u64::from(byte)).next_u64();
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_splitmix64s_published_one() {
        let mut stream = SplitMix64::new(0);
        assert_eq!(stream.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(stream.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn draws_for_different_words_differ_and_repeat() {
        assert_eq!(seed_for(7, &["sv1", "sv2"]), seed_for(7, &["sv1", "sv2"]));
        assert_ne!(seed_for(7, &["sv1", "sv2"]), seed_for(7, &["sv1sv2"]));
        assert_ne!(seed_for(7, &["sv1"]), seed_for(8, &["sv1"]));
        let mut stream = SplitMix64::new(3);
        let mean = (0..10_000).map(|_| stream.unit()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }
}
