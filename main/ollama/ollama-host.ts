/**
 * Parses an Ollama address the way Ollama's own `OLLAMA_HOST` is read: no scheme means http and port
 * 11434; an explicit scheme defaults to 80/443; a path prefix is kept; 0.0.0.0 and [::] mean loopback.
 */
export interface UpstreamAddress {
  /** `http://127.0.0.1:11434` */
  origin: string;
  /** Path prefix every API path goes under ('' for none). */
  prefix: string;
  /** The value for the Host header Ollama's own DNS-rebinding check accepts. */
  host: string;
}

export function parseOllamaHost(raw: string): UpstreamAddress {
  let value = raw.trim().replace(/^["']|["']$/g, '');
  if (value === '') value = '127.0.0.1:11434';
  if (value === 'ollama.com') value = 'https://ollama.com:443';
  let scheme = 'http';
  let defaultPort = '11434';
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (m) {
    scheme = (m[1] as string).toLowerCase();
    value = value.slice(m[0].length);
    defaultPort = scheme === 'https' ? '443' : '80';
  }
  const slash = value.indexOf('/');
  const hostPort = slash === -1 ? value : value.slice(0, slash);
  const prefix = slash === -1 ? '' : value.slice(slash).replace(/\/+$/, '');
  let hostname: string;
  let port: string;
  const v6 = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostPort);
  if (v6) {
    hostname = v6[1] as string;
    port = v6[2] || defaultPort;
  } else if ((hostPort.match(/:/g) ?? []).length > 1) {
    hostname = hostPort; // a bare IPv6 address
    port = defaultPort;
  } else {
    const colon = hostPort.lastIndexOf(':');
    hostname = colon === -1 ? hostPort : hostPort.slice(0, colon);
    port = colon === -1 ? defaultPort : hostPort.slice(colon + 1) || defaultPort;
  }
  const n = Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) port = defaultPort;
  if (hostname === '' || hostname === '0.0.0.0') hostname = '127.0.0.1';
  if (hostname === '::') hostname = '::1';
  const hostLiteral = hostname.includes(':') ? `[${hostname}]` : hostname;
  return { origin: `${scheme}://${hostLiteral}:${port}`, prefix, host: `${hostLiteral}:${port}` };
}
