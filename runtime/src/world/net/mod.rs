//! Networking as a RHEL 6 host sees it: IPv4 subnet arithmetic ([`ip`]), `/etc/hosts`
//! ([`hosts_file`]), and the shell-variable config files of initscripts ([`shell`],
//! [`ifcfg`]).
//!
//! Parsers never fail on text: what is wrong in a file comes back as [`Finding`]s, each with
//! the file, the 1-based line and a severity, so the script layer can point both at the
//! script line that wrote the file and at the line inside it.

pub mod hosts_file;
pub mod ifcfg;
pub mod ip;
pub mod shell;

/// TCP payload per Ethernet frame on the wire: 1448 of 1538 bytes (1500 MTU, timestamps).
pub const TCP_GOODPUT: f64 = 1448.0 / 1538.0;

use serde::ser::SerializeStruct;

use crate::error::{Error, Severity};

/// One problem found in a config file, or while applying it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    /// The file the problem is in, e.g. `/etc/sysconfig/network-scripts/ifcfg-eth1`.
    pub file: String,
    /// 1-based line in `file`; `None` when the problem belongs to the file as a whole.
    pub line: Option<usize>,
    pub severity: Severity,
    #[serde(serialize_with = "serialize_diagnostic")]
    pub error: Error,
}

impl Finding {
    pub fn error(file: &str, line: Option<usize>, error: Error) -> Finding {
        Finding {
            file: file.into(),
            line,
            severity: Severity::Error,
            error,
        }
    }

    pub fn warning(file: &str, line: Option<usize>, error: Error) -> Finding {
        Finding {
            file: file.into(),
            line,
            severity: Severity::Warning,
            error,
        }
    }

    /// The diagnostic's stable code, e.g. `kvmlab::net::gateway_off_link`.
    pub fn code(&self) -> String {
        self.error.code_str()
    }
}

/// Serializes a diagnostic as `{code, message, help}` for reports.
pub fn serialize_diagnostic<S: serde::Serializer>(
    error: &Error,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut s = serializer.serialize_struct("Diagnostic", 3)?;
    s.serialize_field("code", &error.code_str())?;
    s.serialize_field("message", &error.to_string())?;
    s.serialize_field("help", &error.help_str())?;
    s.end()
}

/// [`serialize_diagnostic`] for an optional diagnostic.
pub fn serialize_optional_diagnostic<S: serde::Serializer>(
    error: &Option<Error>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match error {
        Some(e) => serialize_diagnostic(e, serializer),
        None => serializer.serialize_none(),
    }
}
