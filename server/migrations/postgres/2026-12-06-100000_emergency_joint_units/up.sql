-- The units on joint duty (联合值守) of an emergency switch, a JSON array of unit codes: a
-- dispatch under its command that names no helpers gives each of them (but the lead) a part.
-- Switches made before it had none.
ALTER TABLE emergencies ADD COLUMN joint_units TEXT NOT NULL DEFAULT '[]';
