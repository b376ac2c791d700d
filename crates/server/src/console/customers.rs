//! Customers: the caller's own group at the root of a tree that expands a page at a time, the
//! selected group's customers beside it, search by name across the subtree, and the forms that
//! add, edit, move, remove, import and export — each through the API's own operation.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use tenantry_api_types::{CompanyProfile, CreateGroup, ImportReport, UpdateGroup};
use tenantry_domain::{
    Action, DomainError, Group, GroupId, GroupName, GroupState, Level, Module, ServiceType,
};
use tenantry_storage::groups::{self, DescendantFilter, StateFilter};
use tenantry_storage::{Page, PageRequest};

use super::format;
use super::page::{self, Choice, Chrome, ConsoleError, FormPage, Problems, choices};
use super::viewer::{Permit, Viewer};
use crate::error::ApiError;
use crate::routes::{group_file, groups as group_ops};
use crate::state::AppState;

/// Rows per page of the customers list and of a tree node's children.
const PAGE: i64 = 50;
/// Matches a search shows.
const SEARCH_LIMIT: i64 = 20;

/// A group as a row of a list.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub name: String,
    pub level: &'static str,
    pub service_type: &'static str,
    pub state: &'static str,
    pub trial_expires: String,
    pub reference: String,
    pub devices: i64,
    /// Where it is, from the caller's own group down (search and filtered lists).
    pub path: String,
}

fn row(group: &Group, devices: i64, path: String, now: DateTime<Utc>) -> Row {
    Row {
        id: group.id.0,
        name: group.name.clone(),
        level: group.level.label(),
        service_type: format::service_type(group.service_type),
        state: format::state(group.effective_state(now)),
        trial_expires: group
            .state
            .trial_expires_at
            .map(format::date)
            .unwrap_or_default(),
        reference: group.customer_reference.clone().unwrap_or_default(),
        devices,
        path,
    }
}

/// A node of the tree: a group that may have children to expand.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: i64,
    pub name: String,
    pub level: &'static str,
    pub expandable: bool,
    pub selected: bool,
    /// Its children, already shown: the node lies on the way down to the selected group.
    pub children: Option<String>,
}

fn node(group: &Group, selected: GroupId) -> Node {
    Node {
        id: group.id.0,
        name: group.name.clone(),
        level: group.level.label(),
        expandable: group.level != Level::Site,
        selected: group.id == selected,
        children: None,
    }
}

