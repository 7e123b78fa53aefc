ALTER TABLE emergencies DROP COLUMN joint_units;
