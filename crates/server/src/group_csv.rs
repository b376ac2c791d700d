//! The customer-tree file of `groups import` and `groups export`: CSV with a header row, one
//! group per row, parents before their children. The export writes exactly what the import
//! reads, so a file round-trips.
//!
//! Columns: `name`, `parent` and `level` are required; `service_type`, `state`,
//! `trial_expires_at`, `customer_reference`, `automatic_deployment` and the company profile's
//! fields as `company.<field>` are optional, in any order. Files saved by spreadsheets work too:
//! a UTF-8 byte order mark is skipped, `;` is accepted as the separator, and rows left blank
//! are ignored.

use chrono::SecondsFormat;
use tenantry_domain::{
    CompanyProfile, DomainError, FieldError, ImportRow, MAX_IMPORT_ROWS, Problems,
};
use tenantry_storage::groups::Exported;

/// The group's own columns, in the order the export writes them.
const GROUP_COLUMNS: [&str; 8] = [
    "name",
    "parent",
    "level",
    "service_type",
    "state",
    "trial_expires_at",
    "customer_reference",
    "automatic_deployment",
];

const REQUIRED: [&str; 3] = ["name", "parent", "level"];

const COMPANY_PREFIX: &str = "company.";

/// Every column, in the export's order.
pub fn columns() -> Vec<String> {
    GROUP_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(
            CompanyProfile::default()
                .fields()
                .iter()
                .map(|(field, _)| format!("{COMPANY_PREFIX}{field}")),
        )
        .collect()
}

/// What reading a file gave: its rows, and the problems found in the file itself (bad lines),
/// which are reported together with the problems the rows' checks find.
#[derive(Debug, Default)]
pub struct Read {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<FieldError>,
}

/// Reads an import file. A header that cannot be used is an error at once (no row can be read
/// without it); problems with single lines are collected, and the line is still read as well as
/// it can be, so that rows naming it as their parent are not blamed for it. Reading stops at
/// the first row over the import's limit, whatever the size of the file.
pub fn read(bytes: &[u8]) -> Result<Read, DomainError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(bytes))
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| on_line(1, "header", describe(&e)))?
        .clone();
    let columns = header_columns(&header)?;
    let mut read = Read::default();
    let mut lines = LineCounter::new(bytes);
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.at(p.byte()));
                read.problems
                    .push(FieldError::new("row", describe(&error)).at_line(line));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(|cell| cell.trim_ascii().is_empty()) {
            continue;
        }
        if read.rows.len() == MAX_IMPORT_ROWS {
            return Err(on_line(
                line,
                "file",
                format!("has more than {MAX_IMPORT_ROWS} rows, the most one import takes"),
            ));
        }
        if record.len() != header.len() {
            let message = format!(
                "has {} cells; the header has {}",
                record.len(),
                header.len()
            );
            read.problems
                .push(FieldError::new("row", message).at_line(line));
        }
        if std::str::from_utf8(record.as_slice()).is_err() {
            read.problems.push(
                FieldError::new("row", "is not UTF-8 text; save the file as UTF-8").at_line(line),
            );
        }
        read.rows.push(row_of(line, &columns, &record));
    }
    Ok(read)
}

/// The file's own line of a byte offset, as an editor or a spreadsheet numbers it: the csv
/// reader's line count leaves out the empty lines it skips, so its numbers drift below the
/// file's after a blank line. Offsets come in order, so the count runs on from the last one.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let mut to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // A record's position is where the reader began looking for it: before the empty lines
        // it skipped on the way. The record itself starts after them.
        while let Some(b'\r' | b'\n') = self.bytes.get(to) {
            to += 1;
        }
        if to >= self.offset {
            self.line += self.bytes[self.offset..to]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.offset = to;
        }
        self.line
    }
}

