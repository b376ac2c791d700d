use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::{GroupState, Level, ServiceType};
use utoipa::{IntoParams, ToSchema};

use crate::patch::{not_null, nullable};

/// A group (customer) as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupBody {
    pub id: i64,
    /// `null` only for the installation's root group.
    pub parent_id: Option<i64>,
    pub name: String,
    pub level: Level,
    pub service_type: ServiceType,
    /// The state as it stands now: a trial past its expiry reads `expired`.
    pub state: GroupState,
    /// When the trial ends (trial groups only).
    pub trial_expires_at: Option<DateTime<Utc>>,
    pub customer_reference: Option<String>,
    /// Quick Installation (automatic deployment) switched on for this group.
    pub automatic_deployment: bool,
    /// Changes with every update of the group's own fields; the same value as the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/groups`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// 1–100 characters; unique across the installation, compared case-insensitively.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub parent_id: i64,
    /// Strictly lower than the parent's level.
    pub level: Level,
    /// Defaults to `all_inclusive`.
    #[serde(default)]
    pub service_type: Option<ServiceType>,
    /// Defaults to `trial`.
    #[serde(default)]
    pub state: Option<GroupState>,
    /// Trials only; defaults to 30 days from now (configurable).
    #[serde(default)]
    pub trial_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub customer_reference: Option<String>,
    /// Only where Quick Installation is available (Reseller and below).
    #[serde(default)]
    pub automatic_deployment: Option<bool>,
}

/// `PATCH /api/v1/groups/{id}`: only the fields present change. Changing `parent_id` moves the
/// group with its whole subtree.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_id: Option<i64>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub level: Option<Level>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_type: Option<ServiceType>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<GroupState>,
    /// `null` is refused for a trial (a trial always has an expiry).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub trial_expires_at: Option<Option<DateTime<Utc>>>,
    /// `null` or blank clears it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub customer_reference: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub automatic_deployment: Option<bool>,
}

/// One page of groups.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupBody>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// Paging of a list.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// Paging and filters of `GET /api/v1/groups/{id}/descendants`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DescendantsQuery {
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only groups at this level.
    pub level: Option<Level>,
    /// Only groups in this state (a trial past its expiry counts as `expired`).
    pub state: Option<GroupState>,
    /// Only groups whose name contains this text, ignoring case.
    pub name: Option<String>,
}

/// One module and whether the group's level allows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ModuleBody {
    /// A core module (`customers`, `quick_installation`, …) or one a loaded plugin declares.
    pub module: String,
    pub title: String,
    pub available: bool,
}

/// `GET /api/v1/groups/{id}/modules`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ModulesBody {
    pub group_id: i64,
    pub level: Level,
    pub modules: Vec<ModuleBody>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_null_from_absent() {
        let absent: UpdateGroup = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.customer_reference, None);
        let null: UpdateGroup = serde_json::from_str(r#"{"customer_reference": null}"#).unwrap();
        assert_eq!(null.customer_reference, Some(None));
        let set: UpdateGroup = serde_json::from_str(r#"{"customer_reference": "C-1"}"#).unwrap();
        assert_eq!(set.customer_reference, Some(Some("C-1".into())));
        for field in [
            "name",
            "parent_id",
            "level",
            "service_type",
            "state",
            "automatic_deployment",
        ] {
            let body = format!(r#"{{"{field}": null}}"#);
            assert!(
                serde_json::from_str::<UpdateGroup>(&body).is_err(),
                "{field}: null"
            );
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<UpdateGroup>(r#"{"nmae": "x"}"#).is_err());
        assert!(
            serde_json::from_str::<CreateGroup>(
                r#"{"name": "x", "parent_id": 1, "level": "site", "x": 1}"#
            )
            .is_err()
        );
    }
}

/// The query of `POST /api/v1/groups/{id}/import`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row as a real import would, then write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import created (or, in a dry run, would create), in file order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// How many groups were (or would be) created: one per row.
    pub created: usize,
    pub groups: Vec<ImportedGroup>,
}

/// One row of an import and the group it made.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedGroup {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// `null` in a dry run: nothing was kept.
    pub id: Option<i64>,
    pub name: String,
    pub level: Level,
    /// `null` in a dry run.
    pub parent_id: Option<i64>,
}
