//! The one error vocabulary of kvmlab.
//!
//! Every failure a trainee can meet (a script mistake, a sandbox limit, a world rule such as
//! "KVM needs AMD-V enabled") is a variant of [`Error`]. Each variant carries a stable code
//! `kvmlab::area::what`, a message that says what is wrong and a `help:` that says how to fix
//! it. Codes are part of kvmlab's interface: graders and `expect_error` match on them, so a
//! code, once published, never changes meaning.
//!
//! Variants are grouped by area; an area's variants keep to that area's code prefix.

use miette::Diagnostic;
use thiserror::Error;

/// Whether a diagnostic stops the lab (error) or is only reported (warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum Error {
    // ── script: the Rhai text itself ───────────────────────────────────────────────────────
    #[error("syntax error: {message}")]
    #[diagnostic(code(kvmlab::script::syntax), help("{help}"))]
    Syntax { message: String, help: String },

    #[error("`eval` is not available in kvmlab labs")]
    #[diagnostic(
        code(kvmlab::script::eval_disabled),
        help("write the code directly instead of building it as a string; scripts are sandboxed")
    )]
    EvalDisabled,

    #[error("unknown function `{signature}`")]
    #[diagnostic(code(kvmlab::script::unknown_function), help("{help}"))]
    UnknownFunction { signature: String, help: String },

    #[error("unknown property `{property}` on {type_name}")]
    #[diagnostic(code(kvmlab::script::unknown_property), help("{help}"))]
    UnknownProperty {
        property: String,
        type_name: String,
        help: String,
    },

    #[error("unknown variable `{name}`")]
    #[diagnostic(code(kvmlab::script::unknown_variable), help("{help}"))]
    UnknownVariable { name: String, help: String },

    #[error("type mismatch: expected {expected}, found {found}")]
    #[diagnostic(
        code(kvmlab::script::type_mismatch),
        help("convert the value first, e.g. `x.to_string()`, `x.to_int()` or `x.to_float()`")
    )]
    TypeMismatch { expected: String, found: String },

    #[error("{message}")]
    #[diagnostic(code(kvmlab::script::index), help("{help}"))]
    Index { message: String, help: String },

    #[error("arithmetic error: {message}")]
    #[diagnostic(
        code(kvmlab::script::arithmetic),
        help("check the operands: division by zero and integer overflow stop the lab")
    )]
    Arithmetic { message: String },

    #[error("{message}")]
    #[diagnostic(
        code(kvmlab::script::thrown),
        help("the script threw this value itself")
    )]
    Thrown { message: String },

    #[error("{message}")]
    #[diagnostic(code(kvmlab::script::runtime), help("{help}"))]
    Runtime { message: String, help: String },

    #[error("the file is not UTF-8 text (invalid byte 0x{byte:02x})")]
    #[diagnostic(
        code(kvmlab::script::not_text),
        help(
            "labs are Rhai source text: save the file as UTF-8, or check you passed the right file"
        )
    )]
    NotText { byte: u8 },

    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code(kvmlab::script::unreadable),
        help("check the path; labs are run as `kvmlab run labs/NAME.rhai`")
    )]
    Unreadable { path: String, reason: String },

    // ── import: module resolution ──────────────────────────────────────────────────────────
    #[error("module `{path}` not found")]
    #[diagnostic(code(kvmlab::import::not_found), help("{help}"))]
    ModuleNotFound { path: String, help: String },

    #[error("import of `{path}` is not allowed: {reason}")]
    #[diagnostic(
        code(kvmlab::import::forbidden),
        help("import a stdlib module (`import \"kvmlab/NAME\"`) or a `.rhai` file beside the lab, by a relative path without `..`")
    )]
    ImportForbidden { path: String, reason: String },

    // ── sandbox: limits that protect graders and trainees from runaway scripts ─────────────
    #[error("operation budget exceeded ({limit} operations): an endless loop?")]
    #[diagnostic(
        code(kvmlab::sandbox::operations),
        help("check the loop's exit condition; labs finish in far fewer operations")
    )]
    OperationBudget { limit: u64 },

    #[error("call depth limit exceeded ({limit} nested calls): runaway recursion?")]
    #[diagnostic(
        code(kvmlab::sandbox::call_depth),
        help("give the recursive function a base case that is reached, or use a loop")
    )]
    CallDepth { limit: usize },

    #[error("expression nested too deeply")]
    #[diagnostic(
        code(kvmlab::sandbox::expression_depth),
        help("split the expression into several statements with named intermediate values")
    )]
    ExpressionDepth,

    #[error("{what} too large: the limit is {limit}")]
    #[diagnostic(
        code(kvmlab::sandbox::data_size),
        help("labs never need data this large: check the loop that builds it")
    )]
    DataTooLarge { what: String, limit: usize },

    #[error("too many {what}: the limit is {limit}")]
    #[diagnostic(
        code(kvmlab::sandbox::too_many),
        help("labs never need this many: check the loop that creates them")
    )]
    TooMany { what: String, limit: usize },

    #[error("wall-clock limit of {seconds} s exceeded")]
    #[diagnostic(
        code(kvmlab::sandbox::wall_time),
        help("the script ran too long in real time; simulated time is free, loops are not")
    )]
    WallTime { seconds: u64 },

    // ── lab: the lab primitives ────────────────────────────────────────────────────────────
    #[error("cannot sleep for {seconds} s")]
    #[diagnostic(
        code(kvmlab::lab::bad_duration),
        help("durations are zero or positive seconds, e.g. `sleep(1.5)`")
    )]
    BadDuration { seconds: f64 },

    #[error("`{key}` cannot be recorded: {reason}")]
    #[diagnostic(code(kvmlab::lab::bad_record), help("{help}"))]
    BadRecord {
        key: String,
        reason: String,
        help: String,
    },

    #[error("cannot write artifact `{path}`: {reason}")]
    #[diagnostic(
        code(kvmlab::lab::artifact),
        help("artifacts are written under the run's output directory (`--out`); check it is writable")
    )]
    Artifact { path: String, reason: String },

    // ── spec: keyword-style arguments such as `host("sv1", #{cores: 4})` ──────────────────
    #[error("unknown key `{key}` in {what}")]
    #[diagnostic(code(kvmlab::spec::unknown_key), help("{help}"))]
    UnknownKey {
        key: String,
        what: String,
        help: String,
    },

    #[error("missing key `{key}` in {what}")]
    #[diagnostic(code(kvmlab::spec::missing_key), help("{help}"))]
    MissingKey {
        key: String,
        what: String,
        help: String,
    },

    #[error("`{key}` in {what} must be {expected}, found {found}")]
    #[diagnostic(code(kvmlab::spec::wrong_type), help("{help}"))]
    WrongType {
        key: String,
        what: String,
        expected: String,
        found: String,
        help: String,
    },

    #[error("`{key}` in {what}: {reason}")]
    #[diagnostic(code(kvmlab::spec::bad_value), help("{help}"))]
    BadValue {
        key: String,
        what: String,
        reason: String,
        help: String,
    },

    // ── migrate: live migration (the engine's own rules; host and storage checks live elsewhere) ──
    #[error("migration parameter `{parameter}` = {value}: {reason}")]
    #[diagnostic(
        code(kvmlab::migrate::bad_parameter),
        help("e.g. bandwidth \"64M/s\" (or unlimited), downtime limit 300 ms, timeout 60 s; rates and times are positive numbers")
    )]
    MigrateBadParameter {
        parameter: String,
        value: String,
        reason: String,
    },

    #[error("guest memory does not add up: size {size} B, used {used} B, working set {wss} B")]
    #[diagnostic(
        code(kvmlab::migrate::bad_memory),
        help("the working set is part of the used memory, which is part of the guest's RAM: size > 0 and size >= used >= wss")
    )]
    MigrateBadMemory { size: u64, used: u64, wss: u64 },

    #[error("post-copy needs a live migration")]
    #[diagnostic(
        code(kvmlab::migrate::postcopy_needs_live),
        help("add `--live` (live: true), or drop the post-copy request; a paused guest has nothing to gain from post-copy")
    )]
    MigratePostcopyNeedsLive,

    #[error("{feature} is not available in {profile}")]
    #[diagnostic(
        code(kvmlab::migrate::unsupported),
        help("post-copy arrived in QEMU 2.5 and auto-converge in QEMU 1.6; use the modern profile to try them")
    )]
    MigrateUnsupported { feature: String, profile: String },

    #[error("cannot abort a migration in post-copy mode")]
    #[diagnostic(
        code(kvmlab::migrate::abort_in_postcopy),
        help("after the switch the guest runs on the destination and its memory is split between the hosts: let the migration finish")
    )]
    MigrateAbortInPostcopy,

    #[error("no migration is in progress")]
    #[diagnostic(
        code(kvmlab::migrate::not_active),
        help("the migration has already finished; check its outcome instead")
    )]
    MigrateNotActive,

    #[error("the migration did not converge in {seconds} s ({remaining} bytes still dirty)")]
    #[diagnostic(
        code(kvmlab::migrate::no_convergence),
        help("the guest dirties memory as fast as it is sent: raise the bandwidth or the downtime limit, enable auto-converge, or set a timeout with --timeout-suspend / --timeout-postcopy")
    )]
    MigrateNoConvergence { seconds: f64, remaining: u64 },

    // ── units: sizes and rates ─────────────────────────────────────────────────────────────
    #[error("`{text}` is not a size")]
    #[diagnostic(
        code(kvmlab::units::size),
        help("write bytes as an integer, or a number with a unit: \"512M\", \"20G\", \"1.5TiB\", \"100GB\" (K/M/G/T are binary)")
    )]
    BadSize { text: String },

    #[error("`{text}` is not a rate")]
    #[diagnostic(
        code(kvmlab::units::rate),
        help("write a rate as \"64M/s\" (MiB/s), \"100Mbit/s\" or \"1Gbit/s\", or bytes per second as a number")
    )]
    BadRate { text: String },
}