/// One record as a row: each cell under its column, formula quotes taken off.
fn row_of(line: u64, columns: &[Option<String>], record: &csv::ByteRecord) -> ImportRow {
    let mut row = ImportRow {
        line,
        ..ImportRow::default()
    };
    for (column, cell) in columns.iter().zip(record.iter()) {
        let Some(column) = column else { continue };
        let cell = undefuse(&String::from_utf8_lossy(cell)).to_owned();
        match column.as_str() {
            "name" => row.name = cell,
            "parent" => row.parent = cell,
            "level" => row.level = cell,
            "service_type" => row.service_type = cell,
            "state" => row.state = cell,
            "trial_expires_at" => row.trial_expires_at = cell,
            "customer_reference" => row.customer_reference = cell,
            "automatic_deployment" => row.automatic_deployment = cell,
            other => {
                // The header check admitted only the profile's own fields.
                if let Some(field) = other
                    .strip_prefix(COMPANY_PREFIX)
                    .and_then(|f| row.company.field_mut(f))
                {
                    *field = Some(cell);
                }
            }
        }
    }
    row
}

/// The header's columns, lower-cased and trimmed (`None` for a blank cell: spreadsheets leave
/// a trailing separator); every unknown, repeated or missing column is named at once.
fn header_columns(header: &csv::ByteRecord) -> Result<Vec<Option<String>>, DomainError> {
    let known = columns();
    // Each known column once, and room for the blank cells of a trailing separator: a longer
    // header is not a file of ours, and is refused before anything else is read.
    if header.len() > 2 * known.len() {
        return Err(on_line(
            1,
            "header",
            format!(
                "has {} cells; there are only {} columns",
                header.len(),
                known.len()
            ),
        ));
    }
    let mut problems = Problems::default();
    let mut seen: Vec<Option<String>> = Vec::new();
    for cell in header {
        let column = String::from_utf8_lossy(cell).trim().to_ascii_lowercase();
        if column.is_empty() {
            seen.push(None);
            continue;
        }
        if !known.contains(&column) {
            problems.push(
                FieldError::new(
                    "header",
                    format!(
                        "{column:?} is not a column; the columns are {}",
                        known.join(", ")
                    ),
                )
                .at_line(1),
            );
        } else if seen.iter().flatten().any(|c| *c == column) {
            problems
                .push(FieldError::new("header", format!("{column:?} appears twice")).at_line(1));
        }
        seen.push(Some(column));
    }
    for required in REQUIRED {
        if !seen.iter().flatten().any(|c| c == required) {
            problems.push(
                FieldError::new("header", format!("the {required:?} column is missing")).at_line(1),
            );
        }
    }
    problems.finish(|| Some(seen))
}

