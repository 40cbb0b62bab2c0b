import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs. Message bodies are personal data: they are never logged, nor are secrets.
 * Loggers are scoped with child loggers carrying ids ({ messageId, jobId, workerId }).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      // Request logs carry the method and the path with phone numbers masked: no query, no body.
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          path: redactPhoneNumbers((req.url ?? '').split('?')[0] ?? ''),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-twilio-signature"]', '*.body', '*.password', '*.apiKey', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}

/** Replaces digit runs long enough to be a phone number with a mask, for URLs and free text. */
export function redactPhoneNumbers(text: string): string {
  return text.replace(/(%2B|\+)?\d{7,15}/gi, (m) => `${m.slice(0, m.length - 4).replace(/\d/g, '•')}${m.slice(-4)}`);
}
