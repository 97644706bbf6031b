//! iSCSI names (RFC 3720 §3.2.6): validation with errors that name the wrong part, and the
//! check that a target's name belongs to the vendor of the box serving it.
//!
//! An `iqn.` name is `iqn.YYYY-MM.reversed.domain[:suffix]`: the year and month the naming
//! authority owned the domain, the domain reversed, then anything the authority likes. An
//! `eui.` name is `eui.` and 16 hex digits (an IEEE EUI-64). Names are at most 223 bytes and
//! `iqn.` names are lowercase (iSCSI's stringprep profile folds case, so tools store them
//! lowercase); RFC 3720 writes its EUI example in uppercase hex, so both cases pass there.

use std::fmt;

use crate::error::{Error, Result};

/// The longest iSCSI name, in bytes (RFC 3720 §3.2.6.1).
pub const MAX_NAME_BYTES: usize = 223;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "format", rename_all = "lowercase")]
pub enum Iqn {
    Iqn {
        name: String,
        year: u16,
        month: u8,
        /// The naming authority as written: a reversed domain such as `com.openfiler`.
        authority: String,
        /// What follows the first `:`, if anything.
        suffix: Option<String>,
    },
    Eui {
        name: String,
    },
}

impl Iqn {
    /// Parses and validates an iSCSI name.
    pub fn parse(text: &str) -> Result<Iqn> {
        let bad = |part: &str, reason: String, help: &str| Error::BadIqn {
            iqn: text.into(),
            part: part.into(),
            reason,
            help: help.into(),
        };
        if text.len() > MAX_NAME_BYTES {
            return Err(bad(
                "name",
                format!(
                    "is {} bytes long, the limit is {MAX_NAME_BYTES}",
                    text.len()
                ),
                "shorten the part after the `:`",
            ));
        }
        if let Some(c) = text.chars().find(|c| c.is_whitespace()) {
            return Err(bad(
                "name",
                format!("contains whitespace ({c:?})"),
                "iSCSI names have no spaces: join words with `-` or `.`",
            ));
        }
        if let Some(hex) = text.strip_prefix("eui.") {
            if hex.len() != 16 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad(
                    "EUI-64",
                    format!("`{hex}` is not 16 hex digits"),
                    "an eui. name is `eui.` followed by 16 hex digits, e.g. `eui.02004567a425678d`",
                ));
            }
            return Ok(Iqn::Eui { name: text.into() });
        }
        if text.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(bad(
                "name",
                "contains uppercase letters".into(),
                &format!(
                    "iSCSI names are case-folded to lowercase; write `{}`",
                    text.to_ascii_lowercase()
                ),
            ));
        }
        let Some(rest) = text.strip_prefix("iqn.") else {
            let prefix = text.split('.').next().unwrap_or(text);
            return Err(bad(
                "prefix",
                format!("`{prefix}` is not `iqn` or `eui`"),
                "write `iqn.YYYY-MM.reversed.domain:name`, e.g. `iqn.2006-01.com.openfiler:tsn.b5ffc134d692`",
            ));
        };
        let (head, suffix) = match rest.split_once(':') {
            Some((head, suffix)) => (head, Some(suffix)),
            None => (rest, None),
        };
        let (date, authority) = head.split_once('.').unwrap_or((head, ""));
        let (year, month) = parse_date(date).map_err(|reason| {
            bad(
                "date",
                reason,
                "the date is the year and month your organisation owned the domain, as YYYY-MM (e.g. `2006-01`)",
            )
        })?;
        check_authority(authority).map_err(|reason| {
            bad(
                "naming authority",
                reason,
                "after the date comes a domain you own, reversed: example.com becomes `com.example`",
            )
        })?;
        if let Some(suffix) = suffix {
            if suffix.is_empty() {
                return Err(bad(
                    "suffix",
                    "after `:` is empty".into(),
                    "write a name after the `:` (e.g. `:storage.disk1`), or drop the `:`",
                ));
            }
            if let Some(c) = suffix.chars().find(|c| {
                !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':')) && c.is_ascii()
            }) {
                return Err(bad(
                    "suffix",
                    format!("contains `{c}`"),
                    "the suffix may use letters, digits, `-`, `.` and `:`",
                ));
            }
        }
        Ok(Iqn::Iqn {
            name: text.into(),
            year,
            month,
            authority: authority.into(),
            suffix: suffix.map(str::to_string),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Iqn::Iqn { name, .. } | Iqn::Eui { name } => name,
        }
    }

    /// The reversed domain of an `iqn.` name.
    pub fn authority(&self) -> Option<&str> {
        match self {
            Iqn::Iqn { authority, .. } => Some(authority),
            Iqn::Eui { .. } => None,
        }
    }

    /// Whether the naming authority is `domain` (reversed, e.g. `com.thecus`) or one of its
    /// subdomains (`com.thecus.nas`).
    pub fn authority_within(&self, domain: &str) -> bool {
        self.authority().is_some_and(|authority| {
            authority == domain
                || authority
                    .strip_prefix(domain)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// Warns when an `iqn.` target name belongs to another vendor's domain than the box that
    /// serves it: the report's target `iqn.2006-01.com.openfiler:tsn.b5ffc134d692` is an
    /// Openfiler name on a Thecus NAS, pasted from elsewhere. Valid syntax, so a warning
    /// (severity is the caller's): a trainee comparing it with their own NAS will not find it.
    pub fn vendor_mismatch(&self, nas_model: &str, vendor_authority: &str) -> Option<Error> {
        let authority = self.authority()?;
        if self.authority_within(vendor_authority) {
            return None;
        }
        let owner = known_authority_owner(authority)
            .map(|owner| format!("{owner} (`{authority}`)"))
            .unwrap_or_else(|| format!("the domain `{authority}`"));
        Some(Error::IqnVendorMismatch {
            iqn: self.as_str().into(),
            authority_owner: owner,
            nas_model: nas_model.into(),
            help: format!(
                "a target's name comes from the box that serves it: a {nas_model}'s targets are named under `{vendor_authority}`; \
                 copy the name `iscsiadm -m discovery` prints for your NAS instead of one from another guide"
            ),
        })
    }
}

impl fmt::Display for Iqn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn parse_date(date: &str) -> std::result::Result<(u16, u8), String> {
    let shape_ok = date.len() == 7
        && date.as_bytes()[4] == b'-'
        && date
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    if !shape_ok {
        return Err(format!("`{date}` is not YYYY-MM"));
    }
    let year: u16 = date[..4]
        .parse()
        .map_err(|_| format!("`{date}` is not YYYY-MM"))?;
    let month: u8 = date[5..]
        .parse()
        .map_err(|_| format!("`{date}` is not YYYY-MM"))?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} in `{date}` is not 01..12"));
    }
    // Domain names exist since the mid-1980s; an older date cannot be an ownership date.
    if year < 1985 {
        return Err(format!("year {year} in `{date}` predates domain names"));
    }
    Ok((year, month))
}

