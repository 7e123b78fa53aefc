-- The statistics' facts of every event (store::stat_facts): what the event counts for in
-- GET /api/v1/stats (received, registered, dispatched, verified, reworked, extended, closed,
-- rated, as bits of `marks`), whether a closure came by the deadline in force, when its
-- handling cycle began, and the case's state and deadline before and after the event. Written
-- in the transaction of every event, so a period's figures read only the facts inside it
-- instead of replaying every event of its cases from their start; `gridline summaries rebuild
-- --check` derives them again from the events and compares. The case's place, category, unit
-- and channel are read from the case row, so a relocated or redispatched case counts where it
-- is now, as the figures always have.
-- A deployment upgraded with events already stored runs `gridline summaries rebuild` once.
CREATE TABLE case_stat_facts (
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    marks INTEGER NOT NULL,
    on_time INTEGER,
    cycle_start TIMESTAMP,
    rating INTEGER,
    state_before TEXT,
    deadline_before TIMESTAMP,
    state_after TEXT,
    deadline_after TIMESTAMP,
    PRIMARY KEY (case_id, seq)
);
-- A period's facts are read by time.
CREATE INDEX case_stat_facts_by_time ON case_stat_facts (occurred_at);
