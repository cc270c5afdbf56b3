#!/usr/bin/env node
// A small closed-loop HTTP/1.1 load generator (no dependency): C keep-alive connections, one request in
// flight on each, the same pre-built request bytes every time; prints one JSON line with the rate,
// latency percentiles and status counts. Like `wrk -c C -d D` or `autocannon -c C -d D`.
//
//   node bench/load.mjs --url http://127.0.0.1:8082/token --connections 64 --duration 10 \
//     --header 'authorization: Basic ...' --header 'content-type: application/x-www-form-urlencoded' \
//     --body 'grant_type=client_credentials' [--warmup 2]
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    method: { type: 'string', default: 'POST' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    header: { type: 'string', multiple: true, default: [] },
    body: { type: 'string', default: '' },
    // The server's pid: its CPU time (user + system, /proc/<pid>/stat) over the measured window is reported too.
    pid: { type: 'string' },
  },
});
if (!values.url) throw new Error('--url is required');
const url = new URL(values.url);
const body = Buffer.from(values.body);
const headers = [`${values.method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: keep-alive', ...values.header];
if (values.method === 'POST') headers.push(`content-length: ${body.length}`);
const request = Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`), body]);

const connections = Number(values.connections);
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const latencies = [];
const statuses = {};
let errors = 0;
let measuring = false;
let stopping = false;

function open() {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 80), noDelay: true });
    let buffer = Buffer.alloc(0);
    let sentAt = 0n;
    const send = () => {
      if (stopping) return socket.end();
      sentAt = process.hrtime.bigint();
      socket.write(request);
    };
    socket.on('connect', () => {
      resolve();
      send();
    });
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.subarray(end + 4 + length);
        if (measuring) {
          latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
          const status = head.slice(9, 12);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
        send();
      }
    });
    socket.on('error', () => {
      errors += 1;
      resolve();
    });
  });
}

await Promise.all(Array.from({ length: connections }, open));
await new Promise((resolve) => setTimeout(resolve, warmupMs));
/** CPU seconds (user + system) the server process has used so far (Linux). */
const cpuSeconds = () => {
  if (!values.pid) return 0;
  const fields = readFileSync(`/proc/${values.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const cpuBefore = cpuSeconds();
measuring = true;
const started = process.hrtime.bigint();
await new Promise((resolve) => setTimeout(resolve, durationMs));
measuring = false;
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const serverCpu = cpuSeconds() - cpuBefore;
stopping = true;

latencies.sort((a, b) => a - b);
const at = (q) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2));
process.stdout.write(
  `${JSON.stringify({
    url: url.href,
    connections,
    seconds: Number(elapsed.toFixed(2)),
    requests: latencies.length,
    rps: Math.round(latencies.length / elapsed),
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    statuses,
    socketErrors: errors,
    // Requests per second of server CPU: what one fully busy core would sustain at this load.
    ...(values.pid ? { serverCpuSeconds: Number(serverCpu.toFixed(2)), serverCpuUsPerRequest: Math.round((serverCpu * 1e6) / latencies.length), perCoreCapacityRps: Math.round(latencies.length / serverCpu) } : {}),
  })}\n`,
);
process.exit(0);