fn check_authority(authority: &str) -> std::result::Result<(), String> {
    if authority.is_empty() {
        return Err("is missing".into());
    }
    let labels: Vec<&str> = authority.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "`{authority}` is a single label, not a reversed domain such as `com.{authority}`"
        ));
    }
    for label in &labels {
        if label.is_empty() {
            return Err(format!(
                "`{authority}` has an empty label (`..` or a trailing `.`)"
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("label `{label}` contains `{c}`"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label `{label}` starts or ends with `-`"));
        }
    }
    if labels[0].chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`{authority}` starts with `{}`: a top-level domain is never numeric (is the domain written forwards?)",
            labels[0]
        ));
    }
    Ok(())
}

/// Products whose default iSCSI names a trainee meets in guides.
fn known_authority_owner(authority: &str) -> Option<&'static str> {
    const OWNERS: [(&str, &str); 9] = [
        ("com.openfiler", "Openfiler"),
        ("com.thecus", "Thecus"),
        ("org.linux-iscsi", "Linux LIO (targetcli)"),
        (
            "com.redhat",
            "Red Hat (open-iscsi's default initiator names)",
        ),
        (
            "org.debian",
            "Debian (open-iscsi's default initiator names)",
        ),
        ("com.synology", "Synology"),
        ("com.qnap", "QNAP"),
        ("com.netapp", "NetApp"),
        ("com.microsoft", "Microsoft"),
    ];
    OWNERS
        .iter()
        .find(|(domain, _)| {
            authority == *domain
                || authority
                    .strip_prefix(domain)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|(_, owner)| *owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT_IQN: &str = "iqn.2006-01.com.openfiler:tsn.b5ffc134d692";

    fn part_of(text: &str) -> (String, String) {
        match Iqn::parse(text).unwrap_err() {
            Error::BadIqn { part, reason, .. } => (part, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_reports_iqn_is_valid_syntax() {
        let iqn = Iqn::parse(REPORT_IQN).unwrap();
        assert_eq!(
            iqn,
            Iqn::Iqn {
                name: REPORT_IQN.into(),
                year: 2006,
                month: 1,
                authority: "com.openfiler".into(),
                suffix: Some("tsn.b5ffc134d692".into()),
            }
        );
        assert!(Iqn::parse("iqn.1994-05.com.redhat:5a7b3c9e1f").is_ok());
        assert!(Iqn::parse("iqn.2003-01.org.linux-iscsi.sv1.x8664:sn.0123").is_ok());
        assert!(Iqn::parse("iqn.2001-04.com.example").is_ok());
        // RFC 3720's own EUI example is uppercase hex; iqn. names must be lowercase.
        assert!(Iqn::parse("eui.02004567A425678D").is_ok());
        assert_eq!(part_of("iqn.2006-01.com.Openfiler:x").0, "name");
    }

    #[test]
    fn errors_name_the_wrong_part() {
        assert_eq!(
            part_of("ign.2006-01.com.openfiler:x"),
            ("prefix".into(), "`ign` is not `iqn` or `eui`".into())
        );
        assert_eq!(
            part_of("iqn.2006-13.com.openfiler:x"),
            ("date".into(), "month 13 in `2006-13` is not 01..12".into())
        );
        assert_eq!(
            part_of("iqn.200601.com.openfiler:x"),
            ("date".into(), "`200601` is not YYYY-MM".into())
        );
        assert_eq!(
            part_of("iqn.2006-01.openfiler:x"),
            (
                "naming authority".into(),
                "`openfiler` is a single label, not a reversed domain such as `com.openfiler`"
                    .into()
            )
        );
        assert_eq!(
            part_of("iqn.2006-01.com..openfiler"),
            (
                "naming authority".into(),
                "`com..openfiler` has an empty label (`..` or a trailing `.`)".into()
            )
        );
        assert_eq!(
            part_of("iqn.2006-01.com.open_filer:x"),
            (
                "naming authority".into(),
                "label `open_filer` contains `_`".into()
            )
        );
        assert_eq!(
            part_of("iqn.2006-01.com.openfiler:"),
            ("suffix".into(), "after `:` is empty".into())
        );
        assert_eq!(
            part_of("iqn.2006-01.com.openfiler:a/b"),
            ("suffix".into(), "contains `/`".into())
        );
        assert_eq!(
            part_of("iqn.2006-01"),
            ("naming authority".into(), "is missing".into())
        );
        assert_eq!(
            part_of("eui.1234"),
            ("EUI-64".into(), "`1234` is not 16 hex digits".into())
        );
        assert_eq!(
            part_of("iqn.2006-01.com.x:a b"),
            ("name".into(), "contains whitespace (' ')".into())
        );
    }

    #[test]
    fn the_message_reads_whole() {
        let err = Iqn::parse("iqn.2006-13.com.openfiler:x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`iqn.2006-13.com.openfiler:x` is not a valid iSCSI name: the date month 13 in `2006-13` is not 01..12"
        );
        let long = format!("iqn.2006-01.com.example:{}", "a".repeat(200));
        assert_eq!(part_of(&long).0, "name");
    }

    #[test]
    fn an_openfiler_name_on_a_thecus_is_a_vendor_mismatch() {
        let iqn = Iqn::parse(REPORT_IQN).unwrap();
        let warning = iqn
            .vendor_mismatch("Thecus N7700PRO", "com.thecus")
            .unwrap();
        assert_eq!(warning.code_str(), "kvmlab::storage::iqn_vendor_mismatch");
        assert_eq!(
            warning.to_string(),
            "iSCSI name `iqn.2006-01.com.openfiler:tsn.b5ffc134d692` belongs to Openfiler (`com.openfiler`), but the target is served by a Thecus N7700PRO"
        );
        assert!(iqn
            .vendor_mismatch("Openfiler 2.3", "com.openfiler")
            .is_none());
        let own = Iqn::parse("iqn.2006-01.com.thecus.n7700:iscsi1").unwrap();
        assert!(own
            .vendor_mismatch("Thecus N7700PRO", "com.thecus")
            .is_none());
        let lookalike = Iqn::parse("iqn.2006-01.com.thecusfake:iscsi1").unwrap();
        assert!(lookalike
            .vendor_mismatch("Thecus N7700PRO", "com.thecus")
            .is_some());
    }
}
