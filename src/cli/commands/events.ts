import { flushQueue, readQueue } from '../../activities/events';
import type { EventEnvelope } from '../../domain/events';
import { loadConfig, loadConfigWithCredentials } from '../../runtime/config';
import { CliError, EXIT } from '../errors';
import type { CliIO } from '../io';

/** `sprintwave events <sprint>`: the sprint's events from the local queue. */
export async function eventsCommand(
  sprintId: string,
  options: { json?: boolean },
  io: CliIO,
): Promise<number> {
  const config = loadConfig();
  const events = (await readQueue(config.home)).filter((event) => event.sprint_id === sprintId);
  if (events.length === 0)
    throw new CliError(`No events recorded for sprint ${sprintId} on this machine.`, EXIT.badInput);
  io.out(options.json ? JSON.stringify(events, null, 2) : events.map(describe).join('\n'));
  return EXIT.ok;
}

function describe(event: EventEnvelope): string {
  const change =
    event.event_type === 'WPStatusChanged'
      ? ` ${String(event.payload.from)} → ${String(event.payload.to)}`
      : '';
  const wp = event.wp_id ? ` ${event.wp_id}` : '';
  const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
  return `${String(event.sequence).padStart(4)}  ${event.occurred_at}  ${event.event_type}${wp}${change}${attempt}`;
}

/** `sprintwave sync flush`: sends what is queued and not yet acknowledged. */
export async function syncFlushCommand(io: CliIO): Promise<number> {
  const config = await loadConfigWithCredentials();
  const { url, syncToken } = config.events;
  if (!url || !syncToken) {
    throw new CliError(
      'Not logged in to a sync backend: set SPRINTWAVE_EVENTS_URL, and SPRINTWAVE_SYNC_TOKEN or `sprintwave auth login sync`. Events stay queued.',
      EXIT.badInput,
    );
  }
  const { sent, pending } = await flushQueue({ dataDir: config.home, eventsUrl: url, syncToken });
  io.out(`Sent ${sent} queued events; ${pending} still pending.`);
  return pending === 0 ? EXIT.ok : EXIT.sprintFailed;
}
