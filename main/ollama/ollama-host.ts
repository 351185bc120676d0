/**
 * Parses an Ollama address the way Ollama's own `OLLAMA_HOST` is read: no scheme means http and port
 * 11434; an explicit scheme defaults to 80/443; a path prefix is kept; 0.0.0.0 and [::] mean loopback.
 * Where Ollama would warn and fall back (a bad port), or could never connect (another scheme, a host
 * that is not a name or an address), this throws OllamaHostError instead: foreman must not quietly
 * send everything to another server than the one the user named.
 */
import net from 'node:net';

export class OllamaHostError extends Error {}
export interface UpstreamAddress {
  /** `http://127.0.0.1:11434` */
  origin: string;
  /** Path prefix every API path goes under ('' for none). */
  prefix: string;
  /** The value for the Host header Ollama's own DNS-rebinding check accepts. */
  host: string;
}

/**
 * `source` names where `raw` came from (`--upstream`, `OLLAMA_HOST`), so that an error says which
 * setting to fix.
 */
export function parseOllamaHost(raw: string, source?: string): UpstreamAddress {
  const fail = (reason: string): never => {
    throw new OllamaHostError(`${source ? `${source} ` : ''}${JSON.stringify(raw)}: ${reason}`);
  };
  let value = raw.trim().replace(/^["']|["']$/g, '');
  if (value === '') value = '127.0.0.1:11434';
  if (value === 'ollama.com') value = 'https://ollama.com:443';
  let scheme = 'http';
  let defaultPort = '11434';
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (m) {
    scheme = (m[1] as string).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') fail(`foreman reaches Ollama over http or https, not ${scheme}`);
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
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) fail(`the port "${port}" is not a number from 1 to 65535`);
  if (hostname === '' || hostname === '0.0.0.0') hostname = '127.0.0.1';
  if (hostname === '::') hostname = '::1';
  if (!net.isIPv6(hostname) && !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(hostname))
    fail(`"${hostname}" is not a host name or an IP address`);
  const hostLiteral = hostname.includes(':') ? `[${hostname}]` : hostname;
  return { origin: `${scheme}://${hostLiteral}:${port}`, prefix, host: `${hostLiteral}:${port}` };
}

/** A loopback host name or address: `localhost`, `127.x.x.x`, `::1`. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
