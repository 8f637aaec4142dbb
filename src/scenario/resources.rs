//! CPU and memory amounts as Docker reads them: docker/cli `opts.ParseCPUs` (a rational number of
//! CPUs, `big.Rat.SetString`, exact to the nano-CPU), go-units `RAMInBytes` (binary units,
//! `512M` = 512 MiB), and swarmkit's `controlapi.validateResources` minimums (0.001 CPU, 4 MiB),
//! for `deploy.resources`, `--reserve-*`/`--limit-*` and a node's capacity.

use crate::model::spec::{Resources, format_cpus};

/// swarmkit `validateResources`: a CPU amount, when set, is at least 10⁶ nano-CPUs.
const MIN_NANO_CPUS: u64 = 1_000_000;
/// swarmkit `validateResources`: a memory amount, when set, is at least 4 MiB.
const MIN_MEMORY: u64 = 4 * 1024 * 1024;

/// `opts.ParseCPUs`: `"0.3"`, `"2"`, `"1/4"`, `"5e-1"` → nano-CPUs; docker's wording on error
/// (`failed to parse X as a rational number`, `value is too precise`). A negative amount is
/// refused as swarmkit refuses it.
pub fn parse_cpus(text: &str) -> Result<u64, String> {
    let not_rational = || format!("failed to parse {text} as a rational number");
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    // (numerator, denominator) of the value, exactly.
    let (num, den): (u128, u128) = if let Some((n, d)) = body.split_once('/') {
        let n: u128 = digits(n).ok_or_else(not_rational)?;
        let d: u128 = digits(d).ok_or_else(not_rational)?;
        if d == 0 {
            return Err(not_rational());
        }
        (n, d)
    } else {
        let (mantissa, exp) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().map_err(|_| not_rational())?),
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(not_rational());
        }
        let all = format!("{int}{frac}");
        let n: u128 = digits(&all).ok_or_else(not_rational)?;
        let scale = exp - frac.len() as i32;
        if !(-30..=30).contains(&scale) {
            return Err("value is too precise".to_string());
        }
        if scale >= 0 {
            (n.checked_mul(10u128.pow(scale as u32)).ok_or_else(not_rational)?, 1)
        } else {
            (n, 10u128.pow((-scale) as u32))
        }
    };
    let scaled = num.checked_mul(1_000_000_000).ok_or_else(not_rational)?;
    if scaled % den != 0 {
        return Err("value is too precise".to_string());
    }
    let nano = scaled / den;
    if negative && nano != 0 {
        return Err(format!(
            "invalid cpu value -{}: Must be at least 0.001",
            format_cpus(nano.min(u64::MAX as u128) as u64)
        ));
    }
    let nano = u64::try_from(nano).map_err(|_| not_rational())?;
    if nano != 0 && nano < MIN_NANO_CPUS {
        return Err(format!("invalid cpu value {}: Must be at least 0.001", format_cpus(nano)));
    }
    Ok(nano)
}

fn digits(s: &str) -> Option<u128> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// go-units `RAMInBytes`: `NUMBER[ ][k|m|g|t|p][i][b]`, case-insensitive, binary multiples
/// (`512m` = 512 MiB, `1.5g`); docker's wording on error (`invalid size: 'X'`), and swarmkit's
/// 4 MiB minimum.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let invalid = || format!("invalid size: '{text}'");
    let number_end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(number_end);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') || number.contains("..") {
        return Err(invalid());
    }
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let mut rest = unit.as_str();
    let mut multiplier: u64 = 1;
    if let Some(first) = rest.chars().next()
        && let Some(power) = "kmgtp".find(first)
    {
        multiplier = 1u64 << (10 * (power as u32 + 1));
        rest = &rest[1..];
    }
    rest = rest.strip_prefix('i').unwrap_or(rest);
    rest = rest.strip_prefix('b').unwrap_or(rest);
    if !rest.is_empty() {
        return Err(invalid());
    }
    // Go parses the number as a float64 (only the first `.`-part counts as its fraction).
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(invalid());
    }
    let bytes = bytes as u64;
    if bytes != 0 && bytes < MIN_MEMORY {
        return Err(format!("invalid memory value {bytes}: Must be at least 4MiB"));
    }
    Ok(bytes)
}

/// `cpus` and `memory` both set on a [`Resources`].
pub fn resources(cpus: Option<u64>, memory: Option<u64>) -> Resources {
    Resources { nano_cpus: cpus.unwrap_or(0), memory_bytes: memory.unwrap_or(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_are_exact_rationals() {
        assert_eq!(parse_cpus("0.3"), Ok(300_000_000));
        assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
        assert_eq!(parse_cpus("1/4"), Ok(250_000_000));
        assert_eq!(parse_cpus("5e-1"), Ok(500_000_000));
        assert_eq!(parse_cpus(".5"), Ok(500_000_000));
        assert_eq!(parse_cpus("0"), Ok(0));
        assert_eq!(parse_cpus("0.0000000001"), Err("value is too precise".to_string()));
        assert_eq!(parse_cpus("abc"), Err("failed to parse abc as a rational number".to_string()));
        assert_eq!(parse_cpus("0.0001"), Err("invalid cpu value 0.0001: Must be at least 0.001".to_string()));
        assert!(parse_cpus("-1").unwrap_err().starts_with("invalid cpu value -1"));
    }

    #[test]
    fn memory_in_binary_units() {
        assert_eq!(parse_memory("512M"), Ok(512 << 20));
        assert_eq!(parse_memory("512mb"), Ok(512 << 20));
        assert_eq!(parse_memory("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_memory("8 g"), Ok(8 << 30));
        assert_eq!(parse_memory("104857600"), Ok(100 << 20));
        assert_eq!(parse_memory("12x"), Err("invalid size: '12x'".to_string()));
        assert_eq!(parse_memory("1k"), Err("invalid memory value 1024: Must be at least 4MiB".to_string()));
    }
}
