-- Delivery status reported by the providers (core/delivery-status.ts): what Resend or Twilio last
-- said about a message that left, found by the provider's message id.

alter table outbound_deliveries add column provider_status text;
alter table outbound_deliveries add column provider_status_at timestamptz;
alter table outbound_deliveries add column provider_error text;
-- A delivery event names only the provider's message id, not the organization.
create index outbound_deliveries_provider_message on outbound_deliveries(provider_message_id)
  where provider_message_id is not null;
