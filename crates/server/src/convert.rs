//! Between the API's bodies and the domain's types: validation on the way in, presentation on
//! the way out.

use chrono::{DateTime, Utc};
use tenantry_api_types::{
    ApiTokenBody, CreateGroup, CreateUser, GroupBody, GroupPage, UpdateGroup, UserBody,
};
use tenantry_domain::{
    Authority, CustomerReference, DomainError, FieldError, Group, GroupChanges, GroupId, GroupName,
    NewGroup, Problems, ServiceType, StateChange, StoredState, User, UserKind, Username,
    check_password, parse_display_name,
};
use tenantry_storage::Page;
use tenantry_storage::users::ApiToken;

/// A group as `viewer` (the caller's own group) sees it: the viewer's own group shows no parent,
/// because whatever is above it is none of its business.
pub fn group_body(group: Group, viewer: GroupId, now: DateTime<Utc>) -> GroupBody {
    GroupBody {
        id: group.id.0,
        parent_id: group.parent_id.filter(|_| group.id != viewer).map(|p| p.0),
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

pub fn group_page(page: Page<Group>, viewer: GroupId, now: DateTime<Utc>) -> GroupPage {
    GroupPage {
        has_more: page.next.is_some(),
        next_cursor: page.next.map(|c| c.token().to_owned()),
        items: page
            .items
            .into_iter()
            .map(|g| group_body(g, viewer, now))
            .collect(),
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

pub fn user_body(user: User) -> UserBody {
    UserBody {
        id: user.id.0,
        group_id: user.group_id.0,
        username: user.username,
        name: user.name,
        role: user.role,
        security_officer: user.security_officer,
        kind: user.kind,
        version: user.version,
        created_at: user.created_at,
        updated_at: user.updated_at,
        last_login_at: user.last_login_at,
        locked_until: user
            .locked_until
            .filter(|until| *until > tenantry_storage::now()),
    }
}

pub fn token_body(token: ApiToken) -> ApiTokenBody {
    ApiTokenBody {
        id: token.id,
        user_id: token.user_id.0,
        name: token.name,
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
    }
}

/// A new user as the request describes it, validated; the password is still plain text (it is
/// hashed off the async workers, once the request is known to be allowed).
#[derive(Debug)]
pub struct UserDraft {
    pub username: Username,
    pub name: Option<String>,
    pub authority: Authority,
    pub kind: UserKind,
    pub password: Option<String>,
}

pub fn user_draft(body: CreateUser) -> Result<UserDraft, DomainError> {
    let mut problems = Problems::default();
    let username = problems.take(Username::parse(&body.username));
    let name = match &body.name {
        Some(raw) => problems.take(parse_display_name(raw)),
        None => Some(None),
    };
    let authority = problems.take(Authority::new(body.role, body.security_officer));
    let kind = body.kind.unwrap_or(UserKind::Interactive);
    match (kind, &body.password, &username) {
        (UserKind::Interactive, None, _) => problems.push(FieldError::new(
            "password",
            "is required for interactive users",
        )),
        (UserKind::Interactive, Some(password), Some(username)) => {
            // The group's name is checked too once the group is found (`routes::users::create`).
            problems.take(check_password("password", password, username, None));
        }
        (UserKind::Api, Some(_), _) => problems.push(FieldError::new(
            "password",
            "API users have no password: they use tokens (POST /api/v1/users/{id}/tokens)",
        )),
        _ => {}
    }
    problems.finish(|| {
        Some(UserDraft {
            username: username?,
            name: name?,
            authority: authority?,
            kind,
            password: body.password,
        })
    })
}

/// The display name change of a PATCH, validated.
pub fn display_name_change(
    name: Option<Option<String>>,
) -> Result<Option<Option<String>>, DomainError> {
    match name {
        Some(Some(raw)) => parse_display_name(&raw).map(Some),
        Some(None) => Ok(Some(None)),
        None => Ok(None),
    }
}
