#!/usr/bin/env node
// The closed-loop load generator of the stateful scenarios, where every request carries a value that can
// be used once (wrk's Lua scripting cannot tell which connection a response belongs to, so it could not
// check a replay's answer). Like bench/load.mjs: C keep-alive HTTP/1.1 connections, one request in
// flight on each, no pipelining; raw sockets. Reads a JSON spec file (argv[2]), prints one JSON line.
//
//   kind 'code':    each request redeems the next pre-minted code ("code verifier" lines); a connection
//                   stops when the codes run out (the rate is taken over the time actually measured).
//   kind 'refresh': connection i rotates its own refresh chain (the next token comes from each answer);
//                   every `replayEvery`-th request (over all connections) presents an already rotated token
//                   instead, whose answer must be 400 invalid_grant (the reuse is caught).
// Every other answer must be 200; anything else is counted in `unexpected` and fails the run.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const url = new URL(spec.url);
const head = (length) =>
  `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: keep-alive\r\nauthorization: ${spec.authorization}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${length}\r\n\r\n`;
const request = (form) => {
  const body = Buffer.from(new URLSearchParams(form).toString());
  return Buffer.concat([Buffer.from(head(body.length)), body]);
};

const codes = spec.codes ?? [];
const replays = spec.replays ?? [];
let nextCode = 0;
let nextReplay = 0;
const latencies = [];
const statuses = {};
const unexpected = [];
let replaysSent = 0;
let replaysCaught = 0;
let measuring = false;
let stopping = false;
let lastAnswer = 0n;
let measureStart = 0n;
let exhausted = false;
let requestCount = 0;

function nextRequest(state) {
  if (spec.kind === 'code') {
    const line = codes[nextCode++];
    if (!line) return (exhausted = true), undefined;
    const [code, verifier] = line.split(' ');
    return { replay: false, bytes: request({ grant_type: 'authorization_code', code, code_verifier: verifier, ...(spec.redirectUri ? { redirect_uri: spec.redirectUri } : {}) }) };
  }
  requestCount += 1;
  if (requestCount % spec.replayEvery === 0 && replays.length > 0) {
    // Each replay presents a rotated token of its own family (cycling once they are all used: a second
    // reuse of the same token must be refused too).
    return { replay: true, bytes: request({ grant_type: 'refresh_token', refresh_token: replays[nextReplay++ % replays.length] }) };
  }
  return { replay: false, bytes: request({ grant_type: 'refresh_token', refresh_token: state.token }) };
}

function open(index) {
  return new Promise((resolve) => {
    const state = { token: spec.chains?.[index], count: 0 };
    const socket = connect({ host: url.hostname, port: Number(url.port || 80), noDelay: true });
    let buffer = Buffer.alloc(0);
    let sentAt = 0n;
    let current;
    const send = () => {
      current = stopping ? undefined : nextRequest(state);
      if (!current) return socket.end(), resolve();
      sentAt = process.hrtime.bigint();
      socket.write(current.bytes);
    };
    socket.on('connect', send);
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headText = buffer.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const body = buffer.toString('utf8', end + 4, end + 4 + length);
        buffer = buffer.subarray(end + 4 + length);
        const now = process.hrtime.bigint();
        const status = headText.slice(9, 12);
        let ok;
        if (current.replay) {
          replaysSent += 1;
          ok = status === '400' && body.includes('"invalid_grant"');
          if (ok) replaysCaught += 1;
        } else {
          ok = status === '200';
          if (ok && spec.kind === 'refresh') state.token = JSON.parse(body).refresh_token;
        }
        if (!ok && unexpected.length < 5) unexpected.push({ status, body: body.slice(0, 200), replay: current.replay });
        if (!ok) unexpected.total = (unexpected.total ?? 0) + 1;
        if (measuring) {
          latencies.push(Number(now - sentAt) / 1e6);
          statuses[status] = (statuses[status] ?? 0) + 1;
          lastAnswer = now;
        }
        send();
      }
    });
    socket.on('error', (error) => {
      if (unexpected.length < 5) unexpected.push({ socket: error.message });
      unexpected.total = (unexpected.total ?? 0) + 1;
      resolve();
    });
  });
}

/** CPU seconds (user + system) the server process has used so far (Linux). */
const cpuSeconds = () => {
  if (!spec.pid) return 0;
  const fields = readFileSync(`/proc/${spec.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
let cpuAtStart = 0;
let cpuAtEnd = 0;

const done = Promise.all(Array.from({ length: spec.connections }, (_, i) => open(i)));
await Promise.race([done, new Promise((resolve) => setTimeout(resolve, spec.warmup * 1000))]);
cpuAtStart = cpuSeconds();
measuring = true;
measureStart = process.hrtime.bigint();
await Promise.race([done, new Promise((resolve) => setTimeout(resolve, spec.duration * 1000))]);
measuring = false;
cpuAtEnd = cpuSeconds();
const measureEnd = exhausted && lastAnswer > measureStart ? lastAnswer : process.hrtime.bigint();
stopping = true;
await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5000))]);

const elapsed = Number(measureEnd - measureStart) / 1e9;
latencies.sort((a, b) => a - b);
const at = (q) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2));
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    seconds: Number(elapsed.toFixed(2)),
    rps: Math.round(latencies.length / elapsed),
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
    statuses,
    exhausted,
    serverCpuSeconds: Number((cpuAtEnd - cpuAtStart).toFixed(2)),
    ...(spec.kind === 'refresh' ? { replaysSent, replaysCaught } : {}),
    unexpectedTotal: unexpected.total ?? 0,
    unexpected: [...unexpected],
  })}\n`,
);
process.exit(0);