#[derive(Template)]
#[template(path = "tree_nodes.html")]
struct TreeNodes {
    nodes: Vec<Node>,
    /// The address of the next page of this node's children, if there is one.
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    chrome: Chrome,
    root: Node,
    root_children: String,
    group: Row,
    crumbs: Vec<(i64, String)>,
    customers_available: bool,
    add: Permit,
    edit: Permit,
    remove: Permit,
    import: Permit,
    rows: Vec<Row>,
    next: Option<String>,
    filtered: bool,
    levels: Vec<Choice>,
    states: Vec<Choice>,
    /// The plugins' screens the viewer may open on the group.
    panels: Vec<super::panels::Tab>,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    group: Option<i64>,
    level: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

fn page_of(cursor: Option<&str>, limit: i64) -> Result<PageRequest, ApiError> {
    crate::routes::page_request(Some(limit), cursor)
}

/// The group a page is about: the one named (within the caller's scope), else the caller's own.
pub(super) async fn selected(
    state: &AppState,
    viewer: &Viewer,
    id: Option<i64>,
) -> Result<Group, ConsoleError> {
    selected_for(state, viewer, id, Action::ViewGroup).await
}

/// The group a page acts on (the viewer's own when the address names none), found within the
/// viewer's scope and authorized for `action`: the console's one way to its target, as
/// `Caller::group` is the API's.
pub(super) async fn selected_for(
    state: &AppState,
    viewer: &Viewer,
    id: Option<i64>,
    action: Action,
) -> Result<Group, ConsoleError> {
    match id {
        None => {
            viewer.caller.authorize(action, &viewer.group)?;
            Ok(viewer.group.clone())
        }
        Some(id) => {
            let who = viewer.caller.clone();
            Ok(state
                .read(move |c| who.group(c, GroupId(id), action))
                .await?)
        }
    }
}

pub(super) async fn group_in_scope(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<Group, ConsoleError> {
    selected(state, viewer, Some(id)).await
}

fn levels_list() -> Vec<(&'static str, &'static str)> {
    Level::ALL.iter().map(|l| (l.as_str(), l.label())).collect()
}

fn states_list() -> Vec<(&'static str, &'static str)> {
    GroupState::ALL
        .iter()
        .map(|s| (s.as_str(), format::state(*s)))
        .collect()
}

/// `GET /customers`: the tree and the selected group's customers.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ConsoleError> {
    let params = params.into_inner();
    let group = selected(&state, &viewer, params.group).await?;
    let now = tenantry_storage::now();
    let level = non_empty(params.level.as_deref())
        .map(|l| Level::parse(l).ok_or_else(|| DomainError::invalid("level", "is not a level")))
        .transpose()?;
    let group_state = non_empty(params.state.as_deref())
        .map(|s| {
            GroupState::parse(s).ok_or_else(|| DomainError::invalid("state", "is not a state"))
        })
        .transpose()?;
    let filtered = level.is_some() || group_state.is_some();
    let list_page = page_of(params.cursor.as_deref(), PAGE)?;
    let tree_page = page_of(None, PAGE)?;
    let customers_available = Module::Customers.is_available_at(group.level);
    let who = viewer.caller.clone();
    let (top, chosen) = (viewer.group.clone(), group.clone());
    let (tree, listed, counts, crumbs) = state
        .read(move |c| {
            let crumbs = groups::ancestors(c, &who.scope, chosen.id)?;
            // The tree opens along the way down to the chosen group: its caller's group and
            // each ancestor below it (a page of children each, five levels at most).
            let mut tree = vec![(top.id, groups::children(c, &who.scope, &top, &tree_page)?)];
            for ancestor in crumbs.iter().filter(|g| g.id != top.id) {
                let children = groups::children(c, &who.scope, ancestor, &tree_page)?;
                tree.push((ancestor.id, children));
            }
            let listed = if !Module::Customers.is_available_at(chosen.level) {
                Page {
                    items: Vec::new(),
                    next: None,
                }
            } else if filtered {
                let filter = DescendantFilter {
                    level,
                    state: group_state.map(|state| StateFilter { state, now }),
                    name: None,
                };
                groups::descendants(c, &who.scope, &chosen, &filter, &list_page)?
            } else {
                groups::children(c, &who.scope, &chosen, &list_page)?
            };
            let counts = groups::subtree_device_counts(c, &who.scope, &listed.items)?;
            Ok((tree, listed, counts, crumbs))
        })
        .await?;
    let rows = listed
        .items
        .iter()
        .zip(&counts)
        .map(|(g, n)| row(g, *n, String::new(), now))
        .collect();
    let next = listed.next.map(|cursor| {
        let mut url = format!("/customers?group={}&cursor={}", group.id, cursor.token());
        if let Some(level) = level {
            url.push_str(&format!("&level={}", level.as_str()));
        }
        if let Some(state) = group_state {
            url.push_str(&format!("&state={}", state.as_str()));
        }
        url
    });
    let root_children = opened_tree(tree, group.id)?;
    let chrome = Chrome::new(
        &viewer,
        format!("{}: customers", group.name),
        "customers",
        &group,
    )
    .with_notice(params.notice.as_deref());
    let template = CustomersPage {
        root: node(&viewer.group, group.id),
        root_children,
        crumbs: crumbs
            .iter()
            .map(|g| (g.id.0, g.name.clone()))
            .chain(std::iter::once((group.id.0, group.name.clone())))
            .collect(),
        customers_available,
        add: viewer.may(Action::CreateCustomer, &group),
        edit: viewer.may(Action::EditCustomer, &group),
        remove: removal_permit(&viewer, &group),
        import: viewer.may(Action::CreateCustomer, &group),
        group: row(&group, 0, String::new(), now),
        rows,
        next,
        filtered,
        levels: choices(&levels_list(), level.map_or("", |l| l.as_str())),
        states: choices(&states_list(), group_state.map_or("", |s| s.as_str())),
        panels: super::panels::tabs(&state, &viewer, &group),
        chrome,
    };
    page::html(&template)
}

fn removal_permit(viewer: &Viewer, group: &Group) -> Permit {
    if group.parent_id.is_none() {
        return Permit {
            allowed: false,
            reason: "The installation's own company cannot be removed".to_owned(),
        };
    }
    viewer.may(Action::RemoveCustomer, group)
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The tree's HTML below the caller's group from the first page of children of each group on
/// the way down (caller's group first), each nested in its parent's node. A group that is not
/// on its parent's first page stays folded there, and so does everything below it.
fn opened_tree(
    pages: Vec<(GroupId, Page<Group>)>,
    selected: GroupId,
) -> Result<String, ConsoleError> {
    let mut below: Option<(GroupId, String)> = None;
    for (parent, found) in pages.into_iter().rev() {
        let mut nodes = tree_nodes(found, selected, parent);
        if let Some((child, html)) = below.take()
            && let Some(node) = nodes.nodes.iter_mut().find(|n| n.id == child.0)
        {
            node.children = Some(html);
        }
        below = Some((parent, page::fragment(&nodes)?));
    }
    Ok(below.map(|(_, html)| html).unwrap_or_default())
}

fn tree_nodes(found: Page<Group>, selected: GroupId, parent: GroupId) -> TreeNodes {
    TreeNodes {
        nodes: found.items.iter().map(|g| node(g, selected)).collect(),
        more: found
            .next
            .map(|cursor| format!("/customers/tree/{}?cursor={}", parent.0, cursor.token())),
    }
}

#[derive(Debug, Deserialize)]
pub struct TreeParams {
    cursor: Option<String>,
}

/// `GET /customers/tree/{id}`: one page of a node's children (htmx swaps them in).
pub async fn tree_children(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    params: web::Query<TreeParams>,
) -> Result<HttpResponse, ConsoleError> {
    let id = GroupId(id.into_inner());
    let page_request = page_of(params.cursor.as_deref(), PAGE)?;
    let who = viewer.caller.clone();
    let found = state
        .read(move |c| {
            let parent = who.group(c, id, Action::ListCustomers)?;
            groups::children(c, &who.scope, &parent, &page_request)
        })
        .await?;
    page::html(&tree_nodes(found, GroupId(0), id))
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchResults {
    query: String,
    rows: Vec<Row>,
    more: bool,
}

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

/// `GET /customers/search?q=`: groups of the caller's whole subtree whose name contains `q`,
/// each with its path (htmx asks as the user types).
pub async fn search(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ConsoleError> {
    let query = params.into_inner().q.trim().to_owned();
    if query.is_empty() {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(""));
    }
    // Names' own rules (length, no control characters): nothing odd reaches SQL.
    if GroupName::parse(&query).is_err() {
        return page::html(&SearchResults {
            query,
            rows: Vec::new(),
            more: false,
        });
    }
    let now = tenantry_storage::now();
    let request = page_of(None, SEARCH_LIMIT)?;
    let who = viewer.caller.clone();
    let top = viewer.group.clone();
    let name = query.clone();
    let (found, names, counts) = state
        .read(move |c| {
            who.authorize(Action::ListCustomers, &top)?;
            let filter = DescendantFilter {
                name: Some(name),
                ..DescendantFilter::default()
            };
            let found = groups::descendants(c, &who.scope, &top, &filter, &request)?;
            let ids: Vec<GroupId> = found.items.iter().flat_map(|g| g.path.ids()).collect();
            let names = groups::names(c, &who.scope, &ids)?;
            let counts = groups::subtree_device_counts(c, &who.scope, &found.items)?;
            Ok((found, names, counts))
        })
        .await?;
    let rows = found
        .items
        .iter()
        .zip(&counts)
        .map(|(g, n)| {
            let path = g
                .path
                .ids()
                .iter()
                .filter(|id| **id != g.id)
                .filter_map(|id| names.get(id).cloned())
                .collect::<Vec<_>>()
                .join(" › ");
            row(g, *n, path, now)
        })
        .collect();
    page::html(&SearchResults {
        query,
        rows,
        more: found.next.is_some(),
    })
}

/// What the add and edit forms hold, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    service_type: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    trial_expires_at: String,
    #[serde(default)]
    customer_reference: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    automatic_deployment: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "customer_form.html")]
struct CustomerForm {
    /// `None` when adding.
    editing: Option<i64>,
    parent_id: i64,
    parent_name: String,
    form: GroupForm,
    levels: Vec<Choice>,
    service_types: Vec<Choice>,
    states: Vec<Choice>,
    problems: Problems,
    quick_installation_levels: String,
}

impl CustomerForm {
    fn new(editing: Option<i64>, parent: &Group, form: GroupForm, problems: Problems) -> Self {
        // A new customer's level must be below its parent's; an edited one's too.
        let levels: Vec<(&str, &str)> = Level::ALL
            .iter()
            .filter(|l| parent.level.may_parent(**l) || editing == Some(parent.id.0))
            .map(|l| (l.as_str(), l.label()))
            .collect();
        let service_types: Vec<(&str, &str)> = ServiceType::ALL
            .iter()
            .map(|s| (s.as_str(), format::service_type(*s)))
            .collect();
        CustomerForm {
            editing,
            parent_id: parent.id.0,
            parent_name: parent.name.clone(),
            levels: choices(&levels, &form.level),
            service_types: choices(&service_types, &form.service_type),
            states: choices(&states_list(), &form.state),
            form,
            problems,
            quick_installation_levels: Level::ALL
                .iter()
                .filter(|l| Module::QuickInstallation.is_available_at(**l))
                .map(|l| l.label())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NewParams {
    parent: Option<i64>,
}

/// `GET /customers/new?parent=`: the Add customer form.
pub async fn new_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, ConsoleError> {
    let parent = selected_for(&state, &viewer, params.parent, Action::CreateCustomer).await?;
    let form = GroupForm {
        level: parent
            .level
            .next_lower()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        service_type: ServiceType::AllInclusive.as_str().to_owned(),
        state: GroupState::Trial.as_str().to_owned(),
        ..GroupForm::default()
    };
    let form = page::fragment(&CustomerForm::new(None, &parent, form, Problems::default()))?;
    page::html(&FormPage {
        chrome: Chrome::new(&viewer, "Add customer", "customers", &parent),
        heading: format!("Add a customer to {}", parent.name),
        intro: String::new(),
        form,
        back: format!("/customers?group={}", parent.id),
    })
}

fn parse_level(text: &str) -> Result<Level, DomainError> {
    Level::parse(text).ok_or_else(|| DomainError::invalid("level", "choose a level"))
}

fn parse_choice<T>(
    field: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, DomainError> {
    match non_empty(Some(text)) {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| DomainError::invalid(field, "is not one of the choices")),
    }
}

/// A date typed as `YYYY-MM-DD` is the end of that day, UTC.
fn parse_expiry(text: &str) -> Result<Option<DateTime<Utc>>, DomainError> {
    match non_empty(Some(text)) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| DomainError::invalid("trial_expires_at", "is not a date (YYYY-MM-DD)")),
    }
}

fn create_body(parent: GroupId, form: &GroupForm) -> Result<CreateGroup, DomainError> {
    Ok(CreateGroup {
        name: form.name.clone(),
        parent_id: parent.0,
        level: parse_level(&form.level)?,
        service_type: parse_choice("service_type", &form.service_type, ServiceType::parse)?,
        state: parse_choice("state", &form.state, GroupState::parse)?,
        trial_expires_at: parse_expiry(&form.trial_expires_at)?,
        customer_reference: non_empty(Some(&form.customer_reference)).map(str::to_owned),
        automatic_deployment: Some(form.automatic_deployment.is_some()),
    })
}

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    parent: i64,
}

/// `POST /customers/new?parent=`: adds the customer (the API's create), or shows the form
/// again with the problems beside their fields.
pub async fn create(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<CreateParams>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, ConsoleError> {
    let parent = group_in_scope(&state, &viewer, params.parent).await?;
    let form = form.into_inner();
    let outcome = match create_body(parent.id, &form) {
        Ok(body) => group_ops::create(&state, &viewer.caller, body).await,
        Err(invalid) => Err(invalid.into()),
    };
    match outcome {
        Ok(_) => Ok(page::go_to(&format!(
            "/customers?group={}&notice=added",
            parent.id
        ))),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            page::html_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CustomerForm::new(None, &parent, form, problems),
            )
        }
    }
}

