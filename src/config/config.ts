import { z } from 'zod';
import { strictObject } from '../domain/index.ts';
import { formatZodIssues } from './campaign-file.ts';

/** TLS for an `mqtts://` broker: PEM files (CA, client certificate and key) and whether to verify the server. */
export const mqttTlsSchema = strictObject({
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
});
export type MqttTlsSettings = z.infer<typeof mqttTlsSchema>;

/**
 * The one configuration schema. `process.env` is read here and nowhere else; everything else receives a Config.
 */
export const configSchema = strictObject({
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  pgliteDir: z.string().default('.labloop/db'),
  /** Cache of a migrated empty PGlite database: a new database loads it (≈ 1 s) instead of running initdb (≈ 4 s or more). */
  pgliteCacheDir: z.string().default('.labloop/cache'),
  /** Project-local OPC UA certificates and trust lists (never the home folder). */
  pkiDir: z.string().default('.labloop/pki'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  /** Log lines on stderr: `pretty` or `json` (default: pretty on a terminal, JSON otherwise). */
  logFormat: z.enum(['pretty', 'json']).optional(),
  lab: z.string().regex(/^[a-z0-9-]+$/).default('lab1'),
  mqtt: strictObject({
      /** External broker URL; when absent a dry run starts an embedded aedes broker. */
      url: z.string().optional(),
      protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
      username: z.string().optional(),
      password: z.string().optional(),
      tls: mqttTlsSchema.optional(),
    })
    .default({ protocolVersion: 4 }),
  /** OPC UA client identity for `labloop devices` and stations files without their own (password from the environment only). */
  opcua: strictObject({ password: z.string().optional() }).default({}),
  console: strictObject({
      tokens: z.array(strictObject({ token: z.string().min(16), role: z.enum(['viewer', 'operator', 'admin']), actor: z.string() })).default([]),
    })
    .default({ tokens: [] }),
  /**
   * An OpenAI-compatible chat endpoint for the planner (ADR 0070). Without `baseUrl` the deterministic rule planner is
   * used. The API key comes from the environment only and is never logged or stored.
   */
  llm: strictObject({
      baseUrl: z.string().url().optional(),
      model: z.string().min(1).default('default'),
      apiKey: z.string().optional(),
      /** Per call, including the time to read the reply. */
      timeout_ms: z.number().int().positive().default(20_000),
      /** Per campaign: model calls and tokens (prompt + completion) before every further call uses the rule planner. */
      maxCalls: z.number().int().nonnegative().default(200),
      maxTokens: z.number().int().nonnegative().default(400_000),
    })
    .default({ model: 'default', timeout_ms: 20_000, maxCalls: 200, maxTokens: 400_000 }),
  /** TensorFlow.js backend of the generative models (ADR 0080): auto tries node-gpu, node, wasm, cpu in that order. */
  tfBackend: z.enum(['auto', 'node-gpu', 'node', 'wasm', 'cpu']).default('auto'),
  timeouts: strictObject({
      commandReply_s: z.number().positive().default(30),
      stepOverrunFactor: z.number().positive().default(3),
    })
    .default({ commandReply_s: 30, stepOverrunFactor: 3 }),
});
export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid configuration\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Builds the Config from the environment plus explicit overrides (CLI flags win). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<z.input<typeof configSchema>> = {}): Config {
  const fromEnv: z.input<typeof configSchema> = {
    databaseUrl: env.DATABASE_URL || undefined,
    pgliteDir: env.LABLOOP_DB_DIR || undefined,
    pgliteCacheDir: env.LABLOOP_DB_CACHE_DIR || undefined,
    pkiDir: env.LABLOOP_PKI_DIR || undefined,
    logLevel: (env.LABLOOP_LOG_LEVEL as Config['logLevel']) || undefined,
    logFormat: (env.LABLOOP_LOG_FORMAT as Config['logFormat']) || undefined,
    lab: env.LABLOOP_LAB || undefined,
    mqtt: {
      url: env.LABLOOP_MQTT_URL || undefined,
      protocolVersion: env.LABLOOP_MQTT_VERSION === '5' ? 5 : 4,
      username: env.LABLOOP_MQTT_USERNAME || undefined,
      password: env.LABLOOP_MQTT_PASSWORD || undefined,
      tls: mqttTlsFromEnv(env),
    },
    opcua: { password: env.LABLOOP_OPCUA_PASSWORD || undefined },
    console: { tokens: parseTokens(env.LABLOOP_CONSOLE_TOKENS) },
    llm: {
      baseUrl: env.LABLOOP_LLM_BASE_URL || undefined,
      model: env.LABLOOP_LLM_MODEL || undefined,
      apiKey: env.LABLOOP_LLM_API_KEY || undefined,
      timeout_ms: numberFromEnv(env.LABLOOP_LLM_TIMEOUT_MS),
      maxCalls: numberFromEnv(env.LABLOOP_LLM_MAX_CALLS),
      maxTokens: numberFromEnv(env.LABLOOP_LLM_MAX_TOKENS),
    },
    tfBackend: (env.LABLOOP_TF_BACKEND as Config['tfBackend']) || undefined,
  };
  const merged = { ...fromEnv, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatZodIssues(result.error));
  return result.data;
}

/** A number from an environment variable (absent or empty: undefined; not a number: NaN, which the schema refuses). */
function numberFromEnv(text: string | undefined): number | undefined {
  return text ? Number(text) : undefined;
}

/** `LABLOOP_CONSOLE_TOKENS="actor:role:token,actor2:role:token2"`. */
function parseTokens(text: string | undefined): { actor: string; role: 'viewer' | 'operator' | 'admin'; token: string }[] {
  if (!text) return [];
  return text.split(',').filter(Boolean).map((entry) => {
    const [actor = '', role = '', token = ''] = entry.split(':');
    return { actor, role: role as 'viewer', token };
  });
}

/** `LABLOOP_MQTT_CA_FILE`, `LABLOOP_MQTT_CERT_FILE`, `LABLOOP_MQTT_KEY_FILE`, `LABLOOP_MQTT_TLS_INSECURE=1` (no server verification). */
function mqttTlsFromEnv(env: NodeJS.ProcessEnv): z.input<typeof mqttTlsSchema> | undefined {
  const caFile = env.LABLOOP_MQTT_CA_FILE || undefined;
  const certFile = env.LABLOOP_MQTT_CERT_FILE || undefined;
  const keyFile = env.LABLOOP_MQTT_KEY_FILE || undefined;
  const insecure = env.LABLOOP_MQTT_TLS_INSECURE === '1' || env.LABLOOP_MQTT_TLS_INSECURE === 'true';
  if (!caFile && !certFile && !keyFile && !insecure) return undefined;
  return { caFile, certFile, keyFile, rejectUnauthorized: !insecure };
}
