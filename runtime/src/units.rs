//! Sizes and rates as trainees write them, following libvirt's unit conventions.
//!
//! Sizes: an integer is bytes; `K`, `M`, `G`, `T` (and `KiB`…`TiB`) are binary; `KB`, `MB`,
//! `GB`, `TB` are decimal, as in libvirt's domain XML. Rates: `"64M/s"` (MiB/s), `"64MB/s"`,
//! `"100Mbit/s"`, `"1Gbit/s"` (also `Mbps`, `Gbps`) or a number of bytes per second.

use crate::error::{Error, Result};

const KIB: f64 = 1024.0;

/// Whether a unit is a prefix with a lowercase `b` (`Gb`, `mb`, `Kib`): the usual way to
/// write bits, so a size written so is ambiguous.
fn is_bit_unit(unit: &str) -> bool {
    let Some(prefix) = unit.strip_suffix('b') else {
        return false;
    };
    let prefix = prefix.strip_suffix('i').unwrap_or(prefix);
    matches!(prefix, "k" | "K" | "m" | "M" | "g" | "G" | "t" | "T")
}

/// Parses a size such as `"512M"`, `"20G"`, `"1.5TiB"` or `"100GB"` into bytes. A lowercase
/// `b` after a prefix (`"20Gb"`) is refused: it reads as bits, and a size is in bytes.
pub fn parse_size(text: &str) -> Result<u64> {
    let bad = || Error::BadSize { text: text.into() };
    let (number, unit) = split_number(text.trim()).ok_or_else(bad)?;
    if is_bit_unit(unit) {
        let prefix = unit[..1].to_ascii_uppercase();
        let binary = unit.len() == 3;
        let (scale, word) = match (prefix.as_str(), binary) {
            ("K", false) => (1e3, "kilo"),
            ("M", false) => (1e6, "mega"),
            ("G", false) => (1e9, "giga"),
            (_, false) => (1e12, "tera"),
            ("K", true) => (KIB, "kibi"),
            ("M", true) => (KIB.powi(2), "mebi"),
            ("G", true) => (KIB.powi(3), "gibi"),
            (_, true) => (KIB.powi(4), "tebi"),
        };
        let trimmed = text.trim();
        let number_text = trimmed[..trimmed.len() - unit.len()].trim().to_string();
        let plural = if number == 1.0 { "" } else { "s" };
        return Err(Error::AmbiguousSize {
            text: text.into(),
            bytes: format!("{number_text}{prefix}{}B", if binary { "i" } else { "" }),
            in_bytes: format!("{number_text} {word}byte{plural}"),
            in_bits: format!("{number_text} {word}bit{plural}"),
            bits_in_bytes: format_bytes_decimal(number * scale / 8.0),
        });
    }
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(bad()),
    };
    if number < 0.0 {
        return Err(bad());
    }
    // A whole number is counted exactly; a fraction in floating point, rounded to a byte.
    let trimmed = text.trim();
    let digits = trimmed[..trimmed.len() - unit.len()].trim();
    let exact = match digits.parse::<u128>() {
        Ok(whole) => whole.checked_mul(u128::from(scale)),
        Err(_) => {
            let bytes = (number * scale as f64).round();
            (bytes.is_finite() && bytes < 2f64.powi(100)).then_some(bytes as u128)
        }
    };
    match exact {
        Some(bytes) if bytes <= u128::from(MAX_SIZE) => Ok(bytes as u64),
        Some(bytes) => Err(Error::SizeTooLarge {
            text: text.into(),
            bytes: format!("{bytes} bytes"),
        }),
        None => Err(Error::SizeTooLarge {
            text: text.into(),
            bytes: format_bytes_decimal(number * scale as f64),
        }),
    }
}

/// The largest size a script can hold: a script integer is an `i64`, 8 EiB - 1 bytes.
pub const MAX_SIZE: u64 = i64::MAX as u64;

