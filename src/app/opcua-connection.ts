import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { OpcuaCertificateIdentity, OpcuaConnectionOptions } from '../../drivers/transport/opcua-client.ts';
import { checkClientSecurity, defaultPolicy, endpointHost, isLoopbackHost, securityModeSchema, securityPolicySchema } from '../../drivers/transport/opcua-security.ts';
import type { Config } from '../config/index.ts';
import { strictObject, type Logger } from '../domain/index.ts';

/**
 * How labloop reaches one OPC UA endpoint, as the stations file and `labloop devices` describe it: security mode and
 * policy (SignAndEncrypt is required off loopback unless `allowInsecure`), identity (anonymous, username with the
 * password from the file or LABLOOP_OPCUA_PASSWORD, or an X.509 certificate and key), and whether a server
 * certificate seen for the first time is trusted (always on loopback; elsewhere only with `trustServerCertificate`,
 * otherwise it lands in the PKI's rejected folder until someone moves it to trusted).
 */
export const opcuaEndpointSchema = strictObject({
  endpoint: z.string().regex(/^opc\.tcp:\/\/[^\s/]+/, 'an opc.tcp:// endpoint URL'),
  securityMode: securityModeSchema.default('None'),
  securityPolicy: securityPolicySchema.optional(),
  allowInsecure: z.boolean().default(false),
  trustServerCertificate: z.boolean().default(false),
  user: strictObject({ username: z.string().min(1), password: z.string().optional() }).optional(),
  certificate: strictObject({ certificate: z.string().min(1), privateKey: z.string().min(1) }).optional(),
});
export type OpcuaEndpointSpec = z.infer<typeof opcuaEndpointSchema>;

/** Issues of an endpoint spec that zod cannot see: the loopback rule and a policy that contradicts the mode. */
export function endpointIssues(e: OpcuaEndpointSpec): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  try {
    checkClientSecurity(e.endpoint, e.securityMode, e.allowInsecure);
  } catch (err) {
    issues.push({ path: 'securityMode', message: (err as Error).message });
  }
  if (e.securityPolicy && (e.securityPolicy === 'None') !== (e.securityMode === 'None'))
    issues.push({ path: 'securityPolicy', message: `policy ${e.securityPolicy} does not go with mode ${e.securityMode}` });
  if (e.user && e.certificate) issues.push({ path: 'certificate', message: 'give either user or certificate, not both' });
  return issues;
}

/** Reads an X.509 identity: the certificate (PEM or DER) and its private key (PEM or DER), paths relative to `baseDir`. */
export function readCertificateIdentity(files: { certificate: string; privateKey: string }, baseDir = '.'): OpcuaCertificateIdentity {
  const cert = new X509Certificate(readFileSync(path.resolve(baseDir, files.certificate)));
  const key = createPrivateKey(readFileSync(path.resolve(baseDir, files.privateKey)));
  return { certificate: cert.raw, privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export function connectionOptions(e: OpcuaEndpointSpec, o: { config: Pick<Config, 'pkiDir' | 'opcua'>; logger: Logger; baseDir?: string }): OpcuaConnectionOptions {
  const password = e.user?.password ?? o.config.opcua.password;
  if (e.user && password === undefined) throw new Error(`user ${e.user.username} needs a password: set LABLOOP_OPCUA_PASSWORD`);
  return {
    endpointUrl: e.endpoint,
    securityMode: e.securityMode,
    securityPolicy: e.securityPolicy ?? defaultPolicy(e.securityMode),
    allowInsecure: e.allowInsecure,
    pkiFolder: path.join(o.config.pkiDir, 'client'),
    acceptUnknownServerCertificate: e.trustServerCertificate || isLoopbackHost(endpointHost(e.endpoint)),
    ...(e.user && password !== undefined ? { user: { username: e.user.username, password } } : {}),
    ...(e.certificate ? { certificate: readCertificateIdentity(e.certificate, o.baseDir) } : {}),
    logger: o.logger,
  };
}
