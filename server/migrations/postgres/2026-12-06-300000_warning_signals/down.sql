DROP TABLE warning_signals;
