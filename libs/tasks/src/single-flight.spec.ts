import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('SingleFlight', () => {
  it('never runs two passes at once and collapses kicks during a pass into one more pass', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    const flight = new SingleFlight(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        passes++;
        await tick();
        active--;
      },
      () => undefined,
    );
    for (let i = 0; i < 10; i++) flight.kick();
    await flight.idle();
    expect(maxActive).toBe(1);
    expect(passes).toBe(2);
  });

  it('a kick from inside a pass runs one more pass (e.g. a full batch)', async () => {
    let passes = 0;
    const flight: SingleFlight = new SingleFlight(
      async () => {
        passes++;
        if (passes < 3) flight.kick();
      },
      () => undefined,
    );
    flight.kick();
    await flight.idle();
    expect(passes).toBe(3);
  });

  it('reports errors and keeps serving later kicks', async () => {
    const errors: string[] = [];
    let fail = true;
    let ok = 0;
    const flight = new SingleFlight(
      async () => {
        if (fail) throw new Error('boom');
        ok++;
      },
      (err) => errors.push(err.message),
    );
    flight.kick();
    await flight.idle();
    fail = false;
    flight.kick();
    await flight.idle();
    expect(errors).toEqual(['boom']);
    expect(ok).toBe(1);
  });

  it('stop waits for the running pass and ignores later kicks', async () => {
    let passes = 0;
    let finished = false;
    const flight = new SingleFlight(
      async () => {
        passes++;
        await tick();
        finished = true;
      },
      () => undefined,
    );
    flight.kick();
    await flight.stop();
    expect(finished).toBe(true);
    flight.kick();
    await flight.idle();
    expect(passes).toBe(1);
  });
});
