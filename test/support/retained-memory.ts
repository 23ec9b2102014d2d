/**
 * What a Node process holds, read through its inspector right after a full garbage collection: the JS heap in use and
 * the memory of its Buffers and ArrayBuffers. Unlike RSS, it does not include what the allocator has not given back
 * yet, nor garbage V8 has not yet collected, so a test can tell a leak from a heap that settles slowly. The process
 * must run with `--inspect=127.0.0.1:0` (it then prints its inspector's URL on stderr).
 */
import { once } from 'node:events';
import WebSocket from 'ws';

export interface RetainedMemory {
  readonly heapUsedMb: number;
  /** Buffers and ArrayBuffers (outside the JS heap). */
  readonly externalMb: number;
}

/** The inspector's WebSocket URL in a process's stderr; undefined until it printed it. */
export const inspectorUrl = (stderr: string): string | undefined => /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];

export async function retainedMemory(url: string, timeoutMs = 30_000): Promise<RetainedMemory> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  const answers = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id !== undefined) answers.get(m.id)?.(m);
  });
  let nextId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method} within ${timeoutMs} ms`)), timeoutMs);
      answers.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`inspector: ${method}: ${m.error.message}`));
        else resolve(m.result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const r = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result: { value: string } };
    const usage = JSON.parse(r.result.value) as NodeJS.MemoryUsage;
    return { heapUsedMb: usage.heapUsed / 2 ** 20, externalMb: usage.external / 2 ** 20 };
  } finally {
    ws.close();
  }
}