/// Parses a rate such as `"64M/s"` or `"100Mbit/s"` into bytes per second.
pub fn parse_rate(text: &str) -> Result<f64> {
    let bad = || Error::BadRate {
        text: text.into(),
        help: rate_help(text),
    };
    let trimmed = text.trim();
    let (number, unit) = split_number(trimmed).ok_or_else(bad)?;
    // "Mb/s" is megabits per second, as network gear writes it; "MB/s" megabytes.
    let bit_rate = unit.strip_suffix("/s").is_some_and(is_bit_unit);
    let written = unit;
    let unit = unit.to_ascii_lowercase();
    let bits = |prefix: &str| match prefix {
        "" => Some(1.0),
        "k" => Some(1e3),
        "m" => Some(1e6),
        "g" => Some(1e9),
        _ => None,
    };
    let bit_prefix = if bit_rate {
        unit.strip_suffix("b/s").filter(|p| !p.ends_with('i'))
    } else {
        unit.strip_suffix("bit/s")
            .or_else(|| unit.strip_suffix("bps"))
    };
    let bytes_per_second = if let Some(prefix) = bit_prefix {
        number * bits(prefix).ok_or_else(bad)? / 8.0
    } else if let Some(size_unit) = written.strip_suffix("/s") {
        let per_unit = parse_size(&format!("1{size_unit}")).map_err(|_| bad())?;
        number * per_unit as f64
    } else if unit.is_empty() {
        number
    } else {
        return Err(bad());
    };
    if !bytes_per_second.is_finite() || bytes_per_second < 0.0 {
        return Err(bad());
    }
    Ok(bytes_per_second)
}

/// The help for a text that is no rate. A size without `/s` ("100Mb", "32MB") names the
/// rates it could have meant, in bits and in bytes per second.
fn rate_help(text: &str) -> String {
    const FORMS: &str =
        "write a rate as \"64M/s\" (MiB/s), \"100Mbit/s\" or \"1Gbit/s\", or bytes per second as a number";
    let trimmed = text.trim();
    let Some((_, unit)) = split_number(trimmed) else {
        return FORMS.into();
    };
    let number = trimmed[..trimmed.len() - unit.len()].trim();
    let prefix = unit.chars().next().map(|c| c.to_ascii_uppercase());
    let word = match prefix {
        Some('K') => "kilo",
        Some('M') => "mega",
        Some('G') => "giga",
        Some('T') => "tera",
        _ => return FORMS.into(),
    };
    let prefix = prefix.unwrap_or('M');
    let is_size = parse_size(&format!("1{unit}")).is_ok() || is_bit_unit(unit);
    if !is_size || unit.contains('/') {
        return FORMS.into();
    }
    let plural = if number == "1" { "" } else { "s" };
    format!(
        "a rate is an amount per second, and `{unit}` has no `/s`: write \"{number}{prefix}bit/s\" for {number} {word}bit{plural} per second (network speeds) or \"{number}{prefix}B/s\" for {number} {word}byte{plural} per second"
    )
}

/// Bytes as a size string in decimal units, e.g. `2.5GB`, for advice.
fn format_bytes_decimal(bytes: f64) -> String {
    let (value, unit) = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")]
        .into_iter()
        .find(|(scale, _)| bytes >= *scale)
        .map_or((bytes, ""), |(scale, unit)| (bytes / scale, unit));
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{unit}")
}

fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..end].parse().ok()?;
    Some((number, text[end..].trim()))
}

/// Two sizes a message compares ("16T does not fit: sv1 has 16T free"), each as
/// [`human_size`] prints it, with the exact bytes added when the two would read alike but
/// differ.
pub fn human_sizes_apart(a: u64, b: u64) -> (String, String) {
    let (short_a, short_b) = (human_size(a), human_size(b));
    if short_a == short_b && a != b {
        (format!("{short_a} ({a} B)"), format!("{short_b} ({b} B)"))
    } else {
        (short_a, short_b)
    }
}

/// A size the way `df -h` and `ls -lh` print it (coreutils' `human_readable` with
/// `human_autoscale | human_SI | human_base_1024` and its default ceiling rounding): powers of
/// 1024, one decimal below 10, always rounded up, and a value that rounds up to 1024 moves to
/// the next unit ("1.0M", not "1024K"). Exact integer arithmetic, like coreutils.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let mut exponent = 0;
    while exponent + 1 < UNITS.len() && bytes >> (10 * (exponent + 1)) > 0 {
        exponent += 1;
    }
    if exponent == 0 {
        return bytes.to_string();
    }
    let scale = 1u128 << (10 * exponent);
    let exact = bytes as u128;
    let whole = exact / scale;
    if whole < 10 {
        let tenths = (exact * 10).div_ceil(scale);
        if tenths < 100 {
            return format!("{}.{}{}", tenths / 10, tenths % 10, UNITS[exponent]);
        }
        return format!("10{}", UNITS[exponent]);
    }
    let rounded = exact.div_ceil(scale);
    if rounded == 1024 && exponent + 1 < UNITS.len() {
        return format!("1.0{}", UNITS[exponent + 1]);
    }
    format!("{rounded}{}", UNITS[exponent])
}

