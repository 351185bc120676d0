import { describe, expect, it } from 'vitest';
import type dns from 'node:dns';
import { addressKind, checkWebhookUrl, createGuardedLookup, isForbiddenAddress, UrlPolicyError, type Resolver } from './url-policy.js';

describe('address kinds', () => {
  it.each([
    ['169.254.169.254', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['100.100.100.200', 'forbidden'],
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['8.8.8.8', 'public'],
    ['::', 'forbidden'],
    ['::1', 'loopback'],
    ['fe80::1', 'forbidden'],
    ['febf::1', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['fd00:ec2::254', 'forbidden'],
    ['fd12:3456::1', 'private'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['::ffff:a9fe:a9fe', 'forbidden'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'forbidden'],
    ['2606:4700::1111', 'public'],
    // Reserved and test nets (Oracle's old metadata address 192.0.0.192 among them), discard, documentation.
    ['192.0.0.192', 'forbidden'],
    ['198.18.0.1', 'forbidden'],
    ['240.0.0.1', 'forbidden'],
    ['100::1', 'forbidden'],
    ['2001:db8::1', 'forbidden'],
    ['fe80::1%eth0', 'forbidden'],
    ['fec0::1', 'private'],
    ['64:ff9b:1::1', 'private'],
    // IPv4-compatible and IPv4-translated forms reach the IPv4 address inside them too.
    ['::a9fe:a9fe', 'forbidden'],
    ['::ffff:0:a9fe:a9fe', 'forbidden'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['example.com', null],
    // Spellings only inet_aton reads are not addresses here (URL hosts and DNS answers never use them).
    ['127.1', null],
    ['0x7f.0.0.1', null],
    ['', null],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it('keeps isForbiddenAddress for the always-denied ranges', () => {
    expect(isForbiddenAddress('169.254.0.1')).toBe(true);
    expect(isForbiddenAddress('10.0.0.1')).toBe(false);
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    ['ftp://example.com/hook', /http or https/],
    ['http://user:pw@example.com/hook', /user name or password/],
    ['nope', /not a valid URL/],
    ['http://169.254.169.254/latest/meta-data', /forbidden address \(169\.254\.169\.254\)/],
    // WHATWG URL turns these spellings into the addresses they mean before the check.
    ['http://2852039166/', /forbidden address/],
    ['http://[::ffff:169.254.169.254]/', /forbidden address/],
    ['http://[fe80::1]/', /forbidden address/],
    ['http://10.0.0.5/hook', /private networks are off; allow them with --webhook-allow-private or FOREMAN_WEBHOOK_ALLOW_PRIVATE=1/],
    ['http://[fd12::1]/hook', /forbidden address \(fd12::1: private networks are off; allow them with --webhook-allow-private/],
    ['http://metadata.google.internal/', /metadata/],
  ])('refuses %s', (url, message) => {
    expect(() => checkWebhookUrl(url)).toThrow(UrlPolicyError);
    expect(() => checkWebhookUrl(url)).toThrow(message);
  });

  it('allows loopback by default and private networks when the policy says so', () => {
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook').port).toBe('9000');
    expect(checkWebhookUrl('https://hooks.example.com/x').hostname).toBe('hooks.example.com');
    expect(checkWebhookUrl('http://10.0.0.5/hook', { allowLoopback: true, allowPrivate: true }).hostname).toBe('10.0.0.5');
    expect(() => checkWebhookUrl('http://127.0.0.1/hook', { allowLoopback: false, allowPrivate: false })).toThrow(/loopback is off/);
  });
});

describe('guarded lookup', () => {
  const answering =
    (answers: Record<string, string[]>): Resolver =>
    (host, _opts, cb) => {
      const list = answers[host];
      if (!list) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
      cb(
        null,
        list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    };
  const run = (host: string, all: boolean, resolve: Resolver) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | dns.LookupAddress[] }>((done) =>
      createGuardedLookup({ resolve })(host, { all }, (err, address) => done({ err, address })),
    );

  it('refuses an answer with any forbidden address in it', async () => {
    const { err } = await run('meta.test', false, answering({ 'meta.test': ['93.184.215.14', '169.254.169.254'] }));
    expect(err).toBeInstanceOf(UrlPolicyError);
    expect(err?.code).toBe('EFORBIDDEN');
  });

  it('passes allowed answers through in the shape asked for', async () => {
    const resolve = answering({ 'ok.test': ['127.0.0.1', '::1'] });
    expect((await run('ok.test', false, resolve)).address).toBe('127.0.0.1');
    expect((await run('ok.test', true, resolve)).address).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  });

  it('passes resolver errors through', async () => {
    expect((await run('missing.test', false, answering({}))).err?.code).toBe('ENOTFOUND');
  });
});
