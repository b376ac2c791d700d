//! A plugin's screens in the web console, declared as data in its manifest: where a panel
//! appears, who may see it, and what it shows — a table of a list route's items, with actions on
//! each row, and/or a form of typed fields bound to one of the plugin's routes. The host draws
//! them with its own templates and escaping and calls the routes as the person looking, through
//! the same checks as the API: no HTML or script of a plugin ever reaches a browser.
//!
//! ```
//! use tenantry_plugin_api::panel::{Column, FieldKind, FormField, Panel, PanelForm, PanelTable, RowAction};
//!
//! let panel = Panel::new("notes", "Notes", "view_notes")
//!     .intro("What the team should know about this customer.")
//!     .table(
//!         PanelTable::new("/groups/{id}/notes", "No notes yet.")
//!             .column(Column::text("text", "Note"))
//!             .column(Column::checkbox("pinned", "Pinned"))
//!             .column(Column::date_time("created_at", "Written"))
//!             .row_action(RowAction::remove("/groups/{id}/notes/{nid}", "Remove this note?")),
//!     )
//!     .form(
//!         PanelForm::new("POST", "/groups/{id}/notes", "Add note")
//!             .field(FormField::new("text", "Note", FieldKind::LongText).required())
//!             .field(FormField::new("pinned", "Pinned (keeps the customer from being removed)", FieldKind::Checkbox)),
//!     );
//! assert_eq!(panel.form.unwrap().fields.len(), 2);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One screen of a plugin's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Panel {
    /// `snake_case`, unique in the plugin: part of the panel's address.
    pub name: String,
    /// The tab's and the page's title.
    pub title: String,
    /// One line under the title.
    #[serde(default)]
    pub intro: Option<String>,
    #[serde(default)]
    pub place: PanelPlace,
    /// The action the person needs on the group to see the panel (one of the plugin's or the
    /// core's). The table's and form's routes still check their own.
    pub action: String,
    #[serde(default)]
    pub table: Option<PanelTable>,
    #[serde(default)]
    pub form: Option<PanelForm>,
    /// Images the person may upload (a logo), each to a route of the plugin that takes one.
    #[serde(default)]
    pub uploads: Vec<PanelUpload>,
    /// A picture the plugin draws (a chart), with the choices that shape it.
    #[serde(default)]
    pub chart: Option<PanelChart>,
}

/// A picture a `GET` route of the plugin answers as `image/svg+xml` (or PNG) by `Accept`, shown
/// as an `<img>` the host serves from its own address (never inlined), above a form of choices
/// (a metric, a period) that fill the route's path parameters or its query; the first choice of
/// each is the default. The route may also answer other media as downloads (`text/csv`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelChart {
    pub route: String,
    /// What the picture shows, for those who cannot see it.
    pub alt: String,
    /// `choice` fields, each named as a path parameter of the route or a query parameter.
    #[serde(default)]
    pub choices: Vec<FormField>,
    /// Other answers of the route offered as downloads: media type and label.
    #[serde(default)]
    pub downloads: Vec<(String, String)>,
}

impl PanelChart {
    pub fn new(route: &str, alt: &str) -> PanelChart {
        PanelChart {
            route: route.to_owned(),
            alt: alt.to_owned(),
            ..PanelChart::default()
        }
    }

    /// A choice the person makes: `name` a path or query parameter, its options value and
    /// label, the first the default.
    pub fn choice(mut self, name: &str, label: &str, options: &[(&str, &str)]) -> PanelChart {
        self.choices
            .push(FormField::new(name, label, FieldKind::Choice).choices(options));
        self
    }

    /// The route's answer as `media_type`, offered as a download labelled `label`.
    pub fn download(mut self, media_type: &str, label: &str) -> PanelChart {
        self.downloads
            .push((media_type.to_owned(), label.to_owned()));
        self
    }
}

/// An image upload: a file chosen in the browser, sent as the body of a route of the plugin
/// that takes an image (`image/png` or `image/svg+xml`, at most 1 MiB).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelUpload {
    /// `PUT` or `POST`.
    pub method: String,
    pub route: String,
    /// The field's label (`Logo`).
    pub label: String,
    #[serde(default)]
    pub hint: Option<String>,
}

