-- A migration of a Tasker newer than the code under test (SchemaMigrationsTest).
CREATE TABLE tasker_from_a_newer_tasker (id INTEGER);
