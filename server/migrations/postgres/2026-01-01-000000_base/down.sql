-- Drops the base schema.
DROP TABLE case_events;
DROP TABLE case_photos;
DROP TABLE cases;
DROP TABLE photos;
DROP TABLE categories;
DROP TABLE grid_revision;
DROP TABLE grid_cells;
