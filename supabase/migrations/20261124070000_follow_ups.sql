-- Follow-up execution (core/follow-ups): what the runner needs beside the sequence tables of
-- 20261124000300_agents_and_campaigns.sql.

-- Why and when a sequence stopped (cancelled by a reply, a revoked consent, an outcome; or done).
alter table follow_up_sequences
  add column ended_reason text,
  add column ended_at timestamptz;

-- One active sequence of a name per contact, even when two triggers schedule it at once.
create unique index follow_up_sequences_one_active on follow_up_sequences(org_id, contact_id, name)
  where status = 'active';

-- claimed_at: when a runner took the touch; a `sending` row older than the lease belongs to a
--   runner that died mid-send and is taken over (its idempotency key keeps it from going twice).
-- retry_at: when a `failed` touch is tried again; null once the runner has given up on it.
-- reasons: the compliance gate's refusal reasons for a `skipped` touch, or why it was cancelled.
alter table follow_up_messages
  add column claimed_at timestamptz,
  add column retry_at timestamptz,
  add column reasons text[] not null default '{}';

-- The runner's scan across organizations (the cron run has no org filter).
create index follow_up_messages_runnable on follow_up_messages(due_at)
  where status in ('scheduled', 'sending', 'failed');
