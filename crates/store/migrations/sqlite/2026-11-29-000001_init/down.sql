DROP TABLE change_log;
DROP TABLE records;
DROP TABLE users;