fn form_of(group: &Group) -> GroupForm {
    GroupForm {
        name: group.name.clone(),
        level: group.level.as_str().to_owned(),
        service_type: group.service_type.as_str().to_owned(),
        state: group.state.state.as_str().to_owned(),
        trial_expires_at: group
            .state
            .trial_expires_at
            .map(format::date)
            .unwrap_or_default(),
        customer_reference: group.customer_reference.clone().unwrap_or_default(),
        automatic_deployment: group.automatic_deployment.then(|| "on".to_owned()),
        version: Some(group.version),
    }
}

/// The group above an edited one, for the form's choice of levels (the group itself when it is
/// the root of the caller's view: its parent is not the caller's to see).
async fn parent_for_form(
    state: &AppState,
    viewer: &Viewer,
    group: &Group,
) -> Result<Group, ConsoleError> {
    match group.parent_id {
        Some(parent) if group.id != viewer.group.id => {
            group_in_scope(state, viewer, parent.0).await
        }
        _ => Ok(group.clone()),
    }
}

/// `GET /customers/{id}/edit`: the General settings of a group.
pub async fn edit_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected_for(&state, &viewer, Some(id.into_inner()), Action::EditCustomer).await?;
    let parent = parent_for_form(&state, &viewer, &group).await?;
    let form = CustomerForm::new(
        Some(group.id.0),
        &parent,
        form_of(&group),
        Problems::default(),
    );
    page::html(&FormPage {
        chrome: Chrome::new(&viewer, format!("Edit {}", group.name), "customers", &group),
        heading: format!("Edit {}", group.name),
        intro: String::new(),
        form: page::fragment(&form)?,
        back: format!("/customers?group={}", group.id),
    })
}

