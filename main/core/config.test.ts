import { describe, expect, it } from 'vitest';
import { ConfigError, OPTIONS, parseConfig, VALUE_NAMES } from './config.js';

const base = ['--upstream', '127.0.0.1:11434', '--data-dir', '/tmp/foreman-config-test'];

describe('boolean variables', () => {
  it.each(['1', 'true', 'TRUE', 'yes', 'Yes', 'on', ' ON '])('read %j as on', (word) => {
    expect(parseConfig(base, { FOREMAN_MANAGE_OLLAMA: word }).manageOllama).toBe(true);
  });

  it.each(['0', 'false', 'False', 'no', 'NO', 'off', ''])('read %j as off', (word) => {
    expect(parseConfig(base, { FOREMAN_WEBHOOK_ALLOW_PRIVATE: word }).webhookAllowPrivate).toBe(false);
  });

  it.each(['maybe', '2', 'y', 'enabled'])('refuse %j, naming the variable', (word) => {
    expect(() => parseConfig(base, { FOREMAN_MANAGE_OLLAMA: word })).toThrow(
      new ConfigError(`FOREMAN_MANAGE_OLLAMA wants 1/0, true/false, yes/no or on/off, got "${word}"`),
    );
  });

  it('lose to the command line, as every option does', () => {
    expect(parseConfig([...base, '--manage-ollama'], { FOREMAN_MANAGE_OLLAMA: 'off' }).manageOllama).toBe(true);
  });
});

describe('the upstream', () => {
  it('names where a bad value came from: the option, FOREMAN_UPSTREAM or OLLAMA_HOST', () => {
    expect(() => parseConfig(['--upstream', 'gopher://x'], {})).toThrow(
      /^--upstream "gopher:\/\/x": foreman reaches Ollama over http or https, not gopher$/,
    );
    expect(() => parseConfig([], { FOREMAN_UPSTREAM: 'x:y' })).toThrow(/^FOREMAN_UPSTREAM "x:y": the port "y"/);
    expect(() => parseConfig([], { OLLAMA_HOST: 'user@host' })).toThrow(
      /^OLLAMA_HOST "user@host": "user@host" is not a host name or an IP address \(foreman reads OLLAMA_HOST when --upstream is not given\)$/,
    );
    // The option wins, so a bad OLLAMA_HOST it replaces does not matter.
    expect(parseConfig(['--upstream', '127.0.0.1:11434'], { OLLAMA_HOST: 'x:y' }).upstream.origin).toBe('http://127.0.0.1:11434');
  });

  it("refuses foreman's own address, whichever loopback name either side uses", () => {
    expect(() => parseConfig(['--listen', '0.0.0.0:11500', '--upstream', 'localhost:11500'], {})).toThrow(/foreman's own --listen address/);
    expect(() => parseConfig(['--listen', '[::1]:11500'], { OLLAMA_HOST: 'http://127.0.0.1:11500' })).toThrow(
      /^OLLAMA_HOST "http:\/\/127\.0\.0\.1:11500" is foreman's own/,
    );
    expect(parseConfig(['--listen', '127.0.0.1:11500', '--upstream', '127.0.0.1:11434'], {}).upstream.origin).toBe(
      'http://127.0.0.1:11434',
    );
    expect(() => parseConfig(['--upstream', '127.0.0.1:0'], {})).toThrow(/the port "0" is not a number from 1 to 65535/);
  });

  it('keeps reading what Ollama reads: no scheme, no port, a path prefix, IPv6', () => {
    expect(parseConfig([], { OLLAMA_HOST: 'gpu-box' }).upstream).toEqual({
      origin: 'http://gpu-box:11434',
      prefix: '',
      host: 'gpu-box:11434',
    });
    expect(parseConfig([], { OLLAMA_HOST: 'https://ollama.example/api-proxy/' }).upstream).toEqual({
      origin: 'https://ollama.example:443',
      prefix: '/api-proxy',
      host: 'ollama.example:443',
    });
    expect(parseConfig([], { OLLAMA_HOST: '[::1]:11434' }).upstream.origin).toBe('http://[::1]:11434');
    expect(parseConfig([], { OLLAMA_HOST: '' }).upstream.origin).toBe('http://127.0.0.1:11434');
  });
});

describe('--help', () => {
  it('has a value name for every option that takes a value', () => {
    const missing = Object.entries(OPTIONS)
      .filter(([name, o]) => o.type === 'string' && !VALUE_NAMES[name])
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });
});
