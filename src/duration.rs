//! Durations on the command line: plain seconds (`0.2`, like ping's `-i 0.2`) or a number
//! with a unit (`200ms`, `2s`, `1.5m`, `500us`); and the other way, a duration written
//! back in those terms for a message (`no reply within 2s`), the same in every command.

use std::time::Duration;

/// Parses a duration; rejects negatives, NaN, infinities and absurdly large values.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty duration".into());
    }
    let split = trimmed
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let scale = match unit {
        "" | "s" | "sec" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}' (use s, ms, us, m or h, or plain seconds)"
            ))
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (try 0.2, 200ms or 2s)"))?;
    if !value.is_finite() {
        return Err(format!("'{text}' is not a finite duration"));
    }
    if value < 0.0 {
        return Err(format!("'{text}' is negative"));
    }
    let seconds = value * scale;
    // A week is far beyond any sensible network timeout; it also keeps the conversion exact.
    if seconds > 7.0 * 24.0 * 3600.0 {
        return Err(format!("'{text}' is too long (at most a week)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `2s`, `300ms`, `1.5s`: durations as the user would write them.
pub fn format_duration(d: Duration) -> String {
    let trim = |text: String| text.trim_end_matches('0').trim_end_matches('.').to_string();
    if d < Duration::from_secs(1) {
        format!("{}ms", trim(format!("{:.3}", d.as_secs_f64() * 1000.0)))
    } else {
        format!("{}s", trim(format!("{:.3}", d.as_secs_f64())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_micros(250)), "0.25ms");
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_secs(30)), "30s");
        for d in [Duration::from_millis(300), Duration::from_millis(1500)] {
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }

    #[test]
    fn accepts_seconds_and_units() {
        assert_eq!(parse_duration("0.2"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "", "-1", "abc", "1x", "nan", "inf", "1e300", "ms", "--2s", "1 s s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
