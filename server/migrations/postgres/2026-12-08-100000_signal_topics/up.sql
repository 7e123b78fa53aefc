-- A signal taken on as a topic (每月一题): the signal names the topic it opened, and the topic
-- the signal it was adopted from (a topic adopted from a month's candidates names none). Written
-- by server/src/warnings/signals.rs; core/src/warning/signal.rs holds the step's rules.
ALTER TABLE warning_signals ADD COLUMN opened_topic_id TEXT;
ALTER TABLE warning_topics ADD COLUMN signal_id TEXT;
-- The signals turned into a topic, for the topic's answer.
CREATE INDEX warning_signals_topic ON warning_signals (opened_topic_id);
