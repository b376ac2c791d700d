DROP TABLE data_steps;
