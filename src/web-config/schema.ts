import { z } from 'zod';

/**
 * exporter-toolkit's web configuration file (--web.config.file), key for key,
 * so a file written for any Go exporter works unchanged. Unknown keys are
 * errors, as with Go's strict YAML decoding.
 */

/** Go's tls.ClientAuthType names. */
export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Go's TLS version names → Node's. */
export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/** Go's configurable cipher suites (TLS 1.0–1.2; Go never lets TLS 1.3 suites be chosen) → OpenSSL names. */
export const CIPHER_SUITES: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
};

/** Go's tls.CurveID names → OpenSSL group names. */
export const CURVES: Record<string, string> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/** A Prometheus duration: 1h30m, 5s, 250ms. */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

export function parseDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === '') return undefined;
  return m.slice(1).reduce((acc, v, i) => acc + (v ? Number(v) * DURATION_MS[i]! : 0), 0);
}

/** bcrypt's modular crypt format ($2a$, $2b$, $2y$; htpasswd -B writes $2y$). */
const BCRYPT_HASH = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

const names = (table: Record<string, string>, what: string) =>
  z.string().refine((v) => v in table, { error: (i) => `unknown ${what} "${String(i.input)}"; one of: ${Object.keys(table).join(', ')}` });

const tlsServerConfigSchema = z
  .strictObject({
    cert: z.string().optional(),
    key: z.string().optional(),
    client_ca: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
    client_ca_file: z.string().optional(),
    client_allowed_sans: z.array(z.string()).optional(),
    min_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).default('TLS12'),
    max_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).default('TLS13'),
    cipher_suites: z.array(names(CIPHER_SUITES, 'cipher suite')).optional(),
    prefer_server_cipher_suites: z.boolean().default(true),
    curve_preferences: z.array(names(CURVES, 'curve')).optional(),
  })
  .superRefine((c, ctx) => {
    const either = (inline: 'cert' | 'key' | 'client_ca', file: 'cert_file' | 'key_file' | 'client_ca_file') => {
      if (c[inline] !== undefined && c[file] !== undefined) ctx.addIssue({ code: 'custom', path: [file], message: `set either ${inline} or ${file}, not both` });
    };
    either('cert', 'cert_file');
    either('key', 'key_file');
    either('client_ca', 'client_ca_file');
    const hasCert = c.cert !== undefined || c.cert_file !== undefined;
    const hasKey = c.key !== undefined || c.key_file !== undefined;
    if (hasCert !== hasKey) ctx.addIssue({ code: 'custom', path: [hasCert ? 'key_file' : 'cert_file'], message: 'cert_file and key_file must be set together' });
    const hasCa = c.client_ca !== undefined || c.client_ca_file !== undefined;
    const verifies = c.client_auth_type === 'RequireAndVerifyClientCert' || c.client_auth_type === 'VerifyClientCertIfGiven';
    if (verifies && !hasCa) ctx.addIssue({ code: 'custom', path: ['client_ca_file'], message: `required with client_auth_type ${c.client_auth_type}` });
    if (hasCa && c.client_auth_type === 'NoClientCert') {
      ctx.addIssue({ code: 'custom', path: ['client_auth_type'], message: 'a client CA is set but client_auth_type is NoClientCert' });
    }
    if (c.client_allowed_sans?.length && c.client_auth_type !== 'RequireAnyClientCert' && c.client_auth_type !== 'RequireAndVerifyClientCert') {
      ctx.addIssue({ code: 'custom', path: ['client_allowed_sans'], message: 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert' });
    }
    const order = Object.keys(TLS_VERSIONS);
    if (order.indexOf(c.min_version) > order.indexOf(c.max_version)) {
      ctx.addIssue({ code: 'custom', path: ['min_version'], message: `is above max_version ${c.max_version}` });
    }
  });

export const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerConfigSchema.optional(),
  http_server_config: z
    .strictObject({
      // HTTP/2 is accepted for compatibility; the server speaks HTTP/1.1 (what Prometheus uses to scrape).
      http2: z.boolean().default(true),
      headers: z
        .strictObject({
          'Content-Security-Policy': z.string().optional(),
          'X-Frame-Options': z
            .string()
            .regex(/^(deny|sameorigin)?$/i, 'must be deny or sameorigin')
            .optional(),
          'X-Content-Type-Options': z
            .string()
            .regex(/^(nosniff)?$/i, 'must be nosniff')
            .optional(),
          'X-XSS-Protection': z.string().optional(),
          'Strict-Transport-Security': z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  basic_auth_users: z.record(z.string(), z.string().regex(BCRYPT_HASH, 'must be a bcrypt hash (e.g. from htpasswd -nBC 10 "")')).optional(),
  rate_limit: z
    .strictObject({
      interval: z.string().refine((v) => parseDurationMs(v) !== undefined, 'must be a duration such as 1s or 100ms'),
      burst: z.number().int().nonnegative(),
    })
    .optional(),
});

export type WebConfig = z.infer<typeof webConfigSchema>;
export type TlsServerConfig = NonNullable<WebConfig['tls_server_config']>;
