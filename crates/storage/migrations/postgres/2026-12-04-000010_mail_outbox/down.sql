DROP INDEX plugin_records_due;
DROP TABLE mail_outbox;
