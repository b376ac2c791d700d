use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

use tenantry_domain::{CompanyProfile, DomainError, GroupId, TreePath};

use super::Scope;
use super::read::{get, in_subtree};
use crate::db::{DbConnection, Writer};
use crate::dialect::{RowLock, lock_group};
use crate::error::StoreResult;
use crate::schema::{company_profiles, groups};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = company_profiles, treat_none_as_null = true)]
struct CompanyRow {
    group_id: i64,
    legal_name: Option<String>,
    website: Option<String>,
    phone: Option<String>,
    fax: Option<String>,
    vat_number: Option<String>,
    chamber_of_commerce_number: Option<String>,
    bank_account: Option<String>,
    street: Option<String>,
    city: Option<String>,
    district: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    country: Option<String>,
    billing_contact: Option<String>,
    version: i64,
    updated_at: NaiveDateTime,
}

impl CompanyRow {
    fn new(group_id: GroupId, p: CompanyProfile, version: i64, now: DateTime<Utc>) -> CompanyRow {
        CompanyRow {
            group_id: group_id.0,
            legal_name: p.legal_name,
            website: p.website,
            phone: p.phone,
            fax: p.fax,
            vat_number: p.vat_number,
            chamber_of_commerce_number: p.chamber_of_commerce_number,
            bank_account: p.bank_account,
            street: p.street,
            city: p.city,
            district: p.district,
            state: p.state,
            zip: p.zip,
            country: p.country,
            billing_contact: p.billing_contact,
            version,
            updated_at: now.naive_utc(),
        }
    }

    fn into_profile(self) -> CompanyProfile {
        CompanyProfile {
            legal_name: self.legal_name,
            website: self.website,
            phone: self.phone,
            fax: self.fax,
            vat_number: self.vat_number,
            chamber_of_commerce_number: self.chamber_of_commerce_number,
            bank_account: self.bank_account,
            street: self.street,
            city: self.city,
            district: self.district,
            state: self.state,
            zip: self.zip,
            country: self.country,
            billing_contact: self.billing_contact,
        }
    }
}

/// A group's company profile and its version (0 while nothing was ever saved).
pub fn get_company(
    conn: &mut DbConnection,
    scope: &Scope,
    id: GroupId,
) -> StoreResult<(CompanyProfile, i64)> {
    get(conn, scope, id)?;
    let row = company_profiles::table
        .find(id.0)
        .select(CompanyRow::as_select())
        .first::<CompanyRow>(conn)
        .optional()?;
    Ok(match row {
        Some(row) => {
            let version = row.version;
            (row.into_profile(), version)
        }
        None => (CompanyProfile::default(), 0),
    })
}

/// Replaces a group's company profile as a whole.
pub fn put_company(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: GroupId,
    profile: CompanyProfile,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<(CompanyProfile, i64)> {
    let conn = w.conn();
    lock_group(conn, id.0, RowLock::Update)?;
    let (_, version) = get_company(conn, scope, id)?;
    if if_match.is_some_and(|expected| expected != version) {
        return Err(DomainError::PreconditionFailed.into());
    }
    let row = CompanyRow::new(id, profile.clone(), version + 1, now);
    if version == 0 {
        diesel::insert_into(company_profiles::table)
            .values(&row)
            .execute(conn)?;
    } else {
        diesel::update(company_profiles::table.find(id.0))
            .set(&row)
            .execute(conn)?;
    }
    Ok((profile, version + 1))
}

/// The saved company profiles of every group in the subtree at `top`, in one read.
pub(crate) fn companies_in_subtree(
    conn: &mut DbConnection,
    top: &TreePath,
) -> StoreResult<HashMap<GroupId, CompanyProfile>> {
    let rows = company_profiles::table
        .inner_join(groups::table)
        .filter(in_subtree(top))
        .select(CompanyRow::as_select())
        .load::<CompanyRow>(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| (GroupId(row.group_id), row.into_profile()))
        .collect())
}
