-- Accounts and their sessions (SQLite). The MySQL migration is the same schema.
CREATE TABLE users (
    uuid CHAR(36) NOT NULL PRIMARY KEY,
    -- Compared byte for byte (SQLite's default BINARY collation), as in MySQL's utf8mb4_bin.
    account VARCHAR(64) NOT NULL UNIQUE,
    -- An argon2id PHC string; never the password.
    password_hash VARCHAR(255) NOT NULL,
    -- Seconds since the Unix epoch.
    created BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- The SHA-256 (hex) of the session id in the cookie, so a leaked table opens no session.
    id CHAR(64) NOT NULL PRIMARY KEY,
    user_uuid CHAR(36) NOT NULL REFERENCES users (uuid) ON DELETE CASCADE,
    -- Seconds since the Unix epoch; a session past it is gone.
    expires BIGINT NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires);
