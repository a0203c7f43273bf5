//! Time partitioning: which partition (hour, day, ISO week or month, in UTC) an event belongs to.
//! Segments never span partitions, so a time range prunes whole partitions and retention drops them.

use serde::{Deserialize, Serialize};

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// The width of a time partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Granularity {
    /// One partition per UTC hour.
    Hour,
    /// One partition per UTC day (the default).
    #[default]
    Day,
    /// One partition per ISO week, starting Monday 00:00 UTC.
    Week,
    /// One partition per calendar month.
    Month,
}

impl Granularity {
    /// Parses `hour`, `day`, `week` or `month`.
    pub fn parse(s: &str) -> Option<Granularity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "hour" => Granularity::Hour,
            "day" => Granularity::Day,
            "week" => Granularity::Week,
            "month" => Granularity::Month,
            _ => return None,
        })
    }

    /// The name [`Granularity::parse`] reads: `hour`, `day`, `week` or `month`.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    /// Start (µs since epoch) of the partition holding `t`.
    pub fn start_of(self, t: i64) -> i64 {
        match self {
            Granularity::Hour => t.div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR,
            Granularity::Day => t.div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY,
            Granularity::Week => {
                // 1970-01-01 was a Thursday; Monday-based weeks start 3 days earlier.
                let day = t.div_euclid(MICROS_PER_DAY);
                let monday = day - (day + 3).rem_euclid(7);
                monday * MICROS_PER_DAY
            }
            Granularity::Month => {
                let (y, m, _) = civil_from_days(t.div_euclid(MICROS_PER_DAY));
                days_from_civil(y, m, 1) * MICROS_PER_DAY
            }
        }
    }

    /// Start of the partition after the one starting at `start` (exclusive end of that partition).
    pub fn end_of(self, start: i64) -> i64 {
        match self {
            Granularity::Hour => start + MICROS_PER_HOUR,
            Granularity::Day => start + MICROS_PER_DAY,
            Granularity::Week => start + 7 * MICROS_PER_DAY,
            Granularity::Month => {
                let (y, m, _) = civil_from_days(start.div_euclid(MICROS_PER_DAY));
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(ny, nm, 1) * MICROS_PER_DAY
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i64, m: u32, d: u32, h: i64) -> i64 {
        days_from_civil(y, m, d) * MICROS_PER_DAY + h * MICROS_PER_HOUR
    }

    #[test]
    fn partitions_start_where_expected() {
        let t = ts(2022, 1, 19, 13) + 5; // a Wednesday
        assert_eq!(Granularity::Hour.start_of(t), ts(2022, 1, 19, 13));
        assert_eq!(Granularity::Day.start_of(t), ts(2022, 1, 19, 0));
        assert_eq!(Granularity::Week.start_of(t), ts(2022, 1, 17, 0));
        assert_eq!(Granularity::Month.start_of(t), ts(2022, 1, 1, 0));
        assert_eq!(Granularity::Month.end_of(ts(2022, 12, 1, 0)), ts(2023, 1, 1, 0));
        assert_eq!(Granularity::Week.end_of(ts(2022, 1, 17, 0)), ts(2022, 1, 24, 0));
        assert_eq!(Granularity::Day.start_of(-1), -MICROS_PER_DAY);
    }

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 19_000, 59, 60, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
