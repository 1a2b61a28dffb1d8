-- pgbench: the rows one registration writes (petition, petitioner, outbox event, audit entry),
-- as one transaction of four INSERTs, with values of the sizes intake writes. Run by
-- `xinfang bench register --ceiling`, against the tables of ceiling-setup.sql.
\set r random(1, 9000000000000000000)
BEGIN;
INSERT INTO bench_ceiling_petition (id, case_number, kind, state, channel_code, registering_unit,
    registering_region, region_code, content_category, title, content, headcount, attachments,
    flags, flag_mask, matter_key, first_time_here, first_time_anywhere, petitioned_at,
    registered_at, registered_by, query_code_hash, query_code_sealed, idempotency_key,
    request_digest, version)
  VALUES ('p' || :r, '340100-2026-' || :r, 'COMPLAINT', 'REGISTERED', '0300', 'east-t1', '340102',
    '340102001', '020100', '拖欠工资', '某建筑公司拖欠农民工工资三个月未发', 1, '[]', '[]', 0,
    md5('m' || :r), true, true, now(), now(), 'bench', md5('q' || :r) || md5('Q' || :r),
    repeat('s', 80), 'k' || :r, md5('d' || :r), 1);
INSERT INTO bench_ceiling_petitioner (petition_id, position, name, id_type, id_number_sealed,
    id_number_hash, id_number_masked, phone_sealed, phone_masked, address, region_code,
    representative)
  VALUES ('p' || :r, 0, '张三', 'RESIDENT_ID', repeat('s', 90), md5('i' || :r) || md5('I' || :r),
    '3401**********001X', repeat('s', 70), '138****8000', '长江街道1号', '340102001', true);
INSERT INTO bench_ceiling_outbox (event_id, topic, message_key, sequence, event_type, payload,
    created_at, stream)
  VALUES ('e' || :r, 'xinfang.intake.events', 'p' || :r, 1, 'PetitionRegistered',
    decode(repeat('ab', 600), 'hex'), now(), 'petition/p' || :r);
INSERT INTO bench_ceiling_audit (occurred_at, actor, org_unit, action, aggregate, detail, version,
    prev_hash, hash)
  VALUES (now(), 'bench', 'east-t1', 'petition.register', 'petition/p' || :r, '{}', 1, NULL,
    md5('h' || :r) || md5('H' || :r));
COMMIT;
