DROP TABLE hotline_calls;
