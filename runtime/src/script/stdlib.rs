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
