-- On H2, "ordering" had two identical unique indexes: the one of its UNIQUE constraint (which the
-- foreign key of event_tag uses) and event_journal_ordering_idx, copied from the plugin's script.
-- Every event written or deleted maintained both. The constraint's index stays.
DROP INDEX IF EXISTS PUBLIC."event_journal_ordering_idx";
