import { isIP } from 'node:net';
import { MessageSecurityMode, SecurityPolicy } from 'node-opcua';
import { z } from 'zod';

/**
 * OPC UA security settings shared by the client transport, the servers we run and the files that configure them.
 * The rule (DEVICES.md, ADR 0111): a connection that leaves the machine is signed and encrypted; `None` (and Sign
 * without encryption) are accepted only on loopback, or when a user explicitly allows them.
 */
export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];
export const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];
/** The policies a SignAndEncrypt endpoint of ours offers (OPC UA's current recommended set). */
export const SECURE_POLICIES: readonly Exclude<SecurityPolicyName, 'None'>[] = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

export const securityModeSchema = z.enum(SECURITY_MODES);
export const securityPolicySchema = z.enum(SECURITY_POLICIES);

export function toMessageSecurityMode(mode: SecurityModeName): MessageSecurityMode {
  return MessageSecurityMode[mode];
}

export function toSecurityPolicy(policy: SecurityPolicyName): SecurityPolicy {
  return SecurityPolicy[policy];
}

/** The policy a mode implies when none is named: None for None, Basic256Sha256 otherwise. */
export function defaultPolicy(mode: SecurityModeName): SecurityPolicyName {
  return mode === 'None' ? 'None' : 'Basic256Sha256';
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. Anything else (names included) counts as off the machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(h) === 6 && (h === '::1' || h === '0:0:0:0:0:0:0:1');
}

/** Host of an `opc.tcp://host:port/path` URL (throws on anything else). */
export function endpointHost(endpointUrl: string): string {
  const m = /^opc\.tcp:\/\/(\[[^\]]+\]|[^\s/:]+)(?::\d+)?(?:\/.*)?$/.exec(endpointUrl);
  if (!m?.[1]) throw new InsecureEndpointError(`not an opc.tcp:// endpoint URL: ${endpointUrl}`);
  return m[1];
}

export class InsecureEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsecureEndpointError';
  }
}

/**
 * Refuses a client connection that would leave the machine without SignAndEncrypt, unless `allowInsecure`.
 * Throws InsecureEndpointError naming the endpoint and the way out.
 */
export function checkClientSecurity(endpointUrl: string, mode: SecurityModeName, allowInsecure: boolean): void {
  if (mode === 'SignAndEncrypt' || allowInsecure) return;
  const host = endpointHost(endpointUrl);
  if (!isLoopbackHost(host))
    throw new InsecureEndpointError(
      `${endpointUrl} is not on loopback: security mode ${mode} is refused there; use SignAndEncrypt (e.g. --security SignAndEncrypt:Basic256Sha256) or allow it explicitly (--allow-insecure / allowInsecure: true)`,
    );
}

/**
 * The security modes a server listening on `host` may offer: everything on loopback, SignAndEncrypt only elsewhere
 * unless `allowInsecure`. Throws when a requested insecure mode is not allowed there.
 */
export function checkServerSecurity(host: string, modes: readonly SecurityModeName[], allowInsecure: boolean): void {
  if (allowInsecure || isLoopbackHost(host)) return;
  const weak = modes.filter((m) => m !== 'SignAndEncrypt');
  if (weak.length > 0)
    throw new InsecureEndpointError(`a server on ${host} (not loopback) offers only SignAndEncrypt; ${weak.join(', ')} needs an explicit allowInsecure`);
}

/** `None`, `SignAndEncrypt`, `SignAndEncrypt:Aes256_Sha256_RsaPss`, `Sign:Basic256Sha256` → mode and policy. */
export function parseSecuritySpec(spec: string): { mode: SecurityModeName; policy: SecurityPolicyName } {
  const [m, p] = spec.split(':');
  const mode = securityModeSchema.safeParse(m);
  if (!mode.success) throw new Error(`security mode must be one of ${SECURITY_MODES.join(', ')} (got "${m ?? ''}")`);
  if (p === undefined) return { mode: mode.data, policy: defaultPolicy(mode.data) };
  const policy = securityPolicySchema.safeParse(p);
  if (!policy.success) throw new Error(`security policy must be one of ${SECURITY_POLICIES.join(', ')} (got "${p}")`);
  if ((mode.data === 'None') !== (policy.data === 'None')) throw new Error(`security mode ${mode.data} does not go with policy ${policy.data}`);
  return { mode: mode.data, policy: policy.data };
}
