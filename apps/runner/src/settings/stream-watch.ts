import type { StreamInfo } from '@nats-io/jetstream';

/**
 * How often the stream is checked (one stream info request): every second for a while after NATS
 * reconnects or the consumer is recreated (when stalls happen), every ten seconds otherwise; and
 * two seconds after the consumer was first seen behind (a message may just be in flight, or the
 * runner busy on a loaded machine: only two whole seconds without any progress count as a stall).
 */
export const WATCH_TIMING = { closeMs: 1_000, idleMs: 10_000, closelyForMs: 30_000, recheckBehindMs: 2_000 };

export type StreamVerdict = 'ok' | 'behind' | 'recreated' | 'truncated' | 'stalled';

/** What the last check saw. */
export interface WatchState {
  /** `created` of the stream the consumer was opened on. */
  streamCreated?: string;
  /** The last stream sequence delivered to the consumer. */
  lastSeq: number;
  /** `lastSeq` at the previous check, and whether the consumer was behind then. */
  lastSeqAtCheck: number;
  behindAtCheck: boolean;
  /** When the previous check ran (ms). */
  checkedAt: number;
}

/**
 * Pure: whether the consumer must replay the stream. An ordered consumer resumes after the last
 * sequence it saw, so it waits forever on a stream that was recreated or truncated (a NATS crash
 * lost its newest messages); and after a NATS restart it can stall while the stream moves on,
 * until missed heartbeats reset it about 45 s later (seen with nats.js 3 against nats-server 2.9).
 * Behind at two checks at least `recheckBehindMs` apart with nothing delivered in between counts as
 * stalled.
 */
export function streamVerdict(
  state: WatchState,
  stream: Pick<StreamInfo, 'created'> & { state: { last_seq: number } },
  replayed: boolean,
  now: number,
  /** The last sequence delivered when the stream was asked: deliveries can overtake the answer. */
  seenBeforeAsking: number = state.lastSeq,
): StreamVerdict {
  if (state.streamCreated !== undefined && stream.created !== state.streamCreated) return 'recreated';
  if (stream.state.last_seq < seenBeforeAsking) return 'truncated';
  const behind = replayed && stream.state.last_seq > state.lastSeq;
  if (!behind) return 'ok';
  const quietLongEnough = now - state.checkedAt >= WATCH_TIMING.recheckBehindMs - 50;
  return state.behindAtCheck && quietLongEnough && state.lastSeq === state.lastSeqAtCheck ? 'stalled' : 'behind';
}

/** Keeps `WatchState` across checks and schedules them; `replay` restarts the consumer. */
export class StreamWatch {
  private readonly state: WatchState = { lastSeq: 0, lastSeqAtCheck: 0, behindAtCheck: false, checkedAt: 0 };
  private timer?: NodeJS.Timeout;
  private closelyUntil = 0;
  private lastCheckAt = 0;
  private checking = false;

  constructor(
    private readonly readStream: () => Promise<Pick<StreamInfo, 'created'> & { state: { last_seq: number } }>,
    private readonly isReplayed: () => boolean,
    private readonly replay: (verdict: Exclude<StreamVerdict, 'ok' | 'behind'>, seen: { lastSeq: number; streamLastSeq: number }) => void,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const interval = this.now() < this.closelyUntil ? WATCH_TIMING.closeMs : WATCH_TIMING.idleMs;
      if (this.now() - this.lastCheckAt >= interval - 50) void this.check();
    }, WATCH_TIMING.closeMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The consumer was (re)opened on a stream with this identity. */
  opened(created: string): void {
    this.state.streamCreated = created;
  }

  delivered(seq: number): void {
    this.state.lastSeq = seq;
  }

  /** NATS reconnected or the consumer was recreated: check now, and every second for a while. */
  watchClosely(): void {
    this.closelyUntil = this.now() + WATCH_TIMING.closelyForMs;
    void this.check();
  }

  async check(): Promise<StreamVerdict | undefined> {
    if (this.checking) return undefined;
    this.checking = true;
    this.lastCheckAt = this.now();
    try {
      // A message stored after the stream answered can be delivered before the answer arrives: only
      // what was seen before asking can show a truncated stream (100 runners had replayed for nothing).
      const seenBeforeAsking = this.state.lastSeq;
      const stream = await this.readStream();
      const now = this.now();
      const verdict = streamVerdict(this.state, stream, this.isReplayed(), now, seenBeforeAsking);
      // A check too soon after a "behind" one neither confirms nor clears it.
      if (verdict === 'behind' && this.state.behindAtCheck && now - this.state.checkedAt < WATCH_TIMING.recheckBehindMs - 50) return verdict;
      this.state.lastSeqAtCheck = this.state.lastSeq;
      this.state.behindAtCheck = verdict === 'behind';
      this.state.checkedAt = now;
      if (verdict === 'behind') setTimeout(() => void this.check(), WATCH_TIMING.recheckBehindMs).unref();
      if (verdict !== 'ok' && verdict !== 'behind') {
        this.replay(verdict, { lastSeq: this.state.lastSeq, streamLastSeq: stream.state.last_seq });
        // A stalled consumer resumes after its last message; a replay from the start delivers again.
        const lastSeq = verdict === 'stalled' ? this.state.lastSeq : 0;
        Object.assign(this.state, { lastSeq, lastSeqAtCheck: lastSeq, behindAtCheck: false, checkedAt: now });
      }
      return verdict;
    } catch (err) {
      this.onError(err);
      return undefined;
    } finally {
      this.checking = false;
    }
  }
}
