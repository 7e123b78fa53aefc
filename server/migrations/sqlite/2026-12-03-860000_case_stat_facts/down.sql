DROP TABLE case_stat_facts;
