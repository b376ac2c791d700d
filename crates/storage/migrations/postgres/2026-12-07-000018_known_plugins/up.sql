-- The plugins this installation has run, with the paths of their routes: when one is no longer
-- enabled, its paths answer `plugin_not_enabled` (the data it kept is still here) rather than a
-- bare 404. Written at each start for every loaded plugin.
CREATE TABLE known_plugins (
    name VARCHAR(100) PRIMARY KEY,
    route_paths TEXT NOT NULL,
    seen_at TIMESTAMP NOT NULL
);
