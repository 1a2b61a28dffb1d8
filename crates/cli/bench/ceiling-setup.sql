-- The raw ceiling's tables: copies of intake's four registration tables with their columns,
-- defaults, unique constraints and indexes (INCLUDING ALL), without triggers or foreign keys;
-- `xinfang bench register --ceiling` drops them before and after.
CREATE TABLE bench_ceiling_petition (LIKE intake_petition INCLUDING ALL);
CREATE TABLE bench_ceiling_petitioner (LIKE intake_petitioner INCLUDING ALL);
CREATE TABLE bench_ceiling_outbox (LIKE intake_outbox INCLUDING ALL);
CREATE TABLE bench_ceiling_audit (LIKE intake_audit INCLUDING ALL);
