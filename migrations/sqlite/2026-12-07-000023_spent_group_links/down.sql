DROP TABLE spent_group_links;
