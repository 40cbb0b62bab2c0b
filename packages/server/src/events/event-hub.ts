/**
 * Wakes live event streams of this process when events are appended. The events themselves are read
 * from the append-only log, so a stream also sees events written by other processes (worker
 * processes on PostgreSQL) within its poll interval, and can resume from Last-Event-ID.
 */
import { EventEmitter } from 'node:events';

export class EventHub {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(orgId: string): void {
    this.emitter.emit(orgId);
  }

  /** Resolves when an event is appended for the organization, or after `timeoutMs`. */
  wait(orgId: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(orgId, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.emitter.once(orgId, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
