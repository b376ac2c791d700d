DROP TABLE known_plugins;
