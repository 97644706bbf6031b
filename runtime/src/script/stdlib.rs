//! The stdlib: Rhai modules shipped inside the binary, imported as `"kvmlab/NAME"`.
//!
//! Their text lives in the top-level `stdlib/` folder, so labs and the book can show it.

const MODULES: &[(&str, &str)] = &[
    ("checks", include_str!("../../../stdlib/checks.rhai")),
    ("hosts", include_str!("../../../stdlib/hosts.rhai")),
    ("report", include_str!("../../../stdlib/report.rhai")),
    ("storage", include_str!("../../../stdlib/storage.rhai")),
];

/// The source of stdlib module `name`, if it exists.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}

/// Whether the stdlib module shown as `file` (`kvmlab/NAME`) raises warning `code` on purpose:
/// its `//!` doc names the code in backquotes, so the module's reader knows it is coming.
pub fn raises_on_purpose(file: &str, code: &str) -> bool {
    let Some(text) = file
        .strip_prefix(super::modules::STDLIB_PREFIX)
        .and_then(source)
    else {
        return false;
    };
    let quoted = format!("`{code}`");
    text.lines()
        .map_while(|line| line.strip_prefix("//!"))
        .any(|doc| doc.contains(&quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_warnings_are_raised_on_purpose() {
        let code = "kvmlab::storage::shared_non_cluster_fs";
        assert!(raises_on_purpose("kvmlab/storage", code));
        assert!(!raises_on_purpose("kvmlab/hosts", code));
        assert!(!raises_on_purpose("lab.rhai", code));
        assert!(!raises_on_purpose("kvmlab/storage", "kvmlab::storage"));
    }
}
