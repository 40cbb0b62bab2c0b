import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration from the environment', () => {
  it('boots with no variables at all: SQLite under ./data, port 3000, sandbox defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', databaseUrl: './data/textback.db', runWorkers: true, demo: true, apiKey: undefined });
  });

  it('reads and converts each kind of variable', () => {
    const config = loadConfig({ PORT: '8080', TEXTBACK_WORKERS: 'false', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://db/textback', TEXTBACK_API_KEY: 'a'.repeat(32) });
    expect(config).toMatchObject({ port: 8080, runWorkers: false, logLevel: 'debug', databaseUrl: 'postgres://db/textback', apiKey: 'a'.repeat(32) });
  });

  it('refuses bad values with a message naming each variable and what it accepts', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', TEXTBACK_WORKERS: 'maybe', LOG_LEVEL: 'loud', TEXTBACK_API_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT must be a whole number');
    expect(message).toContain('TEXTBACK_WORKERS must be true or false');
    expect(message).toContain('LOG_LEVEL must be one of');
    expect(message).toContain('TEXTBACK_API_KEY must be 24 to 128');
    // A secret is never echoed back.
    expect(message).not.toContain('"short"');
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT must be at most 65535/);
  });

  it('email notifications: SMTP_URL (a secret, never echoed), MAIL_FROM and the digest window', () => {
    expect(loadConfig({})).toMatchObject({ smtpUrl: undefined, mailFrom: 'Textback <textback@localhost>', notifyDigestSeconds: 120 });
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465', MAIL_FROM: 'Shop <sms@example.com>', NOTIFY_DIGEST_SECONDS: '30' })).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example.com:465',
      mailFrom: 'Shop <sms@example.com>',
      notifyDigestSeconds: 30,
    });
    let message = '';
    try {
      loadConfig({ SMTP_URL: 'http://u:hunter2@mail.example.com', MAIL_FROM: 'nobody', NOTIFY_DIGEST_SECONDS: 'soon' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('SMTP_URL must be smtp://');
    expect(message).toContain('MAIL_FROM must be an address');
    expect(message).toContain('NOTIFY_DIGEST_SECONDS must be a whole number');
    expect(message).not.toContain('hunter2');
  });
});
