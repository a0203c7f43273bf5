//! Timestamps and intervals on integers: parsing literals, printing, `date_trunc` and `extract`.
//! Timestamps are microseconds since 1970-01-01 00:00:00 UTC; the calendar is the proleptic Gregorian.

use engine::partition::{civil_from_days, days_from_civil};

/// Microseconds per second.
pub const US_PER_SECOND: i64 = 1_000_000;
/// Microseconds per minute.
pub const US_PER_MINUTE: i64 = 60 * US_PER_SECOND;
/// Microseconds per hour.
pub const US_PER_HOUR: i64 = 60 * US_PER_MINUTE;
/// Microseconds per day.
pub const US_PER_DAY: i64 = 24 * US_PER_HOUR;

/// An interval: whole months plus microseconds (days are 24 hours: timestamps have no time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Interval {
    /// Months (years are 12 months).
    pub months: i64,
    /// Microseconds (days, hours, … folded in).
    pub micros: i64,
}

/// A unit `date_trunc` truncates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TruncUnit {
    /// Whole seconds.
    Second,
    /// Whole minutes.
    Minute,
    /// Whole hours.
    Hour,
    /// Midnight.
    Day,
    /// Monday midnight (ISO week).
    Week,
    /// The first of the month.
    Month,
    /// The first of the quarter.
    Quarter,
    /// January 1st.
    Year,
}

impl TruncUnit {
    /// Parses a unit name as `date_trunc` accepts it (case-insensitive; plural forms too).
    pub fn parse(s: &str) -> Option<TruncUnit> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.trim_end_matches('s') {
            "second" => TruncUnit::Second,
            "minute" => TruncUnit::Minute,
            "hour" => TruncUnit::Hour,
            "day" => TruncUnit::Day,
            "week" => TruncUnit::Week,
            "month" => TruncUnit::Month,
            "quarter" => TruncUnit::Quarter,
            "year" => TruncUnit::Year,
            _ => return None,
        })
    }

    /// The names accepted, for error messages.
    pub const NAMES: &'static str = "second, minute, hour, day, week, month, quarter, year";

    /// The unit's name.
    pub fn name(self) -> &'static str {
        match self {
            TruncUnit::Second => "second",
            TruncUnit::Minute => "minute",
            TruncUnit::Hour => "hour",
            TruncUnit::Day => "day",
            TruncUnit::Week => "week",
            TruncUnit::Month => "month",
            TruncUnit::Quarter => "quarter",
            TruncUnit::Year => "year",
        }
    }
}

/// A field `extract` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtractField {
    /// Year.
    Year,
    /// Quarter 1–4.
    Quarter,
    /// Month 1–12.
    Month,
    /// ISO week number 1–53.
    Week,
    /// Day of month 1–31.
    Day,
    /// Day of week, Sunday = 0 … Saturday = 6.
    Dow,
    /// ISO day of week, Monday = 1 … Sunday = 7.
    IsoDow,
    /// Day of year 1–366.
    Doy,
    /// Hour 0–23.
    Hour,
    /// Minute 0–59.
    Minute,
    /// Seconds 0–59 (whole seconds; PostgreSQL returns fractional seconds, engagedb truncates).
    Second,
    /// Seconds since the epoch (whole seconds).
    Epoch,
}

impl ExtractField {
    /// Parses a field name (case-insensitive).
    pub fn parse(s: &str) -> Option<ExtractField> {
        Some(match s.to_ascii_lowercase().as_str() {
            "year" | "years" => ExtractField::Year,
            "quarter" => ExtractField::Quarter,
            "month" | "months" => ExtractField::Month,
            "week" | "weeks" => ExtractField::Week,
            "day" | "days" => ExtractField::Day,
            "dow" | "dayofweek" => ExtractField::Dow,
            "isodow" => ExtractField::IsoDow,
            "doy" | "dayofyear" => ExtractField::Doy,
            "hour" | "hours" => ExtractField::Hour,
            "minute" | "minutes" => ExtractField::Minute,
            "second" | "seconds" => ExtractField::Second,
            "epoch" => ExtractField::Epoch,
            _ => return None,
        })
    }

    /// The names accepted, for error messages.
    pub const NAMES: &'static str = "year, quarter, month, week, day, dow, isodow, doy, hour, minute, second, epoch";
}

