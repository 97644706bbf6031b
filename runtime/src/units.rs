//! Sizes and rates as trainees write them, following libvirt's unit conventions.
//!
//! Sizes: an integer is bytes; `K`, `M`, `G`, `T` (and `KiB`…`TiB`) are binary; `KB`, `MB`,
//! `GB`, `TB` are decimal, as in libvirt's domain XML. Rates: `"64M/s"` (MiB/s), `"64MB/s"`,
//! `"100Mbit/s"`, `"1Gbit/s"` (also `Mbps`, `Gbps`) or a number of bytes per second.

use crate::error::{Error, Result};

const KIB: f64 = 1024.0;

/// Parses a size such as `"512M"`, `"20G"`, `"1.5TiB"` or `"100GB"` into bytes.
pub fn parse_size(text: &str) -> Result<u64> {
    let bad = || Error::BadSize { text: text.into() };
    let (number, unit) = split_number(text.trim()).ok_or_else(bad)?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => KIB,
        "m" | "mib" => KIB.powi(2),
        "g" | "gib" => KIB.powi(3),
        "t" | "tib" => KIB.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return Err(bad()),
    };
    let bytes = number * scale;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes.round() as u64)
}

/// Parses a rate such as `"64M/s"` or `"100Mbit/s"` into bytes per second.
pub fn parse_rate(text: &str) -> Result<f64> {
    let bad = || Error::BadRate { text: text.into() };
    let trimmed = text.trim();
    let (number, unit) = split_number(trimmed).ok_or_else(bad)?;
    let unit = unit.to_ascii_lowercase();
    let bits = |prefix: &str| match prefix {
        "" => Some(1.0),
        "k" => Some(1e3),
        "m" => Some(1e6),
        "g" => Some(1e9),
        _ => None,
    };
    let bytes_per_second = if let Some(prefix) = unit
        .strip_suffix("bit/s")
        .or_else(|| unit.strip_suffix("bps"))
    {
        number * bits(prefix).ok_or_else(bad)? / 8.0
    } else if let Some(size_unit) = unit.strip_suffix("/s") {
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

fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..end].parse().ok()?;
    Some((number, text[end..].trim()))
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bad_sizes_name_the_text() {
        for bad in ["", "M", "12Q", "-3G", "1..2G", "G12"] {
            let err = parse_size(bad).unwrap_err();
            assert_eq!(err, Error::BadSize { text: bad.into() }, "{bad}");
        }
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
}