fn update_body(form: &GroupForm) -> Result<UpdateGroup, DomainError> {
    let group_state = parse_choice("state", &form.state, GroupState::parse)?;
    let expiry = parse_expiry(&form.trial_expires_at)?;
    Ok(UpdateGroup {
        name: Some(form.name.clone()),
        parent_id: None,
        level: Some(parse_level(&form.level)?),
        service_type: parse_choice("service_type", &form.service_type, ServiceType::parse)?,
        state: group_state,
        // Only a trial has an expiry; an empty date leaves the stored one.
        trial_expires_at: match (group_state, expiry) {
            (Some(GroupState::Trial), Some(at)) => Some(Some(at)),
            _ => None,
        },
        customer_reference: Some(non_empty(Some(&form.customer_reference)).map(str::to_owned)),
        automatic_deployment: Some(form.automatic_deployment.is_some()),
    })
}

/// `POST /customers/{id}/edit`: saves the General settings (the API's update, conditional on
/// the version the form was read at).
pub async fn edit(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let form = form.into_inner();
    let outcome = match update_body(&form) {
        Ok(body) => group_ops::update(&state, &viewer.caller, group.id, body, form.version).await,
        Err(invalid) => Err(invalid.into()),
    };
    match outcome {
        Ok(saved) => Ok(page::go_to(&format!(
            "/customers?group={}&notice=saved",
            saved.id
        ))),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let parent = parent_for_form(&state, &viewer, &group).await?;
            page::html_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CustomerForm::new(Some(group.id.0), &parent, form, problems),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "company_form.html")]
