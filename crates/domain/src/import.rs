//! A customer tree imported in bulk. Every row is checked on its own, against the rows above it
//! and against the tree as it stands, and every problem is reported with its line before
//! anything is written: an import is all or nothing. (The file format is the server's business;
//! these are the rules.)

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    CompanyProfile, CustomerReference, DomainError, FieldError, GroupId, GroupName, GroupState,
    Level, NewGroup, Problems, ServiceType, StoredState, check_automatic_deployment,
    check_child_level,
};

/// The most rows one import takes: enough for any real customer base moved in one go, small
/// enough that the one transaction it runs in stays short.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// One row as read from a file: the text as written, blank where not given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub name: String,
    /// The parent's name: a group already in the tree, or the group of a row above this one.
    pub parent: String,
    pub level: String,
    pub service_type: String,
    pub state: String,
    pub trial_expires_at: String,
    pub customer_reference: String,
    pub automatic_deployment: String,
    pub company: CompanyProfile,
}

/// What the tree holds under a name already (names are unique across the installation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// A group the import may put children under.
    InScope { id: GroupId, level: Level },
    /// A group outside the importer's reach: its name is taken, but it cannot be a parent.
    Elsewhere,
}

/// Where a planned group goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlannedParent {
    Existing(GroupId),
    /// The group of an earlier row of the plan, by its index there.
    Row(usize),
}

/// A row that passed every check, ready to be created once its parent exists.
#[derive(Clone, Debug)]
pub struct PlannedGroup {
    pub line: u64,
    pub parent: PlannedParent,
    pub name: GroupName,
    pub level: Level,
    pub service_type: ServiceType,
    pub state: StoredState,
    pub customer_reference: Option<CustomerReference>,
    pub automatic_deployment: bool,
    /// Validated; every field `None` when the row gives none.
    pub company: CompanyProfile,
}

impl PlannedGroup {
    pub fn new_group(&self, parent_id: GroupId) -> NewGroup {
        NewGroup {
            name: self.name.clone(),
            parent_id,
            level: self.level,
            service_type: self.service_type,
            state: self.state,
            customer_reference: self.customer_reference.clone(),
            automatic_deployment: self.automatic_deployment,
        }
    }
}

