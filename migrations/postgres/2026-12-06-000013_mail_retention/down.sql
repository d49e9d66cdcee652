DROP INDEX outbox_with_content;