/// `;` when the header uses it more than `,` (spreadsheets in many locales save that way).
fn separator(bytes: &[u8]) -> u8 {
    let first = bytes
        .split(|b| *b == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
        .unwrap_or_default();
    let count = |c: u8| first.iter().filter(|b| **b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

fn on_line(line: u64, field: &str, message: String) -> DomainError {
    DomainError::Validation(vec![FieldError::new(field, message).at_line(line)])
}

/// A CSV error, said of the line the problem's `line` names.
fn describe(error: &csv::Error) -> String {
    format!("cannot be read: {error}")
}

/// Writes an export: every group below the exported one, in tree order.
pub fn write(groups: &[Exported]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns())?;
    for exported in groups {
        let group = &exported.group;
        let mut record: Vec<String> = vec![
            group.name.clone(),
            exported.parent_name.clone(),
            group.level.as_str().to_owned(),
            group.service_type.as_str().to_owned(),
            // As stored: a trial past its expiry stays a trial with that expiry, and reads
            // `expired` again after an import.
            group.state.state.as_str().to_owned(),
            group
                .state
                .trial_expires_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .unwrap_or_default(),
            group.customer_reference.clone().unwrap_or_default(),
            group.automatic_deployment.to_string(),
        ];
        record.extend(
            exported
                .company
                .fields()
                .iter()
                .map(|(_, value)| value.unwrap_or_default().to_owned()),
        );
        writer.write_record(record.iter().map(|cell| defuse(cell)))?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Text a spreadsheet would run as a formula (a customer named `=HYPERLINK(…)`) gets a leading
/// `'`, which spreadsheets show as plain text; numbers (`-5`) are left alone, as the reporting
/// plugin's CSV leaves them. So that the file still round-trips, text that
/// already starts with `'` and a formula character gets one more, and [`undefuse`] takes
/// exactly one away.
fn defuse(cell: &str) -> String {
    if is_formula(cell) || cell.strip_prefix('\'').is_some_and(is_formula_start) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_formula_start(rest) => rest,
        _ => cell,
    }
}

fn is_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

/// Text that is a formula, or a defused formula (one that starts with `'` and then one).
fn is_formula_start(rest: &str) -> bool {
    is_formula(rest) || rest.strip_prefix('\'').is_some_and(is_formula_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: DomainError) -> Vec<(u64, String)> {
        match error {
            DomainError::Validation(fields) => fields
                .into_iter()
                .map(|f| (f.line.unwrap_or(0), f.message))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rows_keep_their_lines_and_blank_rows_are_skipped() {
        let file = "name,parent,level,company.city\n\
                    A,Top,reseller,Utrecht\n\
                    ,,,\n\
                    \"B\nwith a newline\",A,site,\n\
                    \n\
                    \r\n\
                    C,A,site,x\n";
        let read = read(file.as_bytes()).unwrap();
        let lines: Vec<u64> = read.rows.iter().map(|r| r.line).collect();
        assert_eq!(
            lines,
            [2, 4, 8],
            "a quoted newline moves the next row down a line, and so do empty lines"
        );
        assert_eq!(read.rows[0].company.city.as_deref(), Some("Utrecht"));
        assert!(read.problems.is_empty());
    }

    #[test]
    fn a_bad_header_names_every_column_at_fault() {
        let found = fields(read(b"name,Name,levle,colour\nA,B,C,D\n").unwrap_err());
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(found.iter().all(|(line, _)| *line == 1));
        assert!(found[0].1.contains("appears twice"), "{found:?}");
        assert!(
            found[1].1.contains("\"levle\" is not a column"),
            "{found:?}"
        );
    }

    #[test]
    fn short_rows_and_bad_bytes_are_problems_of_their_line() {
        let mut file = b"name,parent,level\nA,Top\nB,Top,site\n".to_vec();
        file.extend_from_slice(b"C\xff,Top,site\n");
        let read = read(&file).unwrap();
        let lines: Vec<u64> = read.problems.iter().map(|p| p.line.unwrap_or(0)).collect();
        assert_eq!(lines, [2, 4], "{:?}", read.problems);
        assert!(read.problems[1].message.contains("UTF-8"));
        assert_eq!(
            read.rows.len(),
            3,
            "bad lines are still read, so that their children are not blamed for them"
        );
        assert_eq!(read.rows[2].name, "C\u{fffd}");
    }

    #[test]
    fn files_far_beyond_an_import_stop_being_read() {
        let header = ",".repeat(60);
        let found = fields(read(header.as_bytes()).unwrap_err());
        assert_eq!(found.len(), 1, "one problem, not one per cell: {found:?}");
        let mut file = String::from("name,parent,level\n");
        for i in 0..=MAX_IMPORT_ROWS {
            file.push_str(&format!("G{i},Top,site\n"));
        }
        let found = fields(read(file.as_bytes()).unwrap_err());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 10_002, "{found:?}");
        assert!(found[0].1.contains("more than 10000 rows"), "{found:?}");
    }

    #[test]
    fn spreadsheet_files_are_read() {
        let file = "\u{feff}\nName ; Parent ; LEVEL;\nA;Top;reseller;\n";
        let read = read(file.as_bytes()).unwrap();
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert_eq!(read.rows[0].name, "A");
        assert_eq!(read.rows[0].level, "reseller");
        assert_eq!(read.rows[0].line, 3);
    }

    #[test]
    fn formulas_are_defused_and_come_back_unchanged() {
        for text in [
            "=HYPERLINK(\"x\")",
            "'=already quoted",
            "+31 20 123",
            "plain",
            "'plain",
        ] {
            assert_eq!(undefuse(&defuse(text)), text);
        }
        assert_eq!(defuse("=1+1"), "'=1+1");
        assert_eq!(defuse("'plain"), "'plain");
        assert_eq!(defuse("-5"), "-5", "numbers are no formulas");
    }
}
