import { createEmailChannel, type EmailChannel } from '../channels/email/email-channel.ts';
import { createSmsChannel, type SmsChannel } from '../channels/sms/sms-channel.ts';
import type { Config } from './config.ts';

/**
 * The channels that talk to a provider, each built only when its keys are set (config.ts checks
 * that a key never comes without what it needs). A channel left out stays recorded-only: its
 * messages are kept in the delivery ledger and shown in the console, never sent.
 */
export interface ProviderChannels {
  email?: EmailChannel;
  sms?: SmsChannel;
  whatsapp?: SmsChannel;
}

export function createProviderChannels(config: Config): ProviderChannels {
  const channels: ProviderChannels = {};
  if (config.RESEND_API_KEY && config.EMAIL_FROM) {
    channels.email = createEmailChannel({
      apiKey: config.RESEND_API_KEY,
      from: config.EMAIL_FROM,
      replyDomain: config.EMAIL_REPLY_DOMAIN,
      webhookSecret: config.RESEND_WEBHOOK_SECRET,
      baseUrl: config.RESEND_BASE_URL,
    });
  }
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    const twilio = {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      publicUrl: config.publicUrl,
      baseUrl: config.TWILIO_BASE_URL,
    };
    if (config.TWILIO_FROM)
      channels.sms = createSmsChannel({ ...twilio, channel: 'sms', from: config.TWILIO_FROM });
    if (config.TWILIO_WHATSAPP_FROM) {
      channels.whatsapp = createSmsChannel({
        ...twilio,
        channel: 'whatsapp',
        from: config.TWILIO_WHATSAPP_FROM,
      });
    }
  }
  return channels;
}
