-- The case list filtered by a state, newest first, in a street, a district or the whole city:
-- the indexes by area alone walk every case of the area and read each one's state, so a state
-- few cases are in (registered, after a year) read the street's whole history (some 40,000
-- cases of a bench street, 60 ms on SQLite; the whole city for the admin). With the state in
-- the key the walk reads only that state's cases, newest first, with or without a search term.
-- The street's (street_code, state) index is widened; counts by street and state still use it.
-- The city's index by report time gets the id too, so the list's order (created_at, id) is the
-- index's: with the state indexes there, SQLite would otherwise rather scan one of them whole
-- and sort than step through the newest cases (800 ms, not 3, at a million cases).
DROP INDEX cases_created_idx;
CREATE INDEX cases_created_idx ON cases (created_at, id);
DROP INDEX cases_street_state;
CREATE INDEX cases_street_state ON cases (street_code, state, created_at, id);
CREATE INDEX cases_district_state ON cases (district_code, state, created_at, id);
CREATE INDEX cases_state_newest ON cases (state, created_at, id);
