import { readEvents } from '../../src/cli/api-client';
import type { ServerSentEvent } from '../../src/cli/api-client';

async function eventsOf(chunks: string[]): Promise<ServerSentEvent[]> {
  const encoder = new TextEncoder();
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const events: ServerSentEvent[] = [];
  for await (const event of readEvents(body())) events.push(event);
  return events;
}

describe('readEvents', () => {
  it('reads named events with ids, data over several lines, and skips comments', async () => {
    const stream = ': hello\n\nevent: status\nid: 7\ndata: {"a":\ndata:1}\n\ndata: plain\n\n';
    expect(await eventsOf([stream])).toEqual([
      { event: 'status', id: '7', data: '{"a":\n1}' },
      { event: 'message', id: undefined, data: 'plain' },
    ]);
  });

  it('reads the same events however the body is cut, with LF, CRLF or CR line ends', async () => {
    // A CR at the very end may be half a CRLF: the comment line after the events settles it.
    const lf = 'event: status\nid: 1\ndata: one\n\nevent: end\nid: 2\ndata: two\n\n:\n';
    const expected = [
      { event: 'status', id: '1', data: 'one' },
      { event: 'end', id: '2', data: 'two' },
    ];
    for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r')]) {
      for (let cut = 1; cut < text.length; cut++) {
        expect(await eventsOf([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
      }
    }
  });

  it('keeps a character split across chunks whole, and drops an event the body cut short', async () => {
    const bytes = new TextEncoder().encode('data: é\n\ndata: lost');
    async function* body(): AsyncGenerator<Uint8Array> {
      yield bytes.slice(0, 7);
      yield bytes.slice(7);
    }
    const events: ServerSentEvent[] = [];
    for await (const event of readEvents(body())) events.push(event);
    expect(events).toEqual([{ event: 'message', id: undefined, data: 'é' }]);
  });

  it('ignores an id holding NUL, an empty event name means message', async () => {
    expect(await eventsOf(['id: a\0b\nevent:\ndata: x\n\n'])).toEqual([
      { event: 'message', id: undefined, data: 'x' },
    ]);
  });
});
