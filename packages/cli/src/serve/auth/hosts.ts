/** Whether an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host names the server answers by default: publicUrl's host, the loopback address, localhost. */
export function defaultAllowedHosts(publicUrl: string | undefined): string[] {
  const out = ['127.0.0.1', '[::1]', 'localhost'];
  if (publicUrl) out.unshift(new URL(publicUrl).host);
  return out;
}

const hostnameOf = (host: string) => {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host.trim().toLowerCase());
  return m ? m[1]! : '';
};

/**
 * Whether a `Host` header is allowed. An entry with a port must match exactly; one without a port
 * matches any port on that name (the server's own port is what it listens on).
 */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  const name = hostnameOf(h);
  if (!name) return false;
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return hostnameOf(e) === e ? name === e || (e === '::1' && name === '[::1]') : h === e;
  });
}
