DROP TABLE case_disputes;
DROP TABLE case_parts;
