/**
 * Carrier credentials at rest: AES-256-GCM with a 96-bit random IV, the account id as additional
 * authenticated data (a ciphertext copied onto another row does not decrypt), and a key id so that
 * a wrong key is named as such rather than failing obscurely.
 *
 * The key comes from TEXTBACK_SECRET_KEY (32 bytes, base64 or hex). Unset, a key is generated once
 * into a file with mode 0600: beside the SQLite database (`./data/textback.key` by default), or
 * `./data/textback.key` with PostgreSQL. Several hosts sharing one PostgreSQL database must set
 * TEXTBACK_SECRET_KEY to the same value. Losing the key loses the stored credentials (re-enter them).
 *
 * Stored form: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url). Never logged, never returned.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { isPostgresUrl } from '../db/database.js';
import { AppError } from '../support/errors.js';

const VERSION = 'v1';
const keys = new WeakMap<object, Buffer>();

/** Where the generated key lives when TEXTBACK_SECRET_KEY is unset. */
export function keyFilePath(config: Pick<Config, 'databaseUrl'>): string {
  if (isPostgresUrl(config.databaseUrl)) return path.resolve('data', 'textback.key');
  const file = config.databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (file === ':memory:') return path.resolve('data', 'textback.key');
  return path.join(path.dirname(path.resolve(file)), 'textback.key');
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new AppError('unavailable', 'the credentials key must be 32 bytes (base64 or hex)');
  return key;
}

/** The 32-byte key of this configuration (read or generated once, then cached). */
export function secretKey(config: Pick<Config, 'secretKey' | 'databaseUrl'>): Buffer {
  const cached = keys.get(config);
  if (cached) return cached;
  let key: Buffer;
  if (config.secretKey) {
    key = decodeKey(config.secretKey);
  } else {
    const file = keyFilePath(config);
    try {
      key = decodeKey(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fresh = crypto.randomBytes(32);
      try {
        // `wx`: another process creating it at the same moment wins, and we read its key.
        fs.writeFileSync(file, `${fresh.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
        key = fresh;
      } catch (raced) {
        if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
        key = decodeKey(fs.readFileSync(file, 'utf8'));
      }
    }
  }
  keys.set(config, key);
  return key;
}

const b64 = (b: Buffer) => b.toString('base64url');
const keyId = (key: Buffer) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);

export function encryptCredentials(key: Buffer, accountId: string, credentials: Record<string, string>): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(accountId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
  return [VERSION, keyId(key), b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
}

export function decryptCredentials(key: Buffer, accountId: string, stored: string): Record<string, string> {
  const [version, kid, iv, tag, ciphertext] = stored.split('.');
  if (version !== VERSION || !kid || !iv || !tag || ciphertext === undefined) {
    throw new AppError('unavailable', `carrier account ${accountId}: stored credentials are in an unknown format`);
  }
  if (kid !== keyId(key)) {
    throw new AppError(
      'unavailable',
      `carrier account ${accountId}: its credentials were encrypted with another key (TEXTBACK_SECRET_KEY or the key file); set the key used when it was created, or re-enter the credentials`,
    );
  }
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(accountId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as Record<string, string>;
  } catch {
    throw new AppError('unavailable', `carrier account ${accountId}: its credentials could not be decrypted (tampered with, or another key)`);
  }
}
