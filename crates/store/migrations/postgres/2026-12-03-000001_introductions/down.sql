DROP TABLE introduction_messages;
DROP TABLE introductions;
