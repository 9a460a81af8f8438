import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Planner } from '../../agents/planner/planner.ts';
import type { PlannerCallRecord } from '../../agents/planner/planner.ts';
import { createPlanner } from '../../src/app/planner.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { DocumentBus, type LabDocument } from '../../src/protocol/index.ts';
import { CASES } from '../contract/planner.contract.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';

const KEY = 'sk-stub-0123456789abcdef';
const triage = JSON.stringify({ verdict: 'retry', reason: 'a clot clears on a fresh tip' });

/** A free loopback port with nothing listening (connection refused). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('LlmPlanner through @langchain/openai against an OpenAI-compatible stub', () => {
  let stub: OpenAiStub;
  const docs: LabDocument[] = [];
  let planner: Planner;

  const plannerAt = (baseUrl: string, timeout_ms = 3000): Planner => {
    const bus = new DocumentBus();
    bus.subscribe((d) => void docs.push(d));
    const config = loadConfig({ LABLOOP_LLM_BASE_URL: baseUrl, LABLOOP_LLM_MODEL: 'stub-model', LABLOOP_LLM_API_KEY: KEY, LABLOOP_LLM_TIMEOUT_MS: String(timeout_ms) });
    return createPlanner({ config, logger: silentLogger, audit: { bus, campaignId: 'c1' } });
  };

  beforeAll(async () => {
    stub = await startOpenAiStub();
    planner = plannerAt(stub.baseUrl);
  });
  afterAll(async () => {
    await stub.close();
  });

  it('answers from message content, with the key sent as a bearer token and never stored', async () => {
    stub.script([{ content: triage }]);
    const r = await planner.triage(CASES.triageRetry);
    expect(r).toMatchObject({ source: 'llm', value: { verdict: 'retry' } });
    expect(r.transcriptId).toMatch(/^plannerCall:\d+$/);
    const req = stub.requests.at(-1);
    expect(req?.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body.model).toBe('stub-model');
    expect(req?.body.messages[0]?.role).toBe('system');
    expect(planner.stats().tokens).toBeGreaterThan(100);
    await new Promise((r) => setTimeout(r, 10));
    expect(JSON.stringify(docs)).not.toContain(KEY);
  });

  it('answers from a tool call', async () => {
    stub.script([{ toolCall: { name: 'trial_triage', arguments: triage } }]);
    expect(await planner.triage(CASES.triageRetry)).toMatchObject({ source: 'llm', value: { verdict: 'retry' } });
  });

  it('repairs truncated JSON and a broken HTTP body is a provider error', async () => {
    stub.script([{ content: triage.slice(0, 20) }, { content: triage }]);
    expect(await planner.triage(CASES.triageRetry)).toMatchObject({ source: 'llm' });
    const before = stub.requests.length;
    stub.script([{ rawBody: '{"id": "chatcmpl-stub", "choices": [' }]);
    expect(await planner.triage(CASES.triageRetry)).toMatchObject({ source: 'rules', fallback: 'provider' });
    expect(stub.requests.length - before).toBe(1);
  });

  it('falls back on 429 and 500 without retrying', async () => {
    for (const status of [429, 500]) {
      const before = stub.requests.length;
      stub.script([{ status }]);
      expect(await planner.triage(CASES.triageRetry)).toMatchObject({ source: 'rules', fallback: 'provider' });
      expect(stub.requests.length - before).toBe(1);
    }
  });

  it('falls back within 1 s of the timeout on a slow reply', async () => {
    const slow = plannerAt(stub.baseUrl, 300);
    stub.script([{ delay_ms: 3000, then: { content: triage } }]);
    const t0 = performance.now();
    const r = await slow.triage(CASES.triageRetry);
    const elapsed = performance.now() - t0;
    expect(r).toMatchObject({ source: 'rules', fallback: 'timeout' });
    expect(elapsed).toBeLessThan(300 + 1000);
  });

  it('falls back at once when the endpoint refuses connections', async () => {
    const dead = plannerAt(`http://127.0.0.1:${await deadPort()}/v1`, 5000);
    const t0 = performance.now();
    const r = await dead.triage(CASES.triageRetry);
    expect(r).toMatchObject({ source: 'rules', fallback: 'provider' });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('records every job as a plannerCall document', () => {
    const calls = docs.filter((d): d is Extract<LabDocument, { type: 'plannerCall' }> => d.type === 'plannerCall').map((d) => d.payload as PlannerCallRecord);
    expect(calls.length).toBeGreaterThanOrEqual(7);
    expect(calls.some((c) => c.fallback === 'timeout' && c.turns[0]?.error?.startsWith('timeout'))).toBe(true);
    expect(calls.some((c) => c.turns.some((t) => t.rejected?.layer === 'json'))).toBe(true);
  });
});
