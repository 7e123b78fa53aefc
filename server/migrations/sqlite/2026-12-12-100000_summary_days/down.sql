DROP INDEX case_day_summaries_by_kind;
DROP TABLE case_summary_zone;
