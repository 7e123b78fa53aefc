DROP TABLE handling_units;
