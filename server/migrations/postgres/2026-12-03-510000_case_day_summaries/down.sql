DROP TABLE case_day_summaries;
