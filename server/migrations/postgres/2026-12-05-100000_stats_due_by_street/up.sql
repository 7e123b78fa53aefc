-- The cases that fall due in a statistics range, found by their deadline in the caller's street
-- (or the city) instead of by a scan of every case: the statistics read, for each case quiet
-- through the range, its last fact when its deadline lies inside the range
-- (store::stats::facts_for). Without these the read walked all the city's cases for a
-- street's 30 days (1.4 s of the 1.5 s of a street's KPI tiles at a million cases on SQLite).
CREATE INDEX cases_street_deadline ON cases (street_code, deadline);
CREATE INDEX cases_deadline ON cases (deadline);
