DROP TABLE patrol_positions;
