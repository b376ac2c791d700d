-- A device's passphrase (re-installation, recovery of an encrypted device): only its Argon2
-- hash is kept, with who generated it and when.
ALTER TABLE devices ADD COLUMN passphrase_hash TEXT;
ALTER TABLE devices ADD COLUMN passphrase_by BIGINT;
ALTER TABLE devices ADD COLUMN passphrase_at TIMESTAMP;
