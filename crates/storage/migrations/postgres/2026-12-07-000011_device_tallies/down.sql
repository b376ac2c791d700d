DROP TABLE device_tallies;
