-- Whether a sensor case closes when every alarm it carries has had its all-clear (the
-- `sensor_close` step), instead of waiting for an inspector's verification. Rules a city already
-- has keep waiting for the inspector (FALSE) until the city says otherwise; a new city starts
-- from the shipped rules, where a parked car that drove off and an emptied bin close at once.
ALTER TABLE sensor_rules ADD COLUMN closes_on_all_clear BOOLEAN NOT NULL DEFAULT FALSE;
