//! The reporting plugin's screens in the console: a customer's historical charts (the plugin's
//! own SVG, with a metric and a period to choose and the CSV to download), its scheduled reports
//! (listed with their schedule in words, next run and last problem; run now, enabled or not,
//! removed, added) and, from a report's row, the messages its runs queued.

use tenantry_plugin_api::panel::{
    Column, FieldKind, FormField, Panel, PanelChart, PanelForm, PanelTable, RowAction,
};

use crate::series::Metric;

pub fn panels() -> Vec<Panel> {
    vec![charts(), reports(), runs(), report()]
}

/// One report's definition, opened by its row's Edit: filled with what it is, saved whole.
fn report() -> Panel {
    let one = "/groups/{id}/scheduled-reports/{rid}";
    Panel::new("report", "Edit scheduled report", "view_scheduled_reports")
        .row_detail()
        .form(
            PanelForm::new("PUT", one, "Save scheduled report")
                .filled_from(one, "")
                .with_fields(definition_fields())
                .field(FormField::new("enabled", "Enabled", FieldKind::Checkbox)),
        )
}

fn charts() -> Panel {
    let metrics: Vec<(&str, &str)> = Metric::ALL.iter().map(|m| (m.name(), m.title())).collect();
    Panel::new("charts", "Historical charts", "view_charts")
        .menu_entry()
        .intro("Per day, for this customer and every customer below it.")
        .chart(
            PanelChart::new(
                "/groups/{id}/charts/{metric}",
                "The chosen metric per day over the chosen period",
            )
            .choice("metric", "Metric", &metrics)
            .choice(
                "days",
                "Period",
                &[
                    ("30", "Last 30 days"),
                    ("7", "Last 7 days"),
                    ("90", "Last 90 days"),
                    ("365", "Last 365 days"),
                ],
            )
            .download("text/csv", "Download CSV"),
        )
}

fn reports() -> Panel {
    let rid = "/groups/{id}/scheduled-reports/{rid}";
    Panel::new(
        "scheduled_reports",
        "Scheduled reports",
        "view_scheduled_reports",
    )
    .menu_entry()
    .intro("Reports mailed on a schedule to addresses or to the customer's CRM contacts.")
    .table(
        PanelTable::new(
            "/groups/{id}/scheduled-reports",
            "No scheduled reports yet.",
        )
        .column(Column::text("title", "Title"))
        .column(Column::text("kind", "Kind"))
        .column(Column::text("schedule_text", "Schedule"))
        .column(Column::new("enabled", "Enabled", FieldKind::Checkbox))
        .column(Column::date_time("next_run_at", "Next run"))
        .column(Column::text("last_outcome", "Last run"))
        .column(Column::text("last_problem", "Last problem"))
        .row_action(RowAction {
            label: "Run now".to_owned(),
            method: "POST".to_owned(),
            route: format!("{rid}/run"),
            confirm: Some("Run this report now and mail it?".to_owned()),
            key: None,
            opens: None,
        })
        .row_action(RowAction {
            label: "Enable".to_owned(),
            method: "POST".to_owned(),
            route: format!("{rid}/enable"),
            confirm: None,
            key: Some("enable_id".to_owned()),
            opens: None,
        })
        .row_action(RowAction {
            label: "Disable".to_owned(),
            method: "POST".to_owned(),
            route: format!("{rid}/disable"),
            confirm: None,
            key: Some("disable_id".to_owned()),
            opens: None,
        })
        .row_action(RowAction::opens("report_runs", "Runs"))
        .row_action(RowAction::remove(rid, "Remove this scheduled report?"))
        .row_action(RowAction::opens("report", "Edit")),
    )
    .form(
        PanelForm::new(
            "POST",
            "/groups/{id}/scheduled-reports",
            "Add scheduled report",
        )
        .with_fields(definition_fields()),
    )
}

/// The fields of a report's definition, to add one or to change one.
fn definition_fields() -> Vec<FormField> {
    vec![
        FormField::new("title", "Title", FieldKind::Text).required(),
        FormField::new("kind", "Kind", FieldKind::Choice)
            .required()
            .choices(&[
                ("device_summary", "Device summary"),
                ("usage", "Usage"),
                ("errors", "Errors"),
            ]),
        FormField::new("schedule.frequency", "Every", FieldKind::Choice)
            .required()
            .choices(&[("daily", "Day"), ("weekly", "Week"), ("monthly", "Month")]),
        FormField::new("schedule.weekday", "On (weekly)", FieldKind::Choice).choices(&[
            ("monday", "Monday"),
            ("tuesday", "Tuesday"),
            ("wednesday", "Wednesday"),
            ("thursday", "Thursday"),
            ("friday", "Friday"),
            ("saturday", "Saturday"),
            ("sunday", "Sunday"),
        ]),
        FormField::new("schedule.day", "On day (monthly)", FieldKind::Number)
            .hint("1 to 31; 29 to 31 run on the last day of shorter months."),
        FormField::new("schedule.at", "At", FieldKind::Text)
            .required()
            .hint("HH:MM, as 08:00"),
        FormField::new("schedule.time_zone", "Time zone", FieldKind::Text)
            .required()
            .hint("As Europe/Amsterdam or UTC"),
        FormField::new("recipients.emails", "Recipients", FieldKind::List)
            .hint("Email addresses, one a line."),
        FormField::new("format", "Format", FieldKind::Choice)
            .choices(&[("csv", "CSV attachment"), ("html", "HTML in the message")]),
    ]
}

/// A report's messages, opened from its row.
fn runs() -> Panel {
    Panel::new("report_runs", "Report runs", "view_scheduled_reports")
        .row_detail()
        .intro(
            "The messages this report's runs queued, newest first: to whom, and what came of them.",
        )
        .table(
            PanelTable::new(
                "/groups/{id}/scheduled-reports/{rid}/runs",
                "This report has not run yet.",
            )
            .column(Column::date_time("created_at", "Queued"))
            .column(Column::text("subject", "Subject"))
            .column(Column::new("to", "To", FieldKind::List))
            .column(Column::text("status", "Outcome"))
            .column(Column::text("attempts", "Attempts"))
            .column(Column::date_time("sent_at", "Sent"))
            .column(Column::text("last_error", "Error")),
        )
}
