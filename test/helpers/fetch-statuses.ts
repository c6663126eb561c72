/** Records the HTTP status of each request the project's own client makes (through globalThis.fetch) during `action`. */
export async function statusesOf(action: () => Promise<unknown>): Promise<number[]> {
  const statuses: number[] = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
    const res = await original(...args);
    statuses.push(res.status);
    return res;
  };
  try {
    await action();
  } finally {
    globalThis.fetch = original;
  }
  return statuses;
}
