-- Meetings a prospect books with a rep (core/meetings/), without any calendar vendor: reps
-- publish weekly availability, free slots are computed from it and the booked meetings, and the
-- invitation goes out as an iCalendar attachment through the compliance gate.

-- {timeZone, weekly: {mon: [{start, end}], ...}, meetingMinutes, bufferMinutes, minNoticeHours,
--  horizonDays} (core/meetings/rep-availability.ts); null: the rep takes no bookings.
alter table users add column availability jsonb;

create table meetings (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations(id) on delete cascade,
  contact_id uuid not null references contacts(id) on delete cascade,
  rep_id uuid not null references users(id),
  -- No foreign key yet: deals may get one when they own their table.
  deal_id uuid,
  conversation_id uuid,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  prospect_time_zone text,
  title text not null check (length(title) between 1 and 200),
  status text not null default 'booked' check (status in ('booked', 'cancelled')),
  -- iCalendar SEQUENCE: raised by every reschedule and the cancel, so calendars take the update.
  sequence integer not null default 0 check (sequence >= 0),
  ical_uid text not null unique,
  cancel_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
-- A backstop for the overlap check bookMeeting makes under the rep's row lock.
create unique index meetings_rep_slot on meetings(rep_id, starts_at) where status = 'booked';
create index meetings_rep_time on meetings(org_id, rep_id, starts_at) where status = 'booked';
create index meetings_contact on meetings(org_id, contact_id, starts_at);
alter table meetings enable row level security;
create policy meetings_own on meetings using (org_id = public.current_org_id())
  with check (org_id = public.current_org_id());

-- What an email carried besides its text (an invitation's .ics), so recorded-only mode keeps it:
-- [{filename, contentType, content}] (core/outbound.ts).
alter table outbound_deliveries add column attachments jsonb;
