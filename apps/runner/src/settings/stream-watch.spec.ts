import { describe, expect, it, vi } from 'vitest';
import { StreamWatch, streamVerdict, type WatchState } from './stream-watch';

const stream = (lastSeq: number, created = 'c1') => ({ created, state: { last_seq: lastSeq } });
const state = (s: Partial<WatchState>): WatchState => ({ streamCreated: 'c1', lastSeq: 5, lastSeqAtCheck: 5, behindAtCheck: false, checkedAt: 0, ...s });
const LATER = 2_000;

describe('streamVerdict', () => {
  it('is ok while the consumer has everything the stream holds', () => {
    expect(streamVerdict(state({}), stream(5), true, LATER)).toBe('ok');
  });

  it('asks for a replay when the stream was recreated or lost its newest messages', () => {
    expect(streamVerdict(state({}), stream(5, 'c2'), true, LATER)).toBe('recreated');
    expect(streamVerdict(state({ lastSeq: 9 }), stream(3), true, LATER)).toBe('truncated');
  });

  it('calls a consumer behind the stream "behind" first, "stalled" only when nothing arrived since', () => {
    expect(streamVerdict(state({ behindAtCheck: false }), stream(7), true, LATER)).toBe('behind');
    expect(streamVerdict(state({ behindAtCheck: true, lastSeqAtCheck: 5 }), stream(7), true, LATER)).toBe('stalled');
    // Too soon after the previous check to tell.
    expect(streamVerdict(state({ behindAtCheck: true, lastSeqAtCheck: 5, checkedAt: LATER - 1_200 }), stream(7), true, LATER)).toBe('behind');
    // Something arrived since the previous check: still catching up.
    expect(streamVerdict(state({ behindAtCheck: true, lastSeq: 6, lastSeqAtCheck: 5 }), stream(7), true, LATER)).toBe('behind');
  });

  it('is not fooled by a message delivered while the stream was being asked', () => {
    // Seen 5 when asking; the answer (last 5) arrives after message 6 was delivered.
    expect(streamVerdict(state({ lastSeq: 6 }), stream(5), true, LATER, 5)).toBe('ok');
    expect(streamVerdict(state({ lastSeq: 6 }), stream(4), true, LATER, 5)).toBe('truncated');
  });

  it('never calls the start-up replay stalled (it is behind by design until it ends)', () => {
    expect(streamVerdict(state({ behindAtCheck: true }), stream(7), false, LATER)).toBe('ok');
  });
});

describe('StreamWatch', () => {
  it('replays a consumer that stops delivering after NATS trouble, and only then', async () => {
    let last = 3;
    const replay = vi.fn();
    let clock = 0;
    const watch = new StreamWatch(
      async () => stream(last),
      () => true,
      replay,
      () => undefined,
      () => clock,
    );
    const checkAfter = (ms: number) => {
      clock += ms;
      return watch.check();
    };
    watch.opened('c1');
    watch.delivered(3);
    expect(await checkAfter(1_000)).toBe('ok');
    last = 4; // a new message on the stream
    expect(await checkAfter(1_000)).toBe('behind');
    watch.delivered(4); // it arrives
    expect(await checkAfter(1_000)).toBe('ok');
    last = 5;
    expect(await checkAfter(1_000)).toBe('behind');
    expect(await checkAfter(100)).toBe('behind'); // too soon to call it stalled
    expect(replay).not.toHaveBeenCalled();
    expect(await checkAfter(2_000)).toBe('stalled'); // two seconds and nothing arrived
    expect(replay).toHaveBeenCalledTimes(1);
    expect(replay).toHaveBeenCalledWith('stalled', { lastSeq: 4, streamLastSeq: 5 });
  });

  it('does not replay when the next message is delivered before the stream answers', async () => {
    const replay = vi.fn();
    let watch: StreamWatch | undefined;
    watch = new StreamWatch(
      async () => {
        const answer = stream(7); // the stream's state when it answered…
        watch?.delivered(8); // …and message 8, stored right after, reaches the runner first
        return answer;
      },
      () => true,
      replay,
      () => undefined,
    );
    watch.opened('c1');
    watch.delivered(7);
    expect(await watch.check()).toBe('ok');
    expect(replay).not.toHaveBeenCalled();
  });

  it('replays a stream that was recreated under it', async () => {
    const replay = vi.fn();
    const watch = new StreamWatch(
      async () => stream(1, 'c2'),
      () => true,
      replay,
      () => undefined,
    );
    watch.opened('c1');
    watch.delivered(1);
    expect(await watch.check()).toBe('recreated');
    expect(replay).toHaveBeenCalledWith('recreated', { lastSeq: 1, streamLastSeq: 1 });
  });

  it('reports a failed stream read and asks for no replay', async () => {
    const onError = vi.fn();
    const replay = vi.fn();
    const watch = new StreamWatch(
      async () => Promise.reject(new Error('timeout')),
      () => true,
      replay,
      onError,
    );
    expect(await watch.check()).toBeUndefined();
    expect(onError).toHaveBeenCalledOnce();
    expect(replay).not.toHaveBeenCalled();
  });
});
