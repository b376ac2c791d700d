-- The group tree: parent_id for the edges, a materialized path for whole-subtree ranges
-- (see domain::TreePath), a case-folded name_key for installation-wide unique names.
-- AUTOINCREMENT so that an id is never handed out twice, even after the newest group is removed.
CREATE TABLE groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id BIGINT REFERENCES groups (id) ON DELETE RESTRICT,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    service_type TEXT NOT NULL CHECK (service_type IN ('all_inclusive', 'software_only')),
    state TEXT NOT NULL CHECK (state IN ('trial', 'production', 'not_active', 'expired')),
    trial_expires_at TIMESTAMP,
    customer_reference TEXT,
    automatic_deployment BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_path ON groups (path);
CREATE UNIQUE INDEX groups_name_key ON groups (name_key);
-- Children in tree order straight from the index.
CREATE INDEX groups_parent_id ON groups (parent_id, path);
-- One tree, one root.
CREATE UNIQUE INDEX groups_single_root ON groups ((parent_id IS NULL)) WHERE parent_id IS NULL;

CREATE TABLE company_profiles (
    group_id BIGINT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    legal_name TEXT,
    website TEXT,
    phone TEXT,
    fax TEXT,
    vat_number TEXT,
    chamber_of_commerce_number TEXT,
    bank_account TEXT,
    street TEXT,
    city TEXT,
    district TEXT,
    state TEXT,
    zip TEXT,
    country TEXT,
    billing_contact TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);

-- Devices arrive with their own issue; the table exists now so that "a group with devices
-- cannot be removed" is a real, raced rule: RESTRICT means no device is ever left without a group.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE RESTRICT,
    name TEXT NOT NULL,
    os TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX devices_group_id ON devices (group_id);