struct CompanyForm {
    group_id: i64,
    fields: Vec<(&'static str, &'static str, String)>,
    allowed: Permit,
    problems: Problems,
}

const COMPANY_LABELS: [(&str, &str); 14] = [
    ("legal_name", "Legal company name"),
    ("website", "Website"),
    ("phone", "Phone"),
    ("fax", "Fax"),
    ("vat_number", "VAT number"),
    ("chamber_of_commerce_number", "Chamber of commerce number"),
    ("bank_account", "Bank account"),
    ("street", "Street"),
    ("city", "City"),
    ("district", "District"),
    ("state", "State"),
    ("zip", "ZIP code"),
    ("country", "Country"),
    ("billing_contact", "Billing contact"),
];

fn company_fields(profile: &CompanyProfile) -> Vec<(&'static str, &'static str, String)> {
    let values = profile.fields();
    COMPANY_LABELS
        .iter()
        .map(|(key, label)| {
            let value = values
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| *v)
                .unwrap_or_default()
                .to_owned();
            (*key, *label, value)
        })
        .collect()
}

/// `GET /customers/{id}/company`: the company profile.
pub async fn company_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let who = viewer.caller.clone();
    let gid = group.id;
    let (profile, _) = state
        .read(move |c| groups::get_company(c, &who.scope, gid))
        .await?;
    let form = CompanyForm {
        group_id: group.id.0,
        fields: company_fields(&profile),
        allowed: viewer.may(Action::EditCompanyProfile, &group),
        problems: Problems::default(),
    };
    page::html(&FormPage {
        chrome: Chrome::new(
            &viewer,
            format!("{}: company profile", group.name),
            "customers",
            &group,
        ),
        heading: format!("Company profile of {}", group.name),
        intro: "Address, website and billing details.".to_owned(),
        form: page::fragment(&form)?,
        back: format!("/customers?group={}", group.id),
    })
}

