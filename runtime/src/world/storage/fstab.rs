//! `/etc/fstab` read the way util-linux's libmount reads it (what `mount -a` and `findmnt
//! --tab-file` see), each malformed line a diagnostic with its line number.
//!
//! A line is blank, a comment (`#` as its first non-blank character), or an entry of fields
//! separated by blanks: source, mount point, type, then optional options, dump frequency and
//! fsck pass (both default 0); libmount ignores anything after the sixth field. `\ooo`
//! octal escapes stand for characters a field cannot hold (`\040` is a space). A `#` later
//! in a line does not start a comment: as the fifth field it is a malformed number.
//!
//! At boot, entries without `_netdev` are mounted before the network (and so before the
//! iSCSI login): an iSCSI disk in such an entry does not exist yet and the mount fails.

use crate::error::{Error, Result};

/// Where the file lives.
pub const FSTAB_PATH: &str = "/etc/fstab";

/// File system types that are network file systems by themselves (mount and the boot
/// scripts defer them without `_netdev`).
const NETWORK_FSTYPES: [&str; 14] = [
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "ncpfs",
    "sshfs",
    "glusterfs",
    "ceph",
    "afs",
    "9p",
    "gfs",
    "gfs2",
    "ocfs2",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FstabEntry {
    /// 1-based line number in the file.
    pub line: usize,
    pub source: String,
    pub target: String,
    pub fstype: String,
    /// The options field as written, if present (libmount reports none when it is absent).
    pub options: Option<String>,
    pub freq: i32,
    pub passno: i32,
}

/// How an entry names its device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Source {
    Path(String),
    Uuid(String),
    Label(String),
    PartUuid(String),
    PartLabel(String),
    /// `none`, `tmpfs`, `server:/export`…
    Other(String),
}

/// The parsed file: entries in file order and a diagnostic for each line that is not one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fstab {
    pub entries: Vec<FstabEntry>,
    #[serde(skip)]
    pub errors: Vec<Error>,
}

impl Fstab {
    pub fn parse(text: &str) -> Fstab {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            match parse_line(index + 1, raw) {
                Ok(Some(entry)) => entries.push(entry),
                Ok(None) => {}
                Err(error) => errors.push(error),
            }
        }
        Fstab { entries, errors }
    }
}

fn parse_line(line: usize, raw: &str) -> Result<Option<FstabEntry>> {
    let trimmed = raw.trim_start_matches([' ', '\t']);
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = trimmed
        .split([' ', '\t'])
        .filter(|f| !f.is_empty())
        .collect();
    if fields.len() < 3 {
        return Err(Error::FstabSyntax {
            line,
            reason: format!(
                "{} field{}; an entry needs at least 3 (device, mount point, type)",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ),
            help: "write `DEVICE MOUNTPOINT TYPE OPTIONS DUMP PASS`, e.g. `UUID=<the UUID mkfs printed> /iscsi1 ext3 _netdev 0 0`; start a comment line with `#`".into(),
        });
    }
    let number = |position: usize, what: &str| -> Result<i32> {
        let Some(text) = fields.get(position) else {
            return Ok(0);
        };
        parse_number(text).ok_or_else(|| {
            let hint = if text.starts_with('#') {
                "; `#` starts a comment only at the beginning of a line"
            } else {
                ""
            };
            Error::FstabSyntax {
                line,
                reason: format!("field {} ({what}) `{text}` is not a number{hint}", position + 1),
                help: "the 5th and 6th fields are small integers, usually `0 0` (dump: 0 or 1; fsck pass: 0 = never, 1 = root, 2 = others)".into(),
            }
        })
    };
    let freq = number(4, "dump frequency")?;
    let passno = number(5, "fsck pass")?;
    Ok(Some(FstabEntry {
        line,
        source: unescape(fields[0]),
        target: unescape(fields[1]),
        fstype: unescape(fields[2]),
        options: fields.get(3).map(|o| unescape(o)),
        freq,
        passno,
    }))
}

