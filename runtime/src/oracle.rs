//! Support for oracle tests, which compare kvmlab's answers with real tools (glibc, parted,
//! mke2fs, findmnt, libvirt's schema). CI installs the tools and sets
//! `KVMLAB_REQUIRE_ORACLES=1`, so there a missing tool fails the test instead of skipping it.

/// Called when an oracle tool cannot run: skips the comparison with a note, or fails when
/// the environment requires oracles.
pub fn unavailable(tool: &str, reason: &str) {
    if std::env::var("KVMLAB_REQUIRE_ORACLES").is_ok_and(|v| v == "1") {
        panic!("oracle `{tool}` is required (KVMLAB_REQUIRE_ORACLES=1) but cannot run: {reason}");
    }
    eprintln!("note: oracle `{tool}` cannot run here ({reason}); comparison skipped");
}
