//! `/etc/hosts` as glibc's `files` backend reads it, plus the lint a trainee needs.
//!
//! glibc's rules: everything from the first `#` on a line is a comment; fields are separated
//! by C whitespace (space, tab, CR, VT, FF); the first field must be an IPv4 or IPv6 address
//! (`inet_pton`), or glibc skips the line silently; the second field is the canonical name,
//! the rest are aliases; names match case-insensitively. With `multi on` (the default in
//! RHEL 6's /etc/host.conf) a lookup collects every matching line: the first matching line
//! gives the canonical name and the first address (the one `ping` uses), later lines add
//! addresses and names. An IPv4 lookup also takes `::1` (as 127.0.0.1) and IPv4-mapped IPv6
//! lines, as glibc does.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use super::Finding;
use crate::error::Error;

/// Where the file lives.
pub const HOSTS_PATH: &str = "/etc/hosts";

/// The address family of a lookup: `gethostbyname2(name, AF_INET)` or `AF_INET6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    V4,
    V6,
}

/// One line glibc uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostsEntry {
    /// 1-based line number in the file.
    pub line: usize,
    pub address: IpAddr,
    /// The second field; empty when the line has only an address.
    pub canonical: String,
    pub aliases: Vec<String>,
}

impl HostsEntry {
    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.canonical.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    fn matches(&self, name: &str) -> bool {
        self.names().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The address as an IPv4 lookup returns it, if this line takes part in one.
    fn v4_address(&self) -> Option<Ipv4Addr> {
        match self.address {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(a) if a.is_loopback() => Some(Ipv4Addr::LOCALHOST),
            IpAddr::V6(a) => a.to_ipv4_mapped(),
        }
    }
}

/// The answer to a lookup, as `gethostbyname2` returns it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostLookup {
    /// The canonical name of the first matching line.
    pub canonical: String,
    /// Aliases, merged over all matching lines in glibc's order.
    pub aliases: Vec<String>,
    /// One address per matching line, in file order; the first is the one programs use.
    pub addresses: Vec<IpAddr>,
    /// The 1-based lines that matched, in file order.
    pub lines: Vec<usize>,
}

/// A parsed `/etc/hosts`: the lines glibc uses and what is wrong with the others.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HostsFile {
    pub entries: Vec<HostsEntry>,
    pub findings: Vec<Finding>,
}

/// glibc splits fields on C `isspace`, which includes vertical tab (Rust's ASCII whitespace
/// does not).
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

fn parse_ip(field: &str) -> Option<IpAddr> {
    IpAddr::from_str(field).ok()
}

