-- The case lists of a street, a district (a dispatcher's desk, a viewer's wall) and a handling
-- unit, newest first: these indexes give a page straight from the index in order, instead of
-- sorting every case of the area or unit for each page of 20.
CREATE INDEX cases_street_newest ON cases (street_code, created_at, id);
CREATE INDEX cases_district_newest ON cases (district_code, created_at, id);
CREATE INDEX cases_unit_newest ON cases (handling_unit, created_at, id);
