-- Each account's notes, by the account's uuid (the host's account store keeps the accounts).
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    created INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE INDEX notes_by_owner ON notes (owner, id);