/// A link speed the way network gear states it: "100 Mbit/s", "1 Gbit/s", "10 Gbit/s".
pub fn human_rate(bytes_per_second: f64) -> String {
    let bits = bytes_per_second * 8.0;
    let (value, unit) = if bits >= 1e9 {
        (bits / 1e9, "Gbit/s")
    } else if bits >= 1e6 {
        (bits / 1e6, "Mbit/s")
    } else {
        (bits / 1e3, "kbit/s")
    };
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {unit}")
}

/// A span of lab time for messages: "45 s", "12 min", "3.5 h", "7 days", "2.1 years".
pub fn human_duration(seconds: f64) -> String {
    const DAY: f64 = 86400.0;
    if !seconds.is_finite() {
        return "forever".into();
    }
    let (value, unit) = match seconds.max(0.0) {
        s if s < 60.0 => (s, "s"),
        s if s < 3600.0 => (s / 60.0, "min"),
        s if s < DAY => (s / 3600.0, "h"),
        s if s < 365.0 * DAY => (s / DAY, "days"),
        s => (s / (365.25 * DAY), "years"),
    };
    let text = format!("{value:.1}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match (text, unit) {
        ("1", "days") => "1 day".into(),
        ("1", "years") => "1 year".into(),
        _ => format!("{text} {unit}"),
    }
}

