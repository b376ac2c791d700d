DROP INDEX devices_machine_id;
ALTER TABLE devices DROP COLUMN machine_id;
