-- 回访: when the reporter was called back about the case's last closure (NULL: not yet, or
-- closed again since). Written only by workflow steps: `call_back` sets it; a step that
-- closes the case clears it, so the next closure is called back on its own. The case view
-- offers `call_back` only while it is NULL.
ALTER TABLE cases ADD COLUMN called_back_at TIMESTAMP;
-- The call-back's second question, "is the problem solved?" (是否解决): the resolution rate.
ALTER TABLE callback_tasks ADD COLUMN resolved BOOLEAN;
-- Cases called back since their last closure, before the column existed.
UPDATE cases SET called_back_at = (
    SELECT MAX(e.occurred_at) FROM case_events e
    WHERE e.case_id = cases.id AND e.kind = 'call_back' AND e.seq > (
        SELECT COALESCE(MAX(c.seq), 0) FROM case_events c
        WHERE c.case_id = cases.id AND c.to_state = 'closed' AND c.from_state <> 'closed'
    )
)
WHERE id IN (SELECT case_id FROM case_events WHERE kind = 'call_back');
-- The statistics count the hotline's calls of a time range.
CREATE INDEX hotline_calls_created ON hotline_calls (created_at);