impl HostsFile {
    /// Parses the text; never fails: problems become [`HostsFile::findings`].
    pub fn parse(text: &str) -> HostsFile {
        let mut entries: Vec<HostsEntry> = Vec::new();
        let mut findings = Vec::new();
        let mut first_v4 = FirstLines::default();
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            // C string functions stop at NUL; everything from `#` is a comment.
            let content = raw.split('\0').next().unwrap_or("");
            let content = content.split('#').next().unwrap_or("");
            let fields: Vec<&str> = content
                .split(is_c_space)
                .filter(|f| !f.is_empty())
                .collect();
            let Some((first, names)) = fields.split_first() else {
                continue;
            };
            match parse_ip(first) {
                Some(address) if names.is_empty() => {
                    findings.push(Finding::warning(
                        HOSTS_PATH,
                        Some(line),
                        Error::HostsMissingName {
                            line,
                            address: address.to_string(),
                        },
                    ));
                    entries.push(HostsEntry {
                        line,
                        address,
                        canonical: String::new(),
                        aliases: Vec::new(),
                    });
                }
                Some(address) => {
                    let entry = HostsEntry {
                        line,
                        address,
                        canonical: names[0].to_string(),
                        aliases: names[1..].iter().map(|s| s.to_string()).collect(),
                    };
                    findings.extend(first_v4.shadowing(&entry));
                    entries.push(entry);
                }
                None => findings.push(lint_unusable_line(line, &fields)),
            }
        }
        HostsFile { entries, findings }
    }

    /// What `gethostbyname2(name, family)` answers from this file, or `None` when no line
    /// matches. Numeric names are not special here; see [`HostsFile::resolve_v4`].
    pub fn lookup(&self, name: &str, family: Family) -> Option<HostLookup> {
        let mut result: Option<HostLookup> = None;
        for entry in &self.entries {
            let address = match family {
                Family::V4 => entry.v4_address().map(IpAddr::V4),
                Family::V6 => Some(entry.address).filter(IpAddr::is_ipv6),
            };
            let Some(address) = address else { continue };
            if !entry.matches(name) {
                continue;
            }
            match &mut result {
                None => {
                    result = Some(HostLookup {
                        canonical: entry.canonical.clone(),
                        aliases: entry.aliases.clone(),
                        addresses: vec![address],
                        lines: vec![entry.line],
                    })
                }
                Some(found) => {
                    // glibc appends the later line's aliases, then its canonical name unless
                    // it is byte-for-byte the first line's.
                    found.aliases.extend(entry.aliases.iter().cloned());
                    if entry.canonical != found.canonical {
                        found.aliases.push(entry.canonical.clone());
                    }
                    found.addresses.push(address);
                    found.lines.push(entry.line);
                }
            }
        }
        result
    }

    /// The IPv4 address `ping NAME` would use: a dotted quad stands for itself (glibc does not
    /// consult the file for it), anything else is looked up; the first matching line wins.
    /// Returns the address and the line it came from (`None` for a numeric name).
    pub fn resolve_v4(&self, name: &str) -> Option<(Ipv4Addr, Option<usize>)> {
        if let Ok(address) = Ipv4Addr::from_str(name) {
            return Some((address, None));
        }
        let found = self.lookup(name, Family::V4)?;
        match found.addresses.first() {
            Some(IpAddr::V4(a)) => Some((*a, found.lines.first().copied())),
            _ => None,
        }
    }

    /// What `gethostbyaddr` answers from this file for `address`: the canonical name of the
    /// first line that has it.
    pub fn name_of(&self, address: Ipv4Addr) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.v4_address() == Some(address) && !e.canonical.is_empty())
            .map(|e| e.canonical.as_str())
    }

    /// Why `name` does not resolve, from what the file says about it: the finding of a
    /// reversed or unusable line that mentions it, if any.
    pub fn finding_naming(&self, name: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| match &f.error {
            Error::HostsReversed { text, .. } => text
                .split(is_c_space)
                .any(|field| field.eq_ignore_ascii_case(name)),
            _ => false,
        })
    }

    /// Whether some line names `name` with an IPv6 address only.
    pub fn names_only_ipv6(&self, name: &str) -> bool {
        self.lookup(name, Family::V4).is_none() && self.lookup(name, Family::V6).is_some()
    }
}

/// A line whose first field is not an address: reversed if an address follows, else junk.
fn lint_unusable_line(line: usize, fields: &[&str]) -> Finding {
    let address_at = fields.iter().position(|f| parse_ip(f).is_some());
    match address_at {
        Some(at) => {
            let mut corrected = vec![fields[at]];
            corrected.extend(
                fields
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != at)
                    .map(|(_, f)| *f),
            );
            Finding::error(
                HOSTS_PATH,
                Some(line),
                Error::HostsReversed {
                    line,
                    text: fields.join(" "),
                    corrected: corrected.join(" "),
                },
            )
        }
        None => Finding::warning(
            HOSTS_PATH,
            Some(line),
            Error::HostsBadAddress {
                line,
                field: fields[0].to_string(),
            },
        ),
    }
}

/// The first IPv4 line of each name so far, by its ASCII-lowercased name (glibc matches
/// names case-insensitively): one lookup per name keeps parsing linear in the file's size.
#[derive(Default)]
struct FirstLines(std::collections::HashMap<String, (usize, Ipv4Addr)>);

