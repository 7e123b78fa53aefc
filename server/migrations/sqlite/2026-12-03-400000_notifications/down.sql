DROP TABLE push_tokens;
DROP TABLE notification_preferences;
DROP TABLE notification_deliveries;
DROP TABLE notification_outbox;
