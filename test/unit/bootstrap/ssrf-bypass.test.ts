import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JarSourceError, obtainJar, parseJarLocation } from '../../../src/bootstrap/jar-source.ts';

/*
 * Spellings of non-public addresses a jarURI (or a resolver) might use to slip past the download
 * address policy. Each goes the whole way: the WHATWG URL parser (which normalises hex, octal,
 * decimal, short, full-width and percent-encoded IPv4 hosts and compresses IPv6 hosts), the host,
 * the lookup (the system's, which hands back IP literals as they are), and the address check. A form
 * the check missed would go on to connect, and fail some other way, or hang.
 */

/** jarURIs whose host is a non-public address, with what it really is. */
const URL_FORMS: readonly (readonly [uri: string, target: string])[] = [
  // IPv4 spellings the URL parser normalises
  ['http://127.0.0.1/job.jar', '127.0.0.1'],
  ['http://0x7f.1/job.jar', '127.0.0.1'],
  ['http://0x7F000001/job.jar', '127.0.0.1'],
  ['http://2130706433/job.jar', '127.0.0.1'],
  ['http://017700000001/job.jar', '127.0.0.1'],
  ['http://0177.0.0.01/job.jar', '127.0.0.1'],
  ['http://0x7f.0x0.0x0.0x1/job.jar', '127.0.0.1'],
  ['http://00000000000000000000000000177.1/job.jar', '127.0.0.1'],
  ['http://127.1/job.jar', '127.0.0.1'],
  ['http://127.0.1/job.jar', '127.0.0.1'],
  ['http://127.0.0.1./job.jar', '127.0.0.1'],
  ['http://127.0.0.1%2e/job.jar', '127.0.0.1'],
  ['http://%31%32%37.0.0.1/job.jar', '127.0.0.1'],
  ['http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/job.jar', '127.0.0.1 (full-width digits)'],
  ['http://127\u30020\u30020\u30021/job.jar', '127.0.0.1 (ideographic full stops)'],
  ['http://user:secret@127.0.0.1:8081/job.jar', '127.0.0.1 with credentials and a port'],
  ['http://0/job.jar', '0.0.0.0'],
  ['http://0.0.0.0/job.jar', '0.0.0.0'],
  ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
  ['http://0xa9fea9fe/job.jar', '169.254.169.254'],
  ['http://2852039166/job.jar', '169.254.169.254'],
  ['http://0251.0376.0251.0376/job.jar', '169.254.169.254'],
  ['http://169.254.43518/job.jar', '169.254.169.254'],
  ['http://0xA9.0xFE.0xA9.0xFE/job.jar', '169.254.169.254'],
  ['http://012.0.0.1/job.jar', '10.0.0.1'],
  ['http://0xa.0.0.1/job.jar', '10.0.0.1'],
  ['http://167772161/job.jar', '10.0.0.1'],
  ['http://2886729729/job.jar', '172.16.0.1'],
  ['http://3232235521/job.jar', '192.168.0.1'],
  ['http://100.64.0.1/job.jar', '100.64.0.1'],
  ['http://4294967295/job.jar', '255.255.255.255'],
  ['http://localhost/job.jar', 'localhost'],
  // IPv6 loopback and unspecified
  ['https://[::1]/job.jar', '::1'],
  ['http://[0:0:0:0:0:0:0:1]/job.jar', '::1'],
  ['http://[0000:0000:0000:0000:0000:0000:0000:0001]/job.jar', '::1'],
  ['http://[::]/job.jar', '::'],
  // IPv4-mapped, in every spelling
  ['http://[::ffff:127.0.0.1]/job.jar', '127.0.0.1 mapped'],
  ['http://[::ffff:7f00:1]/job.jar', '127.0.0.1 mapped'],
  ['http://[::ffff:169.254.169.254]:8080/job.jar', '169.254.169.254 mapped'],
  ['http://[::ffff:a9fe:a9fe]/job.jar', '169.254.169.254 mapped'],
  ['http://[::FFFF:A9FE:A9FE]/job.jar', '169.254.169.254 mapped'],
  ['http://[0:0:0:0:0:ffff:169.254.169.254]/job.jar', '169.254.169.254 mapped'],
  ['http://[0000:0000:0000:0000:0000:FFFF:A9FE:A9FE]/job.jar', '169.254.169.254 mapped'],
  ['http://[0::ffff:a9fe:a9fe]/job.jar', '169.254.169.254 mapped'],
  ['http://[::0:ffff:169.254.169.254]/job.jar', '169.254.169.254 mapped'],
  ['http://[::ffff:10.0.0.1]/job.jar', '10.0.0.1 mapped'],
  ['http://[::ffff:c0a8:1]/job.jar', '192.168.0.1 mapped'],
  // IPv4-compatible, IPv4-translated
  ['http://[::127.0.0.1]/job.jar', '127.0.0.1 IPv4-compatible'],
  ['http://[::a9fe:a9fe]/job.jar', '169.254.169.254 IPv4-compatible'],
  ['http://[::8.8.8.8]/job.jar', '8.8.8.8 IPv4-compatible'],
  ['http://[::ffff:0:a9fe:a9fe]/job.jar', '169.254.169.254 IPv4-translated'],
  // NAT64, 6to4, Teredo
  ['http://[64:ff9b::169.254.169.254]/job.jar', '169.254.169.254 NAT64'],
  ['http://[64:ff9b::a9fe:a9fe]/job.jar', '169.254.169.254 NAT64'],
  ['http://[64:ff9b::7f00:1]/job.jar', '127.0.0.1 NAT64'],
  ['http://[64:ff9b:1::a9fe:a9fe]/job.jar', '169.254.169.254 local-use NAT64'],
  ['http://[64:ff9b:1:a9fe:a900:fe00::]/job.jar', '169.254.169.254 local-use NAT64 /48'],
  ['http://[2002:a9fe:a9fe::]/job.jar', '169.254.169.254 6to4'],
  ['http://[2002:7f00:1::1]/job.jar', '127.0.0.1 6to4'],
  ['http://[2002:808:808::1]/job.jar', '8.8.8.8 6to4'],
  ['http://[2001:0:4136:e378:8000:63bf:5601:5601]/job.jar', '169.254.169.254 Teredo client'],
  ['http://[2001::80ff:fffe]/job.jar', '127.0.0.1 Teredo client'],
  // link-local, site-local, unique local, multicast and the other special IPv6 blocks
  ['http://[fe80::1]/job.jar', 'fe80::1'],
  ['http://[FE80:0000:0000:0000:0000:0000:0000:0001]/job.jar', 'fe80::1'],
  ['http://[fe80::a9fe:a9fe]/job.jar', 'fe80::a9fe:a9fe'],
  ['http://[febf:ffff::1]/job.jar', 'febf:ffff::1'],
  ['http://[fec0::1]/job.jar', 'fec0::1'],
  ['http://[fd00:ec2::254]/latest/meta-data/', 'AWS IMDS over IPv6'],
  ['http://[fc00::1]/job.jar', 'fc00::1'],
  ['http://[ff02::1]/job.jar', 'ff02::1'],
  ['http://[100::1]/job.jar', 'discard-only'],
  ['http://[2001:db8::1]/job.jar', 'documentation'],
  ['http://[3fff::1]/job.jar', 'documentation'],
  ['http://[5f00::1]/job.jar', 'SRv6'],
  ['http://[2001:2::1]/job.jar', 'benchmarking'],
  ['http://[4000::1]/job.jar', 'outside 2000::/3'],
  // Scheme and authority spellings the WHATWG parser reads as a host for special schemes
  ['http:127.0.0.1/job.jar', '127.0.0.1 (no slashes)'],
  ['http:/127.0.0.1/job.jar', '127.0.0.1 (one slash)'],
  ['http:\\\\127.0.0.1\\job.jar', '127.0.0.1 (backslashes)'],
  ['HTTP://127.0.0.1/job.jar', '127.0.0.1 (upper-case scheme)'],
  ['http://127.0.0\t.1/job.jar', '127.0.0.1 (a tab the parser drops)'],
  ['http://1.1.1.1.xip.invalid@127.0.0.1/job.jar', '127.0.0.1 behind a user name that looks like a host'],
  ['http://LOCALHOST/job.jar', 'localhost (upper case)'],
  // More IPv4 number forms
  ['http://\u2460\u2461\u2466.\u24ea.\u24ea.\u2460/job.jar', '127.0.0.1 (circled digits, IDNA-mapped)'],
  ['http://%30x7f.1/job.jar', '127.0.0.1 (percent-encoded hex prefix)'],
  ['http://2130706433./job.jar', '127.0.0.1 (decimal, trailing dot)'],
  ['http://0x7f000001./job.jar', '127.0.0.1 (hex, trailing dot)'],
  ['http://0x00000000007f.1/job.jar', '127.0.0.1 (zero-padded hex)'],
  ['http://0177.1/job.jar', '127.0.0.1 (octal, short)'],
  ['http://0x7f.0.1/job.jar', '127.0.0.1 (hex, three parts)'],
  ['http://0x7F.0X0.0x00.0X01/job.jar', '127.0.0.1 (mixed-case hex)'],
  ['http://127.255.255.254/job.jar', 'the top of 127.0.0.0/8'],
  ['http://0.0.0.0:8081/job.jar', '0.0.0.0 with a port'],
  ['http://224.0.0.1/job.jar', 'IPv4 multicast'],
  ['http://192.0.0.170/job.jar', 'NAT64/DNS64 discovery'],
  ['http://198.18.0.1/job.jar', 'IPv4 benchmarking'],
  // More IPv6 spellings
  ['http://[0:0::1]/job.jar', '::1'],
  ['https://[::]:443/job.jar', ':: with a port'],
  ['http://[::ffff:7f00:0001]/job.jar', '127.0.0.1 mapped, zero-padded'],
  ['http://[0:0:0:0:0:ffff:7f00:1]/job.jar', '127.0.0.1 mapped, long'],
  ['http://[0000::ffff:169.254.169.254]/job.jar', '169.254.169.254 mapped, padded'],
  ['http://[::ffff:0.0.0.0]/job.jar', '0.0.0.0 mapped'],
  ['http://[::ffff:255.255.255.255]/job.jar', '255.255.255.255 mapped'],
  ['http://[::ffff:100.64.0.1]/job.jar', 'carrier-grade NAT mapped'],
  ['http://[0:0:0:0:0:0:127.0.0.1]/job.jar', '127.0.0.1 IPv4-compatible, long'],
  ['http://[64:ff9b::127.0.0.1]/job.jar', '127.0.0.1 NAT64, dotted'],
  ['http://[::ffff:0:127.0.0.1]/job.jar', '127.0.0.1 IPv4-translated, dotted'],
  ['http://[fe80::]/job.jar', 'link-local, the first address'],
  ['http://[ff05::1:3]/job.jar', 'site-local multicast (DHCP servers)'],
  ['http://[2001:db8::]/job.jar', 'documentation, the first address'],
];

