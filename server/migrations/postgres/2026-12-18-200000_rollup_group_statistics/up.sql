-- How many groups a read of the roll-ups makes, told to the planner.
--
-- The statistics sum the rows of one level by a column (street, district, category, unit,
-- channel, or the day) with the figure and the bucket. Without these objects PostgreSQL
-- multiplies the columns' distinct counts and expects a group for almost every row (483,942
-- for the 610,858 rows of a year by street at ten million cases, against 2,199), so it hashes
-- them on one core. Told the real count, it aggregates in parallel workers first: the year by
-- street took 137-169 ms instead of 226 on the same warm pages (docs/benchmarks.md, "Ten
-- million cases on PostgreSQL"). ANALYZE fills them.
CREATE STATISTICS case_rollups_by_street (ndistinct) ON street_code, figure, bucket FROM case_rollups;
CREATE STATISTICS case_rollups_by_district (ndistinct) ON district_code, figure, bucket FROM case_rollups;
CREATE STATISTICS case_rollups_by_category (ndistinct) ON category_code, figure, bucket FROM case_rollups;
CREATE STATISTICS case_rollups_by_unit (ndistinct) ON handling_unit, figure, bucket FROM case_rollups;
CREATE STATISTICS case_rollups_by_channel (ndistinct) ON channel, figure, bucket FROM case_rollups;
CREATE STATISTICS case_rollups_by_day (ndistinct) ON lo, figure, bucket FROM case_rollups;
-- A database that already holds rows gets the counts now (a sample: seconds at ten million
-- cases), not at autovacuum's next analyze.
ANALYZE case_rollups;
