-- What the lifecycle rules did to a leaver's local account (disabled it, or removed its binding),
-- so that a rejoining member is restored by the same rule, and only what the rules did: an account
-- an admin disabled has no row here and stays disabled. `account_updated_at` is the account's
-- `updated_at` the rule wrote; a later change (an admin's) makes it differ and the account is then
-- left as the admin made it.
CREATE TABLE lifecycle_holds (
    corp_id            TEXT NOT NULL,
    userid             TEXT NOT NULL,
    account_id         TEXT NOT NULL,
    action             TEXT NOT NULL,
    account_updated_at INTEGER NOT NULL,
    reason             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (corp_id, userid)
);
