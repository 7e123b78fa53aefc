DROP TABLE hotline_codes;
