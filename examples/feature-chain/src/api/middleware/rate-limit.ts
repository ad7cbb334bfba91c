const hits = new Map<string, number[]>();

export function allow(userId: string, now: number, limit = 10): boolean {
  const recent = (hits.get(userId) ?? []).filter((t) => now - t < 60_000);
  recent.push(now);
  hits.set(userId, recent);
  return recent.length <= limit;
}
