-- Single Logout: what each IdP session served (per app: the NameID as sent and the SessionIndex),
-- so a logout can name the member to every SP; and the state of a logout chain (the SPs still to
-- be told, the one waited for, whom to answer at the end), shared by every instance like login
-- states. A trigger deletes the served rows with their session, whichever path deletes it.
CREATE TABLE session_services (
    session_hash      TEXT NOT NULL,
    app               TEXT NOT NULL,
    name_id           TEXT NOT NULL,
    name_id_format    TEXT NOT NULL,
    name_qualifier    TEXT,
    sp_name_qualifier TEXT,
    session_index     TEXT NOT NULL,
    issued_at         BIGINT NOT NULL,
    PRIMARY KEY (session_hash, app)
);

CREATE FUNCTION delete_session_services() RETURNS trigger AS $$
BEGIN
    DELETE FROM session_services WHERE session_hash = OLD.id_hash;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER session_services_with_session AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION delete_session_services();

CREATE TABLE logout_chains (
    id         TEXT PRIMARY KEY,
    chain_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX logout_chains_expires ON logout_chains (expires_at);
