DROP TABLE case_rollup_deltas;
