-- The machine a device runs on, as its installer identifies it (the OS's own stable id), so that
-- enrolling the same machine again takes over its device instead of adding a second one. One
-- device per machine in the installation; devices added by hand have none.
ALTER TABLE devices ADD COLUMN machine_id TEXT;
CREATE UNIQUE INDEX devices_machine_id ON devices (machine_id);
