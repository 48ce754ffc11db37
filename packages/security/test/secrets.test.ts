import { generateKeyPairSync, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base62, crc32, githubTokenValid, scanSecrets, shannonEntropy } from '../src/index.js';

// Real-format keys generated here with the formats' own rules (charsets, lengths, checksums).
const rnd = (n: number, alphabet: string): string => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
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
function generated(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < 20; i++) {
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
  for (const type of ['rsa', 'ec', 'ed25519'] as const) {
    const { privateKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
    out.push(['PRIVATE_KEY', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()]);
    if (type !== 'ed25519') out.push(['PRIVATE_KEY', privateKey.export({ type: type === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString()]);
  }
  return out;
}

describe('scanSecrets', () => {
  it('has zero false negatives on generated real-format keys (in prose and in code)', () => {
    const missed: string[] = [];
    for (const [type, key] of generated()) {
      for (const wrap of [(k: string) => k, (k: string) => `here is the key: ${k} thanks`, (k: string) => `const cfg = {\n  value: '${k}',\n};`]) {
        const text = wrap(key);
        const f = scanSecrets(text);
        if (!f.some((x) => x.type === type)) missed.push(`${type}: ${text.slice(0, 60)}`);
      }
    }
    expect(missed).toEqual([]);
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
