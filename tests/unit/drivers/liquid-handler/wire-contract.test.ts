import { describe, expect, it } from 'vitest';
import {
  buildCommand,
  buildReply,
  commandOfTopic,
  commandSchema,
  dataChunkSchema,
  describeIssues,
  deviceStatusOf,
  isUsableReplyTopic,
  liquidHandlerTopics,
  orchestratorStateTopic,
  replySchema,
  replyTopicFor,
  statusPayloadSchema,
} from '../../../../drivers/liquid-handler/wire-contract.ts';

const now = Date.parse('2026-11-24T12:00:00.000Z');

describe('liquid-handler wire contract', () => {
  it('builds the DEVICES.md topic tree and refuses ids outside [a-z0-9-]', () => {
    const t = liquidHandlerTopics('lab-1', 'lh-a');
    expect(t.state).toBe('sdl/v1/lab-1/liquid-handler/lh-a/$state');
    expect(t.description).toBe('sdl/v1/lab-1/liquid-handler/lh-a/$description');
    expect(t.status).toBe('sdl/v1/lab-1/liquid-handler/lh-a/status');
    expect(t.cmd('transfer')).toBe('sdl/v1/lab-1/liquid-handler/lh-a/cmd/transfer');
    expect(t.cmdFilter).toBe('sdl/v1/lab-1/liquid-handler/lh-a/cmd/#');
    expect(t.evt('run.completed')).toBe('sdl/v1/lab-1/liquid-handler/lh-a/evt/run.completed');
    expect(t.result('01ABC')).toBe('sdl/v1/lab-1/liquid-handler/lh-a/result/01ABC');
    expect(t.data('01ABC', 'volume')).toBe('sdl/v1/lab-1/liquid-handler/lh-a/data/01ABC/volume');
    expect(replyTopicFor('lab-1', 'agent-7')).toBe('sdl/v1/lab-1/_reply/agent-7');
    expect(commandOfTopic(t, t.cmd('home'))).toBe('home');
    expect(commandOfTopic(t, t.status)).toBeUndefined();
    expect(() => liquidHandlerTopics('Lab/1', 'x')).toThrow();
    expect(() => liquidHandlerTopics('lab', 'a+b')).toThrow();
    expect(() => replyTopicFor('lab', '#')).toThrow();
  });

  it('round-trips a command with defaults applied and expiry from the ttl', () => {
    const cmd = buildCommand({
      commandId: '01JCMD',
      replyTo: 'sdl/v1/lab/_reply/agent',
      body: { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 100, newTip: true },
      issuedAt_ms: now,
      ttl_s: 30,
      sender: 'agent',
    });
    expect(cmd.schema).toBe('sdl.cmd.v1');
    expect(cmd.command).toBe('transfer');
    expect(Date.parse(cmd.expiresAt) - Date.parse(cmd.issuedAt)).toBe(30_000);
    const again = commandSchema.parse(JSON.parse(JSON.stringify(cmd)));
    expect(again).toEqual(cmd);
    const noDefault = commandSchema.parse({ ...cmd, body: { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 100 } });
    expect(noDefault.body).toMatchObject({ newTip: true });
  });

  it('names the bad field of a malformed command', () => {
    const base = { schema: 'sdl.cmd.v1', commandId: 'c1', replyTo: 'sdl/v1/lab/_reply/a', issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + 1000).toISOString() };
    const reason = (payload: unknown): string => {
      const r = commandSchema.safeParse(payload);
      expect(r.success).toBe(false);
      return r.success ? '' : describeIssues(r.error);
    };
    expect(reason({ ...base, command: 'aspirate', body: { kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: -5 } })).toMatch(/^body\.volume:/);
    expect(reason({ ...base, command: 'run_protocol', body: { kind: 'run_protocol', steps: [{ kind: 'home' }, { kind: 'dispense', channel: 0, target: 'cell:a' }] } })).toMatch(/body\.steps\.1\.volume/);
    expect(reason({ ...base, command: 'home', body: { kind: 'transfer' } })).toMatch(/body\.kind: body\.kind "transfer" does not match command "home"/);
    expect(reason({ ...base, command: 'home', body: { kind: 'home' }, commandId: 'has spaces' })).toMatch(/^commandId:/);
    expect(reason({ ...base, command: 'explode', body: { kind: 'explode' } })).toMatch(/^command:/);
    expect(reason({ ...base, command: 'home', body: { kind: 'home' }, expiresAt: 'tomorrow' })).toMatch(/^expiresAt:/);
    expect(reason({ ...base, command: 'home', body: { kind: 'home' }, expiresAt: new Date(now - 1000).toISOString() })).toMatch(/^expiresAt: expiresAt is before issuedAt/);
    expect(reason({ ...base, schema: 'sdl.cmd.v0', command: 'home', body: { kind: 'home' } })).toMatch(/^schema:/);
    expect(reason({ ...base, command: 'get_state', body: { kind: 'get_state' } })).toMatch(/^body\.commandId:/);
  });

  it('validates replies: rejected needs a reason, final replies need a result or state', () => {
    const ok = buildReply({ commandId: 'c1', deviceId: 'lh', status: 'rejected', reason: 'expired', repliedAt_ms: now });
    expect(replySchema.parse(ok)).toEqual(ok);
    expect(replySchema.safeParse({ ...ok, reason: undefined }).success).toBe(false);
    expect(replySchema.safeParse({ ...ok, status: 'succeeded', reason: undefined }).success).toBe(false);
    const state = buildReply({ commandId: 'q1', deviceId: 'lh', status: 'succeeded', state: { commandId: 'c1', runStatus: 'unknown' }, repliedAt_ms: now });
    expect(replySchema.parse(state).state?.runStatus).toBe('unknown');
  });

  it('accepts only concrete reply topics under the lab prefix', () => {
    expect(isUsableReplyTopic('lab', 'sdl/v1/lab/_reply/agent')).toBe(true);
    expect(isUsableReplyTopic('lab', 'sdl/v1/lab/_reply/#')).toBe(false);
    expect(isUsableReplyTopic('lab', 'sdl/v1/other/_reply/agent')).toBe(false);
    expect(isUsableReplyTopic('lab', 'sdl/v1/lab/liquid-handler/x/cmd/home')).toBe(false);
    expect(isUsableReplyTopic('lab', 42)).toBe(false);
  });

  it('maps a status payload to DeviceStatus, with $state overriding', () => {
    const p = statusPayloadSchema.parse({
      schema: 'sdl.status.v1',
      deviceId: 'lh',
      state: 'busy',
      activeRunId: 'c9',
      lockOwner: 'agent',
      tipsMounted: [0],
      tipsUsed: 3,
      commandsCompleted: 5,
      updatedAt: new Date(now).toISOString(),
    });
    const s = deviceStatusOf(p);
    expect(s).toMatchObject({ deviceId: 'lh', state: 'busy', activeRunId: 'c9', lockOwner: 'agent', detail: { tipsMounted: [0], tipsUsed: 3, commandsCompleted: 5 } });
    expect(deviceStatusOf(p, 'lost').state).toBe('lost');
  });

  it('live data chunks: data filters, columnar samples of equal length, a known stream; the hold in status', () => {
    const t = liquidHandlerTopics('lab-1', 'lh-a');
    expect(t.dataFilter()).toBe('sdl/v1/lab-1/liquid-handler/lh-a/data/+/+');
    expect(t.dataFilter('01ABC', 'progress')).toBe('sdl/v1/lab-1/liquid-handler/lh-a/data/01ABC/progress');
    expect(orchestratorStateTopic('lab-1')).toBe('sdl/v1/lab-1/orchestrator/$state');
    const chunk = { schema: 'sdl.data.v1', deviceId: 'lh-a', runId: 'r', stream: 'progress', seq: 0, at: new Date(now).toISOString(), samples: { step: [0], kind: ['transfer'] } };
    expect(dataChunkSchema.parse(chunk).final).toBe(false);
    const uneven = dataChunkSchema.safeParse({ ...chunk, samples: { step: [0, 1], kind: ['transfer'] } });
    expect(uneven.success ? '' : describeIssues(uneven.error)).toMatch(/samples: sample columns differ in length/);
    const stream = dataChunkSchema.safeParse({ ...chunk, stream: 'pressure' });
    expect(stream.success ? '' : describeIssues(stream.error)).toMatch(/^stream:/);
    const status = statusPayloadSchema.parse({
      schema: 'sdl.status.v1',
      deviceId: 'lh',
      state: 'maintenance',
      tipsMounted: [],
      tipsUsed: 0,
      commandsCompleted: 1,
      hold: { reason: 'orchestrator lost', since: new Date(now).toISOString() },
      updatedAt: new Date(now).toISOString(),
    });
    expect(deviceStatusOf(status).detail['hold']).toEqual({ reason: 'orchestrator lost', since: '2026-11-24T12:00:00.000Z' });
  });
});
