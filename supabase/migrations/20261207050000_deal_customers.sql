-- A contact can be a customer (status `customer`, and since when), and a deal's stage history
-- reads in the order the moves were made (core/deals). A file of its own: an applied migration
-- (20261207030000_deals_pipeline.sql) must not change.

alter table contacts drop constraint contacts_status_check;
alter table contacts add constraint contacts_status_check
  check (status in ('new', 'scored', 'qualifying', 'qualified', 'nurture', 'disqualified', 'routed', 'won', 'lost',
    'customer'));
alter table contacts add column customer_since timestamptz;

-- Moves of one deal are serialized by its row lock, so insertion order is the order they were
-- made in, whatever clock each caller passed (a deal has a handful of rows: sorted in memory).
alter table deal_stage_history add column seq bigint generated always as identity;
