import { describe, expect, it } from 'vitest';
import {
  AddressRefusedError,
  checkAddresses,
  classifyAddress,
} from '../../../src/bootstrap/address-policy.ts';

/*
 * The address policy against the IANA special-purpose address registries (IPv4 and IPv6, as of
 * 2025) plus the blocks the address architectures set apart (IPv4 multicast, IPv6 multicast,
 * site-local, IPv4-compatible, IPv4-translated). The first, a middle and the last address of each
 * block are refused. The arithmetic here is plain BigInt, independent of the library under test.
 */

type Block = readonly [cidr: string, name: string, middle?: string];

const IPV4_BLOCKS: readonly Block[] = [
  ['0.0.0.0/8', '"This network" (RFC 791)'],
  ['0.0.0.0/32', '"This host on this network" (RFC 1122)'],
  ['10.0.0.0/8', 'Private-Use (RFC 1918)'],
  ['100.64.0.0/10', 'Shared Address Space (RFC 6598)'],
  ['127.0.0.0/8', 'Loopback (RFC 1122)'],
  ['169.254.0.0/16', 'Link Local (RFC 3927)'],
  ['172.16.0.0/12', 'Private-Use (RFC 1918)'],
  ['192.0.0.0/24', 'IETF Protocol Assignments (RFC 6890)'],
  ['192.0.0.0/29', 'IPv4 Service Continuity Prefix (RFC 7335)'],
  ['192.0.0.8/32', 'IPv4 dummy address (RFC 7600)'],
  ['192.0.0.9/32', 'Port Control Protocol Anycast (RFC 7723)'],
  ['192.0.0.10/32', 'Traversal Using Relays around NAT Anycast (RFC 8155)'],
  ['192.0.0.170/32', 'NAT64/DNS64 Discovery (RFC 7050)'],
  ['192.0.0.171/32', 'NAT64/DNS64 Discovery (RFC 7050)'],
  ['192.0.2.0/24', 'Documentation TEST-NET-1 (RFC 5737)'],
  ['192.31.196.0/24', 'AS112-v4 (RFC 7535)'],
  ['192.52.193.0/24', 'AMT (RFC 7450)'],
  ['192.88.99.0/24', 'Deprecated 6to4 Relay Anycast (RFC 7526)'],
  ['192.88.99.2/32', '6a44-relay anycast address (RFC 6751)'],
  ['192.168.0.0/16', 'Private-Use (RFC 1918)'],
  ['192.175.48.0/24', 'Direct Delegation AS112 Service (RFC 7534)'],
  ['198.18.0.0/15', 'Benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'Documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'Documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0/4', 'Multicast (RFC 5771)'],
  ['240.0.0.0/4', 'Reserved (RFC 1112)'],
  ['255.255.255.255/32', 'Limited Broadcast (RFC 8190)'],
];