/// Where a panel appears.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelPlace {
    /// A tab of a customer's screen (beside Edit, Company profile, Modules, …).
    #[default]
    CustomerTab,
    /// An entry of the left menu, for the group whose pages are shown (as Backup dashboard or
    /// Users), where the viewer may see it.
    MenuEntry,
    /// No tab: opened from a row of another panel of the plugin ([`RowAction::opens`]), its
    /// table's route's record parameter filled with the row's key.
    RowDetail,
    /// A place a newer host knows: an older host leaves the panel out.
    #[serde(other)]
    Unknown,
}

/// A table of the items a list route answers (a page: `items`, `has_more`, `next_cursor`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelTable {
    /// A `GET` route of the plugin that answers a page, `{id}` the group.
    pub route: String,
    /// Query parameters the host adds (`when=upcoming`).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub columns: Vec<Column>,
    /// What the table says when there are no items.
    #[serde(default)]
    pub empty: String,
    #[serde(default)]
    pub row_actions: Vec<RowAction>,
}

/// A column: an item's field (dotted for nested ones: `schedule.at`) and how to show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub field: String,
    pub title: String,
    #[serde(default)]
    pub kind: FieldKind,
}

/// An action on one row: a route of the plugin whose last path parameter is the row's `id`
/// (or the row's field `key` names: letters, digits, `_` and `-`); or a link that `opens` a
/// `row_detail` panel of the plugin for the row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowAction {
    /// The button's label.
    pub label: String,
    /// `POST` or `DELETE`.
    pub method: String,
    pub route: String,
    /// Asked before it is done (`Remove this note?`).
    #[serde(default)]
    pub confirm: Option<String>,
    /// The row's field that names it in the route, when not `id`.
    #[serde(default)]
    pub key: Option<String>,
    /// The `row_detail` panel this action opens (a link; `method` and `route` are unused).
    #[serde(default)]
    pub opens: Option<String>,
}

/// A form whose fields become the JSON body of one of the plugin's routes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelForm {
    /// `POST`, `PUT` or `PATCH`.
    pub method: String,
    pub route: String,
    pub fields: Vec<FormField>,
    /// The submit button's label.
    pub submit: String,
    /// A `GET` route of the plugin whose answer fills the fields (an edit form), each by its
    /// name, read at `source_pointer` (a JSON Pointer such as `/values`; the whole answer
    /// without one).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub source_pointer: Option<String>,
}

/// A field of a form: `name` is the body's key (dotted names nest: `schedule.at`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub hint: Option<String>,
    /// The options of a `choice`: value and label.
    #[serde(default)]
    pub choices: Vec<(String, String)>,
}

/// What a field or column holds, and so how it is entered and shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    #[default]
    Text,
    /// Lines of text.
    LongText,
    Email,
    /// `#rrggbb`, with a colour picker.
    Colour,
    /// A moment, entered in the person's local time and sent as RFC 3339 UTC.
    DateTime,
    /// One of `choices`.
    Choice,
    /// `true` or `false`.
    Checkbox,
    Number,
    /// Several values, entered one per line, sent as an array of strings.
    List,
    /// A kind a newer host knows: an older host treats it as text.
    #[serde(other)]
    Unknown,
}

impl Panel {
    /// A customer tab seen by those who may take `action` on the group.
    pub fn new(name: &str, title: &str, action: &str) -> Panel {
        Panel {
            name: name.to_owned(),
            title: title.to_owned(),
            action: action.to_owned(),
            ..Panel::default()
        }
    }

    pub fn intro(mut self, text: &str) -> Panel {
        self.intro = Some(text.to_owned());
        self
    }

    pub fn table(mut self, table: PanelTable) -> Panel {
        self.table = Some(table);
        self
    }

    pub fn form(mut self, form: PanelForm) -> Panel {
        self.form = Some(form);
        self
    }

    /// An entry of the left menu instead of a customer tab.
    pub fn menu_entry(mut self) -> Panel {
        self.place = PanelPlace::MenuEntry;
        self
    }

    /// No tab: opened from a row of another of the plugin's panels ([`RowAction::opens`]).
    pub fn row_detail(mut self) -> Panel {
        self.place = PanelPlace::RowDetail;
        self
    }

