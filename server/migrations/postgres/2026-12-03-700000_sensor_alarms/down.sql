DROP TABLE sensor_messages;
DROP TABLE sensor_alarms;
DROP TABLE sensor_groups;
DROP TABLE sensor_rules;
DROP TABLE sensor_devices;
DROP TABLE sensor_systems;
