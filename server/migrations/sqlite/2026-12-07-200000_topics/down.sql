DROP TABLE warning_topics;
