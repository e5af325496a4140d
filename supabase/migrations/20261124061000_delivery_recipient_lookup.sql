-- An inbound email or text from an address that no reply token names belongs to the organization
-- that last wrote to that address (core/conversations/reply-address.ts, texting-organization.ts):
-- found by recipient across organizations, newest first.
create index outbound_deliveries_recipient on outbound_deliveries(to_address, channel, created_at desc)
  where to_address is not null;