const IPV6_BLOCKS: readonly Block[] = [
  ['::1/128', 'Loopback Address (RFC 4291)'],
  ['::/128', 'Unspecified Address (RFC 4291)'],
  // Mapped and well-known-prefix NAT64 addresses pass when the IPv4 inside is public (see the
  // allowed list below), so their middle address here carries 169.254.169.254.
  ['::ffff:0:0/96', 'IPv4-mapped Address (RFC 4291)', '::ffff:a9fe:a9fe'],
  ['64:ff9b::/96', 'IPv4-IPv6 Translation, well-known prefix (RFC 6052)', '64:ff9b::a9fe:a9fe'],
  ['64:ff9b:1::/48', 'IPv4-IPv6 Translation, local use (RFC 8215)'],
  ['100::/64', 'Discard-Only Address Block (RFC 6666)'],
  ['100:0:0:1::/64', 'Dummy IPv6 Prefix (RFC 9780)'],
  ['2001::/23', 'IETF Protocol Assignments (RFC 2928)'],
  ['2001::/32', 'TEREDO (RFC 4380)'],
  ['2001:1::1/128', 'Port Control Protocol Anycast (RFC 7723)'],
  ['2001:1::2/128', 'Traversal Using Relays around NAT Anycast (RFC 8155)'],
  ['2001:1::3/128', 'DNS-SD Service Registration Protocol Anycast (RFC 9665)'],
  ['2001:2::/48', 'Benchmarking (RFC 5180)'],
  ['2001:3::/32', 'AMT (RFC 7450)'],
  ['2001:4:112::/48', 'AS112-v6 (RFC 7535)'],
  ['2001:10::/28', 'Deprecated, previously ORCHID (RFC 4843)'],
  ['2001:20::/28', 'ORCHIDv2 (RFC 7343)'],
  ['2001:30::/28', 'Drone Remote ID Protocol Entity Tags (RFC 9374)'],
  ['2001:db8::/32', 'Documentation (RFC 3849)'],
  ['2002::/16', '6to4 (RFC 3056)'],
  ['2620:4f:8000::/48', 'Direct Delegation AS112 Service (RFC 7534)'],
  ['3fff::/20', 'Documentation (RFC 9637)'],
  ['5f00::/16', 'Segment Routing (SRv6) SIDs (RFC 9602)'],
  ['fc00::/7', 'Unique-Local (RFC 4193)'],
  ['fe80::/10', 'Link-Local Unicast (RFC 4291)'],
  // Not in the special-purpose registry, but set apart by the address architecture.
  ['::/96', 'IPv4-compatible, deprecated (RFC 4291)'],
  ['::ffff:0:0:0/96', 'IPv4-translated (RFC 6145)'],
  ['fec0::/10', 'Site-local, deprecated (RFC 3879)'],
  ['ff00::/8', 'Multicast (RFC 4291)'],
];

function v4ToBig(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) + BigInt(part), 0n);
}

function bigToV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function v6ToBig(text: string): bigint {
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, group) => (acc << 16n) + BigInt(`0x${group}`), 0n);
}

/** All eight groups, four digits each, upper case: the longest spelling. */
function bigToV6Expanded(value: bigint): string {
  return Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0').toUpperCase(),
  ).join(':');
}

/** RFC 5952's spelling, as the WHATWG URL parser writes it. */
function compressed(expanded: string): string {
  return new URL(`http://[${expanded}]/`).hostname.slice(1, -1);
}

function firstMiddleLast(cidr: string, middle?: string): string[] {
  const [base = '', bitsText = ''] = cidr.split('/');
  const v6 = base.includes(':');
  const width = v6 ? 128n : 32n;
  const start = v6 ? v6ToBig(base) : v4ToBig(base);
  const size = 1n << (width - BigInt(bitsText));
  const values = [start, start + size / 2n, start + size - 1n];
  const texts = values.map((v) => (v6 ? compressed(bigToV6Expanded(v)) : bigToV4(v)));
  if (middle) texts[1] = middle;
  return texts;
}