/// `POST /customers/{id}/company`: saves the profile (the API's own validation).
pub async fn company(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let mut profile = CompanyProfile::default();
    for (key, value) in form.into_inner() {
        if let Some(slot) = profile.field_mut(&key) {
            *slot = non_empty(Some(&value)).map(str::to_owned);
        }
    }
    let shown = profile.clone();
    let who = viewer.caller.clone();
    let gid = group.id;
    let now = tenantry_storage::now();
    let outcome = match shown.clone().validated() {
        Ok(valid) => {
            state
                .write(move |w| {
                    who.group(w.conn(), gid, Action::EditCompanyProfile)?;
                    groups::put_company(w, &who.scope, gid, valid, None, now)
                })
                .await
        }
        Err(invalid) => Err(ApiError::from(invalid)),
    };
    match outcome {
        Ok(_) => Ok(page::go_to(&format!(
            "/customers?group={}&notice=saved",
            group.id
        ))),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CompanyForm {
                group_id: group.id.0,
                fields: company_fields(&shown),
                allowed: viewer.may(Action::EditCompanyProfile, &group),
                problems: Problems::from_error(error)?,
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "move_form.html")]
struct MoveForm {
    group_id: i64,
    name: String,
    parent: String,
    version: i64,
    levels: Vec<Choice>,
    problems: Problems,
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveFields {
    #[serde(default)]
    parent: String,
    #[serde(default)]
    level: String,
    version: Option<i64>,
}

/// `GET /customers/{id}/move`: choose a new parent (and, if need be, a new level).
pub async fn move_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected_for(&state, &viewer, Some(id.into_inner()), Action::EditCustomer).await?;
    let form = MoveForm {
        group_id: group.id.0,
        name: group.name.clone(),
        parent: String::new(),
        version: group.version,
        levels: choices(&levels_list(), group.level.as_str()),
        problems: Problems::default(),
    };
    page::html(&FormPage {
        chrome: Chrome::new(&viewer, format!("Move {}", group.name), "customers", &group),
        heading: format!("Move {}", group.name),
        intro: "The customer moves with everything below it. Levels are checked again for the \
                whole subtree: a move that would break a level rule is refused and nothing changes."
            .to_owned(),
        form: page::fragment(&form)?,
        back: format!("/customers?group={}", group.id),
    })
}

/// `POST /customers/{id}/move`: the API's update with a new parent.
pub async fn move_group(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<MoveFields>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let fields = form.into_inner();
    let who = viewer.caller.clone();
    let parent_name = fields.parent.clone();
    let outcome = match non_empty(Some(&parent_name)) {
        None => Err(ApiError::invalid_field("parent_id", "name the new parent")),
        Some(name) => {
            let name = name.to_owned();
            match state
                .read(move |c| groups::by_name(c, &who.scope, &name))
                .await
            {
                Err(e) if e.code() == tenantry_api_types::ErrorCode::NotFound => Err(
                    ApiError::invalid_field("parent_id", "no customer of that name in your tree"),
                ),
                Err(e) => Err(e),
                Ok(parent) => match parse_level(&fields.level) {
                    Err(e) => Err(e.into()),
                    Ok(level) => {
                        let body = UpdateGroup {
                            parent_id: Some(parent.id.0),
                            level: Some(level),
                            ..UpdateGroup::default()
                        };
                        group_ops::update(&state, &viewer.caller, group.id, body, fields.version)
                            .await
                    }
                },
            }
        }
    };
    match outcome {
        Ok(moved) => Ok(page::go_to(&format!(
            "/customers?group={}&notice=moved",
            moved.id
        ))),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &MoveForm {
                group_id: group.id.0,
                name: group.name.clone(),
                levels: choices(&levels_list(), &fields.level),
                parent: fields.parent,
                version: fields.version.unwrap_or(group.version),
                problems: Problems::from_error(error)?,
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "remove.html")]
struct RemovePage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    version: i64,
    children: i64,
    devices: i64,
    allowed: Permit,
    problems: Problems,
}

/// `GET /customers/{id}/remove`: the confirmation, or why the group cannot go (its customers
/// and devices, counted).
pub async fn remove_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    remove_page(&state, &viewer, group, Problems::default(), StatusCode::OK).await
}

