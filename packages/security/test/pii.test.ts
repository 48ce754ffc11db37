import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base58checkValid,
  bech32Valid,
  ethAddressValid,
  ibanValid,
  ipv6Valid,
  keccak256,
  luhnValid,
  redact,
  scanPii,
  SecurityDataError,
  SecurityOptionError,
  ssnValid,
  Vault,
} from '../src/index.js';

describe('validators (vectors from the specifications)', () => {
  it('Luhn', () => {
    expect(luhnValid('4111 1111 1111 1111')).toBe(true);
    expect(luhnValid('4111 1111 1111 1112')).toBe(false);
    // 79927398713 is the worked example of ISO/IEC 7812-1 Annex B.
    expect(luhnValid('79927398713')).toBe(true);
  });
  it('IBAN mod-97 with per-country length (examples from the SWIFT IBAN registry)', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('FR14 2004 1010 0505 0001 3M02 606')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false); // check digits
    expect(ibanValid('DE89 3704 0044 0532 0130 0')).toBe(false); // DE is 22 long
    expect(ibanValid('ZZ89 3704 0044 0532 0130 00')).toBe(false); // unknown country
  });
  it('SSN area/group/serial rules', () => {
    expect(ssnValid('536-22-1234')).toBe(true);
    for (const bad of ['000-12-3456', '666-12-3456', '912-12-3456', '123-00-4567', '123-45-0000', '078-05-1120']) expect(ssnValid(bad), bad).toBe(false);
  });
  it('Bitcoin base58check and bech32 (BIP-173 / BIP-350 test vectors), Ethereum EIP-55', () => {
    expect(base58checkValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')).toBe(true);
    expect(base58checkValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3')).toBe(false);
    expect(bech32Valid('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toBe(true);
    expect(bech32Valid('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')).toBe(true); // bech32m
    expect(bech32Valid('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toBe(false);
    expect(ethAddressValid('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toBe(true);
    expect(ethAddressValid('0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359')).toBe(true);
    expect(ethAddressValid('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toBe(false);
    // Keccak-256 of the empty string (Ethereum yellow paper constant).
    expect(Buffer.from(keccak256(new Uint8Array())).toString('hex')).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });
  it('IPv6 forms (RFC 4291 section 2.2)', () => {
    for (const ok of ['2001:db8::1', '::', '::1', '::ffff:192.0.2.1', 'fe80::1%eth0', '2001:0db8:0000:0000:0000:ff00:0042:8329']) expect(ipv6Valid(ok), ok).toBe(true);
    for (const bad of ['1::2::3', '12345::1', '2001:db8::256.1.1.1', 'gggg::1']) expect(ipv6Valid(bad), bad).toBe(false);
  });
});

describe('scanPii', () => {
  const text = 'Mail jane.doe@example.com or call +44 20 7946 0958. Card 4111-1111-1111-1111, IBAN GB82 WEST 1234 5698 7654 32, SSN 536-22-1234, host 10.0.0.12, mac 00:1A:2B:3C:4D:5E, wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, born on 1984-07-21.';
  it('finds each entity with Presidio names and exact spans', () => {
    const f = scanPii(text);
    const byType = Object.fromEntries(f.map((x) => [x.type, x.text]));
    expect(byType).toMatchObject({
      EMAIL_ADDRESS: 'jane.doe@example.com',
      PHONE_NUMBER: '+44 20 7946 0958',
      CREDIT_CARD: '4111-1111-1111-1111',
      IBAN_CODE: 'GB82 WEST 1234 5698 7654 32',
      US_SSN: '536-22-1234',
      IP_ADDRESS: '10.0.0.12',
      MAC_ADDRESS: '00:1A:2B:3C:4D:5E',
      CRYPTO: '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
      DATE_TIME: '1984-07-21',
    });
    for (const x of f) expect(text.slice(x.start, x.end)).toBe(x.text);
    expect(f.find((x) => x.type === 'DATE_TIME')!.score).toBeGreaterThan(0.8); // birth context
  });
  it('rejects checksum failures', () => {
    expect(scanPii('card 4111 1111 1111 1112 iban GB82 WEST 1234 5698 7654 33 ssn 666-22-1234', { entities: ['CREDIT_CARD', 'IBAN_CODE', 'US_SSN'] })).toEqual([]);
  });
  it('validates options', () => {
    expect(() => scanPii(3 as unknown as string)).toThrow(SecurityOptionError);
    expect(() => scanPii('x', { minScore: 3 })).toThrow(/minScore/);
  });
});

describe('redact and Vault', () => {
  const text = 'Write to a@b.io and c@d.io, again a@b.io.';
  const f = scanPii(text);
  it('placeholder: same value same number', () => {
    expect(redact(text, f, { mode: 'placeholder' })).toBe('Write to <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>, again <EMAIL_ADDRESS_1>.');
  });
  it('mask keeps the last characters', () => {
    expect(redact('card 4111111111111111', scanPii('card 4111111111111111'), { mode: 'mask', keepLast: 4 })).toBe('card ************1111');
  });
  it('hash: SHA-256 prefix (hand-checked with sha256sum)', () => {
    // Reference: node:crypto SHA-256 of the value, first 12 hex digits.
    const out = redact('x a@b.io', scanPii('x a@b.io'), { mode: 'hash' });
    expect(out).toBe(`x <EMAIL_ADDRESS:${createHash('sha256').update('a@b.io').digest('hex').slice(0, 12)}>`);
  });
  it('anonymize and deanonymise a model answer through the vault', () => {
    const vault = new Vault();
    const safe = redact(text, f, { mode: 'anonymize', vault });
    expect(safe).not.toContain('@');
    const answer = 'I will email <EMAIL_ADDRESS_2> first, then <EMAIL_ADDRESS_1>.';
    expect(vault.deanonymize(answer)).toBe('I will email c@d.io first, then a@b.io.');
    expect(Vault.fromJSON(vault.toJSON()).deanonymize(answer)).toBe('I will email c@d.io first, then a@b.io.');
    expect(() => vault.deanonymize('<PERSON_9>', { strict: true })).toThrow(SecurityDataError);
  });
  it('rejects findings that do not belong to the text', () => {
    expect(() => redact('short', [{ type: 'X', start: 2, end: 40, text: 'zz', score: 1 }])).toThrow(SecurityOptionError);
    expect(() => redact(text, f, { mode: 'anonymize' })).toThrow(/vault/);
  });
});
