-- Accounts and their sessions (MySQL / MariaDB). The SQLite migration is the same schema.
CREATE TABLE users (
    uuid CHAR(36) NOT NULL PRIMARY KEY,
    -- A binary collation: accounts are matched literally, not case- or accent-insensitively.
    account VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
    -- An argon2id PHC string; never the password.
    password_hash VARCHAR(255) NOT NULL,
    -- Seconds since the Unix epoch.
    created BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE sessions (
    -- The SHA-256 (hex) of the session id in the cookie, so a leaked table opens no session.
    id CHAR(64) NOT NULL PRIMARY KEY,
    user_uuid CHAR(36) NOT NULL,
    -- Seconds since the Unix epoch; a session past it is gone.
    expires BIGINT NOT NULL,
    INDEX sessions_expires (expires),
    FOREIGN KEY (user_uuid) REFERENCES users (uuid) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
