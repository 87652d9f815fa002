/** A user mistake caught by the CLI itself (bad flag, unreadable file): printed without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
