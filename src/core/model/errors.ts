// Typed errors: what a command was refused for, in words a user can act on.

export class HuskiesError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A stage rule or a state check said no; nothing was changed. */
export class RefusedError extends HuskiesError {
  constructor(message: string) {
    super(message, 'refused');
  }
}

export class NotFoundError extends HuskiesError {
  constructor(message: string) {
    super(message, 'not-found');
  }
}

export class NotTrustedError extends HuskiesError {
  constructor() {
    super('This workspace is not trusted: Huskies runs no agents here. Trust the workspace to start agents.', 'not-trusted');
  }
}

export class NotInitializedError extends HuskiesError {
  constructor() {
    super('This folder has no Huskies project yet: run "Huskies: Initialize Project" (or `huskies init`).', 'not-initialized');
  }
}

/** Another process drives the project and did not take the request in time. */
export class LeaderUnavailableError extends HuskiesError {
  constructor(message: string) {
    super(message, 'leader-unavailable');
  }
}
