//! "Did you mean …?" for names a trainee types: keys, NICs, package groups, files.

/// The candidate closest to `word`: an exact case-insensitive match first, then the nearest by
/// edit distance (a swap of two neighbours counts as one edit), if it is close enough to be a typo (at most a third of the word's length,
/// and at least one edit allowed).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let length = word.chars().count();
    let limit = (length / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        // Edit distance is at least the difference in length: skipping far-off lengths keeps
        // a huge word (a 1 MiB name) from costing its length times every candidate's.
        if length.abs_diff(candidate.chars().count()) > limit {
            continue;
        }
        let distance = strsim::osa_distance(&lower, &candidate.to_lowercase());
        let better = match best {
            None => true,
            Some((d, _)) => distance < d,
        };
        if distance <= limit && better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// A help line listing what exists, with the closest one first when there is one.
pub fn help_for(word: &str, what: &str, candidates: &[&str]) -> String {
    let list = candidates.join(", ");
    match closest(word, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? {what}: {list}"),
        None if candidates.is_empty() => format!("there are no {what}"),
        None => format!("{what}: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_word() {
        let keys = ["IPADDR", "NETMASK", "GATEWAY", "ONBOOT"];
        assert_eq!(closest("IPADR", keys), Some("IPADDR"));
        assert_eq!(closest("ipaddr", keys), Some("IPADDR"));
        assert_eq!(closest("GATWAY", keys), Some("GATEWAY"));
        assert_eq!(closest("HOSTNAME", keys), None);
        // A swapped pair of letters is one edit.
        assert_eq!(closest("NETMAKS", keys), Some("NETMASK"));
    }

    #[test]
    fn a_huge_word_is_compared_in_no_time() {
        let word = "A".repeat(1 << 20);
        let candidates: Vec<String> = (0..200).map(|i| format!("server{i}")).collect();
        let started = std::time::Instant::now();
        assert_eq!(closest(&word, candidates.iter().map(String::as_str)), None);
        // Comparing every candidate letter by letter takes minutes in a debug build.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn help_lists_candidates() {
        assert_eq!(
            help_for("eth3", "this host's NICs", &["eth0", "eth1"]),
            "did you mean `eth0`? this host's NICs: eth0, eth1"
        );
        assert_eq!(help_for("wlan0", "NICs", &[]), "there are no NICs");
    }
}
