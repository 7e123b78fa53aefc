-- The case list filtered by a category, newest first, in a street or a district: the indexes
-- by area alone walk every case of the area and read each one's category, so a category with
-- few cases in the street (a fallen tree, with a search for 路灯 that none of them holds) read
-- the street's whole history (the 59,000 cases of a bench street at a million cases).
-- PostgreSQL tests a filter on the row, not on the index entry, so widening the area's index
-- (SQLite's migration of this version) would not help it. The city-wide list by category has
-- its index already (cases_duplicate_search). Each report writes two more index entries.
CREATE INDEX cases_street_category ON cases (street_code, category_code, created_at, id);
CREATE INDEX cases_district_category ON cases (district_code, category_code, created_at, id);
