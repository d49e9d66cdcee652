DROP TABLE working_group_interests;
DROP TABLE proposals;
