//! Unit tests of the presets: parameter refusals, homepage URLs, RoleSessionName fitting.
