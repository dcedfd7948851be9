import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes what was added in one turn together, and what arrives during a write with the next one', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await gate;
    });
    const first = Array.from({ length: 50 }, (_, i) => commit.add([i]));
    await new Promise((r) => setImmediate(r));
    const second = Array.from({ length: 30 }, (_, i) => commit.add([100 + i, 200 + i]));
    expect(commit.backlog).toBe(60);
    release();
    await Promise.all([...first, ...second]);
    expect(writes).toHaveLength(2);
    expect(writes[0]).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(writes[1]).toHaveLength(60);
    expect(commit.backlog).toBe(0);
  });

  it('never splits a group, caps a write at maxPerWrite items, and writes an oversized group alone', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number>(async (items) => void writes.push(items), 5);
    await Promise.all([commit.add([1, 2, 3]), commit.add([4, 5]), commit.add([6, 7]), commit.add([8, 9, 10, 11, 12, 13, 14]), commit.add([15])]);
    expect(writes).toEqual([[1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11, 12, 13, 14], [15]]);
  });

  it('rejects exactly the groups of a failed write; later writes go on', async () => {
    let fail = true;
    const commit = new GroupCommit<string>(async () => {
      if (fail) {
        fail = false;
        throw new Error('postgres is down');
      }
    });
    const a = commit.add(['a']);
    const b = commit.add(['b']);
    await expect(a).rejects.toThrow('postgres is down');
    await expect(b).rejects.toThrow('postgres is down');
    await expect(commit.add(['c'])).resolves.toBeUndefined();
  });
});