/// `date_trunc(unit, t)`.
pub fn trunc(unit: TruncUnit, t: i64) -> i64 {
    let floor = |step: i64| t.div_euclid(step) * step;
    match unit {
        TruncUnit::Second => floor(US_PER_SECOND),
        TruncUnit::Minute => floor(US_PER_MINUTE),
        TruncUnit::Hour => floor(US_PER_HOUR),
        TruncUnit::Day => floor(US_PER_DAY),
        TruncUnit::Week => {
            let day = t.div_euclid(US_PER_DAY);
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
            (day - (day + 3).rem_euclid(7)) * US_PER_DAY
        }
        TruncUnit::Month | TruncUnit::Quarter | TruncUnit::Year => {
            let (y, m, _) = civil_from_days(t.div_euclid(US_PER_DAY));
            let m = match unit {
                TruncUnit::Month => m,
                TruncUnit::Quarter => (m - 1) / 3 * 3 + 1,
                _ => 1,
            };
            days_from_civil(y, m, 1) * US_PER_DAY
        }
    }
}

/// `date_trunc(unit, t)` (with `unit`) or `extract(field FROM t)` (with `field`, no `unit`) of every value,
/// choosing the formula once rather than per row: the fields and units that are plain integer arithmetic
/// get a loop the compiler can vectorize; calendar ones (month, quarter, year, week, day of year) go
/// through [`trunc`] / [`extract`] row by row.
pub fn map_times(unit: Option<TruncUnit>, field: Option<ExtractField>, values: &[i64]) -> Vec<i64> {
    fn each(values: &[i64], f: impl Fn(i64) -> i64) -> Vec<i64> {
        values.iter().map(|&t| f(t)).collect()
    }
    let floor = |step: i64| move |t: i64| t.div_euclid(step) * step;
    match (unit, field) {
        (Some(TruncUnit::Second), _) => each(values, floor(US_PER_SECOND)),
        (Some(TruncUnit::Minute), _) => each(values, floor(US_PER_MINUTE)),
        (Some(TruncUnit::Hour), _) => each(values, floor(US_PER_HOUR)),
        (Some(TruncUnit::Day), _) => each(values, floor(US_PER_DAY)),
        (Some(TruncUnit::Week), _) => each(values, |t| {
            let day = t.div_euclid(US_PER_DAY);
            (day - (day + 3).rem_euclid(7)) * US_PER_DAY
        }),
        (Some(u), _) => each(values, |t| trunc(u, t)),
        (None, Some(ExtractField::Hour)) => each(values, |t| t.rem_euclid(US_PER_DAY) / US_PER_HOUR),
        (None, Some(ExtractField::Minute)) => each(values, |t| t.rem_euclid(US_PER_HOUR) / US_PER_MINUTE),
        (None, Some(ExtractField::Second)) => each(values, |t| t.rem_euclid(US_PER_MINUTE) / US_PER_SECOND),
        (None, Some(ExtractField::Epoch)) => each(values, |t| t.div_euclid(US_PER_SECOND)),
        (None, Some(ExtractField::Dow)) => each(values, |t| (t.div_euclid(US_PER_DAY) + 4).rem_euclid(7)),
        (None, Some(ExtractField::IsoDow)) => each(values, |t| (t.div_euclid(US_PER_DAY) + 3).rem_euclid(7) + 1),
        (None, Some(f)) => each(values, |t| extract(f, t)),
        (None, None) => values.to_vec(),
    }
}

/// `extract(field FROM t)`.
pub fn extract(field: ExtractField, t: i64) -> i64 {
    let day = t.div_euclid(US_PER_DAY);
    let in_day = t.rem_euclid(US_PER_DAY);
    match field {
        // Fields within a day need no calendar arithmetic.
        ExtractField::Hour => return in_day / US_PER_HOUR,
        ExtractField::Minute => return in_day % US_PER_HOUR / US_PER_MINUTE,
        ExtractField::Second => return in_day % US_PER_MINUTE / US_PER_SECOND,
        ExtractField::Epoch => return t.div_euclid(US_PER_SECOND),
        ExtractField::Dow => return (day + 4).rem_euclid(7),
        ExtractField::IsoDow => return (day + 3).rem_euclid(7) + 1,
        ExtractField::Week => return iso_week(day),
        _ => {}
    }
    let (y, m, d) = civil_from_days(day);
    match field {
        ExtractField::Year => y,
        ExtractField::Quarter => (m as i64 - 1) / 3 + 1,
        ExtractField::Month => m as i64,
        ExtractField::Day => d as i64,
        _ => day - days_from_civil(y, 1, 1) + 1,
    }
}

