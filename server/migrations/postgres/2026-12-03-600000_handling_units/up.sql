-- Handling units as data: a city creates, edits and retires them (never deletes them, so the
-- cases dispatched to a retired unit keep their history). `categories` is a JSON array of the
-- category codes the unit handles (the dispatch suggestion); `area` is the district or street
-- it serves, NULL for the whole city. Seeded from the shipped taxonomy at start-up when empty.
CREATE TABLE handling_units (
    code TEXT NOT NULL PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    contact TEXT NOT NULL,
    categories TEXT NOT NULL,
    area TEXT,
    retired_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
