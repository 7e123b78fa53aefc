DROP TABLE case_rollup_rules;
DROP TABLE case_rollup_keys;
DROP TABLE case_rollups;