async fn remove_page(
    state: &AppState,
    viewer: &Viewer,
    group: Group,
    problems: Problems,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let who = viewer.caller.clone();
    let target = group.clone();
    let contents = state
        .read(move |c| groups::contents(c, &who.scope, &target))
        .await?;
    page::html_with(
        status,
        &RemovePage {
            chrome: Chrome::new(
                viewer,
                format!("Remove {}", group.name),
                "customers",
                &group,
            ),
            group_id: group.id.0,
            name: group.name.clone(),
            version: group.version,
            children: contents.children,
            devices: contents.devices,
            allowed: removal_permit(viewer, &group),
            problems,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct VersionField {
    version: Option<i64>,
}

/// `POST /customers/{id}/remove`: the API's removal.
pub async fn remove(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<VersionField>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    match group_ops::delete(&state, &viewer.caller, group.id, form.version).await {
        Ok(()) => Ok(page::go_to(&format!(
            "/customers?group={}&notice=removed",
            group.parent_id.map_or(viewer.group.id.0, |p| p.0)
        ))),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            remove_page(&state, &viewer, group, problems, StatusCode::CONFLICT).await
        }
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    form: String,
}

#[derive(Template)]
#[template(path = "import_form.html")]
struct ImportForm {
    group_id: i64,
    csv: String,
    report: Option<ImportReport>,
    problems: Problems,
}

/// `GET /customers/{id}/import`: paste or choose a customer-tree file.
pub async fn import_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected_for(
        &state,
        &viewer,
        Some(id.into_inner()),
        Action::CreateCustomer,
    )
    .await?;
    let form = ImportForm {
        group_id: group.id.0,
        csv: String::new(),
        report: None,
        problems: Problems::default(),
    };
    page::html(&ImportPage {
        chrome: Chrome::new(
            &viewer,
            format!("Import into {}", group.name),
            "customers",
            &group,
        ),
        group_id: group.id.0,
        name: group.name.clone(),
        form: page::fragment(&form)?,
    })
}

#[derive(Debug, Deserialize)]
pub struct ImportFields {
    #[serde(default)]
    csv: String,
    /// Which button: `check` (a dry run) or `import`.
    #[serde(default)]
    action: String,
}

/// `POST /customers/{id}/import`: a dry run (every problem by line), or the import itself.
pub async fn import(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<ImportFields>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let fields = form.into_inner();
    let dry_run = fields.action != "import";
    let bytes = web::Bytes::from(fields.csv.clone().into_bytes());
    match group_file::import(&state, &viewer.caller, group.id, bytes, dry_run).await {
        Ok(report) if !report.dry_run => Ok(page::go_to(&format!(
            "/customers?group={}&notice=imported",
            group.id
        ))),
        Ok(report) => page::html(&ImportForm {
            group_id: group.id.0,
            csv: fields.csv,
            report: Some(report),
            problems: Problems::default(),
        }),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportForm {
                group_id: group.id.0,
                csv: fields.csv,
                report: None,
                problems: Problems::from_error(error)?,
            },
        ),
    }
}

/// `GET /customers/{id}/export`: the customer-tree file below a group.
pub async fn export(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let file = group_file::export(&state, &viewer.caller, group.id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"customers-{}.csv\"", group.id),
        ))
        .body(file))
}
