DROP STATISTICS case_rollups_by_street, case_rollups_by_district, case_rollups_by_category,
    case_rollups_by_unit, case_rollups_by_channel, case_rollups_by_day;
