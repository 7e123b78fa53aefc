-- Undoes the links between signals and the topics opened from them.
DROP INDEX warning_signals_topic;
ALTER TABLE warning_topics DROP COLUMN signal_id;
ALTER TABLE warning_signals DROP COLUMN opened_topic_id;
