//! The CRM's screens in the console: a customer's contacts, and its activities (upcoming first,
//! then the past, renames and moves included), each a table with a form to add one, and each
//! row's own form to change it.

use tenantry_plugin_api::panel::{
    Column, FieldKind, FormField, Panel, PanelForm, PanelTable, RowAction,
};

const CONTACTS: &str = "/groups/{id}/contacts";
const CONTACT: &str = "/groups/{id}/contacts/{cid}";
const ACTIVITIES: &str = "/groups/{id}/activities";
const ACTIVITY: &str = "/groups/{id}/activities/{aid}";

pub fn panels() -> Vec<Panel> {
    vec![
        contacts(),
        activities("upcoming"),
        activities("past"),
        Panel::new("contact", "Edit contact", "view_contacts")
            .row_detail()
            .form(
                PanelForm::new("PATCH", CONTACT, "Save contact")
                    .filled_from(CONTACT, "")
                    .with_fields(contact_fields()),
            ),
        Panel::new("activity", "Edit activity", "view_contacts")
            .row_detail()
            .form(
                PanelForm::new("PATCH", ACTIVITY, "Save activity")
                    .filled_from(ACTIVITY, "")
                    .with_fields(activity_fields())
                    .field(FormField::new("done", "Done", FieldKind::Checkbox)),
            ),
    ]
}

/// A contact's fields, to add one or to change one.
fn contact_fields() -> Vec<FormField> {
    vec![
        FormField::new("name", "Name", FieldKind::Text).required(),
        FormField::new("type", "Type", FieldKind::Choice).choices(&[
            ("billing", "Billing"),
            ("technical", "Technical"),
            ("sales", "Sales"),
            ("other", "Other"),
        ]),
        FormField::new("email", "Email", FieldKind::Email),
        FormField::new("phone", "Phone", FieldKind::Text),
        FormField::new("mailing_opt_in", "Receives mailings", FieldKind::Checkbox),
    ]
}

/// An activity's fields, to record one or to change one.
fn activity_fields() -> Vec<FormField> {
    vec![
        FormField::new("kind", "Kind", FieldKind::Choice)
            .required()
            .choices(&[
                ("call", "Call"),
                ("email", "Email"),
                ("meeting", "Meeting"),
                ("note", "Note"),
            ]),
        FormField::new("subject", "Subject", FieldKind::Text).required(),
        FormField::new("when", "When (UTC)", FieldKind::DateTime)
            .required()
            .hint("In the future for one that is planned."),
        FormField::new("notes", "Notes", FieldKind::LongText),
    ]
}

fn contacts() -> Panel {
    Panel::new("contacts", "Contacts", "view_contacts")
        .intro("The people to contact at this customer, by name.")
        .table(
            PanelTable::new(CONTACTS, "No contacts yet.")
                .column(Column::text("name", "Name"))
                .column(Column::text("type", "Type"))
                .column(Column::new("email", "Email", FieldKind::Email))
                .column(Column::text("phone", "Phone"))
                .column(Column::checkbox("mailing_opt_in", "Mailings"))
                .row_action(RowAction::opens("contact", "Edit"))
                .row_action(RowAction::remove(CONTACT, "Remove this contact?")),
        )
        .form(PanelForm::new("POST", CONTACTS, "Add contact").with_fields(contact_fields()))
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
            PanelTable::new(ACTIVITIES, empty)
                .query("when", when)
                .column(Column::date_time("when", "When"))
                .column(Column::text("kind", "Kind"))
                .column(Column::text("subject", "Subject"))
                .column(Column::text("notes", "Notes"))
                .column(Column::checkbox("author.system", "Recorded by Tenantry"))
                .row_action(RowAction::opens("activity", "Edit"))
                .row_action(RowAction::remove(ACTIVITY, "Remove this activity?")),
        )
        .form(PanelForm::new("POST", ACTIVITIES, "Record activity").with_fields(activity_fields()))
}
