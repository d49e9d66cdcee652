DROP TABLE attendance;
DROP TABLE attendance_imports;
