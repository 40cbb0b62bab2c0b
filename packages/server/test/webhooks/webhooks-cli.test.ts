/** `textback webhooks list|add|remove|deliveries|resend` on a SQLite file (the same use-cases as the API). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, requireBuiltCli, runCli } from '../api/helpers.js';

describe('textback webhooks', () => {
  it('adds an endpoint (secret printed once), lists it, shows its deliveries, refuses a bad URL by name, and removes it', async () => {
    requireBuiltCli();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-webhooks-cli-'));
    const env = { DATABASE_URL: path.join(dir, 'textback.db'), TEXTBACK_DEMO: 'false' };
    try {
      expect((await runCli(['migrate'], env)).code).toBe(0);
      expect((await runCli(['orgs', 'create', '--name', 'Acme', '--owner-email', 'o@example.com'], env)).code).toBe(0);
      const added = cliJson(await runCli(['webhooks', 'add', 'https://crm.example.com/hook', '--events', 'message.created,message.received', '--no-bodies'], env));
      expect(added).toMatchObject({ url: 'https://crm.example.com/hook', events: ['message.created', 'message.received'], include_bodies: false });
      expect(added.secret).toMatch(/^whsec_/);
      const listed = await runCli(['webhooks', 'list'], env);
      expect(listed.stdout).toContain(added.id);
      expect(listed.stdout).not.toContain(added.secret);
      expect((await runCli(['webhooks', 'deliveries', added.id], env)).stdout).toContain('no deliveries yet');
      const bad = await runCli(['webhooks', 'add', 'http://crm.example.com/hook'], env);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/url: must use https/);
      const unknown = await runCli(['webhooks', 'resend', added.id, 'msg_missing'], env);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/webhook delivery msg_missing does not exist/);
      expect((await runCli(['webhooks', 'remove', added.id], env)).stdout).toContain(`deleted ${added.id}`);
      expect((await runCli(['webhooks', 'list'], env)).stdout).toContain('no webhook endpoints');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
