// Lookups never block the event loop: while 200 lookups run against a loopback SSM that
// answers each request after 50 ms, a 1 ms timer keeps firing with no gap over 20 ms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBackend } from '../index.js';
import { env, startMock } from './helpers.js';

test('200 lookups against a 50 ms server leave the event loop free', async () => {
  const mock = await startMock({ MOCK_DELAY_MS: '50' });
  const ssm = await openBackend({ endpoint_url: mock.url, region_name: 'us-east-1' }, { env });
  try {
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      ticks++;
    }, 1);
    const started = performance.now();
    // 180 at once (they go out together, batched), then 20 one after another.
    const keys = Array.from({ length: 180 }, (_, i) => `k${i}`);
    const together = await Promise.all(keys.map((k) => ssm.getVariable(k)));
    const oneByOne = [];
    for (let i = 0; i < 20; i++) oneByOne.push(await ssm.getVariable(`s${i}`));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.deepEqual(together, keys.map((k) => `postgres://u:p@db.internal:5432/${k}`));
    assert.deepEqual(oneByOne, oneByOne.map((_, i) => `postgres://u:p@db.internal:5432/s${i}`));
    const counts = await mock.counts();
    // Every name asked once; at least 20 slow exchanges (19 batches + 20 singles + the first).
    assert.equal(Object.keys(counts.names).length, 200);
    assert.ok((counts['AmazonSSM.GetParameter'] ?? 0) + (counts['AmazonSSM.GetParameters'] ?? 0) >= 20);
    assert.ok(elapsed >= 20 * 50, `${elapsed} ms`);
    assert.ok(ticks > elapsed / 20, `${ticks} ticks in ${elapsed} ms`);
    assert.ok(worst <= 20, `the longest gap between 1 ms timer ticks was ${worst.toFixed(1)} ms`);
  } finally {
    await ssm.close();
    mock.stop();
  }
});
