DROP INDEX cases_created_idx;
DROP TABLE open311_requests;
DROP TABLE api_keys;
