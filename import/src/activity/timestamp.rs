//! Parsing of the export's timestamps (`YYYY-MM-DD HH:MM:SS[.f…]`, UTC) and durations (`H:MM:SS`).

/// Microseconds per second.
const MICROS_PER_SECOND: i64 = 1_000_000;

/// Parses `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 7 digits (truncated to µs), as UTC,
/// into microseconds since the Unix epoch. A `T` may separate date and time and a trailing `Z` is
/// accepted; a bare date `YYYY-MM-DD` means midnight. Anything else, or an impossible date or time,
/// is an error whose text says what was expected.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let b = b.strip_suffix(b"Z").unwrap_or(b);
    let expected = || {
        format!(
            "\"{}\" is not a timestamp: expected YYYY-MM-DD HH:MM:SS[.fffffff]",
            text
        )
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(expected());
    }
    let year = digits(&b[0..4]).ok_or_else(expected)?;
    let month = digits(&b[5..7]).ok_or_else(expected)?;
    let day = digits(&b[8..10]).ok_or_else(expected)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("\"{text}\" is not a valid date"));
    }
    let mut micros = days_from_civil(year, month, day) * 86_400 * MICROS_PER_SECOND;
    if b.len() == 10 {
        return Ok(micros);
    }
    if b.len() < 19 || (b[10] != b' ' && b[10] != b'T') || b[13] != b':' || b[16] != b':' {
        return Err(expected());
    }
    let hour = digits(&b[11..13]).ok_or_else(expected)?;
    let minute = digits(&b[14..16]).ok_or_else(expected)?;
    let second = digits(&b[17..19]).ok_or_else(expected)?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("\"{text}\" is not a valid time of day"));
    }
    micros += (hour * 3600 + minute * 60 + second) * MICROS_PER_SECOND;
    let fraction = &b[19..];
    if fraction.is_empty() {
        return Ok(micros);
    }
    let digits_part = fraction.strip_prefix(b".").ok_or_else(expected)?;
    if digits_part.is_empty() || digits_part.len() > 7 {
        return Err(format!("\"{text}\": the fraction of a second must have 1 to 7 digits"));
    }
    let mut sub = 0i64;
    for (i, &d) in digits_part.iter().enumerate() {
        if !d.is_ascii_digit() {
            return Err(expected());
        }
        if i < 6 {
            sub = sub * 10 + i64::from(d - b'0');
        }
    }
    for _ in digits_part.len()..6 {
        sub *= 10;
    }
    Ok(micros + sub)
}

/// Parses a duration `H:MM:SS` (hours may have any number of digits) into seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("\"{text}\" is not a duration: expected H:MM:SS");
    let mut parts = text.split(':');
    let (Some(h), Some(m), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if h.is_empty() || h.len() > 9 || m.len() != 2 || s.len() != 2 {
        return Err(bad());
    }
    let (hours, minutes, seconds) = (
        digits(h.as_bytes()).ok_or_else(bad)?,
        digits(m.as_bytes()).ok_or_else(bad)?,
        digits(s.as_bytes()).ok_or_else(bad)?,
    );
    if minutes > 59 || seconds > 59 {
        return Err(format!("\"{text}\": minutes and seconds must be below 60"));
    }
    Ok(hours * 3600 + minutes * 60 + seconds)
}

/// The value of a run of ASCII digits, or `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN_3_2022: i64 = 1_641_168_000 * MICROS_PER_SECOND;

    #[test]
    fn whole_seconds_and_dates() {
        assert_eq!(parse_timestamp("1970-01-01 00:00:00"), Ok(0));
        assert_eq!(parse_timestamp("2022-01-03 00:00:00"), Ok(JAN_3_2022));
        assert_eq!(parse_timestamp("2022-01-03"), Ok(JAN_3_2022));
        assert_eq!(
            parse_timestamp("2022-01-03T00:00:01Z"),
            Ok(JAN_3_2022 + MICROS_PER_SECOND)
        );
        assert_eq!(parse_timestamp("1969-12-31 23:59:59"), Ok(-MICROS_PER_SECOND));
        assert_eq!(
            parse_timestamp("2024-02-29 12:00:00"),
            Ok(1_709_208_000 * MICROS_PER_SECOND)
        );
    }

    #[test]
    fn fractions_of_zero_to_seven_digits_truncate_to_micros() {
        let base = JAN_3_2022;
        assert_eq!(parse_timestamp("2022-01-03 00:00:00.5"), Ok(base + 500_000));
        assert_eq!(parse_timestamp("2022-01-03 00:00:00.123456"), Ok(base + 123_456));
        assert_eq!(parse_timestamp("2022-01-03 00:00:00.1234567"), Ok(base + 123_456));
        assert_eq!(parse_timestamp("2022-01-03 00:00:00.9999999"), Ok(base + 999_999));
        assert_eq!(parse_timestamp("2022-01-03 00:00:00.0000000"), Ok(base));
        assert!(parse_timestamp("2022-01-03 00:00:00.12345678").is_err());
        assert!(parse_timestamp("2022-01-03 00:00:00.").is_err());
        assert!(parse_timestamp("2022-01-03 00:00:00.12a").is_err());
    }

    #[test]
    fn invalid_dates_and_shapes_are_rejected_with_a_reason() {
        for bad in [
            "2022-02-29 00:00:00",
            "2022-13-01 00:00:00",
            "2022-04-31",
            "2022-01-00",
            "2022-01-01 24:00:00",
        ] {
            let err = parse_timestamp(bad).unwrap_err();
            assert!(err.contains("valid"), "{bad}: {err}");
        }
        for bad in [
            "53:51.0",
            "",
            "2022/01/03 00:00:00",
            "2022-01-03 0:00:00",
            "2022-01-03 00:00",
            "x022-01-03",
        ] {
            let err = parse_timestamp(bad).unwrap_err();
            assert!(err.contains("expected YYYY-MM-DD HH:MM:SS"), "{bad}: {err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0:00:00"), Ok(0));
        assert_eq!(parse_duration("1:11:00"), Ok(4260));
        assert_eq!(parse_duration("00:14:02"), Ok(842));
        assert_eq!(parse_duration("123:00:01"), Ok(442_801));
        for bad in [
            "",
            "1:2:3",
            "0:60:00",
            "0:00:60",
            "1:00",
            "1:00:00:00",
            "a:00:00",
            "-1:00:00",
            ":00:00",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
