ALTER TABLE sensor_rules DROP COLUMN closes_on_all_clear;