/** What a resolver (or a DNS answer) might hand back for an attacker's host name. */
const LOOKUP_FORMS: readonly (readonly string[])[] = [
  ['fe80::1%eth0'],
  ['fe80::a9fe:a9fe%25'],
  ['2606:4700::1111%eth0'],
  ['0x7f.1'],
  ['2130706433'],
  ['0177.0.0.1'],
  ['010.0.0.1'],
  ['127.000.000.001'],
  ['::ffff:a9fe:a9fe'],
  ['::ffff:169.254.169.254'],
  ['::127.0.0.1'],
  ['::a9fe:a9fe'],
  ['64:ff9b::a9fe:a9fe'],
  ['2002:a9fe:a9fe::'],
  ['2001:0:4136:e378:8000:63bf:5601:5601'],
  ['localhost'],
  [''],
  ['8.8.8.8', '169.254.169.254'],
  ['2606:4700:4700::1111', '::ffff:a9fe:a9fe'],
  ['1.1.1.1', 'fd00:ec2::254'],
];

/** jarURIs the URL parser refuses outright. */
const UNPARSABLE_FORMS: readonly string[] = [
  'http://[fe80::1%25eth0]/job.jar',
  'http://[fe80::1%eth0]/job.jar',
  'http://4294967296/job.jar',
  'http://127.0.0.256/job.jar',
  'http://[::ffff:127.0.0.256]/job.jar',
  'http://[::1/job.jar',
];