/// ISO 8601 week number of the day `day` (days since the epoch).
fn iso_week(day: i64) -> i64 {
    let isodow = (day + 3).rem_euclid(7); // Monday = 0
    let thursday = day - isodow + 3;
    let (y, _, _) = civil_from_days(thursday);
    (thursday - days_from_civil(y, 1, 1)) / 7 + 1
}

/// `t + interval` (months first, clamping the day to the month's length, as PostgreSQL does);
/// `None` on overflow.
pub fn add_interval(t: i64, iv: Interval) -> Option<i64> {
    let mut t = t;
    if iv.months != 0 {
        let day = t.div_euclid(US_PER_DAY);
        let in_day = t.rem_euclid(US_PER_DAY);
        let (y, m, d) = civil_from_days(day);
        let total = y.checked_mul(12)?.checked_add(m as i64 - 1)?.checked_add(iv.months)?;
        let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        let nd = d.min(days_in_month(ny, nm));
        t = days_from_civil(ny, nm, nd)
            .checked_mul(US_PER_DAY)?
            .checked_add(in_day)?;
    }
    t.checked_add(iv.micros)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    (next - days_from_civil(y, m, 1)) as u32
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS[.fraction]` (a `T` may separate date
/// and time; fractions beyond microseconds are truncated). `Err` says what is wrong.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let s = text.trim();
    let bad = |why: &str| format!("invalid timestamp '{text}': {why} (expected YYYY-MM-DD[ HH:MM:SS[.ffffff]])");
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start()),
        None => (s, ""),
    };
    let mut parts = date.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("the date needs year, month and day"));
    };
    let num = |p: &str, what: &str| -> Result<i64, String> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&format!("bad {what}")));
        }
        p.parse::<i64>().map_err(|_| bad(&format!("bad {what}")))
    };
    let (y, m, d) = (num(y, "year")?, num(m, "month")?, num(d, "day")?);
    if !(1..=12).contains(&m) {
        return Err(bad("month out of range"));
    }
    if d < 1 || d > days_in_month(y, m as u32) as i64 {
        return Err(bad("day out of range"));
    }
    let mut micros = days_from_civil(y, m as u32, d as u32) * US_PER_DAY;
    if !time.is_empty() {
        let (hms, frac) = match time.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (time, None),
        };
        let fields: Vec<&str> = hms.split(':').collect();
        if fields.len() < 2 || fields.len() > 3 {
            return Err(bad("the time needs hours and minutes"));
        }
        let h = num(fields[0], "hour")?;
        let mi = num(fields[1], "minute")?;
        let sec = if fields.len() == 3 {
            num(fields[2], "second")?
        } else {
            0
        };
        if h > 23 || mi > 59 || sec > 59 {
            return Err(bad("time out of range"));
        }
        micros += h * US_PER_HOUR + mi * US_PER_MINUTE + sec * US_PER_SECOND;
        if let Some(frac) = frac {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) || fields.len() != 3 {
                return Err(bad("bad fraction of a second"));
            }
            let digits: String = frac.chars().take(6).collect();
            let scale = 10i64.pow(6 - digits.len() as u32);
            micros += digits.parse::<i64>().map_err(|_| bad("bad fraction"))? * scale;
        }
    }
    Ok(micros)
}

/// Formats `YYYY-MM-DD HH:MM:SS`, adding `.ffffff` (trailing zeros trimmed) when there are sub-second digits.
pub fn format_timestamp(t: i64) -> String {
    let day = t.div_euclid(US_PER_DAY);
    let in_day = t.rem_euclid(US_PER_DAY);
    let (y, m, d) = civil_from_days(day);
    let (h, mi, s, us) = (
        in_day / US_PER_HOUR,
        in_day % US_PER_HOUR / US_PER_MINUTE,
        in_day % US_PER_MINUTE / US_PER_SECOND,
        in_day % US_PER_SECOND,
    );
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else {
        format!("{y}")
    };
    let mut out = format!("{year}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}");
    if us != 0 {
        let frac = format!("{us:06}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out
}

/// Parses an interval: `'7 days'`, `'1 day 2 hours'`, `'-3 months'`, `'2 weeks'`, `'01:30:00'`,
/// `'1 year 2 mons 3 days 04:05:06'`. Units: microsecond(s), millisecond(s), second(s), minute(s),
/// hour(s), day(s), week(s), month(s)/mon(s), year(s) and their common abbreviations.
pub fn parse_interval(text: &str) -> Result<Interval, String> {
    let bad = |why: &str| format!("invalid interval '{text}': {why}");
    let mut iv = Interval::default();
    let mut tokens = text.split_whitespace().peekable();
    let mut any = false;
    while let Some(tok) = tokens.next() {
        any = true;
        if tok.contains(':') {
            let neg = tok.starts_with('-');
            let t = tok.trim_start_matches(['-', '+']);
            let us = parse_timestamp(&format!("1970-01-01 {t}")).map_err(|_| bad("bad time of day"))?;
            iv.micros = iv
                .micros
                .checked_add(if neg { -us } else { us })
                .ok_or_else(|| bad("out of range"))?;
            continue;
        }
        let n: f64 = tok.parse().map_err(|_| bad(&format!("'{tok}' is not a number")))?;
        let unit = tokens.next().ok_or_else(|| bad(&format!("'{tok}' has no unit")))?;
        let unit = unit.to_ascii_lowercase();
        let per: Option<i64> = match unit.as_str() {
            "microsecond" | "microseconds" | "us" => Some(1),
            "millisecond" | "milliseconds" | "ms" => Some(1000),
            "second" | "seconds" | "sec" | "secs" | "s" => Some(US_PER_SECOND),
            "minute" | "minutes" | "min" | "mins" => Some(US_PER_MINUTE),
            "hour" | "hours" | "h" | "hr" | "hrs" => Some(US_PER_HOUR),
            "day" | "days" | "d" => Some(US_PER_DAY),
            "week" | "weeks" | "w" => Some(7 * US_PER_DAY),
            "month" | "months" | "mon" | "mons" | "year" | "years" | "y" | "yr" | "yrs" => None,
            _ => return Err(bad(&format!("unknown unit '{unit}'"))),
        };
        match per {
            Some(per) => {
                let us = n * per as f64;
                if !us.is_finite() || us.abs() > 9.2e18 {
                    return Err(bad("out of range"));
                }
                iv.micros = iv
                    .micros
                    .checked_add(us.round() as i64)
                    .ok_or_else(|| bad("out of range"))?;
            }
            None => {
                let months = if unit.starts_with('y') { n * 12.0 } else { n };
                if months.fract() != 0.0 || months.abs() > 1e9 {
                    return Err(bad("months and years must be whole"));
                }
                iv.months += months as i64;
            }
        }
    }
    if !any {
        return Err(bad("empty"));
    }
    Ok(iv)
}

/// Formats an interval PostgreSQL-style (`1 mon 7 days 02:00:00`).
pub fn format_interval(iv: Interval) -> String {
    let mut parts = Vec::new();
    let (years, months) = (iv.months / 12, iv.months % 12);
    if years != 0 {
        parts.push(format!("{years} year{}", if years.abs() == 1 { "" } else { "s" }));
    }
    if months != 0 {
        parts.push(format!("{months} mon{}", if months.abs() == 1 { "" } else { "s" }));
    }
    let days = iv.micros / US_PER_DAY;
    let rest = iv.micros % US_PER_DAY;
    if days != 0 {
        parts.push(format!("{days} day{}", if days.abs() == 1 { "" } else { "s" }));
    }
    if rest != 0 || parts.is_empty() {
        let sign = if rest < 0 { "-" } else { "" };
        let r = rest.abs();
        let mut s = format!(
            "{sign}{:02}:{:02}:{:02}",
            r / US_PER_HOUR,
            r % US_PER_HOUR / US_PER_MINUTE,
            r % US_PER_MINUTE / US_PER_SECOND
        );
        if r % US_PER_SECOND != 0 {
            s.push('.');
            s.push_str(format!("{:06}", r % US_PER_SECOND).trim_end_matches('0'));
        }
        parts.push(s);
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        parse_timestamp(s).unwrap()
    }

    /// The whole-array kernels give what the per-row functions give, before and after the epoch.
    #[test]
    fn map_times_agrees_with_trunc_and_extract() {
        use ExtractField as F;
        use TruncUnit as U;
        let values: Vec<i64> = (-400..400i64)
            .map(|i| i * 7_919 * US_PER_MINUTE + i * 1_234_567 + i.rem_euclid(3) - 1)
            .collect();
        for u in [
            U::Second,
            U::Minute,
            U::Hour,
            U::Day,
            U::Week,
            U::Month,
            U::Quarter,
            U::Year,
        ] {
            let expected: Vec<i64> = values.iter().map(|&t| trunc(u, t)).collect();
            assert_eq!(map_times(Some(u), None, &values), expected, "date_trunc {u:?}");
        }
        for f in [
            F::Year,
            F::Quarter,
            F::Month,
            F::Week,
            F::Day,
            F::Dow,
            F::IsoDow,
            F::Doy,
            F::Hour,
            F::Minute,
            F::Second,
            F::Epoch,
        ] {
            let expected: Vec<i64> = values.iter().map(|&t| extract(f, t)).collect();
            assert_eq!(map_times(None, Some(f), &values), expected, "extract {f:?}");
        }
        assert_eq!(map_times(None, None, &values), values);
    }

    #[test]
    fn timestamps_round_trip() {
        for s in [
            "2022-01-03 00:00:00",
            "2022-02-05 16:29:00",
            "1969-12-31 23:59:59.5",
            "2024-02-29 12:00:00.000001",
        ] {
            assert_eq!(format_timestamp(ts(s)), s);
        }
        assert_eq!(ts("2022-01-17"), ts("2022-01-17 00:00:00"));
        assert_eq!(ts("2022-01-17T10:00"), ts("2022-01-17 10:00:00"));
        assert_eq!(
            format_timestamp(ts("2022-01-03 10:00:00.1234567")),
            "2022-01-03 10:00:00.123456"
        );
        assert!(parse_timestamp("2022-02-30").is_err());
        assert!(parse_timestamp("2022-01-01 24:00:00").is_err());
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn trunc_and_extract_match_postgres() {
        let t = ts("2022-01-19 13:45:12"); // a Wednesday
        assert_eq!(format_timestamp(trunc(TruncUnit::Week, t)), "2022-01-17 00:00:00");
        assert_eq!(format_timestamp(trunc(TruncUnit::Month, t)), "2022-01-01 00:00:00");
        assert_eq!(
            format_timestamp(trunc(TruncUnit::Quarter, ts("2022-05-19"))),
            "2022-04-01 00:00:00"
        );
        assert_eq!(format_timestamp(trunc(TruncUnit::Hour, t)), "2022-01-19 13:00:00");
        assert_eq!(extract(ExtractField::Dow, t), 3);
        assert_eq!(extract(ExtractField::IsoDow, ts("2022-01-23")), 7);
        assert_eq!(extract(ExtractField::Dow, ts("2022-01-23")), 0);
        assert_eq!(extract(ExtractField::Hour, t), 13);
        assert_eq!(extract(ExtractField::Doy, t), 19);
        assert_eq!(extract(ExtractField::Week, ts("2022-01-02")), 52);
        assert_eq!(extract(ExtractField::Week, ts("2022-01-03")), 1);
        assert_eq!(
            format_timestamp(trunc(TruncUnit::Week, ts("1969-12-31 10:00"))),
            "1969-12-29 00:00:00"
        );
    }

    #[test]
    fn intervals() {
        let iv = parse_interval("7 days").unwrap();
        assert_eq!(
            iv,
            Interval {
                months: 0,
                micros: 7 * US_PER_DAY
            }
        );
        assert_eq!(
            parse_interval("1 day 02:00:00").unwrap().micros,
            US_PER_DAY + 2 * US_PER_HOUR
        );
        let jan31 = ts("2022-01-31");
        let m = parse_interval("1 month").unwrap();
        assert_eq!(format_timestamp(add_interval(jan31, m).unwrap()), "2022-02-28 00:00:00");
        assert_eq!(
            format_interval(parse_interval("1 year 2 months 3 days 4 hours").unwrap()),
            "1 year 2 mons 3 days 04:00:00"
        );
        assert!(parse_interval("3 fortnights").is_err());
        assert!(parse_interval("").is_err());
    }
}
