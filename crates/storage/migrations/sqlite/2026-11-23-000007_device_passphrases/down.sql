ALTER TABLE devices DROP COLUMN passphrase_at;
ALTER TABLE devices DROP COLUMN passphrase_by;
ALTER TABLE devices DROP COLUMN passphrase_hash;