describe('bypass forms of the download address policy, through the whole download path', () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'fv-ssrf-'));
  });

  it('tries at least fifty forms, each once', () => {
    const forms = [
      ...URL_FORMS.map(([uri]) => uri),
      ...LOOKUP_FORMS.map((a) => a.join(',')),
      ...UNPARSABLE_FORMS,
    ];
    expect(new Set(forms).size).toBe(forms.length);
    expect(forms.length).toBeGreaterThanOrEqual(50);
  });

  it.each(URL_FORMS)('refuses %s (%s) before connecting, permanently', async (uri) => {
    const err = await obtainJar(parseJarLocation({ jarURI: uri }), {
      workDir,
      allowPrivateNetworks: false,
      totalTimeoutMs: 3000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JarSourceError);
    expect((err as Error).message).toMatch(/^refusing to download from /);
    expect((err as JarSourceError).permanent).toBe(true);
  });

  it.each(LOOKUP_FORMS)('refuses a host that resolves to %s', async (...addresses) => {
    let lookups = 0;
    const err = await obtainJar(parseJarLocation({ jarURI: 'https://jars.example/job.jar' }), {
      workDir,
      allowPrivateNetworks: false,
      totalTimeoutMs: 3000,
      lookup: async () => {
        lookups += 1;
        return addresses;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JarSourceError);
    expect((err as Error).message).toMatch(/^refusing to download from jars\.example: it resolves to /);
    expect((err as JarSourceError).permanent).toBe(true);
    expect(lookups).toBe(1);
  });

  it.each(UNPARSABLE_FORMS)('refuses %s as not a URL', (uri) => {
    expect(() => parseJarLocation({ jarURI: uri })).toThrow('jar URI is not a URL');
  });
});
