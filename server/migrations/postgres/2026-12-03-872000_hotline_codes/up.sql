-- The hotline's own category codes (two-level numeric codes in the style of GB/T 39666: a
-- class of two digits, a matter of four) and the category each maps to, which the city edits
-- through PUT/DELETE /api/v1/admin/hotline-codes/{code}. The rows below are a small default
-- mapping shipped with the server, not the standard's full list: a city loads its own.
CREATE TABLE hotline_codes (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    category_code TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO hotline_codes (code, name_zh, name_en, category_code, updated_at) VALUES
    ('0101', '市容环境-垃圾清运', 'City appearance: rubbish collection', 'E0101', 0),
    ('0102', '市容环境-道路保洁', 'City appearance: street cleaning', 'E0103', 0),
    ('0103', '市容环境-乱张贴', 'City appearance: flyers and posters', 'E0201', 0),
    ('0201', '市政设施-井盖', 'Public works: manhole covers', 'C0101', 0),
    ('0202', '市政设施-路灯', 'Public works: street lamps', 'C0106', 0),
    ('0203', '市政设施-道路塌陷', 'Public works: road collapse', 'E0501', 0),
    ('0204', '市政设施-道路积水', 'Public works: flooded roads', 'E0504', 0),
    ('0301', '城市管理-占道经营', 'City management: street vending', 'E0401', 0),
    ('0302', '城市管理-乱停车', 'City management: illegal parking', 'E0404', 0),
    ('0303', '城市管理-违法建设', 'City management: illegal building', 'E0304', 0),
    ('0401', '环境保护-施工噪音', 'Environment: construction noise', 'E0301', 0),
    ('0402', '环境保护-商业噪音', 'Environment: commercial noise', 'E0407', 0),
    ('0501', '园林绿化-树木倒伏', 'Greenery: fallen trees', 'E0506', 0),
    ('9999', '其他', 'Other matters', 'E0601', 0);
