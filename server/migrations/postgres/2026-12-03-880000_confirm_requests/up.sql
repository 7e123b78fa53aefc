-- 核实派遣: when the street office asked the cell's grid inspectors to confirm a reported case
-- on site, while no inspector has answered (NULL: no open request). Written only by workflow
-- steps: `request_confirm` sets it; `confirm`, `deny`, or any step that takes the case out of
-- `reported` clears it. The inspectors' work lists show a case with it set as a task.
ALTER TABLE cases ADD COLUMN confirm_requested_at TIMESTAMP;