describe('the download address policy against the IANA special-purpose registries', () => {
  describe.each(IPV4_BLOCKS.map(([cidr, name, middle]) => ({ cidr, name, middle })))(
    'IPv4 $cidr, $name',
    ({ cidr, middle }) => {
      it.each(firstMiddleLast(cidr, middle))('refuses %s, also IPv4-mapped in both spellings', (address) => {
        expect(classifyAddress(address)).toBeDefined();
        expect(() => checkAddresses('jars.example', [address], false)).toThrow(AddressRefusedError);
        const value = v4ToBig(address);
        expect(classifyAddress(`::ffff:${address}`)).toBeDefined();
        expect(
          classifyAddress(`::ffff:${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`),
        ).toBeDefined();
      });
    },
  );

  describe.each(IPV6_BLOCKS.map(([cidr, name, middle]) => ({ cidr, name, middle })))(
    'IPv6 $cidr, $name',
    ({ cidr, middle }) => {
      it.each(firstMiddleLast(cidr, middle))('refuses %s, compressed and expanded', (address) => {
        expect(classifyAddress(address)).toBeDefined();
        expect(classifyAddress(address.toUpperCase())).toBeDefined();
        expect(classifyAddress(bigToV6Expanded(v6ToBig(address)))).toBeDefined();
        expect(() => checkAddresses('jars.example', [address], false)).toThrow(AddressRefusedError);
      });
    },
  );

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '151.101.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2606:4700::1111',
    '2A00:1450:4001:0829:0000:0000:0000:200E',
    // just outside the refused IPv4 blocks
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.0',
    '192.0.3.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    // and the IPv6 ones
    '2001:200::1',
    '2001:dba::1',
    '2003::1',
    '3ffe:ffff::1',
    '3fff:1000::1',
    // an IPv4 address inside an IPv4-mapped or well-known NAT64 address (DNS64 clusters) is
    // classified as itself
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '64:ff9b::1.1.1.1',
  ])('allows public %s', (address) => {
    expect(classifyAddress(address)).toBeUndefined();
    expect(() => checkAddresses('jars.example', [address], false)).not.toThrow();
  });
});

describe('the reasons the download address policy gives', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.100.0.1', 'carrier-grade NAT'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique local'],
    ['fec0::1', 'site-local (deprecated)'],
    ['ff02::1', 'multicast'],
  ])('names the range of %s: %s', (address, reason) => {
    expect(classifyAddress(address)).toBe(reason);
  });

  it.each([
    ['::ffff:10.0.0.1', 'IPv4-mapped address of 10.0.0.1, which is private'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped address of 169.254.169.254, which is link-local'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 (64:ff9b::/96) address of 169.254.169.254, which is link-local'],
    ['64:ff9b:1::808:808', 'local-use NAT64'],
    ['::ffff:0:808:808', 'IPv4-translated (::ffff:0:0:0/96, RFC 6145) address of 8.8.8.8'],
    ['::a9fe:a9fe', 'IPv4-compatible (deprecated by RFC 4291) address of 169.254.169.254'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated by RFC 4291) address of 8.8.8.8'],
    ['2002:a9fe:a9fe::1', '6to4 (2002::/16, RFC 3056) address of 169.254.169.254'],
    ['2002:808:808::1', '6to4 (2002::/16, RFC 3056) address of 8.8.8.8'],
    [
      '2001:0:4136:e378:8000:63bf:5601:5601',
      'Teredo (2001::/32, RFC 4380) address of client 169.254.169.254',
    ],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'Teredo (2001::/32, RFC 4380) address of client 8.8.8.8'],
    ['4000::1', 'outside the global unicast space 2000::/3'],
    ['100:0:0:1::1', 'outside the global unicast space 2000::/3'],
    ['fe80::1%eth0', 'link-local, scoped to zone eth0'],
    ['2606:4700::1111%eth0', 'a global address, scoped to zone eth0'],
    ['0x7f.1', 'not a four-part decimal IPv4 address (it may mean 127.0.0.1)'],
    ['2130706433', 'not a four-part decimal IPv4 address (it may mean 127.0.0.1)'],
    ['010.0.0.1', 'not a four-part decimal IPv4 address (it may mean 8.0.0.1)'],
    ['8.8.8.010', 'not a four-part decimal IPv4 address'],
    ['localhost', 'not an IP address'],
    ['', 'not an IP address'],
    [' 8.8.8.8', 'not an IP address'],
  ])('unwraps or refuses %s: %s', (address, reason) => {
    expect(classifyAddress(address)).toContain(reason);
  });

  it('checks every address a host resolves to, naming the first refused one', () => {
    expect(() => checkAddresses('jars.example', ['8.8.8.8', '10.0.0.5'], false)).toThrow(
      'refusing to download from jars.example: it resolves to 10.0.0.5 (private)',
    );
    expect(() => checkAddresses('jars.example', ['8.8.8.8', '10.0.0.5'], true)).not.toThrow();
  });
});
