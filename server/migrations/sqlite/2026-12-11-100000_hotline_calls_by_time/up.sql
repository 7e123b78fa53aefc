-- The statistics of whole days count the hotline's calls of a range by the column or day of
-- their case (store::hotline_calls::count): read from the range's calls in time order, each
-- joined to its case by key. With the case id in the index the calls' rows are not read; it
-- also serves every read of calls by time, which `hotline_calls_created` served.
CREATE INDEX hotline_calls_created_case ON hotline_calls (created_at, case_id);
DROP INDEX hotline_calls_created;
