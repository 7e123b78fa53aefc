-- Alarm intake on PostgreSQL writes thousands of sensor messages a second, and each foreign key
-- of a message cost a look-up and a key-share lock per row (about 4 µs a row, 1.6–2.7 ms for a
-- round of 400 alarms). Both keys only repeat what the alarm writer guarantees in the same
-- transaction, under the alarm lock (`sensors::engine::apply_batches`):
-- - `alarm_id` names the episode the message raised, repeated or cleared, which the writer read
--   or inserted in that transaction before the message;
-- - `system_id` is the system whose key the request presented, found before the batch was taken,
--   and every device of the batch is checked to be that system's.
-- Neither an episode nor a system is ever deleted (a system is revoked, its rows kept), so no
-- later statement can leave a message pointing at nothing. The primary key, which makes a
-- replayed alarm count once, stays.
ALTER TABLE sensor_messages DROP CONSTRAINT sensor_messages_alarm_id_fkey;
ALTER TABLE sensor_messages DROP CONSTRAINT sensor_messages_system_id_fkey;
