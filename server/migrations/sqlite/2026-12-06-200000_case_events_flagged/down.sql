-- Drops the index of the cases flagged to the district.
DROP INDEX case_events_flagged_to_district;
