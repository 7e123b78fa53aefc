-- The case list filtered by what few cases of a street pass (a category, a channel, an
-- urgency, overdue, a handling unit, a community's cells), newest first: the indexes by area
-- alone walk every case of the area and read each one's row to test the filter, so a filter
-- that the street's newest cases fail read its whole history (a search for 路灯 among its
-- Open311 reports: 90-110 ms for the 59,000 cases of a bench street at a million cases).
-- With the filtered columns in the index, SQLite tests them on the index entry (the list's walk
-- asks for the page's ids alone, then reads the page's rows): 10 ms. Each report still writes
-- one entry per index, some 45 bytes longer. PostgreSQL's migration of this version carries the
-- same columns as INCLUDE columns, for an index-only scan.
DROP INDEX cases_street_newest;
CREATE INDEX cases_street_newest ON cases
    (street_code, created_at, id, category_code, channel, urgency, overdue, handling_unit, grid_code);
DROP INDEX cases_district_newest;
CREATE INDEX cases_district_newest ON cases
    (district_code, created_at, id, category_code, channel, urgency, overdue, handling_unit, grid_code);
DROP INDEX cases_created_idx;
CREATE INDEX cases_created_idx ON cases
    (created_at, id, category_code, channel, urgency, overdue, handling_unit, grid_code);