    pub fn chart(mut self, chart: PanelChart) -> Panel {
        self.chart = Some(chart);
        self
    }

    /// An image upload to `method route`, labelled `label`.
    pub fn upload(mut self, method: &str, route: &str, label: &str, hint: &str) -> Panel {
        self.uploads.push(PanelUpload {
            method: method.to_owned(),
            route: route.to_owned(),
            label: label.to_owned(),
            hint: (!hint.is_empty()).then(|| hint.to_owned()),
        });
        self
    }
}

impl PanelTable {
    pub fn new(route: &str, empty: &str) -> PanelTable {
        PanelTable {
            route: route.to_owned(),
            empty: empty.to_owned(),
            ..PanelTable::default()
        }
    }

    pub fn query(mut self, name: &str, value: &str) -> PanelTable {
        self.query.insert(name.to_owned(), value.to_owned());
        self
    }

    pub fn column(mut self, column: Column) -> PanelTable {
        self.columns.push(column);
        self
    }

    pub fn row_action(mut self, action: RowAction) -> PanelTable {
        self.row_actions.push(action);
        self
    }
}

impl Column {
    pub fn new(field: &str, title: &str, kind: FieldKind) -> Column {
        Column {
            field: field.to_owned(),
            title: title.to_owned(),
            kind,
        }
    }

    pub fn text(field: &str, title: &str) -> Column {
        Column::new(field, title, FieldKind::Text)
    }

    pub fn date_time(field: &str, title: &str) -> Column {
        Column::new(field, title, FieldKind::DateTime)
    }

    pub fn checkbox(field: &str, title: &str) -> Column {
        Column::new(field, title, FieldKind::Checkbox)
    }
}

impl RowAction {
    /// A `DELETE` of the row, after `confirm`.
    pub fn remove(route: &str, confirm: &str) -> RowAction {
        RowAction {
            label: "Remove".to_owned(),
            method: "DELETE".to_owned(),
            route: route.to_owned(),
            confirm: Some(confirm.to_owned()),
            key: None,
            opens: None,
        }
    }

    /// A link to the plugin's `row_detail` panel `panel`, for the row.
    pub fn opens(panel: &str, label: &str) -> RowAction {
        RowAction {
            label: label.to_owned(),
            method: "GET".to_owned(),
            opens: Some(panel.to_owned()),
            ..RowAction::default()
        }
    }

    /// The button says `label`.
    pub fn labelled(mut self, label: &str) -> RowAction {
        self.label = label.to_owned();
        self
    }

    /// The row's field `key` names it in the route (instead of its `id`).
    pub fn keyed_by(mut self, key: &str) -> RowAction {
        self.key = Some(key.to_owned());
        self
    }
}

impl PanelForm {
    pub fn new(method: &str, route: &str, submit: &str) -> PanelForm {
        PanelForm {
            method: method.to_owned(),
            route: route.to_owned(),
            submit: submit.to_owned(),
            ..PanelForm::default()
        }
    }

    pub fn field(mut self, field: FormField) -> PanelForm {
        self.fields.push(field);
        self
    }

    /// These fields, after any it has (a list two forms share).
    pub fn with_fields(mut self, fields: Vec<FormField>) -> PanelForm {
        self.fields.extend(fields);
        self
    }

    /// Filled from the answer of the `GET` route `route`, at `pointer` (`""` for all of it).
    pub fn filled_from(mut self, route: &str, pointer: &str) -> PanelForm {
        self.source = Some(route.to_owned());
        self.source_pointer = (!pointer.is_empty()).then(|| pointer.to_owned());
        self
    }
}

impl FormField {
    pub fn new(name: &str, label: &str, kind: FieldKind) -> FormField {
        FormField {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
            ..FormField::default()
        }
    }

    pub fn required(mut self) -> FormField {
        self.required = true;
        self
    }

    pub fn hint(mut self, text: &str) -> FormField {
        self.hint = Some(text.to_owned());
        self
    }

    /// A `choice` of these values and labels.
    pub fn choices(mut self, choices: &[(&str, &str)]) -> FormField {
        self.kind = FieldKind::Choice;
        self.choices = choices
            .iter()
            .map(|(value, label)| ((*value).to_owned(), (*label).to_owned()))
            .collect();
        self
    }
}
