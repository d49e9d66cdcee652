DROP TABLE cohort_facilitators;
