-- The cases flagged to the district for changing hands more than twice (a `flagged_to_district`
-- event, at most one per case): the case list's `flagged_to_district` filter, a district
-- admin's list of them, reads this small index instead of every event of the city.
CREATE INDEX case_events_flagged_to_district ON case_events (case_id) WHERE kind = 'flagged_to_district';
