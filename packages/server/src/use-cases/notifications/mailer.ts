/**
 * Sends notification emails over SMTP with nodemailer (SMTP_URL, MAIL_FROM). Without SMTP_URL
 * nothing is sent: the caller logs ids instead. A failed send throws, and the job is retried.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { AppContext } from '../../app-context.js';

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

const transports = new WeakMap<object, Transporter>();

/** The transport of this configuration, or null when no SMTP server is configured. */
export function mailTransport(ctx: AppContext): Transporter | null {
  const url = ctx.config.smtpUrl;
  if (!url) return null;
  let transport = transports.get(ctx.config);
  if (!transport) {
    // One connection per email (no pool): a notification is rare, and a server that went away is
    // simply reached again by the retried job.
    transport = nodemailer.createTransport(url);
    transports.set(ctx.config, transport);
  }
  return transport;
}

export async function sendEmail(ctx: AppContext, email: Email): Promise<void> {
  const transport = mailTransport(ctx);
  if (!transport) throw new Error('no SMTP server configured');
  try {
    await transport.sendMail({ from: ctx.config.mailFrom, ...email });
  } catch (error) {
    // The job's error (stored and logged) says what failed, without the server's words, which can quote addresses.
    const e = error as { code?: string; responseCode?: number; command?: string };
    throw new Error(`the SMTP server did not take the email (${[e.code, e.command, e.responseCode].filter(Boolean).join(' ') || 'no answer'})`);
  }
}

/** Text for HTML: every character that could start markup or end an attribute is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A header value on one line. */
export const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ').trim();

/** Where the web app shows a conversation: PUBLIC_BASE_URL, or this server on localhost. */
export function conversationLink(ctx: AppContext, conversationId: string): string {
  const base = (ctx.config.publicBaseUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/+$/, '');
  return `${base}/conversations/${encodeURIComponent(conversationId)}`;
}
