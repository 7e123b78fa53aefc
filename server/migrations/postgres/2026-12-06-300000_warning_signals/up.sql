-- Early warning's signals (预警信号): what a run of a warning method found, kept as an object
-- staff acknowledge, dismiss with a reason, or open a case from. Written by
-- server/src/api/warnings/signals.rs; core/src/warning/signal.rs holds the rules. Cells and
-- case ids are JSON arrays of codes and ids; dates are the city's, YYYY-MM-DD.
CREATE TABLE warning_signals (
    id TEXT PRIMARY KEY NOT NULL,
    method TEXT NOT NULL,
    category TEXT,
    class TEXT,
    centre_grid TEXT NOT NULL,
    cells TEXT NOT NULL,
    window_from TEXT NOT NULL,
    window_to TEXT NOT NULL,
    observed INTEGER NOT NULL,
    expected DOUBLE PRECISION NOT NULL,
    recurrence_days DOUBLE PRECISION NOT NULL,
    p_value DOUBLE PRECISION NOT NULL,
    case_ids TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    opened_case_id TEXT,
    runs INTEGER NOT NULL,
    version INTEGER NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    acted_by TEXT,
    acted_at TIMESTAMP
);
-- The live signals a run may grow, and the newest-first list.
CREATE INDEX warning_signals_state ON warning_signals (state, raised_at);
CREATE INDEX warning_signals_raised ON warning_signals (raised_at);
