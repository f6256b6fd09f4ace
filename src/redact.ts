/**
 * Secrets known to the process (passwords, API keys) are registered here as
 * the config is loaded, and scrubbed from every log line and error text.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value);
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*)(?::[^/@\s]*)?@/gi;

export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user ? user + ':' : ''}[REDACTED]@`);
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    const encoded = encodeURIComponent(s);
    if (encoded !== s && out.includes(encoded)) out = out.split(encoded).join('[REDACTED]');
  }
  return out;
}

export function errorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return redact(msg);
}
