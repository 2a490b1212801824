/** Errors an outbox append or ack can reject with; `code` is what the agent reports. */

export class OutboxFullError extends Error {
  readonly code = 'outbox_full';
  constructor(diskBytes: number, maxBytes: number) {
    super(`outbox penuh: ${diskBytes} of ${maxBytes} bytes used; scans are kept until the server acknowledges them`);
    this.name = 'OutboxFullError';
  }
}

export class OutboxClosedError extends Error {
  readonly code = 'outbox_closed';
  constructor() {
    super('outbox is closed');
    this.name = 'OutboxClosedError';
  }
}
