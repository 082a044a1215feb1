/**
 * The cluster's wall list as one node merges it: its own walls and those other nodes published. A wall connected on
 * another node wins over this node's memory of it; the walls of a node that stopped publishing are gone since it was
 * last seen (never-reported sockets dropped); walls read too long ago are listed as they were but not judged silent.
 */
import { describe, expect, it } from 'vitest';
import { WallRegistry, type PeerWall, type SharedWall } from '../../server/realtime/walls';

const T = 1_795_000_000_000;
const LIMITS = { silentSec: 60, slowFps: 10, staleDataSec: 30 };

const wall = (id: string, over: Partial<SharedWall> = {}): SharedWall => ({
  id,
  space: 'live',
  address: '10.0.0.9',
  connected: true,
  connectedAt: T - 600_000,
  lastReportAt: T - 5_000,
  report: null,
  goneAt: null,
  ...over,
});

function registry(now: { value: number }, peers: PeerWall[]): WallRegistry {
  return new WallRegistry({
    now: () => now.value,
    limits: () => LIMITS,
    currentVersion: () => null,
    peers: () => peers,
    peerStaleMs: 10_000,
  });
}

describe('when a node merges the walls other nodes published', () => {
  it('then a wall of a node last seen long before it was read is gone since then, and one never reported is dropped', () => {
    const now = { value: T };
    const peers: PeerWall[] = [
      { node: 'dead', nodeSeenAt: T - 30_000, readAt: T - 1_000, wall: wall('hall-wall') },
      { node: 'dead', nodeSeenAt: T - 30_000, readAt: T - 1_000, wall: wall('socket:abc', { lastReportAt: null }) },
      { node: 'alive', nodeSeenAt: T - 1_500, readAt: T - 1_000, wall: wall('lobby-wall') },
    ];
    const r = registry(now, peers);
    const rows = r.list();
    expect(rows.map((w) => [w.id, w.connected])).toEqual([
      ['lobby-wall', true],
      ['hall-wall', false],
    ]);
    expect(r.silent('live', T)).toEqual([]);
    // 60 s after its last report the gone wall is silent; the one connected on a live node reports on.
    now.value = T + 56_000;
    peers[2] = {
      node: 'alive',
      nodeSeenAt: now.value - 500,
      readAt: now.value,
      wall: wall('lobby-wall', { lastReportAt: now.value - 2_000 }),
    };
    peers[0] = { ...peers[0]!, readAt: now.value };
    expect(r.silent('live', now.value).map((w) => [w.wallId, w.lastReportAt])).toEqual([['hall-wall', T - 5_000]]);
  });

  it('then a wall connected on another node wins over this node remembering it gone, and the newer report wins among gone ones', () => {
    const now = { value: T };
    const peers: PeerWall[] = [
      {
        node: 'b',
        nodeSeenAt: T - 500,
        readAt: T - 200,
        wall: wall('x', { connected: false, goneAt: T - 100_000, lastReportAt: T - 100_000 }),
      },
      { node: 'c', nodeSeenAt: T - 500, readAt: T - 200, wall: wall('x', { lastReportAt: T - 1_000 }) },
      {
        node: 'b',
        nodeSeenAt: T - 500,
        readAt: T - 200,
        wall: wall('y', { connected: false, lastReportAt: T - 300_000 }),
      },
      {
        node: 'c',
        nodeSeenAt: T - 500,
        readAt: T - 200,
        wall: wall('y', { connected: false, lastReportAt: T - 200_000 }),
      },
    ];
    const rows = registry(now, peers).list();
    expect(rows.map((w) => [w.id, w.connected, w.lastReportAt])).toEqual([
      ['x', true, T - 1_000],
      ['y', false, T - 200_000],
    ]);
  });

  it('then walls read too long ago (Redis away) are listed as they were but never judged silent', () => {
    const now = { value: T + 600_000 };
    const peers: PeerWall[] = [{ node: 'b', nodeSeenAt: T, readAt: T, wall: wall('far-wall') }];
    const r = registry(now, peers);
    expect(r.list().map((w) => [w.id, w.connected])).toEqual([['far-wall', true]]);
    expect(r.silent('live', now.value)).toEqual([]);
  });
});
