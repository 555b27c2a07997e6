-- Several apps may share an SP entity ID (one console, several apps told apart by their ACS URLs),
-- so `apps.entity_id` is no longer UNIQUE. Sign-in requests look apps up by entity ID, hence the
-- plain index in place of the unique one.
ALTER TABLE apps DROP CONSTRAINT apps_entity_id_key;

CREATE INDEX apps_entity_id ON apps (entity_id);
