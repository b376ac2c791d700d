//! Between the API's bodies and the domain's types: validation on the way in, presentation on
//! the way out.

use chrono::{DateTime, Utc};
use tenantry_api_types::{CreateGroup, GroupBody, GroupPage, UpdateGroup};
use tenantry_domain::{
    CustomerReference, DomainError, FieldError, Group, GroupChanges, GroupId, GroupName, NewGroup,
    ServiceType, StateChange, StoredState,
};
use tenantry_storage::Page;

pub fn group_body(group: Group, now: DateTime<Utc>) -> GroupBody {
    GroupBody {
        id: group.id.0,
        parent_id: group.parent_id.map(|p| p.0),
        state: group.effective_state(now),
        trial_expires_at: group.state.trial_expires_at,
        name: group.name,
        level: group.level,
        service_type: group.service_type,
        customer_reference: group.customer_reference,
        automatic_deployment: group.automatic_deployment,
        version: group.version,
        created_at: group.created_at,
        updated_at: group.updated_at,
    }
}

pub fn group_page(page: Page<Group>, now: DateTime<Utc>) -> GroupPage {
    GroupPage {
        has_more: page.next.is_some(),
        next_cursor: page.next.map(|c| c.token().to_owned()),
        items: page.items.into_iter().map(|g| group_body(g, now)).collect(),
    }
}

/// Collects every field error of a body, so one response lists them all.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn take<T>(&mut self, result: Result<T, DomainError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(DomainError::Validation(fields)) => {
                self.0.extend(fields);
                None
            }
            Err(other) => {
                self.0.push(FieldError::new("body", other.to_string()));
                None
            }
        }
    }

    fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, DomainError> {
        if !self.0.is_empty() {
            return Err(DomainError::Validation(self.0));
        }
        value().ok_or_else(|| DomainError::invalid("body", "is invalid"))
    }
}

pub fn new_group(
    body: CreateGroup,
    now: DateTime<Utc>,
    trial_days: i64,
) -> Result<NewGroup, DomainError> {
    let mut problems = Problems::default();
    let name = problems.take(GroupName::parse(&body.name));
    let state = problems.take(StoredState::for_new_group(
        body.state,
        body.trial_expires_at,
        now,
        trial_days,
    ));
    let reference = problems.take(match &body.customer_reference {
        Some(text) => CustomerReference::parse(text),
        None => Ok(None),
    });
    problems.finish(|| {
        Some(NewGroup {
            name: name?,
            parent_id: GroupId(body.parent_id),
            level: body.level,
            service_type: body.service_type.unwrap_or(ServiceType::AllInclusive),
            state: state?,
            customer_reference: reference?,
            automatic_deployment: body.automatic_deployment.unwrap_or(false),
        })
    })
}

/// The domain's changes for a PATCH; the state change is applied to the stored state inside the
/// write transaction.
pub fn group_changes(body: UpdateGroup, trial_days: i64) -> Result<GroupChanges, DomainError> {
    let mut problems = Problems::default();
    let name = match &body.name {
        Some(raw) => problems.take(GroupName::parse(raw)).map(Some),
        None => Some(None),
    };
    let reference = match &body.customer_reference {
        Some(Some(text)) => problems.take(CustomerReference::parse(text)).map(Some),
        Some(None) => Some(Some(None)),
        None => Some(None),
    };
    let state = (body.state.is_some() || body.trial_expires_at.is_some()).then_some(StateChange {
        state: body.state,
        trial_expires_at: body.trial_expires_at,
        trial_days,
    });
    problems.finish(|| {
        Some(GroupChanges {
            name: name?,
            parent_id: body.parent_id.map(GroupId),
            level: body.level,
            service_type: body.service_type,
            state,
            customer_reference: reference?,
            automatic_deployment: body.automatic_deployment,
        })
    })
}
