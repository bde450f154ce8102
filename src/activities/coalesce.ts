export interface Coalescer<T> {
  /** Offers a new value; only the latest one not yet sent is kept. */
  push(value: T): void;
  /** Sends any pending value now and waits until nothing is in flight. */
  flush(): Promise<void>;
}

/**
 * Calls `send` at most once per `intervalMs` with the latest pushed value: the first push is
 * sent at once, later ones at the end of the interval. Sends never overlap; a failed send is
 * reported to `onError` and otherwise ignored (the next value supersedes it).
 */
export function coalesce<T>(
  send: (value: T) => Promise<void>,
  intervalMs: number,
  onError: (error: unknown) => void = () => {},
): Coalescer<T> {
  let pending: { value: T } | undefined;
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSentAt = -Infinity;

  const sendPending = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const { value } = pending;
    pending = undefined;
    lastSentAt = Date.now();
    inFlight = Promise.resolve()
      .then(() => send(value))
      .catch((error: unknown) => {
        try {
          onError(error);
        } catch {
          // A broken error reporter must not break the sends that follow.
        }
      })
      .finally(() => {
        inFlight = undefined;
        schedule();
      });
  };

  const schedule = (): void => {
    if (!pending || inFlight || timer) return;
    const wait = lastSentAt + intervalMs - Date.now();
    if (wait <= 0) sendPending();
    else timer = setTimeout(sendPending, wait);
  };

  return {
    push(value) {
      pending = { value };
      schedule();
    },
    async flush() {
      while (inFlight || pending) {
        if (inFlight) await inFlight;
        else sendPending();
      }
    },
  };
}
