-- The way each case came in (app, inspector, web, hotline, open311, sensor: core's Channel),
-- set by the server at intake. Cases filed before it was recorded get it from the account that
-- reported them: an inspector's report came from patrol, an Open311 client's through Open311,
-- and any other through the app (the web page's reports cannot be told apart any more).
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'app';
UPDATE cases SET channel = 'inspector' WHERE reporter_role = 'inspector';
UPDATE cases SET channel = 'open311' WHERE reporter_role = 'open311';