/// The name keys [`plan`] asks the tree about: every row's name and parent name.
pub fn names_to_look_up(rows: &[ImportRow]) -> Vec<String> {
    let mut keys: Vec<String> = rows
        .iter()
        .flat_map(|row| [&row.name, &row.parent])
        .filter_map(|text| GroupName::parse(text).ok())
        .map(|name| name.key())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Checks every row and orders nothing: rows are created in file order, so a parent must come
/// before its children. `existing` answers for the names [`names_to_look_up`] listed; a row
/// with a blank parent goes under `into`, the group the file is imported into (its id and
/// level). Every problem of every row comes back at once: a row that failed still has its
/// children checked against its level, so that fixing one batch does not reveal the next.
pub fn plan(
    rows: &[ImportRow],
    existing: &HashMap<String, Existing>,
    into: (GroupId, Level),
    now: DateTime<Utc>,
    trial_days: i64,
) -> Result<Vec<PlannedGroup>, DomainError> {
    if rows.is_empty() {
        return Err(DomainError::invalid("file", "has no rows below its header"));
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(DomainError::invalid(
            "file",
            format!(
                "has {} rows; one import takes at most {MAX_IMPORT_ROWS}",
                rows.len()
            ),
        ));
    }
    // Every row's name, to tell "defined further down" from "does not exist".
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in rows {
        if let Ok(name) = GroupName::parse(&row.name) {
            first_line.entry(name.key()).or_insert(row.line);
        }
    }
    let mut earlier: HashMap<String, Seen> = HashMap::new();
    let mut planned = Vec::with_capacity(rows.len());
    let mut all = Problems::default();
    for row in rows {
        let mut problems = Problems::default();
        let (name, level, own) = parse_row(row, now, trial_days, &mut problems);
        // A row whose name is taken is not what later rows mean by that name: the group that
        // has it is.
        let name_free = name
            .as_ref()
            .is_some_and(|name| check_name_free(name, &earlier, existing, &mut problems));
        let parent = problems.take(find_parent(
            row,
            name.as_ref(),
            &earlier,
            existing,
            &first_line,
            into,
        ));
        if let (Some((_, Some(parent_level))), Some(level)) = (parent, level) {
            problems.take(check_child_level(parent_level, level).map_err(|e| on_field("level", e)));
        }
        if let (Some(level), Some(own)) = (level, &own) {
            problems.take(
                check_automatic_deployment(level, own.automatic_deployment)
                    .map_err(|e| on_field("automatic_deployment", e)),
            );
        }
        let index = match (problems.is_empty(), name.clone(), parent, level, own) {
            (true, Some(name), Some((Some(parent), _)), Some(level), Some(own)) => {
                planned.push(PlannedGroup {
                    line: row.line,
                    parent,
                    name,
                    level,
                    service_type: own.service_type,
                    state: own.state,
                    customer_reference: own.customer_reference,
                    automatic_deployment: own.automatic_deployment,
                    company: own.company,
                });
                Some(planned.len() - 1)
            }
            // A row with problems, or whose parent row failed: this row's own fields may be
            // fine, but it cannot be placed (the parent's line says why).
            _ => None,
        };
        if let Some(name) = name.filter(|_| name_free) {
            earlier.entry(name.key()).or_insert(Seen {
                index,
                // Kept when the row failed: its children's levels are still checked against it
                // (they cannot be placed, but their own mistakes show now, not after a fix).
                level,
                line: row.line,
            });
        }
        problems.move_to_line(row.line, &mut all);
    }
    all.finish(|| Some(planned))
}

/// A row's fields other than its name, level and parent, all parsed.
struct Own {
    service_type: ServiceType,
    state: StoredState,
    customer_reference: Option<CustomerReference>,
    automatic_deployment: bool,
    company: CompanyProfile,
}

/// A row's own fields, each problem noted: the name and level (which later rows and checks
/// need even when another field failed), and the rest when all of it parsed.
fn parse_row(
    row: &ImportRow,
    now: DateTime<Utc>,
    trial_days: i64,
    problems: &mut Problems,
) -> (Option<GroupName>, Option<Level>, Option<Own>) {
    let name = problems.take(GroupName::parse(&row.name));
    let level = problems.take(required_choice("level", &row.level, Level::parse, &LEVELS));
    let service_type = problems.take(optional_choice(
        "service_type",
        &row.service_type,
        ServiceType::parse,
        &SERVICE_TYPES,
    ));
    let state = problems.take(optional_choice(
        "state",
        &row.state,
        GroupState::parse,
        &STATES,
    ));
    let expiry = problems.take(parse_expiry(&row.trial_expires_at));
    let state = match (state, expiry) {
        (Some(state), Some(expiry)) => {
            problems.take(StoredState::for_new_group(state, expiry, now, trial_days))
        }
        _ => None,
    };
    let customer_reference = problems.take(CustomerReference::parse(&row.customer_reference));
    let automatic_deployment = problems.take(parse_flag(
        "automatic_deployment",
        &row.automatic_deployment,
    ));
    let company = problems.take(
        row.company
            .clone()
            .validated()
            .map_err(|error| renamed(error, |field| format!("company.{field}"))),
    );
    let own = match (
        service_type,
        state,
        customer_reference,
        automatic_deployment,
        company,
    ) {
        (
            Some(service_type),
            Some(state),
            Some(customer_reference),
            Some(automatic),
            Some(company),
        ) => Some(Own {
            service_type: service_type.unwrap_or(ServiceType::AllInclusive),
            state,
            customer_reference,
            automatic_deployment: automatic,
            company,
        }),
        _ => None,
    };
    (name, level, own)
}

/// Names are unique across the installation and within the file; answers whether it is free.
fn check_name_free(
    name: &GroupName,
    earlier: &HashMap<String, Seen>,
    existing: &HashMap<String, Existing>,
    problems: &mut Problems,
) -> bool {
    let key = name.key();
    if let Some(seen) = earlier.get(&key) {
        problems.push(FieldError::new(
            "name",
            format!("{:?} is on line {} already", name.as_str(), seen.line),
        ));
        false
    } else if existing.contains_key(&key) {
        let taken = DomainError::NameTaken {
            name: name.as_str().to_owned(),
        };
        problems.push(FieldError::new("name", taken.to_string()));
        false
    } else {
        true
    }
}

/// A row already read, by its name.
struct Seen {
    /// Its index in the plan; `None` when the row failed its checks.
    index: Option<usize>,
    level: Option<Level>,
    line: u64,
}

/// The parent of a row, with its level when known. `Ok((None, _))` is a parent row that failed
/// its own checks: reported there, not again here.
fn find_parent(
    row: &ImportRow,
    own: Option<&GroupName>,
    earlier: &HashMap<String, Seen>,
    existing: &HashMap<String, Existing>,
    first_line: &HashMap<String, u64>,
    into: (GroupId, Level),
) -> Result<(Option<PlannedParent>, Option<Level>), DomainError> {
    if row.parent.trim().is_empty() {
        return Ok((Some(PlannedParent::Existing(into.0)), Some(into.1)));
    }
    let parent = GroupName::parse(&row.parent).map_err(|e| on_field("parent", e))?;
    let key = parent.key();
    if own.is_some_and(|own| own.key() == key) {
        return Err(DomainError::invalid(
            "parent",
            "a group cannot be its own parent",
        ));
    }
    if let Some(seen) = earlier.get(&key) {
        return Ok((seen.index.map(PlannedParent::Row), seen.level));
    }
    if let Some(Existing::InScope { id, level }) = existing.get(&key) {
        return Ok((Some(PlannedParent::Existing(*id)), Some(*level)));
    }
    Err(DomainError::invalid(
        "parent",
        match first_line.get(&key) {
            Some(line) => format!(
                "{:?} is on line {line}, below this row; list parents before their children",
                parent.as_str()
            ),
            // Outside the importer's part of the tree looks exactly like nowhere.
            None => format!(
                "no group named {:?} in this part of the tree",
                parent.as_str()
            ),
        },
    ))
}

const LEVELS: [&str; 5] = [
    Level::Distributor.as_str(),
    Level::SubDistributor.as_str(),
    Level::Reseller.as_str(),
    Level::EndCustomer.as_str(),
    Level::Site.as_str(),
];
const SERVICE_TYPES: [&str; 2] = [
    ServiceType::AllInclusive.as_str(),
    ServiceType::SoftwareOnly.as_str(),
];
const STATES: [&str; 4] = [
    GroupState::Trial.as_str(),
    GroupState::Production.as_str(),
    GroupState::NotActive.as_str(),
    GroupState::Expired.as_str(),
];

fn required_choice<T>(
    field: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    choices: &[&str],
) -> Result<T, DomainError> {
    optional_choice(field, text, parse, choices)?
        .ok_or_else(|| DomainError::invalid(field, format!("is required: {}", choices.join(", "))))
}

/// Blank is "not given"; anything else must be one of `choices` (ignoring case and spaces
/// around it, as spreadsheets leave them).
fn optional_choice<T>(
    field: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    choices: &[&str],
) -> Result<Option<T>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse(&text.to_ascii_lowercase()).map(Some).ok_or_else(|| {
        DomainError::invalid(
            field,
            format!("{text:?} is not one of {}", choices.join(", ")),
        )
    })
}