/// An optional sign and decimal digits, within `i32` (libmount wraps larger values; kvmlab
/// refuses them).
fn parse_number(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// Replaces `\ooo` octal escapes; any other backslash stays as written.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = |b: u8| (b'0'..=b'7').contains(&b);
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let digits = &bytes[i + 1..i + 4];
            if digits.iter().all(|b| octal(*b)) {
                let value = digits.iter().fold(0u32, |v, b| v * 8 + u32::from(b - b'0'));
                out.push(value as u8);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FstabEntry {
    /// The options, split at commas (empty when the field is absent).
    pub fn option_list(&self) -> Vec<&str> {
        self.options
            .as_deref()
            .map(|o| o.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// Whether option `name` is present, bare or as `name=value`.
    pub fn has_option(&self, name: &str) -> bool {
        self.option_list().iter().any(|o| {
            *o == name
                || o.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('='))
        })
    }

    pub fn source_kind(&self) -> Source {
        let tagged = |prefix: &str| {
            self.source
                .strip_prefix(prefix)
                .map(|v| v.trim_matches('"').to_string())
        };
        if let Some(v) = tagged("UUID=") {
            Source::Uuid(v)
        } else if let Some(v) = tagged("LABEL=") {
            Source::Label(v)
        } else if let Some(v) = tagged("PARTUUID=") {
            Source::PartUuid(v)
        } else if let Some(v) = tagged("PARTLABEL=") {
            Source::PartLabel(v)
        } else if self.source.starts_with('/') {
            Source::Path(self.source.clone())
        } else {
            Source::Other(self.source.clone())
        }
    }

    /// Whether the type is a network file system, which boot defers by itself.
    pub fn is_network_fstype(&self) -> bool {
        NETWORK_FSTYPES.contains(&self.fstype.as_str())
    }

    /// The boot-time failure of an entry on network storage without `_netdev`.
    /// `on_network_block_device` is the caller's answer to "is the source (once UUID= or
    /// LABEL= is resolved) a disk that only exists after the network is up", e.g. an iSCSI
    /// LUN.
    pub fn check_netdev(&self, on_network_block_device: bool) -> Option<Error> {
        if !on_network_block_device || self.is_network_fstype() || self.has_option("_netdev") {
            return None;
        }
        Some(Error::NetdevMissing {
            line: self.line,
            source_spec: self.source.clone(),
            target: self.target.clone(),
            fstype: self.fstype.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT_LINE: &str = "/dev/sda1 /iscsi1 ext3 _netdev 0 0";

    #[test]
    fn the_reports_last_line() {
        let fstab = Fstab::parse(&format!("# /etc/fstab\n\n{REPORT_LINE}\n"));
        assert!(fstab.errors.is_empty());
        assert_eq!(
            fstab.entries,
            [FstabEntry {
                line: 3,
                source: "/dev/sda1".into(),
                target: "/iscsi1".into(),
                fstype: "ext3".into(),
                options: Some("_netdev".into()),
                freq: 0,
                passno: 0,
            }]
        );
        assert!(fstab.entries[0].has_option("_netdev"));
        assert_eq!(fstab.entries[0].check_netdev(true), None);
    }

    #[test]
    fn an_iscsi_entry_without_netdev_fails_at_boot() {
        let fstab = Fstab::parse("/dev/sda1 /iscsi1 ext3 defaults 0 0\n");
        let entry = &fstab.entries[0];
        let err = entry.check_netdev(true).unwrap();
        assert_eq!(err.code_str(), "kvmlab::storage::netdev_missing");
        assert_eq!(
            err.to_string(),
            "/etc/fstab line 1: /dev/sda1 on /iscsi1 is network storage but the entry lacks `_netdev`"
        );
        assert!(err
            .help_str()
            .unwrap()
            .contains("`/dev/sda1 /iscsi1 ext3 _netdev 0 0`"));
        assert_eq!(entry.check_netdev(false), None);
        let nfs = &Fstab::parse("nas:/export /mnt nfs defaults 0 0").entries[0];
        assert_eq!(nfs.check_netdev(true), None);
    }

    #[test]
    fn defaults_escapes_and_tags() {
        let text = "UUID=1234-abcd  /data\\040dir  ext4  defaults,noatime  1  2\n\
                    LABEL=root / xfs defaults\n  /dev/sdb1\t/mnt/x ext3\n\
                    /dev/h\\134x /h\\011t ext3 a\\040b 0 0\n/dev/j /j\\x ext3 defaults +1 08 extra\n";
        let fstab = Fstab::parse(text);
        assert!(fstab.errors.is_empty(), "{:?}", fstab.errors);
        let e = &fstab.entries;
        assert_eq!(e[0].target, "/data dir");
        assert_eq!(e[0].source_kind(), Source::Uuid("1234-abcd".into()));
        assert_eq!((e[0].freq, e[0].passno), (1, 2));
        assert_eq!(e[0].option_list(), ["defaults", "noatime"]);
        assert_eq!(e[1].source_kind(), Source::Label("root".into()));
        assert_eq!((e[1].freq, e[1].passno), (0, 0));
        assert_eq!((e[2].options.clone(), e[2].line), (None, 3));
        assert_eq!(
            (e[3].source.as_str(), e[3].target.as_str()),
            ("/dev/h\\x", "/h\tt")
        );
        assert_eq!(e[3].options.as_deref(), Some("a b"));
        assert_eq!(
            (e[4].target.as_str(), e[4].freq, e[4].passno),
            ("/j\\x", 1, 8)
        );
    }

    #[test]
    fn malformed_lines_are_diagnosed_with_their_numbers() {
        let text = "broken line\n/dev/c /c ext3 defaults x 0\n/dev/d /d ext3 defaults #c\n/dev/e\n/dev/f /f ext3 defaults 0 2x\n/dev/i /i ext3 defaults 99999999999 0\n/dev/ok /ok ext3 defaults 0 0\n";
        let fstab = Fstab::parse(text);
        assert_eq!(fstab.entries.len(), 1);
        let lines: Vec<usize> = fstab
            .errors
            .iter()
            .map(|e| match e {
                Error::FstabSyntax { line, .. } => *line,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6]);
        assert_eq!(
            fstab.errors[0].to_string(),
            "/etc/fstab line 1: 2 fields; an entry needs at least 3 (device, mount point, type)"
        );
        assert_eq!(
            fstab.errors[2].to_string(),
            "/etc/fstab line 3: field 5 (dump frequency) `#c` is not a number; `#` starts a comment only at the beginning of a line"
        );
        assert_eq!(fstab.errors[0].code_str(), "kvmlab::storage::fstab_syntax");
    }

    #[test]
    fn options_match_whole_names() {
        let entry = &Fstab::parse("/dev/a /a ext3 rw,_netdevice,uid=100 0 0").entries[0];
        assert!(!entry.has_option("_netdev"));
        assert!(entry.has_option("uid"));
        assert!(!entry.has_option("ui"));
    }
}
