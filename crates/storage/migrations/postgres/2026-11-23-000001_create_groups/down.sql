DROP TABLE devices;
DROP TABLE company_profiles;
DROP TABLE groups;
