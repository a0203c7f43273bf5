//! Civil-date arithmetic and the export's text formats for dates, timestamps and durations.

/// Days since 1970-01-01 of the proleptic Gregorian date `y-m-d` (Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// `true` if `y-m-d` is a real calendar date.
pub fn is_valid_date(y: i32, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && d >= 1 && civil_from_days(days_from_civil(y, m, d)) == (y, m, d)
}

/// Day of week of a day number: 0 = Monday … 6 = Sunday.
pub fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// Appends `n` in decimal.
#[inline]
pub fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

#[inline]
fn push_2(buf: &mut Vec<u8>, n: u32) {
    buf.push(b'0' + (n / 10) as u8);
    buf.push(b'0' + (n % 10) as u8);
}

/// Appends `YYYY-MM-DD` for a day number.
pub fn push_date(buf: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil_from_days(days);
    push_u64(buf, y.max(0) as u64);
    buf.push(b'-');
    push_2(buf, m);
    buf.push(b'-');
    push_2(buf, d);
}

/// A pre-rendered `YYYY-MM-DD` for one day, so per-row timestamp formatting needs no date math.
#[derive(Debug, Clone, Copy)]
pub struct DateText(pub [u8; 10]);

impl DateText {
    /// Renders the date of a day number.
    pub fn of_day(days: i64) -> DateText {
        let mut buf = Vec::with_capacity(10);
        push_date(&mut buf, days);
        let mut out = [b'0'; 10];
        let n = buf.len().min(10);
        out[..n].copy_from_slice(&buf[..n]);
        DateText(out)
    }
}

/// Appends `YYYY-MM-DD HH:MM:SS` (plus `.fffffff` when `ticks` — 100 ns units — is `Some`).
#[inline]
pub fn push_timestamp(buf: &mut Vec<u8>, date: &DateText, second_of_day: u32, ticks: Option<u32>) {
    buf.extend_from_slice(&date.0);
    buf.push(b' ');
    push_2(buf, second_of_day / 3600);
    buf.push(b':');
    push_2(buf, second_of_day / 60 % 60);
    buf.push(b':');
    push_2(buf, second_of_day % 60);
    if let Some(t) = ticks {
        buf.push(b'.');
        let mut digits = [b'0'; 7];
        let mut v = t % 10_000_000;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        buf.extend_from_slice(&digits);
    }
}

/// Appends a duration as `H:MM:SS` (hours unpadded), the export's MeetingDuration format.
pub fn push_duration(buf: &mut Vec<u8>, seconds: u32) {
    push_u64(buf, u64::from(seconds / 3600));
    buf.push(b':');
    push_2(buf, seconds / 60 % 60);
    buf.push(b':');
    push_2(buf, seconds % 60);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut buf = Vec::new();
        f(&mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn civil_round_trip_and_weekday() {
        let d = days_from_civil(2022, 1, 3);
        assert_eq!(d, 18_995);
        assert_eq!(civil_from_days(d), (2022, 1, 3));
        assert_eq!(weekday(d), 0, "2022-01-03 is a Monday");
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert!(!is_valid_date(2022, 2, 29));
        assert!(is_valid_date(2024, 2, 29));
    }

    #[test]
    fn formats_match_the_export() {
        let date = DateText::of_day(days_from_civil(2022, 1, 3));
        assert_eq!(
            text(|b| push_timestamp(b, &date, 7 * 3600 + 5, None)),
            "2022-01-03 07:00:05"
        );
        assert_eq!(
            text(|b| push_timestamp(b, &date, 0, Some(1_234_567))),
            "2022-01-03 00:00:00.1234567"
        );
        assert_eq!(text(|b| push_duration(b, 3600 + 12 * 60)), "1:12:00");
        assert_eq!(text(|b| push_duration(b, 59)), "0:00:59");
        assert_eq!(text(|b| push_u64(b, 0)), "0");
        assert_eq!(text(|b| push_u64(b, 1_000_007)), "1000007");
    }
}
