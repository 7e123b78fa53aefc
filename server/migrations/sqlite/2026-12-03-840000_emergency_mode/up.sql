-- Emergency mode (平战转换): the switches of areas to wartime command, the command decisions on
-- them (switch-on and switch-off; the case steps stay in case_events), and the cases that came
-- in under command with the limits they keep after the switch-off. Written by
-- server/src/emergency; core/src/emergency.rs holds the rules.
CREATE TABLE emergencies (
    id TEXT PRIMARY KEY NOT NULL,
    area_code TEXT NOT NULL,
    level TEXT NOT NULL,
    kind TEXT NOT NULL,
    categories TEXT NOT NULL,
    commander_id TEXT NOT NULL,
    command_unit TEXT NOT NULL,
    drill BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    started_by TEXT NOT NULL,
    ended_at TIMESTAMP,
    ended_by TEXT
);
-- One switch on per area and drill flag at a time (nested areas are checked by the service).
CREATE UNIQUE INDEX emergencies_one_active ON emergencies (area_code, drill) WHERE state = 'active';

CREATE TABLE emergency_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    emergency_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT,
    occurred_at TIMESTAMP NOT NULL,
    note TEXT
);
CREATE INDEX emergency_decisions_by_emergency ON emergency_decisions (emergency_id, occurred_at);

CREATE TABLE emergency_cases (
    case_id TEXT PRIMARY KEY NOT NULL,
    emergency_id TEXT NOT NULL,
    drill BOOLEAN NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    dispatch_minutes INTEGER NOT NULL,
    handle_minutes INTEGER NOT NULL
);
CREATE INDEX emergency_cases_by_emergency ON emergency_cases (emergency_id, queued_at);
CREATE INDEX emergency_cases_drill ON emergency_cases (case_id) WHERE drill = TRUE;
