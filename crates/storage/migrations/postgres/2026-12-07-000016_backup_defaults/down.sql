DROP TABLE backup_defaults;
