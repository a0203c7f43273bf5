//! Writing results for programs: CSV as the contract defines it (RFC 4180, header row, NULL as an empty
//! field, timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]`, doubles in shortest round-trip form) and JSON
//! lines (one object per row). Aligned tables for humans are the shell's business.

use std::io::{self, Write};

use crate::result::ResultSet;
use crate::value::Value;

/// Quotes a CSV field when it contains a separator, a quote or a line break (RFC 4180). An empty
/// string is written as `""` so it differs from NULL.
fn csv_field(s: &str) -> String {
    if s.is_empty() {
        "\"\"".into()
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `r` as CSV with a header row; lines end with `\n`.
pub fn write_csv(r: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    let header: Vec<String> = r.columns.iter().map(|c| csv_field(&c.name)).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in &r.rows {
        let fields: Vec<String> = row
            .iter()
            .map(|v| match v {
                Value::Null => String::new(),
                v => csv_field(&v.to_string()),
            })
            .collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// `r` as a CSV string.
pub fn to_csv(r: &ResultSet) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_csv(r, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) if d.is_finite() => v.to_string(),
        v => json_string(&v.to_string()),
    }
}

/// Writes `r` as JSON lines: one object per row, keys in column order.
pub fn write_json_lines(r: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    for row in &r.rows {
        let fields: Vec<String> = r
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| format!("{}:{}", json_string(&c.name), json_value(v)))
            .collect();
        writeln!(out, "{{{}}}", fields.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::ResultColumn;
    use crate::value::DataType;

    #[test]
    fn csv_quotes_only_when_needed_and_keeps_null_apart_from_empty() {
        let r = ResultSet {
            columns: vec![
                ResultColumn {
                    name: "name".into(),
                    ty: DataType::Text,
                },
                ResultColumn {
                    name: "n".into(),
                    ty: DataType::Int,
                },
            ],
            rows: vec![
                vec![Value::Text("School of \"Arts\", Music".into()), Value::Int(3)],
                vec![Value::Null, Value::Double(2.5)],
                vec![Value::Text(String::new()), Value::Timestamp(1_641_168_000_000_000)],
            ],
        };
        assert_eq!(
            to_csv(&r),
            "name,n\n\"School of \"\"Arts\"\", Music\",3\n,2.5\n\"\",2022-01-03 00:00:00\n"
        );
        let mut j = Vec::new();
        write_json_lines(&r, &mut j).unwrap();
        assert_eq!(
            String::from_utf8(j).unwrap(),
            "{\"name\":\"School of \\\"Arts\\\", Music\",\"n\":3}\n{\"name\":null,\"n\":2.5}\n{\"name\":\"\",\"n\":\"2022-01-03 00:00:00\"}\n"
        );
    }
}
