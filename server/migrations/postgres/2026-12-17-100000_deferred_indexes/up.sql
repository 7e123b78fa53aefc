-- The indexes and foreign keys a bulk load (`gridline seed` into a database without cases)
-- dropped, to build them once over the loaded rows instead of entry by entry. Each row is
-- written in the transaction that drops its index and deleted in the one that builds it again,
-- so a load that dies leaves here exactly what is missing; opening the store builds it
-- (`store::deferred_indexes`).
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY NOT NULL,
    table_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    definition TEXT NOT NULL
);