impl Error {
    /// The stable code, e.g. `kvmlab::sandbox::operations`.
    pub fn code_str(&self) -> String {
        self.code().map(|c| c.to_string()).unwrap_or_default()
    }

    /// The help line, if the variant has one.
    pub fn help_str(&self) -> Option<String> {
        self.help().map(|h| h.to_string()).filter(|h| !h.is_empty())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_area_scheme() {
        let samples = [
            Error::EvalDisabled,
            Error::OperationBudget { limit: 1 },
            Error::BadSize { text: "x".into() },
            Error::BadDuration { seconds: -1.0 },
        ];
        for e in samples {
            let code = e.code_str();
            let parts: Vec<_> = code.split("::").collect();
            assert_eq!(parts.len(), 3, "{code}");
            assert_eq!(parts[0], "kvmlab");
            assert!(e.help_str().is_some(), "{code} has no help");
        }
    }

    #[test]
    fn help_interpolates_fields() {
        let e = Error::UnknownKey {
            key: "coers".into(),
            what: "host spec".into(),
            help: "did you mean `cores`?".into(),
        };
        assert_eq!(e.to_string(), "unknown key `coers` in host spec");
        assert_eq!(e.help_str().unwrap(), "did you mean `cores`?");
        assert_eq!(e.code_str(), "kvmlab::spec::unknown_key");
    }
}
