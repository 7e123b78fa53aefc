-- Joint handling (主办/协办) and disputed assignments (派单异议), issue 22.
--
-- case_parts: one row per helper unit's part of a case, created by the dispatch (or
-- reassignment) that names it, in that step's transaction, and moved by the part steps
-- (server/src/cases/parts.rs) under the case's version. The lead unit is the case's
-- handling_unit and has no row here. A part's deadline is core's (its own time limit, or the
-- case's, on the working calendar); on_time is set when the helper finishes it.
CREATE TABLE case_parts (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    note TEXT NOT NULL,
    state TEXT NOT NULL,
    time_limit TEXT,
    deadline TIMESTAMP,
    overdue BOOLEAN NOT NULL DEFAULT FALSE,
    on_time BOOLEAN,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX case_parts_case ON case_parts (case_id);
CREATE INDEX case_parts_unit ON case_parts (unit_code, state);
CREATE INDEX case_parts_due ON case_parts (deadline) WHERE overdue = FALSE AND state IN ('assigned', 'accepted');

-- case_disputes: one row per dispute of an assignment, raised by the unit's dispute step and
-- completed by the arbiter's uphold or reassign step (late when after decide_by), or sent to
-- the district by the system (escalated_at). Counted per unit for the dispute rate.
CREATE TABLE case_disputes (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    decide_by TIMESTAMP,
    decision TEXT,
    decided_at TIMESTAMP,
    decided_by TEXT,
    late BOOLEAN NOT NULL DEFAULT FALSE,
    escalated_at TIMESTAMP
);
CREATE INDEX case_disputes_case ON case_disputes (case_id);
CREATE INDEX case_disputes_unit ON case_disputes (unit_code);
CREATE INDEX case_disputes_pending ON case_disputes (decide_by) WHERE decision IS NULL;
