DROP TABLE follow_ups;
DROP TABLE materials;
