-- WeCom's domain-ownership files (WW_verify_<code>.txt): stored here so that every instance serves
-- the same bytes at the trusted domain's root, whichever one WeCom's check reaches.
CREATE TABLE wecom_verify_files (
    name       TEXT PRIMARY KEY,
    content    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
