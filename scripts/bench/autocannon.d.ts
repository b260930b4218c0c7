// autocannon ships no types (and @types/autocannon is not a dependency): the little the benches use.
declare module 'autocannon' {
  interface Histogram { p50: number; p90: number; p99: number; max: number; average: number }
  interface Result {
    requests: Histogram & { total: number };
    latency: Histogram;
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  function autocannon(opts: Record<string, unknown>): Promise<Result>;
  export default autocannon;
}
