DROP TABLE emergency_cases;
DROP TABLE emergency_decisions;
DROP TABLE emergencies;
