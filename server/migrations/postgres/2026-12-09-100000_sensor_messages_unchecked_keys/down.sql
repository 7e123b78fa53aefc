ALTER TABLE sensor_messages ADD CONSTRAINT sensor_messages_system_id_fkey
    FOREIGN KEY (system_id) REFERENCES sensor_systems (id);
ALTER TABLE sensor_messages ADD CONSTRAINT sensor_messages_alarm_id_fkey
    FOREIGN KEY (alarm_id) REFERENCES sensor_alarms (id);