/// An RFC 3339 time, or a date (midnight UTC); blank is "not given".
fn parse_expiry(text: &str) -> Result<Option<DateTime<Utc>>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(time.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| Some(midnight.and_utc()))
        .ok_or_else(|| {
            DomainError::invalid(
                "trial_expires_at",
                format!("{text:?} is neither a date (2027-01-31) nor an RFC 3339 time"),
            )
        })
}

fn parse_flag(field: &str, text: &str) -> Result<bool, DomainError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => Ok(false),
        "true" | "yes" | "1" => Ok(true),
        other => Err(DomainError::invalid(
            field,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// A refusal as a problem with one field of a row: a bulk import reports every problem of
/// every row, so rules that usually answer with their own code (a level violation) become
/// fields, and a name's errors are reported against the column that holds it (`parent`).
fn on_field(field: &str, error: DomainError) -> DomainError {
    match error {
        DomainError::Validation(_) => renamed(error, |_| field.to_owned()),
        other => DomainError::invalid(field, other.to_string()),
    }
}

/// Validation errors with their fields renamed (a nested value's fields as the import's columns
/// name them: `company.city`).
fn renamed(error: DomainError, rename: impl Fn(&str) -> String) -> DomainError {
    match error {
        DomainError::Validation(fields) => DomainError::Validation(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: rename(&f.field),
                    ..f
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn row(line: u64, name: &str, parent: &str, level: &str) -> ImportRow {
        ImportRow {
            line,
            name: name.into(),
            parent: parent.into(),
            level: level.into(),
            ..Default::default()
        }
    }

    /// The tree: "Top" (a distributor) the importer may use, "Hidden" someone else's.
    fn tree() -> HashMap<String, Existing> {
        HashMap::from([
            (
                "top".to_owned(),
                Existing::InScope {
                    id: GroupId(7),
                    level: Level::Distributor,
                },
            ),
            ("hidden".to_owned(), Existing::Elsewhere),
        ])
    }

    /// The group the file is imported into: "Top".
    const INTO: (GroupId, Level) = (GroupId(7), Level::Distributor);

    fn problems(rows: &[ImportRow]) -> Vec<(u64, String, String)> {
        match plan(rows, &tree(), INTO, now(), 30) {
            Err(DomainError::Validation(fields)) => fields
                .into_iter()
                .map(|f| (f.line.unwrap_or(0), f.field, f.message))
                .collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn rows_may_name_existing_groups_and_rows_above_as_parents() {
        let rows = [
            row(2, "Reseller A", "Top", "reseller"),
            row(3, "Customer A1", "reseller a", "End_Customer"),
            row(4, "Site A1", "Customer A1", "site"),
        ];
        let plan = plan(&rows, &tree(), INTO, now(), 30).unwrap();
        assert_eq!(plan[0].parent, PlannedParent::Existing(GroupId(7)));
        assert_eq!(plan[1].parent, PlannedParent::Row(0));
        assert_eq!(plan[2].parent, PlannedParent::Row(1));
        assert_eq!(plan[1].level, Level::EndCustomer);
        assert_eq!(plan[0].service_type, ServiceType::AllInclusive);
        assert_eq!(
            plan[0].state.state,
            GroupState::Trial,
            "a trial unless told otherwise"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let rows = [
            row(2, "Reseller A", "Top", "reseller"),
            row(3, "Reseller A", "Top", "reseller"),
            row(4, "Orphan", "Nobody", "site"),
            row(5, "Too high", "Reseller A", "distributor"),
            row(6, "Bad level", "Top", "resellr"),
            row(7, "TOP", "Reseller A", "site"),
            row(8, "Sneaky", "Hidden", "site"),
            row(9, "Early", "Late", "site"),
            row(10, "Late", "Top", "reseller"),
            row(11, "Self", "self", "site"),
        ];
        let found = problems(&rows);
        let fields: Vec<(u64, &str)> = found.iter().map(|(l, f, _)| (*l, f.as_str())).collect();
        assert_eq!(
            fields,
            [
                (3, "name"),
                (4, "parent"),
                (5, "level"),
                (6, "level"),
                (7, "name"),
                (8, "parent"),
                (9, "parent"),
                (11, "parent"),
            ]
        );
        assert!(found[0].2.contains("line 2"), "{found:?}");
        assert!(
            found[5].2.contains("no group named \"Hidden\""),
            "{found:?}"
        );
        assert!(found[6].2.contains("line 10"), "{found:?}");
    }

    #[test]
    fn a_blank_parent_is_the_group_the_file_goes_into() {
        let rows = [
            row(2, "Reseller A", "", "reseller"),
            row(3, "Customer A1", "Reseller A", "end_customer"),
        ];
        let plan = plan(&rows, &tree(), INTO, now(), 30).unwrap();
        assert_eq!(plan[0].parent, PlannedParent::Existing(GroupId(7)));
        // And its level rules hold there too: a distributor cannot go under a distributor.
        let found = problems(&[row(2, "Too high", " ", "distributor")]);
        assert_eq!(found[0].1, "level");
    }

    #[test]
    fn a_failed_rows_children_still_have_their_levels_checked() {
        // "Broken" fails for its state; its child is placed wrong for its level too, and both
        // show in the one answer.
        let mut broken = row(2, "Broken", "Top", "end_customer");
        broken.state = "nonsense".into();
        let rows = [broken, row(3, "Child", "Broken", "reseller")];
        let found = problems(&rows);
        let fields: Vec<(u64, &str)> = found.iter().map(|(l, f, _)| (*l, f.as_str())).collect();
        assert_eq!(fields, [(2, "state"), (3, "level")]);
    }

    #[test]
    fn children_of_a_failed_row_are_not_blamed_for_it() {
        let rows = [
            row(2, "Broken", "Top", "nonsense"),
            row(3, "Child", "Broken", "site"),
        ];
        assert_eq!(problems(&rows).len(), 1);
    }

    #[test]
    fn optional_columns_are_parsed_and_checked() {
        let mut good = row(2, "A", "Top", "reseller");
        good.service_type = "software_only".into();
        good.state = "trial".into();
        good.trial_expires_at = "2027-01-31".into();
        good.automatic_deployment = "yes".into();
        good.company.city = Some(" Utrecht ".into());
        let plan = plan(&[good], &tree(), INTO, now(), 30).unwrap();
        assert_eq!(plan[0].service_type, ServiceType::SoftwareOnly);
        assert_eq!(
            plan[0].state.trial_expires_at.unwrap().to_rfc3339(),
            "2027-01-31T00:00:00+00:00"
        );
        assert!(plan[0].automatic_deployment);
        assert_eq!(plan[0].company.city.as_deref(), Some("Utrecht"));

        let mut bad = row(2, "B", "Top", "reseller");
        bad.state = "production".into();
        bad.trial_expires_at = "tomorrow".into();
        bad.automatic_deployment = "maybe".into();
        bad.company.city = Some("x".repeat(201));
        let mut high = row(3, "C", "Top", "sub_distributor");
        high.automatic_deployment = "true".into();
        let fields: Vec<String> = problems(&[bad, high]).into_iter().map(|p| p.1).collect();
        assert_eq!(
            fields,
            [
                "trial_expires_at",
                "automatic_deployment",
                "company.city",
                "automatic_deployment"
            ]
        );
    }

    #[test]
    fn an_empty_or_oversized_file_is_refused_whole() {
        assert!(matches!(
            plan(&[], &tree(), INTO, now(), 30),
            Err(DomainError::Validation(f)) if f[0].field == "file"
        ));
        let many: Vec<ImportRow> = (0..=MAX_IMPORT_ROWS as u64)
            .map(|i| row(i + 2, &format!("G{i}"), "Top", "site"))
            .collect();
        assert!(matches!(
            plan(&many, &tree(), INTO, now(), 30),
            Err(DomainError::Validation(f)) if f[0].message.contains("at most")
        ));
    }

    #[test]
    fn names_to_look_up_are_keys_without_repeats() {
        let rows = [
            row(2, "A", "Top", "reseller"),
            row(3, "b", "a", "site"),
            row(4, "", "TOP", "site"),
        ];
        assert_eq!(names_to_look_up(&rows), ["a", "b", "top"]);
    }
}
