DROP INDEX warning_signals_centre;
DROP TABLE warning_scan_claims;
