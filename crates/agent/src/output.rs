//! How answers are shown: a human table by default, `-o json` for scripts (exactly the API's
//! JSON), `-o csv` for lists.

use clap::ValueEnum;
use serde_json::Value;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// Writes to standard output. A reader that went away (`tenantry … | head`) ends the program
/// quietly, as a pipe's end should, rather than with a panic.
pub fn emit(text: &str) {
    emit_bytes(text.as_bytes());
}

/// Writes bytes to stdout as they are (a file the server sent); a closed pipe ends quietly.
pub fn emit_bytes(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_all(bytes).and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {error}");
        std::process::exit(i32::from(crate::error::EXIT_OTHER));
    }
}

/// A column: its heading and the field it shows.
pub type Column = (&'static str, &'static str);

/// The text of a field for a table or a CSV cell.
fn cell(item: &Value, field: &str) -> String {
    match item.get(field) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Prints an answer: the JSON itself, or its `items` (or the one object) as rows.
pub fn print(format: Format, answer: &Value, columns: &[Column]) {
    match format {
        Format::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(answer).unwrap_or_default()
        )),
        Format::Table | Format::Csv => {
            let rows: Vec<&Value> = match answer.get("items").and_then(Value::as_array) {
                Some(items) => items.iter().collect(),
                None => vec![answer],
            };
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|row| columns.iter().map(|(_, field)| cell(row, field)).collect())
                .collect();
            let headings: Vec<String> = columns.iter().map(|(h, _)| (*h).to_owned()).collect();
            if format == Format::Csv {
                emit(&csv(&headings, &cells));
            } else {
                emit(&table(&headings, &cells));
            }
        }
    }
}

/// Columns padded to their widest cell.
pub fn table(headings: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths[i]))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headings);
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// RFC 4180: quoted where needed.
pub fn csv(headings: &[String], rows: &[Vec<String>]) -> String {
    let line = |cells: &[String]| {
        let quoted: Vec<String> = cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        format!("{}\r\n", quoted.join(","))
    };
    let mut out = line(headings);
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_csv_quotes() {
        let headings = vec!["ID".to_owned(), "NAME".to_owned()];
        let rows = vec![
            vec!["1".to_owned(), "Acme, Inc.".to_owned()],
            vec!["12".to_owned(), "B".to_owned()],
        ];
        assert_eq!(table(&headings, &rows), "ID  NAME\n1   Acme, Inc.\n12  B\n");
        assert_eq!(
            csv(&headings, &rows),
            "ID,NAME\r\n1,\"Acme, Inc.\"\r\n12,B\r\n"
        );
    }
}
