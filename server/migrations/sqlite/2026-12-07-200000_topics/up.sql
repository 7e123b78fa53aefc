-- Topics (每月一题): a category and a place that keep coming back after closure, adopted by
-- the street office or the city so that its cases are tracked together. Written by
-- server/src/api/warnings/topics.rs; core/src/warning/topic.rs holds the rules. `place` is a
-- cell, community or street code (`level` says which); `case_ids` is a JSON array of the cases
-- found when it was adopted (reports in the place since then join it without being listed).
CREATE TABLE warning_topics (
    id TEXT PRIMARY KEY NOT NULL,
    month TEXT NOT NULL,
    level TEXT NOT NULL,
    place TEXT NOT NULL,
    category TEXT NOT NULL,
    owner_unit TEXT,
    note TEXT,
    case_ids TEXT NOT NULL,
    recurrences INTEGER NOT NULL,
    closures INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    version INTEGER NOT NULL,
    adopted_by TEXT NOT NULL,
    adopted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    settled_by TEXT,
    settled_at TIMESTAMP
);
-- One live topic per place and category: a second adoption finds the first.
CREATE UNIQUE INDEX warning_topics_live ON warning_topics (level, place, category)
    WHERE state = 'adopted';
-- The topics of a month.
CREATE INDEX warning_topics_month ON warning_topics (month);
