import type { Inngest } from 'inngest';
import type { Db } from '../core/db.ts';

/**
 * With Inngest driving the workflows, outbox events are forwarded to it. The outbox id is the
 * event id, which Inngest uses as an idempotency key: forwarding again after a crash between
 * send and mark does not start a second run.
 */
export class OutboxForwarder {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly db: Db,
    private readonly client: Inngest,
    private readonly log: { error(obj: object, msg: string): void },
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.stopped = false;
    this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  poke(): void {
    if (!this.stopped && !this.running) {
      clearTimeout(this.timer);
      this.loop();
    }
  }

  private loop(): void {
    this.running = this.forward()
      .then(() => {})
      .catch((error) => this.log.error({ err: error }, 'forwarding events to Inngest failed'))
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.intervalMs);
      });
  }

  async forward(): Promise<number> {
    const events = await this.db.query<{
      id: string;
      name: string;
      data: Record<string, unknown>;
      created_at: Date;
    }>('select id, name, data, created_at from events where dispatched_at is null order by seq limit 100');
    if (events.length === 0) return 0;
    try {
      await this.client.send(
        events.map((e) => ({ id: e.id, name: e.name, data: e.data, ts: e.created_at.getTime() })) as never,
      );
    } catch (error) {
      await this.db.query(
        'update events set dispatch_attempts = dispatch_attempts + 1, last_error = $2 where id = any($1::uuid[])',
        [events.map((e) => e.id), String(error)],
      );
      throw error;
    }
    await this.db.query('update events set dispatched_at = now() where id = any($1::uuid[])', [
      events.map((e) => e.id),
    ]);
    return events.length;
  }
}