/// A float rounded to four significant digits (never fewer than its integer digits), without
/// trailing zeros: 402.28982009 is "402.3", 360.0 is "360", 0.000123456 is "0.0001235".
pub fn human_number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" {
        "0".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_unit() {
        assert_eq!(human_duration(45.0), "45 s");
        assert_eq!(human_duration(720.0), "12 min");
        assert_eq!(human_duration(7.0 * 86400.0), "7 days");
        assert_eq!(human_duration(12600.0), "3.5 h");
        assert_eq!(human_duration(f64::INFINITY), "forever");
    }

    #[test]
    fn sizes_follow_libvirt_units() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("20G").unwrap(), 20 << 30);
        assert_eq!(parse_size("1.5TiB").unwrap(), 3 << 39);
        assert_eq!(parse_size("100GB").unwrap(), 100_000_000_000);
        assert_eq!(parse_size(" 4096 ").unwrap(), 4096);
        assert_eq!(parse_size("4k").unwrap(), 4096);
    }

    #[test]
    fn sizes_past_8_eib_are_refused_as_too_large_not_as_misspelt() {
        assert_eq!(parse_size("9223372036854775807").unwrap(), i64::MAX as u64);
        for big in [
            "9223372036854775808",
            "18446744073709551615",
            "8388608T",
            "99999999999999999999999999999999999999999T",
        ] {
            let err = parse_size(big).unwrap_err();
            assert_eq!(err.code_str(), "kvmlab::units::size_too_large", "{big}");
            assert!(err.to_string().contains("8 EiB - 1"), "{err}");
        }
        assert_eq!(parse_size("8388607T").unwrap(), 8_388_607 << 40);
    }

    #[test]
    fn bad_sizes_name_the_text() {
        for bad in ["", "M", "12Q", "-3G", "1..2G", "G12"] {
            let err = parse_size(bad).unwrap_err();
            assert_eq!(err, Error::BadSize { text: bad.into() }, "{bad}");
        }
    }

    #[test]
    fn a_lowercase_b_in_a_size_asks_bits_or_bytes() {
        let err = parse_size("20Gb").unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::units::ambiguous_size");
        assert_eq!(
            err.to_string(),
            "`20Gb` is ambiguous: did you mean 20 gigabytes or 20 gigabits?"
        );
        assert!(err
            .help_str()
            .unwrap()
            .contains("write \"20GB\" for 20 gigabytes"));
        assert!(err
            .help_str()
            .unwrap()
            .contains("20 gigabits would be \"2.5GB\""));
        for ambiguous in ["512mb", "1.5Tb", "4kb", "2Gib", "100 Mb"] {
            assert_eq!(
                parse_size(ambiguous).unwrap_err().code_str(),
                "kvmlab::units::ambiguous_size",
                "{ambiguous}"
            );
        }
        let binary = parse_size("2Gib").unwrap_err();
        assert!(binary
            .help_str()
            .unwrap()
            .contains("\"2GiB\" for 2 gibibytes"));
        assert_eq!(parse_size("20GB").unwrap(), 20_000_000_000);
        assert_eq!(parse_size("512b").unwrap(), 512);
    }

    #[test]
    fn a_lowercase_b_in_a_rate_is_bits() {
        assert_eq!(parse_rate("100Mb/s").unwrap(), 12_500_000.0);
        assert_eq!(parse_rate("1Gb/s").unwrap(), 125_000_000.0);
        assert_eq!(parse_rate("100MB/s").unwrap(), 100e6);
    }

    #[test]
    fn rates_in_bytes_per_second() {
        assert_eq!(parse_rate("64M/s").unwrap(), 64.0 * 1048576.0);
        assert_eq!(parse_rate("100Mbit/s").unwrap(), 12_500_000.0);
        assert_eq!(parse_rate("1Gbit/s").unwrap(), 125_000_000.0);
        assert_eq!(parse_rate("10Gbps").unwrap(), 1_250_000_000.0);
        assert_eq!(parse_rate("11MB/s").unwrap(), 11e6);
        assert_eq!(parse_rate("1000").unwrap(), 1000.0);
        for bad in ["fast", "64M", "10Tbit/s", "/s"] {
            assert_eq!(
                parse_rate(bad).unwrap_err().code_str(),
                "kvmlab::units::rate",
                "{bad}"
            );
        }
    }

    #[test]
    fn link_speeds_in_bits() {
        assert_eq!(human_rate(12_500_000.0), "100 Mbit/s");
        assert_eq!(human_rate(125_000_000.0), "1 Gbit/s");
        assert_eq!(human_rate(1_250_000_000.0), "10 Gbit/s");
        assert_eq!(human_rate(1_000.0), "8 kbit/s");
    }

    #[test]
    fn sizes_that_read_alike_but_differ_show_their_bytes() {
        let (a, b) = human_sizes_apart(16 << 40, (16 << 40) - (1 << 20));
        assert_eq!(a, "16T (17592186044416 B)");
        assert_eq!(b, "16T (17592184995840 B)");
        assert_eq!(
            human_sizes_apart(1 << 30, 512 << 20),
            ("1.0G".into(), "512M".into())
        );
        assert_eq!(
            human_sizes_apart(1 << 30, 1 << 30),
            ("1.0G".into(), "1.0G".into())
        );
    }

    #[test]
    fn human_sizes_match_df() {
        assert_eq!(human_size(0), "0");
        assert_eq!(human_size(1023), "1023");
        assert_eq!(human_size(1024), "1.0K");
        assert_eq!(human_size(184 << 20), "184M");
        assert_eq!(human_size((88 << 30) - 1), "88G");
        assert_eq!(human_size(9 * (1 << 30) + 1), "9.1G");
        assert_eq!(human_size(10 * (1 << 30) - 1), "10G");
    }

    #[test]
    fn human_sizes_carry_into_the_next_unit_like_coreutils() {
        // coreutils prints 1023.5 KiB as "1.0M": the ceiling reaches 1024 and the unit moves up.
        assert_eq!(human_size(1023 * 1024 + 512), "1.0M");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0M");
        assert_eq!(human_size(1024 * 1024), "1.0M");
        assert_eq!(human_size(1024 * 1024 + 1), "1.1M");
        // exactly 9.1 GiB stays 9.1G: no floating-point drift pushes it to 9.2G.
        assert_eq!(human_size(9 * (1 << 30) + (1 << 30) / 10 + 1), "9.2G");
        assert_eq!(human_size(9771050598), "9.1G");
        assert_eq!(human_size(1023), "1023");
        assert_eq!(human_size(10 * 1024), "10K");
        assert_eq!(human_size(u64::MAX), "16E");
    }

    #[test]
    fn numbers_are_rounded_for_people() {
        assert_eq!(human_number(402.28982009000003), "402.3");
        assert_eq!(human_number(360.0), "360");
        assert_eq!(human_number(36.776180468), "36.78");
        assert_eq!(human_number(8.919460879166667), "8.919");
        assert_eq!(human_number(0.42), "0.42");
        assert_eq!(human_number(2566.827), "2567");
        assert_eq!(human_number(-0.0001234567), "-0.0001235");
        assert_eq!(human_number(f64::INFINITY), "inf");
    }
}
