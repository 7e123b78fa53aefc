-- The overdue job's scan: unflagged cases whose deadline has passed.
CREATE INDEX cases_overdue_scan ON cases (overdue, deadline);
-- Candidate duplicates: open cases of one category reported since a given time.
CREATE INDEX cases_duplicate_search ON cases (category_code, created_at);
