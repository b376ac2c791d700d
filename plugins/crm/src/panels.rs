//! The CRM's screens in the console: a customer's contacts, and its activities (upcoming first,
//! then the past, renames and moves included), each a table with a form to add one.

use tenantry_plugin_api::panel::{
    Column, FieldKind, FormField, Panel, PanelForm, PanelPlace, PanelTable, RowAction,
};

pub fn panels() -> Vec<Panel> {
    vec![
        contacts(),
        activities("upcoming"),
        activities("past"),
        contact(),
        activity(),
    ]
}

/// One contact's form, opened by its row's Edit.
fn contact() -> Panel {
    let one = "/groups/{id}/contacts/{cid}";
    let mut panel = Panel::new("contact", "Edit contact", "view_contacts").form(
        PanelForm::new("PATCH", one, "Save contact")
            .filled_from(one, "")
            .field(FormField::new("name", "Name", FieldKind::Text).required())
            .field(FormField::new("type", "Type", FieldKind::Choice).choices(&[
                ("billing", "Billing"),
                ("technical", "Technical"),
                ("sales", "Sales"),
                ("other", "Other"),
            ]))
            .field(FormField::new("email", "Email", FieldKind::Email))
            .field(FormField::new("phone", "Phone", FieldKind::Text))
            .field(FormField::new(
                "mailing_opt_in",
                "Receives mailings",
                FieldKind::Checkbox,
            )),
    );
    panel.place = PanelPlace::RowDetail;
    panel
}

/// One activity's form, opened by its row's Edit.
fn activity() -> Panel {
    let one = "/groups/{id}/activities/{aid}";
    let mut panel = Panel::new("activity", "Edit activity", "view_contacts").form(
        PanelForm::new("PATCH", one, "Save activity")
            .filled_from(one, "")
            .field(
                FormField::new("kind", "Kind", FieldKind::Choice)
                    .required()
                    .choices(&[
                        ("call", "Call"),
                        ("email", "Email"),
                        ("meeting", "Meeting"),
                        ("note", "Note"),
                    ]),
            )
            .field(FormField::new("subject", "Subject", FieldKind::Text).required())
            .field(FormField::new("when", "When (UTC)", FieldKind::DateTime).required())
            .field(FormField::new("notes", "Notes", FieldKind::LongText))
            .field(FormField::new("done", "Done", FieldKind::Checkbox)),
    );
    panel.place = PanelPlace::RowDetail;
    panel
}

fn contacts() -> Panel {
    Panel::new("contacts", "Contacts", "view_contacts")
        .intro("The people to contact at this customer, by name.")
        .table(
            PanelTable::new("/groups/{id}/contacts", "No contacts yet.")
                .column(Column::text("name", "Name"))
                .column(Column::text("type", "Type"))
                .column(Column::new("email", "Email", FieldKind::Email))
                .column(Column::text("phone", "Phone"))
                .column(Column::checkbox("mailing_opt_in", "Mailings"))
                .row_action(RowAction::opens("contact", "Edit"))
                .row_action(RowAction::remove(
                    "/groups/{id}/contacts/{cid}",
                    "Remove this contact?",
                )),
        )
        .form(
            PanelForm::new("POST", "/groups/{id}/contacts", "Add contact")
                .field(FormField::new("name", "Name", FieldKind::Text).required())
                .field(FormField::new("type", "Type", FieldKind::Choice).choices(&[
                    ("billing", "Billing"),
                    ("technical", "Technical"),
                    ("sales", "Sales"),
                    ("other", "Other"),
                ]))
                .field(FormField::new("email", "Email", FieldKind::Email))
                .field(FormField::new("phone", "Phone", FieldKind::Text))
                .field(FormField::new(
                    "mailing_opt_in",
                    "Receives mailings",
                    FieldKind::Checkbox,
                )),
        )
}

/// Upcoming activities (soonest first) or past ones (newest first), with a form to record one.
fn activities(when: &str) -> Panel {
    let (name, title, intro, empty) = if when == "upcoming" {
        (
            "upcoming_activities",
            "Upcoming activities",
            "Calls, emails, meetings and notes planned with this customer.",
            "Nothing planned.",
        )
    } else {
        (
            "past_activities",
            "Past activities",
            "What happened with this customer, newest first; renames and moves are recorded by \
             themselves.",
            "No activities yet.",
        )
    };
    Panel::new(name, title, "view_contacts")
        .intro(intro)
        .table(
            PanelTable::new("/groups/{id}/activities", empty)
                .query("when", when)
                .column(Column::date_time("when", "When"))
                .column(Column::text("kind", "Kind"))
                .column(Column::text("subject", "Subject"))
                .column(Column::text("notes", "Notes"))
                .column(Column::checkbox("author.system", "Recorded by Tenantry"))
                .row_action(RowAction::opens("activity", "Edit"))
                .row_action(RowAction::remove(
                    "/groups/{id}/activities/{aid}",
                    "Remove this activity?",
                )),
        )
        .form(
            PanelForm::new("POST", "/groups/{id}/activities", "Record activity")
                .field(
                    FormField::new("kind", "Kind", FieldKind::Choice)
                        .required()
                        .choices(&[
                            ("call", "Call"),
                            ("email", "Email"),
                            ("meeting", "Meeting"),
                            ("note", "Note"),
                        ]),
                )
                .field(FormField::new("subject", "Subject", FieldKind::Text).required())
                .field(
                    FormField::new("when", "When (UTC)", FieldKind::DateTime)
                        .required()
                        .hint("In the future for one that is planned."),
                )
                .field(FormField::new("notes", "Notes", FieldKind::LongText)),
        )
}