impl FirstLines {
    /// The findings of a line whose names an earlier line already gives another address,
    /// and the line's names noted for the lines after it.
    fn shadowing(&mut self, entry: &HostsEntry) -> Vec<Finding> {
        let Some(address) = entry.v4_address() else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        for name in entry.names() {
            let key = name.to_ascii_lowercase();
            match self.0.get(&key) {
                Some(&(first_line, first_address)) if first_address != address => {
                    findings.push(Finding::warning(
                        HOSTS_PATH,
                        Some(entry.line),
                        Error::HostsShadowed {
                            line: entry.line,
                            name: name.to_string(),
                            address: address.to_string(),
                            first_line,
                            first_address: first_address.to_string(),
                        },
                    ));
                }
                Some(_) => {}
                None => {
                    self.0.insert(key, (entry.line, address));
                }
            }
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRESH: &str = "127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n::1         localhost localhost.localdomain localhost6 localhost6.localdomain6\n";

    fn v4(text: &str, name: &str) -> Option<String> {
        HostsFile::parse(text)
            .resolve_v4(name)
            .map(|(a, _)| a.to_string())
    }

    #[test]
    fn the_reports_lines_are_reversed_and_do_not_resolve() {
        let text = format!(
            "{FRESH}iscsi1 10.10.1.10\nsv1 192.168.1.11\nsv2 192.168.1.12\nsv10 10.10.1.11\nsv20 10.10.1.12\n"
        );
        let hosts = HostsFile::parse(&text);
        let reversed: Vec<(Option<usize>, String, String)> = hosts
            .findings
            .iter()
            .map(|f| (f.line, f.code(), f.error.help_str().unwrap()))
            .collect();
        assert_eq!(reversed.len(), 5);
        assert_eq!(
            reversed[1],
            (
                Some(4),
                "kvmlab::net::hosts_reversed".to_string(),
                "the address comes first, then the names: `192.168.1.11 sv1`".to_string()
            )
        );
        assert_eq!(reversed[4].0, Some(7));
        assert!(hosts
            .findings
            .iter()
            .all(|f| f.severity == crate::Severity::Error));
        assert_eq!(hosts.resolve_v4("sv2"), None);
        assert_eq!(
            hosts.finding_naming("SV2").and_then(|f| f.line),
            Some(5),
            "the reason names the reversed line"
        );
        assert_eq!(v4(&text, "localhost").as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn corrected_lines_resolve_case_insensitively() {
        let text = format!(
            "{FRESH}192.168.1.11 sv1 sv1.lab\n192.168.1.12\tsv2 # second server\n10.10.1.12 sv20\n"
        );
        let hosts = HostsFile::parse(&text);
        assert!(hosts.findings.is_empty(), "{:?}", hosts.findings);
        assert_eq!(
            hosts.resolve_v4("SV1.LAB"),
            Some((Ipv4Addr::new(192, 168, 1, 11), Some(3)))
        );
        assert_eq!(v4(&text, "sv2").as_deref(), Some("192.168.1.12"));
        assert_eq!(v4(&text, "second"), None, "a comment is not a name");
        assert_eq!(v4(&text, "10.10.1.99").as_deref(), Some("10.10.1.99"));
    }

    #[test]
    fn first_matching_line_wins_and_later_lines_add_addresses() {
        let text = "10.0.0.1 a b\n10.0.0.2 B c\n::1 c\n";
        let hosts = HostsFile::parse(text);
        let b = hosts.lookup("b", Family::V4).unwrap();
        assert_eq!(b.canonical, "a");
        assert_eq!(b.aliases, ["b", "c", "B"]);
        assert_eq!(b.lines, [1, 2]);
        assert_eq!(b.addresses[0].to_string(), "10.0.0.1");
        let c = hosts.lookup("c", Family::V4).unwrap();
        assert_eq!(c.addresses.len(), 2);
        assert_eq!(
            c.addresses[1].to_string(),
            "127.0.0.1",
            "::1 maps to loopback"
        );
        assert_eq!(hosts.lookup("c", Family::V6).unwrap().lines, [3]);
        let shadowed: Vec<(Option<usize>, String)> =
            hosts.findings.iter().map(|f| (f.line, f.code())).collect();
        assert_eq!(
            shadowed,
            [
                (Some(2), "kvmlab::net::hosts_shadowed".to_string()),
                (Some(3), "kvmlab::net::hosts_shadowed".to_string()),
            ]
        );
        assert_eq!(
            hosts.findings[1].error.to_string(),
            "/etc/hosts line 3: `c` → 127.0.0.1 never wins: line 2 maps `c` to 10.0.0.2 first"
        );
    }

    #[test]
    fn malformed_lines_are_findings_never_panics() {
        let text = "192.168.1.300 sv1\n10.0.0.5\n\n   # only a comment\nfoo bar baz\n\u{0} 1.2.3.4 x\n1.2.3.4\x0bvt\r\n";
        let hosts = HostsFile::parse(text);
        let codes: Vec<(Option<usize>, String)> =
            hosts.findings.iter().map(|f| (f.line, f.code())).collect();
        assert_eq!(
            codes,
            [
                (Some(1), "kvmlab::net::hosts_bad_address".to_string()),
                (Some(2), "kvmlab::net::hosts_missing_name".to_string()),
                (Some(5), "kvmlab::net::hosts_bad_address".to_string()),
            ]
        );
        assert_eq!(v4(text, "vt").as_deref(), Some("1.2.3.4"));
        assert_eq!(v4(text, "x"), None, "text after NUL is not read");
        for junk in [
            "",
            "#",
            "\n\n\n",
            "::",
            "a#b c",
            "\u{feff}1.2.3.4 bom",
            "1.2.3.4 \u{e9}t\u{e9}",
        ] {
            let _ = HostsFile::parse(junk).lookup("a", Family::V4);
        }
    }
}
