-- Nothing to do on PostgreSQL: "ordering" has one unique index here (event_journal_ordering_idx,
-- which the foreign key of event_tag uses). The version exists so that both databases count
-- versions alike.
SELECT 1;
