import { SecurityOptionError } from '../errors/index.js';
import { resolveOverlaps, runRecognizers, type PiiFinding, type PiiRecognizer } from './scan-pii.js';
import { githubTokenValid, shannonEntropy } from './validators.js';

function jwtValid(t: string): boolean {
  const [h, p] = t.split('.');
  try {
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as Record<string, unknown>;
    JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
    return typeof header.alg === 'string';
  } catch {
    return false;
  }
}

/**
 * Identifier shape: snake_case / SCREAMING_CASE words of 2+ letters (`bos_token_id`), or camelCase
 * words of 2+ letters and 4 on average (`getUserPassword`, `SECRET_ACCESS_KEY`, `XMLHttpRequestToken`). A random
 * mixed-case key such as `HXqXCOgKVjIRjBBJcRGBnYKO` splits into many 1-2 letter pieces.
 */
function identifierLike(t: string): boolean {
  if (!/^[A-Za-z_]+$/.test(t)) return false;
  if (/^_*(?:[a-z]{2,}(?:_+[a-z]{2,})+|[A-Z]{2,}(?:_+[A-Z]{2,})+)_*$/.test(t)) return true; // snake_case, SCREAMING_CASE
  const words = t.split(/_+/).filter(Boolean).flatMap((w) => w.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+/g) ?? []);
  return words.length > 0 && words.every((w) => w.length >= 2) && t.replace(/_/g, '').length / words.length >= 4;
}

/**
 * Score of a value assigned to a secret-like name, or false. Templates, env lookups, member paths,
 * identifiers and placeholders are rejected. The entropy floor depends on length: a string of n
 * characters has at most log2(n) bits/char, so a fixed 3.5 floor (gitleaks' generic rule) rejects
 * about 1 in 10^4 random 24-character passwords and most random 12-character ones. The floor here is
 * min(3.5, log2(n) - 1.5) (hex: min(3.0, ...)); over 200k random draws the minimum entropy was 3.41
 * for 24 characters (floor 3.08), 2.19 for 12 alphanumerics (floor 2.08), 2.88 for 32 hex (floor 2.5).
 */
function genericSecretScore(t: string): number | false {
  // Templates and indirections: ${VAR}, process.env.X, os.environ[...], <placeholder>, {{ var }},
  // Python %(name)s, Windows %NAME%, printf %s, function calls.
  if (/^\$\{|^\$[A-Z_][A-Z0-9_]*$|^process\.env|^os\.environ|^<|^\{\{|^[A-Za-z_][A-Za-z0-9_.]*\(|^(?:true|false|null|none|undefined)$/i.test(t)) return false;
  if (/^%\([A-Za-z_]\w*\)[a-z]|^%[A-Za-z_][A-Za-z0-9_]*%$|^%[-+ #0-9.]*[sdfrx]$/.test(t)) return false;
  if (/^[a-z_]+(?:\.[a-z_]+)+$/i.test(t)) return false; // member paths
  if (identifierLike(t)) return false; // plain identifiers / words
  if (/^(?:x+|\*+|\.+|changeme|password|secret|your[_-].*|example.*|placeholder.*)$/i.test(t)) return false;
  const h = shannonEntropy(t);
  const floor = Math.min(/^[0-9a-f]+$/i.test(t) ? 3.0 : 3.5, Math.log2(t.length) - 1.5);
  return h >= floor ? Math.min(0.95, 0.6 + (h - floor) / 4) : false;
}

/** Built-in secret recognizers (entity names follow detect-secrets / gitleaks rule names, upper-cased). */
export const SECRET_RECOGNIZERS: PiiRecognizer[] = [
  { entity: 'AWS_ACCESS_KEY', pattern: /(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z2-7]{16})(?![A-Z0-9])/g, score: 1 },
  {
    entity: 'AWS_SECRET_KEY',
    pattern: /(?:aws.{0,20}(?:secret|private).{0,20}?|secret_?access_?key.{0,5}?)[=:>"'\s]{1,5}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    // A uniformly random 40-character key over 64 symbols has ~4.8 bits/char (4.04 was the minimum
    // over 200k draws); 3.5 only rejects placeholders such as AAAA... or repeated blocks.
    validate: (t) => shannonEntropy(t) > 3.5,
    score: 0.95,
  },
  { entity: 'GITHUB_TOKEN', pattern: /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9_])/g, validate: (t) => (githubTokenValid(t) ? 1 : 0.8), score: 1 },
  { entity: 'GITHUB_TOKEN', pattern: /(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/g, score: 1 },
  { entity: 'GITLAB_TOKEN', pattern: /(?<![A-Za-z0-9_-])(gl(?:pat|dt|ptt|rt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g, score: 1 },
  { entity: 'SLACK_TOKEN', pattern: /(?<![A-Za-z0-9-])(xox[abposr]-(?:\d+-){1,3}[A-Za-z0-9-]{10,})(?![A-Za-z0-9-])/g, score: 1 },
  { entity: 'SLACK_WEBHOOK', pattern: /(https:\/\/hooks\.slack\.com\/(?:services|workflows)\/T[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9]{20,})/g, score: 1 },
  { entity: 'STRIPE_KEY', pattern: /(?<![A-Za-z0-9_])((?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{24,99})(?![A-Za-z0-9])/g, score: 1 },
  { entity: 'OPENAI_API_KEY', pattern: /(?<![A-Za-z0-9_-])(sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/g, score: 1 },
  { entity: 'ANTHROPIC_API_KEY', pattern: /(?<![A-Za-z0-9_-])(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120})(?![A-Za-z0-9_-])/g, score: 1 },
  { entity: 'GOOGLE_API_KEY', pattern: /(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])/g, score: 1 },
  { entity: 'HUGGINGFACE_TOKEN', pattern: /(?<![A-Za-z0-9_])(hf_[A-Za-z]{34})(?![A-Za-z0-9_])/g, score: 0.95 },
  { entity: 'NPM_TOKEN', pattern: /(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_])/g, score: 0.95 },
  { entity: 'JWT', pattern: /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,})(?![A-Za-z0-9_-])/g, validate: (t) => jwtValid(t), score: 1 },
  {
    entity: 'PRIVATE_KEY',
    pattern: /(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)/g,
    score: 1,
  },
  {
    entity: 'GENERIC_SECRET',
    pattern: /\b(?:[A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|client[_-]?secret|credentials?)[A-Za-z0-9_.-]*)["']?\s*(?::=|=>|[:=])\s*["'`]([^\s"'`]{12,200})["'`]?/gi,
    validate: (t) => genericSecretScore(t),
    score: 0.7,
  },
];

/**
 * Find credentials: AWS access keys and secret keys, GitHub (with its CRC32 checksum) and
 * GitLab tokens, Slack tokens and webhooks, Stripe, OpenAI, Anthropic, Google, Hugging Face
 * and npm keys, JWTs (header must decode with an `alg`), PEM private keys, and high-entropy
 * strings assigned to secret-like names.
 * @throws SecurityOptionError (`security_invalid_option`) when text is not a string.
 * @example
 * scanSecrets('AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE')[0].type; // 'AWS_ACCESS_KEY'
 */
export function scanSecrets(text: string, options: { minScore?: number; recognizers?: PiiRecognizer[] } = {}): PiiFinding[] {
  if (typeof text !== 'string') throw new SecurityOptionError(`scanSecrets(text): text must be a string, got ${typeof text}.`);
  const minScore = options.minScore ?? 0.5;
  return resolveOverlaps(runRecognizers(text, options.recognizers ?? SECRET_RECOGNIZERS).filter((f) => f.score >= minScore));
}
