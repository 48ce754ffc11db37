import { generateKeyPairSync, createHmac } from 'node:crypto';
import { createRng, type Rng } from '@llmkit/core';
import { describe, expect, it } from 'vitest';
import { base62, crc32, githubTokenValid, scanSecrets, shannonEntropy } from '../src/index.js';

// Real-format keys generated here with the formats' own rules (charsets, lengths, checksums), from a
// seeded generator so a run is reproducible (uniform draws, like crypto.randomBytes but replayable).
let rng: Rng = createRng(1);
const rnd = (n: number, alphabet: string): string => Array.from({ length: n }, () => alphabet[rng.randint(0, alphabet.length)]).join('');
const AZ09 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function githubToken(kind: string): string {
  const body = rnd(30, B62);
  return `gh${kind}_${body}${base62(crc32(body), 6)}`;
}
function jwt(): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc({ sub: rnd(8, AZ09), iat: 1700000000 });
  return `${head}.${body}.${createHmac('sha256', 'k').update(`${head}.${body}`).digest('base64url')}`;
}
// Private keys come from node:crypto (not seedable); PEM detection does not depend on the key bytes.
const PEMS: string[] = (['rsa', 'ec', 'ed25519'] as const).flatMap((type) => {
  const { privateKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const pems = [privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()];
  if (type !== 'ed25519') pems.push(privateKey.export({ type: type === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString());
  return pems;
});
function generated(seed: number, perType: number): Array<[string, string]> {
  rng = createRng(seed);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < perType; i++) {
    out.push(['AWS_ACCESS_KEY', `AKIA${rnd(16, B32)}`]);
    out.push(['AWS_SECRET_KEY', `aws_secret_access_key = ${rnd(40, B62 + '/+')}`]);
    out.push(['GITHUB_TOKEN', githubToken('pousr'[i % 5]!)]);
    out.push(['GITHUB_TOKEN', `github_pat_${rnd(22, B62)}_${rnd(59, B62)}`]);
    out.push(['GITLAB_TOKEN', `glpat-${rnd(20, B62 + '_-')}`]);
    out.push(['SLACK_TOKEN', `xoxb-${rnd(11, '0123456789')}-${rnd(12, '0123456789')}-${rnd(24, B62)}`]);
    out.push(['SLACK_WEBHOOK', `https://hooks.slack.com/services/T${rnd(8, AZ09)}/B${rnd(8, AZ09)}/${rnd(24, B62)}`]);
    out.push(['STRIPE_KEY', `sk_live_${rnd(24 + (i % 3) * 30, B62)}`]);
    out.push(['OPENAI_API_KEY', `sk-proj-${rnd(40 + (i % 3) * 20, B62 + '_-')}T3BlbkFJ${rnd(40, B62 + '_-')}`]);
    out.push(['OPENAI_API_KEY', `sk-${rnd(20, B62)}T3BlbkFJ${rnd(20, B62)}`]);
    out.push(['GOOGLE_API_KEY', `AIza${rnd(35, B62 + '_-')}`]);
    out.push(['JWT', jwt()]);
    out.push(['GENERIC_SECRET', `DB_PASSWORD="${rnd(24, B62 + '!#%^&*')}"`]);
  }
  for (const pem of PEMS) out.push(['PRIVATE_KEY', pem]);
  return out;
}
const WRAPS = [(k: string) => k, (k: string) => `here is the key: ${k} thanks`, (k: string) => `const cfg = {\n  value: '${k}',\n};`];
/** Every (type, wrapped key) the scanner misses, with the key logged in full so a miss can be replayed. */
function misses(seed: number, perType: number): string[] {
  const missed: string[] = [];
  for (const [type, key] of generated(seed, perType)) {
    for (const wrap of WRAPS) {
      const text = wrap(key);
      if (!scanSecrets(text).some((x) => x.type === type)) missed.push(`seed ${seed} ${type}: ${JSON.stringify(text)}`);
    }
  }
  return missed;
}

describe('scanSecrets', () => {
  it('has zero false negatives on generated real-format keys (in prose and in code), 200 per type', () => {
    expect(misses(1, 200)).toEqual([]);
  });

  it('stress: zero false negatives over a fixed list of seeds', () => {
    const missed = [2, 3, 5, 8, 13, 21, 34, 55].flatMap((seed) => misses(seed, 60));
    expect(missed).toEqual([]);
  });

  it('finds generic secrets that once slipped through (leading %, letters only, low-but-random entropy)', () => {
    // These were missed by the earlier rules: a leading "%" was treated as a template, and a
    // letters-only value as an identifier; both were random draws of the 24-character password.
    for (const v of ['%bma^^Ar6LPrI1MHHtONnXDn', '%KMOB4T4#I*9&%gES6aZ3J^J', 'HXqXCOgKVjIRjBBJcRGBnYKO', 'DoAfvGghIzaRkwXDRpVCmDTF']) {
      expect(scanSecrets(`DB_PASSWORD="${v}"`).map((f) => [f.type, f.text])).toEqual([['GENERIC_SECRET', v]]);
    }
    // "ab1cd2ab3cd4ab5cdg12345g": 4 symbols 3 times, 6 symbols twice, 24 characters, so entropy
    // 4*(3/24)*log2(8) + 6*(2/24)*log2(12) = 1.5 + 0.5*3.5850 = 3.2925 bits/char: under the old fixed
    // 3.5 floor, over the length-aware floor log2(24) - 1.5 = 3.0850.
    expect(shannonEntropy('ab1cd2ab3cd4ab5cdg12345g')).toBeCloseTo(3.2925, 4);
    expect(scanSecrets('api_key = "ab1cd2ab3cd4ab5cdg12345g"').map((f) => f.type)).toEqual(['GENERIC_SECRET']);
  });

  it('still ignores templates and identifiers assigned to secret-like names', () => {
    const text = [
      'password = "%(db_password)s_suffix"',
      'set DB_PASSWORD="%DATABASE_PASSWORD%"',
      'token = "getAccessTokenFromConfig"',
      'secret_name = "DATABASE_SECRET_NAME"',
      'passwordField = "my_password_field"',
    ].join('\n');
    expect(scanSecrets(text)).toEqual([]);
  });

  it('checks the GitHub token checksum (CRC32, base62)', () => {
    const t = githubToken('p');
    expect(githubTokenValid(t)).toBe(true);
    const broken = t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');
    expect(githubTokenValid(broken)).toBe(false);
    expect(scanSecrets(broken)[0]!.score).toBeLessThan(scanSecrets(t)[0]!.score);
    // CRC-32 check value of "123456789" is 0xCBF43926 (the standard check value).
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('ignores placeholders, env lookups and low-entropy assignments', () => {
    const text = `password = "changeme"\napi_key = process.env.API_KEY\ntoken: "\${TOKEN}"\nsecret = "aaaaaaaaaaaaaaaa"\nconst tokenizer = new Tokenizer();`;
    expect(scanSecrets(text)).toEqual([]);
  });

  it('computes Shannon entropy (hand-derived: "aabb" has 1 bit/char, 16 distinct symbols 4 bits)', () => {
    expect(shannonEntropy('aabb')).toBe(1);
    expect(shannonEntropy('0123456789abcdef')).toBe(4);
  });
});
