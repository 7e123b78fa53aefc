DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['case_events', 'case_photos', 'hotline_calls', 'open311_requests', 'sensor_groups']
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_case_id_fkey');
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (case_id) REFERENCES cases (id)',
                       t, t || '_case_id_fkey');
    END LOOP;
END;
$$;
ALTER TABLE case_keys DROP CONSTRAINT case_keys_case_id_key;
