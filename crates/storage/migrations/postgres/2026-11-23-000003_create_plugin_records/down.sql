DROP TABLE plugin_records;
